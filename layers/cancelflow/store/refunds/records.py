"""A refund as stored (``Refund``: one definition, written at creation and read back), how
it is created, and how it is read and listed.

A refund is always created in the same transaction as the change that owes it, and that
transaction also raises the order's ``refunded_amount`` and its trade's ``refunded`` under a
version condition, so the sum of refunds can never exceed what was paid, per trade and per
order (``owed.owe``).

Stored beside the refund's own attributes (added here, ignored when decoding):
- ``status_pk``/``status_sk``: the sparse by-status index, sharded. Refunds waiting for an
  attempt (``TIMED``) sort by their next attempt time, so "due now" is one range query per
  shard; the others by when they got to their status.
- ``due_pk``/``due_at``: the SLA index (``DUE#REFUND#nn``), while the refund can still become
  overdue (domain/refund_sla.py): it leaves on success and when flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from cancelflow.domain import refund_sla
from cancelflow.domain.models import Order, Trade
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, keys
from cancelflow.store.codec import new_id
from cancelflow.store.refunds.manual import Manual
from cancelflow.store.schema import GSI_STATUS

Op = dict[str, Any]  # one write of a transaction: built here, passed along unopened by callers
SK = "REFUND"


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retried with backoff
    NEEDS_ATTENTION = "needs_attention"  # manual: support retries or settles it
    NEEDS_CUSTOMER_ACTION = "needs_customer_action"  # e.g. destination account closed


S = RefundStatus
# States a sweep looks for by time: their by-status sort key is the next attempt time.
TIMED = (S.PENDING, S.FAILED, S.PROCESSING)
OPEN = tuple(s for s in S if s is not S.SUCCEEDED)  # what support's unfiltered list shows


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """A refund, as written at creation and as read back (one definition for both)."""

    refund_id: str
    refund_no: str  # the provider's idempotency key, fixed at creation
    order_id: str
    customer_id: str
    payment_id: str | None = None  # the trade refunded (one of the order's ``trades``)
    paid_amount: int = 0  # THAT trade's total (WeChat Pay's amount.total), not the order's sum
    amount: Annotated[int, msgspec.Meta(ge=1)]
    currency: str = "CNY"
    channel: Channel
    refund_to: RefundTo | None = None
    reason: str
    source: str | None = None  # who owed it: "customer", "reviewer", "system"...
    request_id: str | None = None
    status: RefundStatus
    version: Annotated[int, msgspec.Meta(ge=1)]
    attempts: int = 0  # claims so far
    failures: int = 0  # consecutive failed attempts (backoff and needs_attention count these)
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    lease_until: datetime | None = None
    sla_due_at: datetime
    overdue: bool = False
    overdue_at: datetime | None = None
    provider_status: str | None = None  # last word of the provider ("accepted", "SUCCESS", ...)
    # The provider accepted it and the result is to come: polls only query, so they need no claim.
    awaiting_provider: bool = False
    polls: int = 0  # queries while awaiting (the poll interval grows with them)
    provider_ref: str | None = None
    last_error: str | None = None
    succeeded_at: datetime | None = None  # when we learnt it
    settled_at: datetime | None = None  # when the money moved, the provider's word (if it said)
    handed_back_at: datetime | None = None  # the stuck-refund sweep's last hand-back
    chased_at: datetime | None = None  # the customer's last chase (催办) of it overdue
    chases: int = 0
    switched_from: Channel | None = None  # the channel the customer gave up for their balance


FIELDS = frozenset(Refund.__struct_fields__)
# Written by the lifecycle only; a new record leaves them out (absent reads as the default).
_LATER = frozenset({"failures", "awaiting_provider", "polls", "chased_at", "chases", "switched_from"})


def decode(item: Mapping[str, Any]) -> Refund:
    """A refund item as read from the table or an index (a sweep's reader)."""
    return codec.decode(Refund, item)


def item_key(refund_id: str) -> dict[str, Any]:
    return ddb.key(keys.refund_pk(refund_id), SK)


def status_entry(refund_id: str, status: RefundStatus, at: datetime) -> dict[str, str]:
    shard_no = keys.shard(refund_id, get_settings().status_shards)
    return {
        "status_pk": keys.status_pk("REFUND", status.value, shard_no),
        "status_sk": f"{codec.plain(at)}#{refund_id}",
    }


# ---------------------------------------------------------------- creation


def refund_no_of(refund_id: str) -> str:
    """The provider's refund number (``rf<hex>``: letters and digits only, as Alipay's
    ``out_request_no`` and WeChat's ``out_refund_no`` accept) of ``rf_<hex>``."""
    return refund_id.replace("_", "", 1)


def refund_id_of(refund_no: str) -> str | None:
    """The refund id a provider's refund number names (a callback carries only the number);
    None for anything that is not one of ours."""
    if len(refund_no) != 22 or not refund_no.startswith("rf") or not refund_no[2:].isalnum():
        return None
    return f"rf_{refund_no[2:]}"


def refund_channel(order: Order, refund_to: RefundTo, trade: Trade | None = None) -> Channel:
    """Where the money goes: the balance when asked (or nothing was paid through a provider),
    otherwise back the way it came: the channel of the trade refunded (the order's own
    payment channel when no trade is named)."""
    came_by = trade.channel if trade is not None else order.payment_channel
    if refund_to is RefundTo.BALANCE or came_by is None:
        return Channel.BALANCE
    return came_by


def check_refundable(order: Order, amount: int) -> None:
    if amount <= 0 or amount > order.refundable:
        raise DomainError(
            ErrorCode.AMOUNT_INVALID if order.refundable else ErrorCode.NOTHING_TO_REFUND,
            {"field": "amount", "max_amount": order.refundable},
        )


def create(
    order: Order,
    *,
    amount: int,
    refund_to: RefundTo,
    reason: str,
    source: str,
    now: datetime,
    request_id: str | None = None,
    trade: Trade | None = None,
    manual: Manual | None = None,
    refund_id: str | None = None,
) -> tuple[str, Op]:
    """(refund id, the Put) of one refund of ``amount`` on ONE trade (default: the order's first
    trade with money left, which is its applied payment's). Every refund the service owes goes
    through ``refunds.owe``, which splits an order's refund over its trades, checks each slice
    against what is left of its trade and keeps the order's books in the same transaction."""
    s = get_settings()
    refund_id = refund_id or new_id("rf")
    if trade is None:
        trade = next((t for t, _ in order.refund_slices(amount)), None)
    channel = refund_channel(order, refund_to, trade)
    policy = s.policies.for_order(order)
    due = refund_sla.due_for_new_refund(policy, channel, now, s.policies.calendar)
    refund = Refund(
        refund_id=refund_id,
        # The provider's idempotency key (Alipay out_request_no, WeChat out_refund_no): fixed
        # at creation, reused by every attempt, so no retry can pay twice.
        refund_no=refund_no_of(refund_id),
        order_id=order.order_id,
        customer_id=order.customer_id,
        # The trade refunded and THAT trade's total, never the order's sum of payments: WeChat
        # Pay refuses a refund whose amount.total is not the original trade's.
        payment_id=trade.payment_id if trade is not None else order.payment_id,
        paid_amount=trade.amount if trade is not None else order.paid_amount,
        amount=amount,
        currency=order.currency,
        channel=channel,
        refund_to=refund_to,
        reason=reason,
        source=source,
        request_id=request_id,
        status=S.PENDING,
        version=1,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
        sla_due_at=due,
    )
    if manual is not None:  # paid already: succeeded from the start, never due, never overdue
        refund = msgspec.structs.replace(
            refund,
            channel=manual.channel,
            status=S.SUCCEEDED,
            provider_status="manual",
            provider_ref=manual.reference,
            succeeded_at=now,
            settled_at=now,
        )
    attrs = {k: v for k, v in msgspec.structs.asdict(refund).items() if k not in _LATER}
    item = {
        "pk": keys.refund_pk(refund_id),
        "sk": SK,
        "type": "refund",
        **codec.plain(attrs),
        **status_entry(refund_id, refund.status, now),
    }
    if manual is None:
        item |= {
            "due_pk": keys.due_pk(keys.REFUND, keys.shard(refund_id, s.due_shards)),
            "due_at": codec.plain(due),
        }
    return refund_id, {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}


# ---------------------------------------------------------------- reading


def get(refund_id: str) -> Refund | None:
    item = ddb.get(keys.refund_pk(refund_id), SK)
    return decode(item) if item else None


def get_many(refund_ids: Iterable[str]) -> list[Refund]:
    """The refunds that exist among ``refund_ids``, in that order (repeats once), in one
    BatchGetItem per hundred."""
    ids = list(dict.fromkeys(refund_ids))
    found: dict[tuple[str, str], ddb.Item] = {}
    for i in range(0, len(ids), 100):
        found |= ddb.batch_get([(keys.refund_pk(r), SK) for r in ids[i : i + 100]])
    return [decode(found[k]) for r in ids if (k := (keys.refund_pk(r), SK)) in found]


def page(
    status: RefundStatus | None,
    overdue: bool,
    cursor: str | None,
    limit: int,
    caller: str,
    *,
    chased: bool = False,
) -> tuple[list[Refund], str | None]:
    """One page of refunds in ``status`` (None: every open one), only the overdue ones if asked,
    only those their customer chased (催办) if asked.

    Walks the sparse by-status index partition by partition (status x shard), oldest first
    within each; the cursor says which partition and where in it, and is only good for this
    caller, these filters and this shard count (``codec.decode_cursor``)."""
    statuses = [status] if status else list(OPEN)
    parts = tuple(
        keys.status_pk("REFUND", s.value, n) for s in statuses for n in range(get_settings().status_shards)
    )
    name = f"refunds?status={status.value if status else ''}&overdue={overdue}&chased={chased}"
    wanted = [*(["overdue = :t"] if overdue else []), *(["attribute_exists(chased_at)"] if chased else [])]
    scope = codec.CursorScope(name, caller, GSI_STATUS, parts)
    pos = codec.decode_cursor(scope, cursor)
    p, start = pos.part, pos.start
    out: list[Refund] = []
    while p < len(parts) and len(out) < limit:
        items, last = ddb.query(
            GSI_STATUS,
            "status_pk = :p",
            {":p": parts[p], **({":t": True} if overdue else {})},
            limit=limit - len(out),
            start=start,
            filter_expression=" AND ".join(wanted) or None,
        )
        out += [decode(i) for i in items]
        if last:
            start = last
        else:
            p, start = p + 1, None
    return out, (codec.encode_cursor(scope, start, p) if p < len(parts) else None)
