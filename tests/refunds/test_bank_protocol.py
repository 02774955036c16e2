"""The acquirer contract (docs/refunds.md, "Bank card: the acquirer contract"): our requests
are SHA256withRSA over the documented message, verifiable with nothing but our public key;
answers and callbacks must carry the acquirer's signature; the simulator refuses a request
signed with another key."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.bank_card import PATH, BankCard
from cancelflow.refunds.providers.base import InvalidNotification, RefundRequest
from cancelflow.settings import reset_settings
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.provider_sim import keys
from local.provider_sim.keys import MERCHANT_IDS
from tests.conftest import NOW
from tests.refunds.conftest import SimAdmin

REQ = RefundRequest("rf_b1", "rfb1", "o-b1", "pay-b1", "c1", 8000, 8000, "CNY", "after_sales")
K = keys.current


def _use(monkeypatch: pytest.MonkeyPatch, base: str, **bank: Any) -> None:
    creds = K().credentials()
    creds["bank_card"] |= bank
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(creds))
    monkeypatch.setenv("CANCELFLOW_PROVIDER_BASE_URL", base)
    reset_settings()
    credentials.forget()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _use(monkeypatch, "http://acquirer.invalid")
    yield
    credentials.forget()


def acquirer_signed(body: str, ts: int | None = None) -> dict[str, str]:
    party = K().provider["bank_card"]
    stamp, nonce = str(ts or int(time.time())), "a1b2c3"
    sig = signing.rsa_sign(party.private_pem, f"{stamp}\n{nonce}\n{body}\n")
    return {"x-timestamp": stamp, "x-nonce": nonce, "x-serial": party.serial, "x-signature": sig}


def test_a_request_verifies_with_our_public_key_alone(offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a refund request from our client WHEN an acquirer verifies it with our public key
    (cryptography directly, none of our code) over METHOD\\nPATH\\nTS\\nNONCE\\nBODY\\n THEN it
    verifies, and names our merchant number and key serial."""
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def wire(method: str, url: str, *, body: bytes | None, headers: Any, timeout: float) -> http.Answer:
        sent.append((method, body or b"", dict(headers)))
        out = json.dumps({"refund_no": "rfb1", "status": "ACCEPTED", "amount": 8000, "settle_at": None})
        return http.Answer(202, acquirer_signed(out), out.encode())

    monkeypatch.setattr(http, "request", wire)
    assert BankCard().submit(REQ, NOW).outcome is Outcome.PENDING
    method, body, h = sent[0]
    msg = f"{method}\n{PATH}\n{h['X-Timestamp']}\n{h['X-Nonce']}\n{body.decode()}\n".encode()
    pub = serialization.load_pem_public_key(K().merchant["bank_card"].public_pem.encode())
    assert isinstance(pub, rsa.RSAPublicKey)
    pub.verify(base64.b64decode(h["X-Signature"]), msg, padding.PKCS1v15(), hashes.SHA256())  # raises if not
    assert (
        h["X-Merchant-Id"] == MERCHANT_IDS["bank_card"] and h["X-Serial"] == K().merchant["bank_card"].serial
    )
    assert json.loads(body) == {
        "refund_no": "rfb1",
        "original_payment_id": "pay-b1",
        "amount": 8000,
        "currency": "CNY",
    }


def test_an_unsigned_or_missigned_answer_is_not_believed(
    offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a 200 SETTLED answer without a signature, or signed over another body WHEN queried
    THEN UNKNOWN (query again later), never succeeded; an unsigned refusal or "not found" is
    UNKNOWN too, the contract's unsigned 401 BAD_SIGNATURE included (named in the error)."""
    out = json.dumps({"refund_no": "rfb1", "status": "SETTLED", "amount": 8000})
    for headers in ({}, acquirer_signed(out.replace("8000", "80"))):
        monkeypatch.setattr(http, "request", lambda *a, h=headers, **k: http.Answer(200, h, out.encode()))
        assert BankCard().query(REQ, NOW).outcome is Outcome.UNKNOWN
    for status, code in ((402, "INSUFFICIENT_FUNDS"), (400, "INVALID"), (404, "NOT_FOUND")):
        doc = json.dumps({"code": code}).encode()
        monkeypatch.setattr(http, "request", lambda *a, s=status, d=doc, **k: http.Answer(s, {}, d))
        assert BankCard().submit(REQ, NOW).error == "answer_unsigned", code
        assert BankCard().query(REQ, NOW).outcome is Outcome.UNKNOWN, code
    doc = json.dumps({"code": "BAD_SIGNATURE"}).encode()
    monkeypatch.setattr(http, "request", lambda *a, **k: http.Answer(401, {}, doc))
    got = BankCard().submit(REQ, NOW)
    assert got.outcome is Outcome.UNKNOWN and got.error == "answer_unsigned_BAD_SIGNATURE"


def test_a_callback_is_verified_and_a_stale_one_refused(offline: None) -> None:
    """GIVEN the acquirer's settlement callback WHEN verified THEN read (number, amount, trade);
    WHEN its timestamp is older than the skew THEN refused."""
    body = json.dumps(
        {"refund_no": "rfb1", "status": "SETTLED", "amount": 8000, "original_payment_id": "pay-b1"}
    )
    note = BankCard().verify_notification(acquirer_signed(body), body.encode(), NOW)
    assert (note.refund_no, note.amount, note.trade_no, note.result.outcome) == (
        "rfb1",
        8000,
        "pay-b1",
        Outcome.SUCCEEDED,
    )
    with pytest.raises(InvalidNotification, match="timestamp"):
        BankCard().verify_notification(acquirer_signed(body, ts=int(time.time()) - 900), body.encode(), NOW)


def test_the_simulator_refuses_a_request_signed_with_another_key(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN our client signing with a key the acquirer does not know WHEN it submits THEN the
    simulator answers 401 BAD_SIGNATURE, unsigned (so not believed: unknown, queried again) and
    pays nothing; with the right key the refund is accepted."""
    admin = SimAdmin(sim_url)
    admin.reset(seed=8)
    admin.trade(REQ.trade_no, REQ.paid_amount)
    _use(monkeypatch, sim_url, private_key=K().merchant["alipay"].private_pem)
    got = BankCard().submit(REQ, NOW)
    assert got.outcome is Outcome.UNKNOWN and got.error == "answer_unsigned_BAD_SIGNATURE"
    _use(monkeypatch, sim_url)
    assert BankCard().submit(REQ, NOW).outcome is Outcome.PENDING
    assert admin.payouts()["payouts"] == []  # accepted, settles later
    credentials.forget()
