"""Provider refund callbacks whose signature verifies but whose JSON is hostile: nested a
thousand levels deep, a number Python cannot parse, NaN, an array. Each is an invalid
notification (400 NOTIFICATION_INVALID at the route), never a crash of the parser."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.providers.bank_card import BankCard
from cancelflow.refunds.providers.base import InvalidNotification
from cancelflow.refunds.providers.wechat_pay import WechatPay
from cancelflow.settings import reset_settings

from tests.conftest import NOW

KEY = "test-signing-key"
NONCE = "n0nce"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    creds = {name: {"merchant_id": "m", "key": KEY} for name in ("wechat_pay", "bank_card")}
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(creds))
    reset_settings()
    credentials._parse.cache_clear()
    yield
    credentials._parse.cache_clear()
    reset_settings()


def wechat(body: bytes) -> None:
    ts = str(int(time.time()))
    sig = signing.sign(KEY, signing.wechat_message(ts, NONCE, body.decode("utf-8", "replace")))
    headers = {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": NONCE, "Wechatpay-Signature": sig}
    WechatPay().verify_notification(headers, body, NOW)


def bank(body: bytes) -> None:
    ts = str(int(time.time()))
    sig = signing.sign(KEY, signing.wechat_message(ts, body.decode("utf-8", "replace")))
    BankCard().verify_notification({"X-Timestamp": ts, "X-Signature": sig}, body, NOW)


DEEP = b"[" * 1000 + b"]" * 1000
HOSTILE = {
    "deep-arrays": DEEP,
    "deep-in-resource": b'{"refund_no": "r1", "resource": {"out_refund_no": ' + DEEP + b"}}",
    "deep-objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "long-number": b'{"refund_no": "r1", "resource": {"out_refund_no": "r1"}, "n": ' + b"9" * 5000 + b"}",
    "nan": b'{"refund_no": "r1", "status": NaN, "resource": {"out_refund_no": "r1", "status": NaN}}',
    "array": b'[{"refund_no": "r1", "resource": {"out_refund_no": "r1"}}]',
}


@pytest.mark.parametrize("verify", [wechat, bank], ids=["wechat_pay", "bank_card"])
@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_signed_notification_with_hostile_json_is_invalid_not_a_crash(
    verify: Callable[[bytes], None], body: bytes
) -> None:
    """GIVEN a callback correctly signed over a hostile JSON body WHEN verified THEN
    InvalidNotification (the route's 400), not RecursionError or ValueError escaping."""
    with pytest.raises(InvalidNotification):
        verify(body)


@pytest.mark.parametrize(
    ("verify", "body"),
    [
        (wechat, b'{"resource": {"out_refund_no": "rn-1", "status": "SUCCESS"}}'),
        (bank, b'{"refund_no": "rn-1", "status": "SETTLED"}'),
    ],
    ids=["wechat_pay", "bank_card"],
)
def test_a_signed_ordinary_notification_still_parses(verify: Callable[[bytes], None], body: bytes) -> None:
    """GIVEN a correctly signed ordinary callback WHEN verified THEN parsed (no exception)."""
    verify(body)
