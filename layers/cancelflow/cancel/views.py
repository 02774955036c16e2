"""What the API shows of orders, requests and refunds: the answer models of the customer and
platform routes (the OpenAPI document is generated from these). Money in fen, ``currency``
CNY; times RFC 3339 UTC, and where a time is also shown in China Standard Time (``*_cst``),
ISO 8601 with its offset. Internal attributes (stock key ids, index keys, who reviewed) never
leave."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import ConfigDict, Field

from cancelflow.clock import parse
from cancelflow.domain import refund_recovery
from cancelflow.domain.calendar import CST_DESCRIPTION, cst_display
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action
from cancelflow.domain.products import Channel, ProductType, RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.http.fields import Model
from cancelflow.settings import get_settings
from cancelflow.store import history, refunds
from cancelflow.store.requests import Request, RequestStatus


class OrderOut(Model):
    model_config = ConfigDict(frozen=True)
    order_id: str
    product_id: str
    product_type: ProductType
    quantity: int
    amount: int = Field(description="fen")
    currency: str = "CNY"
    target: str | None = None
    status: OrderStatus = Field(
        description="as of now: an unpaid order past its deadline is cancelled, a delivered one past "
        "its confirmation window completed"
    )
    created_at: datetime
    payment_deadline: datetime
    paid_at: datetime | None = None
    payment_channel: Channel | None = None
    paid_amount: int = 0
    refunded_amount: int = 0
    delivered_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: Actor | None = None
    cancel_reason: str | None = None
    held: bool = Field(description="a cancellation request is under review; delivery waits")
    open_request_id: str | None = None
    abort_requested_at: datetime | None = Field(
        default=None,
        description="a stop-delivery asked fulfilment to abort; its answer (aborted or delivered) is awaited",
    )

    @classmethod
    def of(cls, order: Order, now: datetime) -> Self:
        order = order.as_of(now)  # lazily completed: status and completed_at as the sweep writes
        data = {k: getattr(order, k) for k in cls.model_fields if k not in ("status", "held")}
        return cls(**data, status=order.effective_status(now), held=order.held)


def cst_of(t: datetime | None) -> str | None:
    """``t`` as a ``*_cst`` field shows it (none stays none)."""
    return cst_display(t) if t is not None else None


def time_of(stored: Any) -> datetime | None:
    """A stored time (clock.iso text), or none."""
    return parse(stored) if isinstance(stored, str) and stored else None


QUESTION = "the reviewer's question, while it waits for the customer's answer"
ANSWER_BY = "answer before this, or the request is decided with what there is"
REJECTION = "why the request was rejected, in the reviewer's words"


class RequestSummary(Model):
    model_config = ConfigDict(frozen=True)
    request_id: str
    action: Action
    reason_code: Reason
    status: RequestStatus
    refund_to: RefundTo | None = None
    amount: int | None = Field(default=None, description="fen, a partial refund asked for")
    evidence: list[str] = Field(default_factory=list)
    appeal_used: bool = Field(default=False, description="the one appeal against a rejection is used")
    created_at: datetime
    updated_at: datetime | None = None
    question: str | None = Field(default=None, description=QUESTION + " (status need_info)")
    answer_by: datetime | None = Field(default=None, description=ANSWER_BY)
    answer_by_cst: str | None = Field(default=None, description=CST_DESCRIPTION)
    rejection_reason: str | None = Field(
        default=None, description=REJECTION + ": while rejected, and while its appeal is reviewed"
    )

    @classmethod
    def of(cls, request: Request) -> Self:
        """From the stored request: the open question only while one is open, and the rejection's
        reason unless a later decision approved the request."""
        status = request.status
        asking = status is RequestStatus.NEED_INFO
        answer_by = request.due_at if asking else None  # due_at: the answer's deadline
        rejected = request.rejected_at is not None and status is not RequestStatus.APPROVED
        fields = {k: getattr(request, k) for k in _REQUEST_FIELDS}
        return cls(
            **{k: v for k, v in fields.items() if v is not None},
            question=request.info_request if asking else None,
            answer_by=answer_by,
            answer_by_cst=cst_of(answer_by),
            rejection_reason=request.decision_note if rejected else None,
        )


_REQUEST_FIELDS = (
    "request_id",
    "action",
    "reason_code",
    "status",
    "refund_to",
    "amount",
    "evidence",
    "appeal_used",
    "created_at",
    "updated_at",
)


class SupplementKind(StrEnum):
    """What a customer added to a request: ``rejection_appeal`` (an appeal against its rejection,
    POST .../appeal; a senior reviewer decides) or ``info_supplied`` (the answer to a reviewer's
    question, POST .../answer; the review goes on)."""

    REJECTION_APPEAL = "rejection_appeal"
    INFO_SUPPLIED = "info_supplied"


class RefundSummary(Model):
    model_config = ConfigDict(frozen=True, extra="ignore")
    refund_id: str
    amount: int
    currency: str = "CNY"
    channel: str
    refund_to: str | None = None
    status: str
    reason: str | None = None
    request_id: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    sla_due_at: datetime | None = None
    overdue: bool = False
    # the references the provider knows the refund by (what a customer quotes to them)
    refund_no: str | None = Field(default=None, description="the refund number sent to the provider")
    payment_id: str | None = Field(default=None, description="the trade refunded (its out_trade_no)")
    provider_ref: str | None = Field(default=None, description="the provider's own id for the refund")
    settled_at: datetime | None = Field(default=None, description="when the money moved, the provider's word")
    switched_from: Channel | None = Field(default=None, description="the channel given up for the balance")
    chased_at: datetime | None = Field(default=None, description="when the customer last chased it")
    recovery: RefundRecoveryOut | None = Field(
        default=None, description="what the customer may do about it now (none once it succeeded)"
    )

    @classmethod
    def of(cls, r: refunds.Refund, now: datetime, lang: str) -> Self:
        """The refund as its customer sees it now, with what they may do about it."""
        out = cls.model_validate(r, from_attributes=True)
        return out.model_copy(update={"recovery": RefundRecoveryOut.of(r, now, lang)})


class RefundRecoveryOut(Model):
    """A customer's ways out of a stuck refund (docs/domain.md, "Refund recovery")."""

    model_config = ConfigDict(frozen=True)
    fixes: list[refund_recovery.Fix] = Field(
        description="the destination cannot receive it: POST .../refunds/{refund_id}/fix with one of"
        " these (new_card: POST .../refunds/{refund_id}/new-card)"
    )
    may_chase: bool = Field(description="POST .../refunds/{refund_id}/chase is allowed now (overdue)")
    chase_from: datetime | None = Field(
        default=None, description="chased already: when it may be chased again"
    )
    hint: str = Field(description="the same, in the caller's language")

    @classmethod
    def of(cls, r: refunds.Refund, now: datetime, lang: str) -> Self | None:
        if r.status is refunds.RefundStatus.SUCCEEDED:
            return None
        may = refund_recovery.recovery(r, now, get_settings().refund_chase_period)
        return cls(
            fixes=list(may.fixes),
            may_chase=may.may_chase,
            chase_from=may.chase_from,
            hint=_recovery_hint(may, lang),
        )


_HINTS = {
    refund_recovery.Fix.CONFIRM_ACCOUNT: ("账户恢复后请确认账户", "confirm your account once it works again"),
    refund_recovery.Fix.NEW_CARD: ("提供一张新的借记卡", "give a new debit card"),
    refund_recovery.Fix.TO_BALANCE: ("改退到账户余额", "take it as account balance"),
}


def _recovery_hint(may: refund_recovery.Recovery, lang: str) -> str:
    en = lang.lower().startswith("en")
    parts = []
    if may.fixes:
        ways = [_HINTS[f][1 if en else 0] for f in may.fixes]
        parts.append(
            "The refund cannot reach your account: " + ", or ".join(ways) + "."
            if en
            else "退款无法到账:请" + ",或".join(ways) + "。"
        )
    if may.may_chase:
        parts.append("The refund is late: you may chase it." if en else "退款已超时,你可以催办。")
    elif may.chase_from is not None:
        at = cst_display(may.chase_from)
        parts.append(f"Chased; you may chase it again from {at}." if en else f"已催办,{at} 后可再次催办。")
    return " ".join(parts) if en else "".join(parts)


def refund_ids(entries: list[history.Entry]) -> list[str]:
    """The refunds an order's history names, in the order first named. A refund split over
    several trades names them all (``refund_ids``; ``refund_id`` is the first)."""
    return [
        str(rid)
        for e in entries
        for rid in (e.detail.get("refund_ids") or [e.detail.get("refund_id")])
        if rid
    ]


def refunds_named(entries: list[history.Entry], now: datetime, lang: str) -> list[RefundSummary]:
    """The refunds an order's history names (one BatchGetItem), as its customer sees them now,
    with what they may do about each."""
    return [RefundSummary.of(r, now, lang) for r in refunds.get_many(refund_ids(entries))]


class CancellationSummary(Model):
    model_config = ConfigDict(frozen=True)
    open_request_id: str | None = None
    requests: list[RequestSummary]
    refunds: list[RefundSummary]


class OrderDetail(Model):
    model_config = ConfigDict(frozen=True)
    order: OrderOut
    cancellation: CancellationSummary


class OrdersPage(Model):
    model_config = ConfigDict(frozen=True)
    items: list[OrderOut]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class PlatformOrderOut(OrderOut):
    """What the platform's own services see of an order (the customer too)."""

    customer_id: str


class PaymentOut(Model):
    model_config = ConfigDict(frozen=True)
    payment_id: str
    applied: bool = Field(description="true: the order is paid; false: recorded and refunded in full")
    replayed: bool = Field(description="this payment id was seen before; nothing changed")
    refund_id: str | None = None
    order: PlatformOrderOut
