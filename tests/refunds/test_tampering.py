"""Tampering: an answer or a callback with a changed amount, status, timestamp or serial, or
signed with another key, is never applied: an answer reads UNKNOWN (the worker queries again,
nothing is paid or marked paid on its word), a callback is refused (400 NOTIFICATION_INVALID)
and the refund does not move. One test per field and provider; the genuine message is checked
first, so the change is the only reason it is refused.

Every change moves the message TOWARD what the client would accept: the provider signed
"another amount" or "not yet", the attacker makes it say this refund's amount, "succeeded".
Checks that do not need the signature (this refund's amount and trade, a known status) would
refuse a change away from it, so only then does a test show the signature is checked; each
test also asserts the refusal names the signature, the timestamp or the serial. Also: the
outcome tables in docs/refunds.md are the code's."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cancelflow.errors import DomainError
from cancelflow.refunds import credentials, lifecycle, notify, signing, worker
from cancelflow.refunds.model import Outcome, RefundStatus
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.alipay import Alipay
from cancelflow.refunds.providers.answers import TABLES
from cancelflow.refunds.providers.bank_card import BankCard
from cancelflow.refunds.providers.base import InvalidNotification, Provider, RefundRequest
from cancelflow.refunds.providers.wechat_pay import WechatPay
from cancelflow.settings import reset_settings

from local.provider_sim import keys
from tests.conftest import NOW
from tests.refunds.conftest import SimAdmin, later, owe_refund, paid_order

K = keys.current
REQ = RefundRequest("rf_t1", "rft1", "o-t1", "pay-t1", "c1", 1234, 5000, "CNY", "after_sales")
ROGUE = "bank_card"  # another real key: the merchant's acquirer key signs what it should not
FIELDS = ["amount", "status", "timestamp", "serial", "other_key"]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    creds = K().credentials(alipay_cert_mode=True)  # Alipay answers then name their certificate
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(creds))
    monkeypatch.setenv("CANCELFLOW_PROVIDER_BASE_URL", "http://provider.invalid")
    reset_settings()
    credentials.forget()
    yield
    credentials.forget()


def _sig(provider: str, message: str, rogue: bool) -> str:
    party = K().merchant[ROGUE] if rogue else K().provider[provider]
    return signing.rsa_sign(party.private_pem, message)


# ---------------------------------------------------------------- answers

Answer = tuple[dict[str, str], str]  # headers, body


def wechat_like(provider: str, doc: dict[str, Any], field: str | None) -> Answer:
    """A signed answer in WeChat's scheme (WeChat Pay, the acquirer), then changed in ``field``."""
    body, ts, nonce = json.dumps(doc), str(int(time.time())), "n0nce"
    signed_body = body
    if field == "amount":  # the provider signed another amount; the attacker writes ours
        signed_body = body.replace('"refund": 1234', '"refund": 1233').replace(
            '"amount": 1234', '"amount": 1233'
        )
        assert signed_body != body
    sig = _sig(provider, signing.wechat_message(ts, nonce, signed_body), rogue=field == "other_key")
    serial = K().provider[provider].serial
    if field == "status":
        body = body.replace("PROCESSING", "SUCCESS").replace("ACCEPTED", "SETTLED")
    if field == "timestamp":
        ts = str(int(ts) - 1)
    if field == "serial":
        serial = K().provider["wechat_pay" if provider == "bank_card" else "bank_card"].serial
    names = ("wechatpay-" if provider == "wechat_pay" else "x-") + "{}"
    h = {
        names.format(k): v
        for k, v in (("timestamp", ts), ("nonce", nonce), ("serial", serial), ("signature", sig))
    }
    return h, body


def alipay_answer(node: dict[str, Any], field: str | None) -> Answer:
    text = json.dumps(node, separators=(",", ":"))
    signed_text = text.replace('"12.34"', '"12.35"') if field == "amount" else text  # toward ours
    sig, sn = _sig("alipay", signed_text, rogue=field == "other_key"), K().alipay_cert_sn
    if field == "status":
        text = text.replace(
            '"out_request_no":"rft1"', '"out_request_no":"rft1","refund_status":"REFUND_SUCCESS"'
        )
    if field == "timestamp":
        text = text.replace("10:00:05", "10:00:06")
    if field == "serial":
        sn = "0" * 32
    return (
        {},
        f'{{"alipay_trade_fastpay_refund_query_response":{text},"sign":"{sig}","alipay_cert_sn":"{sn}"}}',
    )


ALIPAY_NODE = {"code": "10000", "msg": "Success", "out_trade_no": "pay-t1", "out_request_no": "rft1"}
ANSWERS: dict[str, Callable[[str | None], Answer]] = {
    # the genuine answers say "not yet"; every change below tries to turn them into money moved
    "alipay": lambda f: alipay_answer(
        ALIPAY_NODE
        | ({} if f == "status" else {"refund_status": "REFUND_SUCCESS", "refund_amount": "12.34"})
        | {"gmt_refund_pay": "2026-11-27 10:00:05"},
        f,
    ),
    "wechat_pay": lambda f: wechat_like(
        "wechat_pay",
        {
            "out_refund_no": "rft1",
            "out_trade_no": "pay-t1",
            "status": "PROCESSING",
            "amount": {"refund": 1234},
        },
        f,
    ),
    "bank_card": lambda f: wechat_like(
        "bank_card", {"refund_no": "rft1", "status": "ACCEPTED", "amount": 1234}, f
    ),
}
CLIENTS: dict[str, Callable[[], Provider]] = {
    "alipay": Alipay,
    "wechat_pay": WechatPay,
    "bank_card": BankCard,
}
GENUINE = {"alipay": Outcome.SUCCEEDED, "wechat_pay": Outcome.PENDING, "bank_card": Outcome.PENDING}


def _answering(monkeypatch: pytest.MonkeyPatch, answer: Answer) -> None:
    headers, body = answer
    monkeypatch.setattr(http, "request", lambda *a, **k: http.Answer(200, headers, body.encode()))


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("provider", list(ANSWERS))
def test_a_changed_answer_is_unknown_never_applied(
    offline: None, monkeypatch: pytest.MonkeyPatch, provider: str, field: str
) -> None:
    """GIVEN a provider's genuine, signed query answer (believed as it is) WHEN one field is
    changed after signing (amount, status, timestamp, serial) or it is signed with another key
    THEN the client's outcome is UNKNOWN: not a success, not a refusal."""
    _answering(monkeypatch, ANSWERS[provider](None))
    assert CLIENTS[provider]().query(REQ, NOW).outcome is GENUINE[provider]
    _answering(monkeypatch, ANSWERS[provider](field))
    got = CLIENTS[provider]().query(REQ, NOW)
    assert got.outcome is Outcome.UNKNOWN
    # refused for what only the signature check sees, never for a mismatch with the refund
    want = "answer_signature" if provider == "alipay" else SIGNATURE_REFUSALS[field]
    assert got.error == want, got.error  # (Alipay: a certificate we do not hold verifies nothing)


SIGNATURE_REFUSALS = {
    "amount": "answer_signature",
    "status": "answer_signature",
    "timestamp": "answer_signature",  # Alipay: inside the signed node; WeChat: in the message
    "serial": "answer_serial",
    "other_key": "answer_signature",
}


def test_a_changed_alipay_refund_amount_is_unknown(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN Alipay's genuine REFUND_SUCCESS of 12.34 WHEN refund_amount is changed after signing
    THEN UNKNOWN; WHEN Alipay itself signs another amount than ours THEN UNKNOWN as well (not this
    refund)."""
    node = ALIPAY_NODE | {"refund_status": "REFUND_SUCCESS", "refund_amount": "12.34"}
    _answering(monkeypatch, alipay_answer(node, "amount"))
    assert Alipay().query(REQ, NOW).outcome is Outcome.UNKNOWN
    _answering(monkeypatch, alipay_answer(node | {"refund_amount": "99.00"}, None))
    assert Alipay().query(REQ, NOW).error == "answer_mismatch"


# ---------------------------------------------------------------- callbacks


def _tampered_callback(provider: str, cb: dict[str, Any], field: str) -> tuple[dict[str, str], str]:
    """The simulator's genuine callback, changed in ``field`` (or signed with another key)."""
    headers, body = dict(cb["headers"]), cb["body"]
    low = {k.lower(): k for k in headers}
    ts_h, sig_h, ser_h, nonce_h = (
        low[f"{'wechatpay' if provider == 'wechat_pay' else 'x'}-{n}"]
        for n in ("timestamp", "signature", "serial", "nonce")
    )
    if field == "amount":
        # The provider signed another amount (one fen less); the attacker sends ours under it.
        signed_body = _with_amount(provider, body, -1)
        headers[sig_h] = _sig(
            provider, signing.wechat_message(headers[ts_h], headers[nonce_h], signed_body), False
        )
    if field == "status":
        if provider == "wechat_pay":  # the resource is sealed: re-seal a changed one, keep the signature
            doc = json.loads(body)
            res = doc["resource"]
            inner = json.loads(
                signing.aes_gcm_decrypt(K().apiv3_key, res["nonce"], "refund", res["ciphertext"])
            )
            inner["refund_status"], doc["event_type"] = "SUCCESS", "REFUND.SUCCESS"
            res["ciphertext"] = signing.aes_gcm_encrypt(
                K().apiv3_key, res["nonce"], "refund", json.dumps(inner)
            )
            body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        else:
            body = json.dumps(json.loads(body) | {"status": "SETTLED"}, separators=(",", ":"))
    if field == "timestamp":
        headers[ts_h] = str(int(headers[ts_h]) + 1)
    if field == "serial":
        headers[ser_h] = K().provider["bank_card" if provider == "wechat_pay" else "wechat_pay"].serial
    if field == "other_key":
        msg = signing.wechat_message(headers[ts_h], headers[nonce_h], body)
        headers[sig_h] = _sig(provider, msg, rogue=True)
    return headers, body


def _with_amount(provider: str, body: str, change: int) -> str:
    """The callback's body stating its refund amount changed by ``change`` fen (WeChat's resource
    re-sealed under the APIv3 key, which the attacker does not have: the provider's message)."""
    doc = json.loads(body)
    if provider != "wechat_pay":
        return json.dumps(doc | {"amount": doc["amount"] + change}, separators=(",", ":"))
    res = doc["resource"]
    inner = json.loads(signing.aes_gcm_decrypt(K().apiv3_key, res["nonce"], "refund", res["ciphertext"]))
    inner["amount"]["refund"] += change
    res["ciphertext"] = signing.aes_gcm_encrypt(K().apiv3_key, res["nonce"], "refund", json.dumps(inner))
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


CALLBACK_REFUSALS = {
    "amount": "signature",
    "status": "signature",
    "timestamp": "signature",
    "serial": "serial",
    "other_key": "signature",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("channel", ["wechat_pay", "bank_card"])
def test_a_changed_callback_is_refused_and_the_refund_does_not_move(
    sim: SimAdmin, channel: str, field: str
) -> None:
    """GIVEN an accepted refund and the provider's genuine callback for it WHEN the callback is
    changed in one field or signed with another key THEN the callback route's use case refuses
    it (NOTIFICATION_INVALID) and the refund stays processing; the genuine one then applies."""
    if channel == "bank_card":
        sim.config(bank_settle_days=0)
    if field == "status":
        sim.set_account(f"pay-{(oid := paid_order('c1', 5000, channel))}", closed=True)
    else:
        oid = paid_order("c1", 5000, channel)
    rid = owe_refund(oid, 5000)
    assert worker.process(rid, later(1)).result == "processing"
    (cb,) = sim.callbacks()
    headers, body = _tampered_callback(channel, cb, field)
    with pytest.raises(DomainError) as e:
        notify.handle(rid, headers, body.encode(), later(2))
    assert e.value.code == "NOTIFICATION_INVALID"
    assert e.value.details == {"reason": CALLBACK_REFUSALS[field]}  # what only verification sees
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is RefundStatus.PROCESSING
    refund, changed = notify.handle(rid, cb["headers"], cb["body"].encode(), later(2))
    want = RefundStatus.NEEDS_CUSTOMER_ACTION if field == "status" else RefundStatus.SUCCEEDED
    assert changed and refund.status is want


def test_a_correctly_signed_callback_for_another_amount_is_refused(sim: SimAdmin) -> None:
    """GIVEN a callback the provider really signed, but stating another amount than the
    refund's (or another trade) WHEN handled THEN refused: the callback must be about this
    refund, not just signed."""
    rid = owe_refund(paid_order("c1", 5000, "bank_card"), 5000)
    sim.config(bank_settle_days=0)
    worker.process(rid, later(1))
    (cb,) = sim.callbacks()
    for change in ({"amount": 4999}, {"original_payment_id": "pay-other"}):
        body = json.dumps(json.loads(cb["body"]) | change, separators=(",", ":"))
        party, ts, nonce = K().provider["bank_card"], str(int(time.time())), "n2"
        headers = {
            "X-Timestamp": ts,
            "X-Nonce": nonce,
            "X-Serial": party.serial,
            "X-Signature": signing.rsa_sign(party.private_pem, signing.wechat_message(ts, nonce, body)),
        }
        with pytest.raises(DomainError):
            notify.handle(rid, headers, body.encode(), later(2))
    r = lifecycle.get_refund(rid)
    assert r is not None and r.status is RefundStatus.PROCESSING


def test_a_wechat_resource_sealed_with_another_apiv3_key_is_refused(offline: None) -> None:
    """GIVEN a correctly signed WeChat callback whose resource was encrypted with another APIv3
    key WHEN verified THEN refused ("decrypt"): a resource is read only once it decrypts."""
    inner = {"out_refund_no": "rft1", "refund_status": "SUCCESS", "amount": {"refund": 1234}}
    res = {
        "algorithm": "AEAD_AES_256_GCM",
        "nonce": "abcdefabcdef",
        "associated_data": "refund",
        "ciphertext": signing.aes_gcm_encrypt("k" * 32, "abcdefabcdef", "refund", json.dumps(inner)),
    }
    body = json.dumps({"resource_type": "encrypt-resource", "event_type": "REFUND.SUCCESS", "resource": res})
    headers, _ = wechat_like("wechat_pay", {}, None)
    ts, nonce = headers["wechatpay-timestamp"], headers["wechatpay-nonce"]
    headers["wechatpay-signature"] = _sig("wechat_pay", signing.wechat_message(ts, nonce, body), rogue=False)
    with pytest.raises(InvalidNotification, match="decrypt"):
        WechatPay().verify_notification(headers, body.encode(), NOW)


# ---------------------------------------------------------------- the documented tables

ROW = re.compile(r"^\| (alipay|wechat_pay|bank_card) \| ([a-z_ ]+) \| `([A-Z0-9_.]+)` \| ([a-z_]+) \|$")


def test_the_documented_outcome_tables_are_the_codes() -> None:
    """GIVEN docs/refunds.md's outcome tables and providers/answers.py's WHEN compared row by
    row THEN they are the same (provider, answer, code, outcome), none missing on either side."""
    doc = Path(__file__).parents[2] / "docs" / "refunds.md"
    rows = {m.groups() for line in doc.read_text().splitlines() if (m := ROW.match(line))}
    code = {(p, kind, c, o.value) for (p, kind), table in TABLES.items() for c, o in table.items()}
    assert rows == code


@pytest.mark.parametrize("provider", ["wechat_pay", "bank_card"])
def test_a_genuine_answer_signed_too_long_ago_is_unknown(
    offline: None, monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    """GIVEN the provider's genuine, correctly signed answer saying the money moved, but signed
    six minutes ago (a replay) WHEN read THEN UNKNOWN for its timestamp: answers are held to the
    same 5-minute window as callbacks."""
    doc = (
        {"out_refund_no": "rft1", "out_trade_no": "pay-t1", "status": "SUCCESS", "amount": {"refund": 1234}}
        if provider == "wechat_pay"
        else {"refund_no": "rft1", "status": "SETTLED", "amount": 1234}
    )
    body, nonce = json.dumps(doc), "n0nce"
    names = ("wechatpay-" if provider == "wechat_pay" else "x-") + "{}"
    for age, want in ((0, Outcome.SUCCEEDED), (360, Outcome.UNKNOWN)):
        ts = str(int(time.time()) - age)
        sig = _sig(provider, signing.wechat_message(ts, nonce, body), rogue=False)
        parts = (
            ("timestamp", ts),
            ("nonce", nonce),
            ("serial", K().provider[provider].serial),
            ("signature", sig),
        )
        _answering(monkeypatch, ({names.format(k): v for k, v in parts}, body))
        got = CLIENTS[provider]().query(REQ, NOW)
        assert got.outcome is want, (age, got)
    assert got.error == "answer_timestamp"
