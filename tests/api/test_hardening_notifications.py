"""Provider refund callbacks whose signature verifies but whose JSON is hostile: nested a
thousand levels deep, a number Python cannot parse, NaN, an array; for WeChat Pay also inside
the encrypted resource, which is only read after it decrypts. Each is an invalid notification
(400 NOTIFICATION_INVALID at the route), never a crash of the parser."""

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

from local.provider_sim import keys
from tests.conftest import NOW

NONCE = "n0nce"


@pytest.fixture(autouse=True)
def provider_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(keys.current().credentials()))
    reset_settings()
    credentials.forget()
    yield
    credentials.forget()
    reset_settings()


def _signed(provider: str, body: bytes, names: tuple[str, str, str, str]) -> dict[str, str]:
    party = keys.current().provider[provider]
    ts = str(int(time.time()))
    sig = signing.rsa_sign(
        party.private_pem, signing.wechat_message(ts, NONCE, body.decode("utf-8", "replace"))
    )
    return dict(zip(names, (ts, NONCE, party.serial, sig), strict=True))


def wechat(body: bytes) -> None:
    names = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature")
    WechatPay().verify_notification(_signed("wechat_pay", body, names), body, NOW)


def bank(body: bytes) -> None:
    BankCard().verify_notification(
        _signed("bank_card", body, ("X-Timestamp", "X-Nonce", "X-Serial", "X-Signature")), body, NOW
    )


def encrypted(plaintext: str, event: str = "REFUND.SUCCESS") -> bytes:
    """A WeChat callback body around ``plaintext``, encrypted with the APIv3 key."""
    nonce = "0123456789ab"
    resource = {
        "original_type": "refund",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": signing.aes_gcm_encrypt(keys.current().apiv3_key, nonce, "refund", plaintext),
        "associated_data": "refund",
        "nonce": nonce,
    }
    return json.dumps(
        {"resource_type": "encrypt-resource", "event_type": event, "resource": resource}
    ).encode()


DEEP = b"[" * 1000 + b"]" * 1000
HOSTILE = {
    "deep-arrays": DEEP,
    "deep-in-resource": b'{"refund_no": "r1", "resource": {"out_refund_no": ' + DEEP + b"}}",
    "deep-objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
    "long-number": b'{"refund_no": "r1", "resource": {"out_refund_no": "r1"}, "n": ' + b"9" * 5000 + b"}",
    "nan": b'{"refund_no": "r1", "status": NaN, "resource": {"out_refund_no": "r1", "status": NaN}}',
    "array": b'[{"refund_no": "r1", "resource": {"out_refund_no": "r1"}}]',
}
HOSTILE_INSIDE = {
    "deep": "[" * 1000 + "]" * 1000,
    "nan": '{"out_refund_no": "r1", "refund_status": NaN, "amount": {"refund": 1}}',
    "long-number": '{"out_refund_no": "r1", "refund_status": "SUCCESS", "amount": {"refund": '
    + "9" * 5000
    + "}}",
    "array": '[{"out_refund_no": "r1"}]',
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


@pytest.mark.parametrize("plaintext", list(HOSTILE_INSIDE.values()), ids=list(HOSTILE_INSIDE))
def test_a_wechat_resource_that_decrypts_to_hostile_json_is_invalid_not_a_crash(plaintext: str) -> None:
    """GIVEN a correctly signed WeChat callback whose encrypted resource holds hostile JSON WHEN
    verified THEN InvalidNotification."""
    with pytest.raises(InvalidNotification):
        wechat(encrypted(plaintext))


@pytest.mark.parametrize(
    ("verify", "body"),
    [
        (
            wechat,
            encrypted(
                json.dumps(
                    {
                        "mchid": "1900000001",
                        "out_refund_no": "rn-1",
                        "out_trade_no": "t-1",
                        "refund_status": "SUCCESS",
                        "amount": {"refund": 100, "total": 100},
                    }
                )
            ),
        ),
        (bank, b'{"refund_no": "rn-1", "status": "SETTLED", "amount": 100}'),
    ],
    ids=["wechat_pay", "bank_card"],
)
def test_a_signed_ordinary_notification_still_parses(verify: Callable[[bytes], None], body: bytes) -> None:
    """GIVEN a correctly signed ordinary callback WHEN verified THEN parsed (no exception)."""
    verify(body)
