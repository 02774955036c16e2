"""The provider interface: every refund channel answers the same three questions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from cancelflow.redacted import Redacted
from cancelflow.refunds.model import ProviderResult


class RefundRequest(msgspec.Struct, frozen=True):
    """What a provider needs to execute one refund (from the refund record).

    The trade refunded is an input: ``payment_id`` names it (Alipay and WeChat
    ``out_trade_no``, the acquirer's original payment) and ``paid_amount`` is THAT trade's
    total (WeChat's ``amount.total`` must equal it), never a sum over the order's payments.
    The clients send both as given; whoever builds the request picks the trade."""

    refund_id: str
    refund_no: str  # idempotency key: Alipay out_request_no, WeChat out_refund_no
    order_id: str
    payment_id: str | None  # the trade refunded (out_trade_no); None: the order id is the trade's
    customer_id: str
    amount: int  # fen
    paid_amount: int  # the refunded trade's total, fen (WeChat amount.total)
    currency: str
    reason: str

    @property
    def trade_no(self) -> str:
        return self.payment_id or self.order_id


class Notification(msgspec.Struct, frozen=True):
    """A verified provider callback about one refund number, with what it says was refunded
    (checked against the refund before anything is applied)."""

    refund_no: str
    result: ProviderResult
    amount: int | None = None  # fen, as the callback states it
    trade_no: str | None = None  # the trade it names


class NewCard(Redacted, frozen=True):
    """A debit card the customer gives for a refund their original account cannot receive
    (WeChat's 发起异常退款 to the user's card). Never logged: the fields are left out of repr."""

    HIDDEN = frozenset({"account", "real_name"})  # never in a log line

    bank_type: str  # WeChat's bank code, e.g. ICBC_DEBIT
    account: str
    real_name: str


class InvalidNotification(Exception):
    """A callback whose signature, timestamp, serial, encryption or shape does not verify."""


class Provider(Protocol):
    name: str

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        """Ask for the refund. Safe to repeat with the same refund number (provider idempotency),
        but the worker only repeats after a query said the provider never took it."""
        ...

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        """What the provider knows about this refund number (NOT_FOUND if nothing)."""
        ...

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        """When to ask again about a refund the provider accepted but has not finished."""
        ...

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        """Verify and parse a callback; ``InvalidNotification`` if it does not verify."""
        ...

    def resume(
        self, req: RefundRequest, now: datetime, found: ProviderResult, card: NewCard | None = None
    ) -> ProviderResult:
        """The provider's query said the destination cannot receive it (``found``: ACCOUNT_CLOSED,
        with the provider's refund id) and support handed the refund back after the customer
        acted: ask the provider to pay it now (``card``: a new one)."""
        ...


class Resubmits:
    """``resume`` for a provider that pays a refused refund number when it is asked again
    (Alipay, our acquirer: docs/refunds.md); a new card means nothing to it."""

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        raise NotImplementedError

    def resume(
        self, req: RefundRequest, now: datetime, found: ProviderResult, card: NewCard | None = None
    ) -> ProviderResult:
        return self.submit(req, now)
