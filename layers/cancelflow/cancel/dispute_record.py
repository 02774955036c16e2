"""An order's dispute record (docs/domain.md, "Dispute record"): what a customer takes to 12315
or to a payment provider's dispute channel. The order, each payment (trade) and refund with the
provider's references, every request with its decision and reason, and the timeline, issued at
one instant in the caller's language, with a SHA-256 over its canonical JSON. The platform keeps
every record it issued under that hash (``store.dispute_records``), so support can later show
that a record presented to them is exactly one the platform issued (``verify``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field

from cancelflow.cancel.conversation_views import ThreadOut
from cancelflow.cancel.timeline import TimelineEntry, customer_entries
from cancelflow.cancel.views import OrderOut, RequestSummary, refund_ids
from cancelflow.domain.models import Trade
from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.fields import Model
from cancelflow.store import dispute_records, orders, refunds
from cancelflow.store.codec import plain
from cancelflow.store.refunds import Refund

ISSUER: Literal["cancelflow"] = "cancelflow"
RECORD_PREFIX = "dr_"
CANONICAL = (
    "SHA-256 over the record's canonical JSON: UTF-8, keys sorted, no insignificant whitespace, "
    "non-ASCII characters as themselves, times as the API returns them"
)


class PaymentRecord(Model):
    model_config = ConfigDict(frozen=True)
    trade_no: str = Field(description="the payment's id, the provider's out_trade_no")
    channel: Channel
    amount: int = Field(description="fen, this trade's total")
    refunded: int = Field(description="fen claimed by refunds on this trade")

    @classmethod
    def of(cls, t: Trade) -> Self:
        return cls(trade_no=t.payment_id, channel=t.channel, amount=t.amount, refunded=t.refunded)


class RefundRecord(Model):
    """A refund with the references the provider knows it by."""

    model_config = ConfigDict(frozen=True)
    refund_id: str
    refund_no: str = Field(
        description="the refund number sent to the provider (out_refund_no / out_request_no)"
    )
    trade_no: str | None = Field(default=None, description="the trade refunded")
    provider_ref: str | None = Field(default=None, description="the provider's own id for the refund")
    amount: int = Field(description="fen")
    channel: str
    refund_to: str | None = None
    status: str
    reason: str
    request_id: str | None = None
    created_at: datetime
    succeeded_at: datetime | None = Field(default=None, description="when the platform learnt it succeeded")
    settled_at: datetime | None = Field(default=None, description="when the money moved, the provider's word")

    @classmethod
    def of(cls, r: Refund) -> Self:
        return cls(
            refund_id=r.refund_id,
            refund_no=r.refund_no,
            trade_no=r.payment_id,
            provider_ref=r.provider_ref,
            amount=r.amount,
            channel=str(r.channel),
            refund_to=str(r.refund_to) if r.refund_to else None,
            status=str(r.status),
            reason=r.reason,
            request_id=r.request_id,
            created_at=r.created_at,
            succeeded_at=r.succeeded_at,
            settled_at=r.settled_at,
        )


class DisputeRecord(Model):
    """The record as hashed: change any byte of its canonical JSON and the hash no longer matches."""

    model_config = ConfigDict(frozen=True)
    issuer: Literal["cancelflow"] = ISSUER
    issued_at: datetime
    lang: str = Field(description="the language its titles are in (zh-CN or en)")
    customer_id: str
    order: OrderOut
    payments: list[PaymentRecord]
    refunds: list[RefundRecord]
    requests: list[RequestSummary]
    timeline: list[TimelineEntry]
    # (records issued before conversations were kept have none: they still verify as issued)
    conversations: list[ThreadOut] = Field(
        default_factory=list,
        description="each request's and refund's conversation with messages, as the customer sees it",
    )


class DisputeRecordOut(Model):
    model_config = ConfigDict(frozen=True)
    record_id: str = Field(description="dr_ and the SHA-256: name it to support to have it verified")
    sha256: str = Field(description=CANONICAL)
    issued_at: datetime
    record: DisputeRecord
    page: str = Field(description="the printable page of this record (GET it as the same customer)")


def canonical(record: Any) -> bytes:
    """The bytes the hash is over, from the record as the API returns it (a model or the JSON a
    client got back: times are already the API's strings then)."""
    data = plain(record.model_dump()) if isinstance(record, Model) else record
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(record: Any) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def _out(issued: dispute_records.Issued) -> DisputeRecordOut:
    record_id = RECORD_PREFIX + issued.sha256
    return DisputeRecordOut(
        record_id=record_id,
        sha256=issued.sha256,
        issued_at=issued.issued_at,
        record=DisputeRecord.model_validate(json.loads(issued.text)),
        page=f"/v1/dispute-records/{record_id}/page",
    )


def _conversations(part: orders.Partition) -> list[ThreadOut]:
    """Every conversation of the order with messages, as its customer sees it (from the partition
    already read: no further request)."""
    from cancelflow.cancel.conversation import view

    subjects = [r.request_id for r in part.requests] + list(refund_ids(part.history))
    found = [view(part, s, staff=False) for s in subjects]
    return [t for t in found if t.messages]


def issue(customer_id: str, order_id: str, now: datetime, lang: str) -> DisputeRecordOut:
    """Build the record from the order's partition and its refunds (one Query, one BatchGetItem),
    hash it and keep it. Another customer's order: not found."""
    part = orders.read_partition(order_id, customer_id)
    record = DisputeRecord(
        issued_at=now,
        lang=lang,
        customer_id=customer_id,
        order=OrderOut.of(part.order, now),
        payments=[PaymentRecord.of(t) for t in part.order.trades],
        refunds=[RefundRecord.of(r) for r in refunds.get_many(refund_ids(part.history))],
        requests=sorted((RequestSummary.of(r) for r in part.requests), key=lambda r: r.created_at),
        timeline=customer_entries(part.history, lang),
        conversations=_conversations(part),
    )
    text = canonical(record)
    issued = dispute_records.Issued(
        sha256=hashlib.sha256(text).hexdigest(),
        order_id=order_id,
        customer_id=customer_id,
        issued_at=now,
        text=text.decode(),
    )
    return _out(dispute_records.put(issued))


def _stored(record_id: str) -> dispute_records.Issued | None:
    return dispute_records.get(record_id.removeprefix(RECORD_PREFIX))


def get(customer_id: str, record_id: str) -> DisputeRecordOut:
    """A record issued to this customer; anyone else's is not found (never revealed)."""
    issued = _stored(record_id)
    if issued is None or issued.customer_id != customer_id:
        raise DomainError(ErrorCode.DISPUTE_RECORD_NOT_FOUND, {"record_id": record_id})
    return _out(issued)


class Verification(Model):
    model_config = ConfigDict(frozen=True)
    issued: bool = Field(description="true: the platform issued exactly this record")
    sha256: str = Field(description="the hash of the record as presented")
    record_id: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    issued_at: datetime | None = None


def verify(record: dict[str, Any]) -> Verification:
    """Support's check of a record someone presents: its hash names a record the platform keeps,
    and the kept text hashes the same (so a record edited in the table would not pass either)."""
    sha = digest(record)
    issued = dispute_records.get(sha)
    if issued is None or hashlib.sha256(issued.text.encode()).hexdigest() != sha:
        return Verification(issued=False, sha256=sha)
    return Verification(
        issued=True,
        sha256=sha,
        record_id=RECORD_PREFIX + sha,
        order_id=issued.order_id,
        customer_id=issued.customer_id,
        issued_at=issued.issued_at,
    )
