"""WeChat Pay API v3, cross-checked against code nobody here wrote: the maintained
``wechatpayv3`` SDK (a dev dependency) builds the same ``Authorization`` header as our client,
signs answers and callbacks our client must accept, and as a client talks to the simulator
(which verifies its requests; the SDK verifies its answers and decrypts its callbacks). The
signing strings of WeChat's documentation examples are checked too."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cancelflow.refunds import credentials, notify, signing
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.answers import WECHAT_ERRORS
from cancelflow.refunds.providers.base import InvalidNotification, RefundRequest
from cancelflow.refunds.providers.wechat_pay import PATH, WechatPay
from cancelflow.settings import reset_settings
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3 import utils as sdk_utils

from local.provider_sim import keys
from local.provider_sim.keys import MERCHANT_IDS
from tests.conftest import NOW
from tests.refunds.conftest import SimAdmin

REQ = RefundRequest("rf_w1", "rfw1", "o-w1", "pay-w1", "c1", 1234, 5000, "CNY", "after_sales")
K = keys.current
PUB_KEY_ID = "PUB_KEY_ID_0119000000012026112700000000000001"


def _use(
    monkeypatch: pytest.MonkeyPatch, sim_base: str, extra_keys: dict[str, str] | None = None, **wechat: Any
) -> None:
    creds = K().credentials()
    creds["wechat_pay"]["provider_keys"] |= extra_keys or {}
    creds["wechat_pay"] |= wechat
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(creds))
    monkeypatch.setenv("CANCELFLOW_PROVIDER_BASE_URL", sim_base)
    reset_settings()
    credentials.forget()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _use(monkeypatch, "http://wechat.invalid", {PUB_KEY_ID: K().provider["wechat_pay"].public_pem})
    yield
    credentials.forget()


def sdk_signed(body: str, serial: str | None = None, ts: int | None = None) -> dict[str, str]:
    """Answer/callback headers signed by the SDK's signer with the platform key."""
    stamp, nonce = str(ts or int(time.time())), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    key = sdk_utils.load_private_key(K().provider["wechat_pay"].private_pem)
    return {
        "wechatpay-timestamp": stamp,
        "wechatpay-nonce": nonce,
        "wechatpay-serial": serial or K().provider["wechat_pay"].serial,
        "wechatpay-signature": sdk_utils.rsa_sign(key, f"{stamp}\n{nonce}\n{body}\n"),
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
    }


class Wire:
    """Stands in for providers/http.request: keeps what the client sent, answers ``reply``'s."""

    def __init__(self, reply: Callable[[str, str, str], tuple[int, dict[str, Any]]]) -> None:
        self.reply = reply
        self.sent: list[tuple[str, str, str, dict[str, str]]] = []

    def __call__(
        self, method: str, url: str, *, body: bytes | None, headers: Any, timeout: float
    ) -> http.Answer:
        text = (body or b"").decode()
        self.sent.append((method, url, text, dict(headers)))
        status, doc = self.reply(method, url, text)
        out = json.dumps(doc, ensure_ascii=False)
        return http.Answer(status, sdk_signed(out), out.encode())


def record(status: str = "SUCCESS", **change: Any) -> dict[str, Any]:
    doc = {
        "refund_id": "50000000382019052709732678859",
        "out_refund_no": "rfw1",
        "out_trade_no": "pay-w1",
        "status": status,
        "amount": {"refund": 1234, "total": 5000, "currency": "CNY"},
    }
    return doc | change


def test_the_documented_signing_strings() -> None:
    """GIVEN the values of WeChat's signing examples WHEN the messages are built THEN they are the
    documented strings: the request's five lines and the answer's three, each ending in \\n."""
    assert (
        signing.wechat_message(
            "GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", ""
        )
        == "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    )
    body = '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}'
    assert signing.wechat_message("1722850421", "d824f2e086d3c1df967785d13fcd22ef", body) == (
        f"1722850421\nd824f2e086d3c1df967785d13fcd22ef\n{body}\n"
    )


@pytest.mark.parametrize("method", ["submit", "query"])
def test_our_authorization_is_the_one_the_sdk_builds(
    offline: None, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """GIVEN our client's request WHEN the SDK builds the Authorization header for the same
    path, body, time and nonce with the same merchant key THEN the headers are identical; the
    body's amount.total is the refunded trade's amount (the request's input), not a sum."""
    wire = Wire(lambda m, u, b: (200, record()))
    monkeypatch.setattr(http, "request", wire)
    getattr(WechatPay(), method)(REQ, NOW)
    verb, url, body, headers = wire.sent[0]
    _, parts = signing.parse_authorization(headers["Authorization"])
    path = url.removeprefix("http://wechat.invalid")
    monkeypatch.setattr(sdk_utils.time, "time", lambda: int(parts["timestamp"]))
    theirs = sdk_utils.build_authorization(
        path,
        verb,
        MERCHANT_IDS["wechat_pay"],
        K().merchant["wechat_pay"].serial,
        sdk_utils.load_private_key(K().merchant["wechat_pay"].private_pem),
        data=body or None,
        nonce_str=parts["nonce_str"],
    )
    assert headers["Authorization"] == theirs
    if method == "submit":
        assert path == PATH and json.loads(body)["amount"] == {
            "refund": 1234,
            "total": 5000,
            "currency": "CNY",
        }
    else:
        assert path == f"{PATH}/rfw1" and body == ""


def test_answers_the_sdk_signs_are_believed_by_certificate_or_public_key(
    offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN answers signed by the SDK's signer under the platform certificate's serial or a
    WeChat Pay public key id (both configured: a rotation) WHEN read THEN believed: SUCCESS
    succeeds, PROCESSING is pending; an error code is the table's."""
    monkeypatch.setattr(http, "request", Wire(lambda m, u, b: (200, record())))
    assert WechatPay().query(REQ, NOW).outcome is Outcome.SUCCEEDED

    def by_public_key(method: str, url: str, *, body: Any, headers: Any, timeout: float) -> http.Answer:
        out = json.dumps(record("PROCESSING"))
        return http.Answer(200, sdk_signed(out, serial=PUB_KEY_ID), out.encode())

    monkeypatch.setattr(http, "request", by_public_key)
    assert WechatPay().submit(REQ, NOW).outcome is Outcome.PENDING
    # public-key mode: every request names the key, so WeChat signs its answers with it
    sent: list[Any] = []

    def spy(method: str, url: str, *, body: Any, headers: Any, timeout: float) -> http.Answer:
        sent.append(headers)
        return by_public_key(method, url, body=body, headers=headers, timeout=timeout)

    monkeypatch.setattr(http, "request", spy)
    WechatPay().query(REQ, NOW)
    assert sent[0]["Wechatpay-Serial"] == PUB_KEY_ID
    monkeypatch.setattr(http, "request", Wire(lambda m, u, b: (403, {"code": "NOT_ENOUGH", "message": "x"})))
    assert WechatPay().submit(REQ, NOW).outcome is Outcome.RETRYABLE


def encrypted_callback(inner: dict[str, Any], event: str = "REFUND.SUCCESS") -> str:
    """A callback body as WeChat builds it, encrypted here with AESGCM directly (not our code)."""
    nonce = "fdasflkja484"
    sealed = AESGCM(K().apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(inner).encode(), b"refund")
    resource = {
        "original_type": "refund",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": "refund",
        "nonce": nonce,
    }
    return json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2018-06-08T10:34:56+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event,
            "summary": "退款成功",
            "resource": resource,
        }
    )


INNER = {
    "mchid": MERCHANT_IDS["wechat_pay"],
    "out_trade_no": "pay-w1",
    "transaction_id": "1008450740201411110005820873",
    "out_refund_no": "rfw1",
    "refund_id": "50200207182018070300011301001",
    "refund_status": "SUCCESS",
    "success_time": "2018-06-08T10:34:56+08:00",
    "user_received_account": "招商银行信用卡0403",
    "amount": {"total": 5000, "refund": 1234, "payer_total": 5000, "payer_refund": 1234},
}


def test_a_callback_the_sdk_signs_is_verified_decrypted_and_read(offline: None) -> None:
    """GIVEN a refund callback encrypted with the APIv3 key and signed by the SDK's signer WHEN
    our client verifies it THEN it decrypts the resource and reads refund number, amount, trade
    and status; the SDK's own callback() decrypts the same body to the same resource."""
    body = encrypted_callback(INNER)
    headers = sdk_signed(body)
    note = WechatPay().verify_notification(headers, body.encode(), NOW)
    assert (note.refund_no, note.amount, note.trade_no) == ("rfw1", 1234, "pay-w1")
    assert note.result.outcome is Outcome.SUCCEEDED
    theirs = WeChatPay(
        WeChatPayType.NATIVE,
        MERCHANT_IDS["wechat_pay"],
        K().merchant["wechat_pay"].private_pem,
        K().merchant["wechat_pay"].serial,
        "wx0000000000000000",
        K().apiv3_key,
        public_key=K().provider["wechat_pay"].public_pem,
        public_key_id=K().provider["wechat_pay"].serial,
    ).callback({k.title(): v for k, v in headers.items()}, body)
    assert theirs is not None and theirs["resource"] == INNER


def test_signature_probes_and_stale_callbacks_are_refused(offline: None) -> None:
    """GIVEN a signature probe (WECHATPAY/SIGNTEST/...), a callback signed six minutes ago and
    one signed four minutes ago WHEN verified THEN the probe and the stale one are refused, the
    four-minute-old one (inside the 5-minute skew) is accepted."""
    body = encrypted_callback(INNER)
    probe = sdk_signed(body) | {"wechatpay-signature": "WECHATPAY/SIGNTEST/" + "A" * 40}
    with pytest.raises(InvalidNotification, match="signature_probe"):
        WechatPay().verify_notification(probe, body.encode(), NOW)
    with pytest.raises(InvalidNotification, match="timestamp"):
        WechatPay().verify_notification(sdk_signed(body, ts=int(time.time()) - 360), body.encode(), NOW)
    WechatPay().verify_notification(sdk_signed(body, ts=int(time.time()) - 240), body.encode(), NOW)


def test_the_sdk_as_a_client_of_the_simulator(sim_url: str, tmp_path: Path) -> None:
    """GIVEN the SDK with the merchant key and the simulator's platform certificate WHEN it
    refunds and queries THEN the simulator verifies its Authorization, the SDK verifies every
    answer's signature (it raises otherwise), and the SDK decrypts the simulator's callback;
    a total that is not the trade's is refused (INVALID_REQUEST)."""
    admin = SimAdmin(sim_url)
    admin.reset(seed=5)
    admin.http.post("/admin/trades", json={"trade": "t-sdk", "total": 5000}).raise_for_status()
    platform = K().provider["wechat_pay"]
    (tmp_path / f"{platform.serial}.pem").write_text(platform.cert_pem)
    pay = WeChatPay(
        WeChatPayType.NATIVE,
        MERCHANT_IDS["wechat_pay"],
        K().merchant["wechat_pay"].private_pem,
        K().merchant["wechat_pay"].serial,
        "wx0000000000000000",
        K().apiv3_key,
        cert_dir=str(tmp_path),
    )
    pay._core._gate_way = sim_url
    code, text = pay.refund(
        "rn-sdk", {"refund": 1000, "total": 5000, "currency": "CNY"}, out_trade_no="t-sdk"
    )
    assert code == 200 and json.loads(text)["status"] == "PROCESSING"
    code, text = pay.query_refund("rn-sdk")
    assert code == 200 and json.loads(text)["out_refund_no"] == "rn-sdk"
    (cb,) = admin.callbacks()
    got = pay.callback(cb["headers"], cb["body"])
    assert got is not None and got["resource"]["out_refund_no"] == "rn-sdk"
    assert got["resource"]["refund_status"] == "SUCCESS" and got["resource"]["amount"]["refund"] == 1000
    code, text = pay.refund(
        "rn-sum", {"refund": 1000, "total": 10000, "currency": "CNY"}, out_trade_no="t-sdk"
    )
    assert code == 400 and json.loads(text)["code"] == "INVALID_REQUEST"
    assert [p["refund_no"] for p in admin.payouts()["payouts"]] == ["rn-sdk"]


def test_our_client_against_the_simulator_and_a_total_that_is_not_the_trades(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the simulator knows trade pay-w1 as 5,000 fen WHEN our client refunds with the
    trade's total THEN accepted; WHEN a request claims the order's sum (two payments) as the
    total THEN refused INVALID_REQUEST, a final failure, nothing paid; WHEN a request is signed
    with another key THEN refused 401 SIGN_ERROR, unsigned, so not believed (unknown: queried);
    WHEN the trade is one the customer never paid THEN refused RESOURCE_NOT_EXISTS."""
    _use(monkeypatch, sim_url)
    admin = SimAdmin(sim_url)
    admin.reset(seed=6)
    admin.http.post("/admin/trades", json={"trade": "pay-w1", "total": 5000}).raise_for_status()
    assert WechatPay().submit(REQ, NOW).outcome is Outcome.PENDING
    summed = RefundRequest("rf_w2", "rfw2", "o-w1", "pay-w1", "c1", 100, 10000, "CNY", "after_sales")
    got = WechatPay().submit(summed, NOW)
    assert got.outcome is Outcome.FINAL_FAILURE and got.error == "INVALID_REQUEST"
    assert "rfw2" not in admin.refunds()["refunds"]
    _use(monkeypatch, sim_base=sim_url, private_key=K().merchant["bank_card"].private_pem)
    forged = WechatPay().submit(
        RefundRequest("rf_w3", "rfw3", "o-w1", "pay-w1", "c1", 1, 5000, "CNY", "x"), NOW
    )
    assert forged.outcome is Outcome.UNKNOWN and forged.error == "answer_unsigned_SIGN_ERROR"
    assert "rfw3" not in admin.refunds()["refunds"]
    _use(monkeypatch, sim_url)
    unknown = RefundRequest("rf_w4", "rfw4", "o-w4", "pay-never", "c1", 100, 5000, "CNY", "x")
    got = WechatPay().submit(unknown, NOW)
    assert got.outcome is Outcome.FINAL_FAILURE and got.error == "RESOURCE_NOT_EXISTS"
    assert "rfw4" not in admin.refunds()["refunds"]
    assert [p["refund_no"] for p in admin.payouts()["payouts"]] == ["rfw1"]
    credentials.forget()


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "SIGN_ERROR"), (403, "NOT_ENOUGH"), (400, "INVALID_REQUEST"), (404, "RESOURCE_NOT_EXISTS")],
)
def test_nothing_unsigned_is_believed(
    offline: None, monkeypatch: pytest.MonkeyPatch, status: int, code: str
) -> None:
    """GIVEN an answer without Wechatpay-* headers WHEN submitting or querying THEN UNKNOWN: an
    unsigned refusal or "not found" could make us give up on, or resubmit, a refund on a word
    anyone could have sent. 401 SIGN_ERROR (WeChat could not authenticate us) is named in the
    error, so support sees "our credentials"."""
    answer = http.Answer(status, {}, json.dumps({"code": code, "message": "x"}).encode())
    monkeypatch.setattr(http, "request", lambda *a, **k: answer)
    want = "answer_unsigned_SIGN_ERROR" if code == "SIGN_ERROR" else "answer_unsigned"
    for call in (WechatPay().submit, WechatPay().query):
        got = call(REQ, NOW)
        assert got.outcome is Outcome.UNKNOWN and got.error == want, call


STATUS_OF = {"SYSTEM_ERROR": 500, "FREQUENCY_LIMITED": 429, "SIGN_ERROR": 401, "PARAM_ERROR": 400}


@pytest.mark.parametrize(("code", "outcome"), list(WECHAT_ERRORS.items()))
def test_every_documented_refund_error_maps_to_its_outcome(
    offline: None, monkeypatch: pytest.MonkeyPatch, code: str, outcome: Outcome
) -> None:
    """GIVEN a signed error answer with a documented code WHEN the refund is submitted THEN the
    table's outcome, the code as the error."""
    status = STATUS_OF.get(code, 404 if code.endswith("NOT_EXISTS") else 403)
    monkeypatch.setattr(http, "request", Wire(lambda m, u, b: (status, {"code": code, "message": "x"})))
    got = WechatPay().submit(REQ, NOW)
    assert got.outcome is outcome and got.error == code


def test_the_documented_answers_to_a_callback() -> None:
    """GIVEN a callback applied, or refused WHEN answered THEN 204 without a body (WeChat stops),
    or 4xx with {"code": "FAIL", "message": ...} (WeChat sends it again)."""
    assert notify.answer(True) == (204, None)
    assert notify.answer(False, "signature") == (400, {"code": "FAIL", "message": "signature"})


def test_sensitive_fields_are_encrypted_as_the_sdk_reads_them() -> None:
    """GIVEN a card number encrypted by our client for 发起异常退款 (RSA-OAEP, SHA-1) WHEN the
    SDK decrypts it with the platform's private key THEN it reads the number; the SDK's own
    encryption of a name decrypts with ours (the simulator's side)."""
    platform = K().provider["wechat_pay"]
    sealed = signing.rsa_encrypt(platform.cert_pem, "6222020000001234")
    assert sealed != signing.rsa_encrypt(platform.cert_pem, "6222020000001234")  # OAEP is randomised
    assert (
        sdk_utils.rsa_decrypt(sealed, sdk_utils.load_private_key(platform.private_pem)) == "6222020000001234"
    )
    theirs = sdk_utils.rsa_encrypt("李雷", sdk_utils.load_certificate(platform.cert_pem).public_key())
    assert signing.rsa_decrypt(platform.private_pem, theirs) == "李雷"


def test_two_different_keys_live_at_once_each_under_its_own_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a rotation: the old platform certificate and a new WeChat Pay public key, two
    DIFFERENT keys, both configured WHEN answers arrive signed by each under its own serial
    THEN both are believed; WHEN one is signed by the other key (or names the other serial)
    THEN it is not: the serial picks the key, it does not just have to exist."""
    from cancelflow.refunds.providers import verify

    old, new = K().provider["wechat_pay"], K().forger  # the forger stands in for a second real key
    _use(monkeypatch, "http://wechat.invalid", {PUB_KEY_ID: new.public_pem})
    body = json.dumps(record())

    def headers(key: keys.Party, serial: str) -> dict[str, str]:
        ts, nonce = str(int(time.time())), "n0nce"
        sig = signing.rsa_sign(key.private_pem, signing.wechat_message(ts, nonce, body))
        return {
            "wechatpay-timestamp": ts,
            "wechatpay-nonce": nonce,
            "wechatpay-serial": serial,
            "wechatpay-signature": sig,
        }

    for key, serial, ok in (
        (old, old.serial, True),
        (new, PUB_KEY_ID, True),
        (new, old.serial, False),
        (old, PUB_KEY_ID, False),
    ):
        bad = verify.problem("wechat_pay", verify.wechat_headers(headers(key, serial)), body)
        assert (bad is None) is ok, (serial, bad)
        answer = http.Answer(200, headers(key, serial), body.encode())
        monkeypatch.setattr(http, "request", lambda *a, ans=answer, **k: ans)
        assert (WechatPay().query(REQ, NOW).outcome is Outcome.SUCCEEDED) is ok
    credentials.forget()
