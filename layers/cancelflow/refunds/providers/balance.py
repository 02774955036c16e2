"""Refunds to the customer's account balance: a credit in our own ledger (store/ledger.py).
Synchronous and idempotent per refund number, so it needs no callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest, Resubmits
from cancelflow.store import ledger


class Balance(Resubmits):
    name = "balance"

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        fresh = ledger.credit(req.customer_id, req.refund_no, req.amount, req.refund_id, now)
        return ProviderResult(Outcome.SUCCEEDED, provider_status="credited" if fresh else "already_credited")

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        if ledger.credited(req.customer_id, req.refund_no):
            return ProviderResult(Outcome.SUCCEEDED, provider_status="credited")
        return ProviderResult(Outcome.NOT_FOUND)

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        return now

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise InvalidNotification("balance credits have no callbacks")
