"""Alipay's gateway protocol, cross-checked against code nobody here wrote: the maintained
``python-alipay-sdk`` (``alipay``, a dev dependency) signs the same request parameters to the
same signature, signs answers our client must accept, computes the same certificate SNs, and as
a client talks to the simulator (which verifies its requests; the SDK verifies its answers).
Alipay's documented string-to-sign example is checked too."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import alipay as alipay_sdk
import pytest
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.alipay import CST, GATEWAYS, Alipay, gateway
from cancelflow.refunds.providers.answers import ALIPAY_GATEWAY, ALIPAY_REFUND
from cancelflow.refunds.providers.base import RefundRequest
from cancelflow.settings import reset_settings

from local.provider_sim import keys
from local.provider_sim.keys import MERCHANT_IDS
from tests.conftest import NOW
from tests.refunds.conftest import SimAdmin

REQ = RefundRequest("rf_a1", "rfa1", "o-a1", "pay-a1", "c1", 1234, 5000, "CNY", "after_sales")
K = keys.current


def _use(monkeypatch: pytest.MonkeyPatch, sim_base: str, **alipay: Any) -> None:
    creds = K().credentials(alipay_cert_mode=bool(alipay.pop("cert_mode", False)))
    creds["alipay"] |= alipay
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(creds))
    monkeypatch.setenv("CANCELFLOW_PROVIDER_BASE_URL", sim_base)
    reset_settings()
    credentials.forget()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _use(monkeypatch, "http://alipay.invalid")
    yield
    credentials.forget()


class Wire:
    """Stands in for providers/http.request: keeps what the client sent, answers ``reply``'s."""

    def __init__(self, reply: Callable[[dict[str, str]], str]) -> None:
        self.reply = reply
        self.sent: list[dict[str, str]] = []

    def __call__(
        self, method: str, url: str, *, body: bytes | None, headers: Any, timeout: float
    ) -> http.Answer:
        params = dict(parse_qsl((body or b"").decode()))
        self.sent.append(params)
        return http.Answer(200, {"content-type": "text/html;charset=utf-8"}, self.reply(params).encode())


def sdk(private_pem: str, public_pem: str) -> alipay_sdk.AliPay:
    return alipay_sdk.AliPay(
        appid=MERCHANT_IDS["alipay"],
        app_private_key_string=private_pem,
        alipay_public_key_string=public_pem,
        sign_type="RSA2",
    )


def signed_by_alipay(method: str, node: dict[str, Any]) -> str:
    """An answer as Alipay sends it, signed by the SDK's own signer with the Alipay key."""
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    sign = sdk(K().provider["alipay"].private_pem, K().provider["alipay"].public_pem)._sign(text)
    return f'{{"{method.replace(".", "_")}_response":{text},"sign":"{sign}"}}'


def test_the_documented_string_to_sign() -> None:
    """GIVEN the request of Alipay's "自行实现签名" example WHEN its string to sign is built THEN
    it is the documented one (sorted, ``sign`` left out)."""
    biz = '{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}'
    params = {
        "app_id": "2014072300007148",
        "method": "alipay.mobile.public.menu.add",
        "charset": "GBK",
        "sign_type": "RSA2",
        "timestamp": "2014-07-24 03:07:50",
        "biz_content": biz,
        "sign": "e9zEAe4TTQ4LPLQvETPoLGXTiURcxiAKfMVQ6Hrrsx2hmyIEGvSfAQzbLxHrhyZ48wOJ",  # (left out)
        "version": "1.0",
    }
    assert signing.alipay_content(params) == (
        f"app_id=2014072300007148&biz_content={biz}&charset=GBK&method=alipay.mobile.public.menu.add"
        "&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0"
    )


@pytest.mark.parametrize("method", ["submit", "query"])
def test_our_request_carries_the_signature_the_sdk_makes(
    offline: None, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """GIVEN our client's request WHEN the SDK signs the same parameters with the same app key
    THEN it makes the same RSA2 signature, and the SDK verifies ours with the app public key;
    the request is RSA2, the refund query asks for the refund time."""
    wire = Wire(lambda p: signed_by_alipay(p["method"], {"code": "10000", "msg": "Success"}))
    monkeypatch.setattr(http, "request", wire)
    getattr(Alipay(), method)(REQ, NOW)
    params = wire.sent[0]
    assert params["sign_type"] == "RSA2" and params["app_id"] == MERCHANT_IDS["alipay"]
    merchant = K().merchant["alipay"]
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    theirs = dict(parse_qsl(sdk(merchant.private_pem, merchant.public_pem).sign_data(dict(unsigned))))["sign"]
    assert theirs == params["sign"]
    checker = sdk(merchant.private_pem, merchant.public_pem)
    assert checker._verify(signing.alipay_content(params), params["sign"])
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == "pay-a1" and biz["out_request_no"] == "rfa1"
    if method == "query":
        assert biz["query_options"] == ["gmt_refund_pay"]
    else:
        assert biz["refund_amount"] == "12.34"


def test_answers_the_sdk_signs_are_believed(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN answers signed by the SDK's signer with the Alipay key WHEN the client reads them
    THEN a refund with fund_change Y succeeds and the query's REFUND_SUCCESS succeeds with its
    refund time (gmt_refund_pay, Beijing time) as the provider's settle time."""
    nodes = {
        "alipay.trade.refund": {
            "code": "10000",
            "msg": "Success",
            "fund_change": "Y",
            "out_trade_no": "pay-a1",
        },
        "alipay.trade.fastpay.refund.query": {
            "code": "10000",
            "msg": "Success",
            "out_request_no": "rfa1",
            "refund_status": "REFUND_SUCCESS",
            "refund_amount": "12.34",
            "gmt_refund_pay": "2026-11-27 10:00:05",
        },
    }
    monkeypatch.setattr(http, "request", Wire(lambda p: signed_by_alipay(p["method"], nodes[p["method"]])))
    assert Alipay().submit(REQ, NOW).outcome is Outcome.SUCCEEDED
    found = Alipay().query(REQ, NOW)
    assert found.outcome is Outcome.SUCCEEDED and found.provider_status == "REFUND_SUCCESS"
    assert found.settle_at == datetime(2026, 11, 27, 2, 0, 5, tzinfo=UTC)


@pytest.fixture
def cst_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK stamps requests with the machine's local time, Alipay expects Beijing time."""

    class Beijing(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(CST).replace(tzinfo=None)

    monkeypatch.setattr(alipay_sdk, "datetime", Beijing)


def test_the_sdk_as_a_client_of_the_simulator(sim_url: str, cst_sdk: None) -> None:
    """GIVEN the SDK with the app key and the simulator's Alipay public key WHEN it refunds and
    queries through the simulator's gateway THEN the simulator verifies its RSA2 requests, the
    SDK verifies every answer's signature over the node (it raises otherwise), the money moved
    once; a request signed with another key is refused with isv.invalid-signature."""
    admin = SimAdmin(sim_url)
    admin.reset(seed=3)
    admin.trade("t-sdk", 5000)  # the trade the customer paid
    client = sdk(K().merchant["alipay"].private_pem, K().provider["alipay"].public_pem)
    client._gateway = f"{sim_url}/alipay/gateway.do"
    got = client.api_alipay_trade_refund("12.34", out_trade_no="t-sdk", out_request_no="rn-sdk")
    assert got["code"] == "10000" and got["fund_change"] == "Y"
    found = client.api_alipay_trade_fastpay_refund_query("rn-sdk", out_trade_no="t-sdk")
    assert found["refund_status"] == "REFUND_SUCCESS" and found["refund_amount"] == "12.34"
    again = client.api_alipay_trade_refund("12.34", out_trade_no="t-sdk", out_request_no="rn-sdk")
    assert again["fund_change"] == "N"
    assert [p["refund_no"] for p in admin.payouts()["payouts"]] == ["rn-sdk"]
    forger = sdk(K().merchant["bank_card"].private_pem, K().provider["alipay"].public_pem)
    forger._gateway = client._gateway
    refused = forger.api_alipay_trade_refund("1.00", out_trade_no="t-sdk", out_request_no="rn-forged")
    assert refused["code"] == "40002" and refused["sub_code"] == "isv.invalid-signature"


def test_certificate_mode_sns_match_the_sdk_and_the_simulator_accepts_both(
    sim_url: str, cst_sdk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the simulator's certificates (root, Alipay, app) WHEN their SNs are computed THEN
    ours equal the SDK's (DCAliPay); WHEN the SDK in certificate mode and our client in
    certificate mode refund through the simulator THEN both are accepted and our client
    verifies the answer by the alipay_cert_sn it names."""
    k = K()
    assert signing.alipay_cert_sn(k.alipay_app_cert) == alipay_sdk.DCAliPay.get_cert_sn(k.alipay_app_cert)
    assert signing.alipay_root_cert_sn(k.alipay_root.cert_pem) == alipay_sdk.DCAliPay.get_root_cert_sn(
        k.alipay_root.cert_pem
    )
    admin = SimAdmin(sim_url)
    admin.reset(seed=4)
    admin.trade("t-dc", 5000)
    admin.trade(REQ.trade_no, REQ.paid_amount)
    dc = alipay_sdk.DCAliPay(
        appid=MERCHANT_IDS["alipay"],
        app_private_key_string=k.merchant["alipay"].private_pem,
        app_public_key_cert_string=k.alipay_app_cert,
        alipay_public_key_cert_string=k.provider["alipay"].cert_pem,
        alipay_root_cert_string=k.alipay_root.cert_pem,
    )
    dc._gateway = f"{sim_url}/alipay/gateway.do"
    assert (
        dc.api_alipay_trade_refund("2.00", out_trade_no="t-dc", out_request_no="rn-dc")["fund_change"] == "Y"
    )
    _use(monkeypatch, sim_url, cert_mode=True)
    sent: list[dict[str, str]] = []
    real = http.request

    def spy(method: str, url: str, **kw: Any) -> http.Answer:
        sent.append(dict(parse_qsl(kw["body"].decode())))
        answer = real(method, url, **kw)
        assert json.loads(answer.body)["alipay_cert_sn"] == k.alipay_cert_sn
        return answer

    monkeypatch.setattr(http, "request", spy)
    assert Alipay().submit(REQ, NOW).outcome is Outcome.SUCCEEDED
    assert sent[0]["app_cert_sn"] == k.app_cert_sn and sent[0]["alipay_root_cert_sn"] == k.alipay_root_cert_sn
    credentials.forget()


def test_gateway_urls_come_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN ``base_url`` "sandbox", "production", a URL, or none WHEN the gateway is chosen THEN
    Alipay's sandbox, its production gateway, that URL, or the simulator's path."""
    for base, want in [
        ("sandbox", GATEWAYS["sandbox"]),
        ("production", "https://openapi.alipay.com/gateway.do"),
        ("https://gw.example/gateway.do", "https://gw.example/gateway.do"),
        ("", "http://sim.invalid/alipay/gateway.do"),
    ]:
        _use(monkeypatch, "http://sim.invalid", base_url=base)
        assert gateway(credentials.credentials("alipay")) == want
    credentials.forget()


CASES = [("40004", sub, outcome) for sub, outcome in ALIPAY_REFUND.items()] + [
    (code, "", outcome) for code, outcome in ALIPAY_GATEWAY.items()
]


@pytest.mark.parametrize(("code", "sub", "outcome"), CASES, ids=[f"{c}-{s}" for c, s, _ in CASES])
def test_every_documented_refund_error_maps_to_its_outcome(
    offline: None, monkeypatch: pytest.MonkeyPatch, code: str, sub: str, outcome: Outcome
) -> None:
    """GIVEN a signed refusal with a documented code WHEN the client reads it THEN the table's
    outcome and the code as the error (no code ever reads as a success)."""
    node = {"code": code, "msg": "x"} | ({"sub_code": sub} if sub else {})
    monkeypatch.setattr(http, "request", Wire(lambda p: signed_by_alipay(p["method"], node)))
    got = Alipay().submit(REQ, NOW)
    assert got.outcome is outcome and got.error == (sub or code)


def test_nothing_unsigned_is_believed(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN answers without ``sign`` WHEN read THEN each is UNKNOWN: the worker queries, it
    neither gives up on the refund nor believes it paid on a word anyone could have sent. Alipay's
    40002 (it could not authenticate the request; often ``error_response``) is named in the error
    so support sees "our credentials", but it stops nothing either."""
    bad = json.dumps({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"})
    for name in ("alipay_trade_refund_response", "error_response"):
        monkeypatch.setattr(http, "request", Wire(lambda p, n=name: f'{{"{n}":{bad}}}'))
        got = Alipay().submit(REQ, NOW)
        assert got.outcome is Outcome.UNKNOWN and got.error == "answer_unsigned_isv.invalid-signature", name
    for node in (
        {"code": "40004", "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH"},  # would be RETRYABLE signed
        {"code": "40004", "sub_code": "ACQ.TRADE_HAS_CLOSE"},  # would stop the refund signed
        {"code": "10000", "fund_change": "Y"},  # would be paid signed
    ):
        text = json.dumps(node)
        monkeypatch.setattr(
            http, "request", Wire(lambda p, t=text: f'{{"alipay_trade_refund_response":{t}}}')
        )
        got = Alipay().submit(REQ, NOW)
        assert got.outcome is Outcome.UNKNOWN and got.error == "answer_unsigned", node


def test_a_node_signed_with_slashes_unescaped_verifies_when_sent_escaped(
    offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN Alipay signed a node containing "/" and the answer arrives with JSON's optional
    escape "\\/" WHEN verified THEN it is believed (Alipay's SDKs retry with "\\/" undone); a
    node whose text differs otherwise still fails."""
    node = {
        "code": "10000",
        "msg": "Success",
        "out_trade_no": "pay-a1",
        "trade_no": "a/b",
        "fund_change": "Y",
    }
    text = json.dumps(node, separators=(",", ":"))
    sign = signing.rsa_sign(K().provider["alipay"].private_pem, text)
    sent = text.replace("/", "\\/")
    assert sent != text
    monkeypatch.setattr(
        http, "request", Wire(lambda p: f'{{"alipay_trade_refund_response":{sent},"sign":"{sign}"}}')
    )
    assert Alipay().submit(REQ, NOW).outcome is Outcome.SUCCEEDED
    other = sent.replace("a\\/b", "a\\/c")
    monkeypatch.setattr(
        http, "request", Wire(lambda p: f'{{"alipay_trade_refund_response":{other},"sign":"{sign}"}}')
    )
    assert Alipay().submit(REQ, NOW).error == "answer_signature"


def test_the_signed_text_is_the_node_exactly_as_sent() -> None:
    """GIVEN an answer whose node has spaces, escapes and a nested object, and a ``sign`` and
    ``alipay_cert_sn`` after it WHEN the node is found THEN its text is byte for byte the one in
    the answer (what Alipay signed), not a re-serialisation."""
    text = '{"code": "10000", "msg":"Success","x":{"a":"}\\"{"}, "y":"\\u4e2d"}'
    raw = f'{{ "alipay_trade_refund_response" : {text} , "sign":"S", "alipay_cert_sn":"SN"}}'
    found = signing.alipay_node(raw, "alipay_trade_refund_response")
    assert found is not None and found[0] == text and found[2:] == ("S", "SN")
    assert signing.alipay_node('{"error_response":{"code":"40002"},"sign":"S"}', "x_response") is not None
    assert signing.alipay_node("[1]", "x_response") is None
