"""Refunds to a bank card through the platform's acquirer (docs/refunds.md, "Bank card: the
acquirer contract", is what a real acquirer adapter must meet).

Asynchronous: the acquirer accepts a refund (``ACCEPTED`` with its expected settlement time)
and settles it after business days (weekends and the policy's holiday calendar, China time);
it then reports ``SETTLED``, or ``RETURNED`` when the destination account is closed.
``refund_no`` is the idempotency key; results come by signed callback and by query.

Signed like WeChat Pay API v3, with our own headers: a request carries ``X-Merchant-Id``,
``X-Timestamp``, ``X-Nonce``, ``X-Serial`` (our key's id) and ``X-Signature``, SHA256withRSA over
``METHOD\\nPATH\\nTS\\nNONCE\\nBODY\\n``; answers and callbacks carry the acquirer's
``X-Timestamp/-Nonce/-Serial/-Signature`` over ``TS\\nNONCE\\nBODY\\n`` (providers/verify.py).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cancelflow.clock import parse
from cancelflow.http import body as json_body
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import http, verify
from cancelflow.refunds.providers.answers import BANK_ERRORS, BANK_STATUS, refused
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest, Resubmits
from cancelflow.settings import get_settings

PATH = "/bank/v1/refunds"


def _result(body: dict[str, Any], req: RefundRequest | None = None) -> ProviderResult:
    if req is not None and (
        body.get("refund_no") != req.refund_no or body.get("amount", req.amount) != req.amount
    ):
        return ProviderResult(Outcome.UNKNOWN, error="answer_mismatch")
    st = str(body.get("status", ""))
    if st not in BANK_STATUS:
        return ProviderResult(Outcome.UNKNOWN, error=f"status_{st or 'missing'}")
    settle = body.get("settle_at")
    return ProviderResult(
        BANK_STATUS[st],
        provider_status=st,
        provider_ref=body.get("bank_ref"),
        settle_at=parse(settle) if isinstance(settle, str) else None,
    )


class BankCard(Resubmits):
    name = "bank_card"

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None
    ) -> tuple[http.Answer | None, Any, str]:
        """(answer, its verified JSON, why it is not to be believed: "" when it is)."""
        s = get_settings()
        creds = credentials.credentials(self.name)
        body = json.dumps(payload, separators=(",", ":")) if payload else ""
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        sig = signing.rsa_sign(
            creds.private_key.get_secret_value(), signing.wechat_message(method, path, ts, nonce, body)
        )
        try:
            a = http.request(
                method,
                (creds.base_url or s.provider_base_url).rstrip("/") + path,
                body=body.encode() if body else None,
                headers={
                    "Content-Type": "application/json",
                    "X-Merchant-Id": creds.merchant_id,
                    "X-Timestamp": ts,
                    "X-Nonce": nonce,
                    "X-Serial": creds.serial_no,
                    "X-Signature": sig,
                },
                timeout=s.provider_timeout_seconds,
            )
        except http.Unreachable as e:
            return None, None, str(e)
        doc, err = verify.believed(self.name, verify.acquirer_headers(a.headers), a)
        return a, doc, err

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        payload = {
            "refund_no": req.refund_no,
            "original_payment_id": req.trade_no,
            "amount": req.amount,
            "currency": req.currency,
        }
        a, doc, why = self._call("POST", PATH, payload)
        if a is None or why:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        if 200 <= a.status < 300:
            return _result(doc, req)
        code = str(doc.get("code")) if isinstance(doc, dict) else f"http_{a.status}"
        return ProviderResult(refused(BANK_ERRORS, code, a.status), error=code)

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        a, doc, why = self._call("GET", f"{PATH}/{req.refund_no}", None)
        if a is None or why:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        if a.status == 200:
            return _result(doc, req)
        if a.status == 404:
            return ProviderResult(Outcome.NOT_FOUND)
        return ProviderResult(Outcome.UNKNOWN, error=f"http_{a.status}")

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        """At the acquirer's expected settlement, else one business day on (China time, holidays)."""
        if result.settle_at is not None and result.settle_at > now:
            return result.settle_at
        return get_settings().policies.calendar.add_business_days(now, 1)

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        bad = verify.problem(self.name, verify.acquirer_headers(headers), body.decode("utf-8", "replace"))
        if bad:
            raise InvalidNotification(bad)
        try:
            doc = json_body.loads_object(body)  # depth-limited, an object: whoever signed it
            refund_no, amount = str(doc["refund_no"]), doc["amount"]
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidNotification("shape") from e
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise InvalidNotification("shape")
        trade = doc.get("original_payment_id")
        return Notification(refund_no, _result(doc), amount=amount, trade_no=str(trade) if trade else None)
