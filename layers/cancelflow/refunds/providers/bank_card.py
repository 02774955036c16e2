"""Refunds to a bank card through the acquiring bank's refund API.

Asynchronous: the bank accepts a refund (``ACCEPTED`` with its expected settlement time)
and settles it after business days (weekends and the policy's holiday calendar, China
time); it then reports ``SETTLED``, or ``RETURNED`` when the destination account is closed.
``refund_no`` is the idempotency key; results come by signed notification and by query.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cancelflow.clock import parse
from cancelflow.http import body as json_body
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import answers, http
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest
from cancelflow.settings import get_settings

PATH = "/bank/v1/refunds"
STATUSES: dict[str, Outcome] = {
    "ACCEPTED": Outcome.PENDING,
    "SETTLED": Outcome.SUCCEEDED,
    "RETURNED": Outcome.ACCOUNT_CLOSED,
}
_ERRORS: dict[str, Outcome] = {
    "INSUFFICIENT_FUNDS": Outcome.RETRYABLE,
    "RATE_LIMITED": Outcome.RETRYABLE,
    "ACCOUNT_CLOSED": Outcome.ACCOUNT_CLOSED,
}


def _result(body: dict[str, Any]) -> ProviderResult:
    st = str(body.get("status", ""))
    if st not in STATUSES:
        return ProviderResult(Outcome.UNKNOWN, error=f"status_{st or 'missing'}")
    settle = body.get("settle_at")
    return ProviderResult(
        STATUSES[st],
        provider_status=st,
        provider_ref=body.get("bank_ref"),
        settle_at=parse(settle) if isinstance(settle, str) else None,
    )


class BankCard:
    name = "bank_card"

    def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> tuple[int, Any]:
        s = get_settings()
        creds = credentials.credentials(self.name)
        body = json.dumps(payload, separators=(",", ":")) if payload else ""
        ts = str(int(time.time()))
        sig = signing.sign(creds.key.get_secret_value(), signing.wechat_message(method, path, ts, body))
        return http.request(
            method,
            s.provider_base_url + path,
            body=body.encode() if body else None,
            headers={
                "Content-Type": "application/json",
                "X-Merchant-Id": creds.merchant_id,
                "X-Timestamp": ts,
                "X-Signature": sig,
            },
            timeout=s.provider_timeout_seconds,
        )

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        payload = {
            "refund_no": req.refund_no,
            "original_payment_id": req.payment_id or req.order_id,
            "amount": req.amount,
            "currency": req.currency,
        }
        return answers.submitted(lambda: self._call("POST", PATH, payload), (200, 202), _result, _ERRORS)

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        return answers.queried(
            lambda: self._call("GET", f"{PATH}/{req.refund_no}", None),
            _result,
            ProviderResult(Outcome.NOT_FOUND),
        )

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        """At the bank's expected settlement, else one business day on (China time, holidays)."""
        if result.settle_at is not None and result.settle_at > now:
            return result.settle_at
        return get_settings().policies.calendar.add_business_days(now, 1)

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        h = {k.lower(): v for k, v in headers.items()}
        ts, sig = h.get("x-timestamp", ""), h.get("x-signature", "")
        answers.authenticate(self.name, ts, signing.wechat_message(ts, body.decode("utf-8", "replace")), sig)
        try:
            doc = json_body.loads_object(body)  # depth-limited, an object: whoever signed it
            refund_no = str(doc["refund_no"])
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidNotification("shape") from e
        return Notification(refund_no, _result(doc))
