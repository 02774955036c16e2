"""Support records a refund paid outside the system (docs/domain.md, "Support's tools"):
``POST /v1/orders/{order_id}/manual-refunds``.

Two cases, both exactly once per outside reference:
- **A new refund** (``replaces`` absent): the amount counts against what is left to refund, in
  the same transaction as the order's books (``refunds.owe`` under the order's version), and the
  refund is recorded already succeeded, never sent to a provider. Its ids come from the order and
  the reference, so recording it again is a replay; two manual refunds racing for the last
  refundable amount: one commits, the other is CONFLICT.
- **Closing an open refund** (``replaces``: a refund stuck in needs_attention,
  needs_customer_action or failed): the money was paid outside instead. Its amount is counted
  already, so the manual amount must be the same; the provider is asked first what it knows of
  the refund number (query before act: if it paid, is paying, or cannot say, nothing is
  recorded), then the refund moves to succeeded in one conditional write, which a worker or a
  callback racing it loses (or wins: then this is refused).
Integrations: DynamoDB; the refund's provider (one query) when closing an open refund.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle, worker
from cancelflow.refunds.model import Outcome
from cancelflow.refunds.providers import for_channel
from cancelflow.store import orders, refunds
from cancelflow.store.refunds import Manual, Refund, RefundStatus, StaleRefund

S = RefundStatus
# Open refunds whose provider's last word is "not paid" (or that wait for an attempt)
CLOSABLE = frozenset({S.NEEDS_ATTENTION, S.NEEDS_CUSTOMER_ACTION, S.FAILED})
EVENT = "refund.manual_recorded"


class Recorded(msgspec.Struct, frozen=True):
    """The refunds a manual refund recorded, and whether it was a replay."""

    refunds: list[Refund]
    replayed: bool


def _refused(why: str, **details: object) -> DomainError:
    return DomainError(ErrorCode.MANUAL_REFUND_REFUSED, {"why": why, **details})


def record(
    order_id: str,
    *,
    amount: int,
    manual: Manual,
    replaces: str | None,
    actor_id: str,
    now: datetime,
) -> Recorded:
    if replaces is not None:
        return _close(order_id, replaces, amount, manual, actor_id, now)
    order = orders.require_order(order_id)
    replay = _replayed(order_id, amount, manual)
    if replay is not None:
        return replay
    owed = refunds.owe(
        order,
        amount,
        refund_to=RefundTo.ORIGINAL,
        reason="manual_refund",
        source="support",
        now=now,
        manual=manual,
    )
    change = orders.Change(
        order,
        None,
        EVENT,
        Actor.SUPPORT,
        actor_id,
        now,
        reason="manual_refund",
        set_=owed.sets,
        detail={**owed.named(), **_said(amount, manual)},
    )
    try:
        orders.run(change, owed.ops)
    except orders.OrderConflict:
        replay = _replayed(order_id, amount, manual)  # the same request twice at once
        if replay is not None:
            return replay
        raise
    return Recorded(refunds.get_many(owed.refund_ids), False)


def _said(amount: int, manual: Manual) -> dict[str, object]:
    # the channel the timeline and the event show is the one the money went by
    return {
        "amount": amount,
        "channel": manual.channel.value,
        "reference": manual.reference,
        "note": manual.note,
    }


def _replayed(order_id: str, amount: int, manual: Manual) -> Recorded | None:
    first = refunds.get(refunds.manual_refund_id(order_id, manual.reference, 0))
    if first is None:
        return None
    made = [first]
    while (nxt := refunds.get(refunds.manual_refund_id(order_id, manual.reference, len(made)))) is not None:
        made.append(nxt)
    if sum(r.amount for r in made) != amount or first.channel is not manual.channel:
        raise _refused("reference_used", reference=manual.reference, refund_ids=[r.refund_id for r in made])
    return Recorded(made, True)


def _close(
    order_id: str, refund_id: str, amount: int, manual: Manual, actor_id: str, now: datetime
) -> Recorded:
    orders.require_order(order_id)
    r = lifecycle.require_refund(refund_id, order_id)
    if r.status is S.SUCCEEDED:
        if r.provider_status == "manual" and r.provider_ref == manual.reference and r.amount == amount:
            return Recorded([r], True)
        raise _refused("refund_succeeded", status=r.status.value)
    if r.status not in CLOSABLE:
        raise _refused("refund_in_progress", status=r.status.value)
    if amount != r.amount:
        raise DomainError(ErrorCode.AMOUNT_INVALID, {"field": "amount", "amount": r.amount})
    if r.channel is not Channel.BALANCE:
        said = for_channel(r.channel).query(worker.request_for(r), now)
        if said.outcome in (Outcome.SUCCEEDED, Outcome.PENDING, Outcome.UNKNOWN):
            # it paid, is paying, or cannot say: recording an outside payment now could pay twice
            raise _refused("provider_has_it", provider_says=said.outcome.value, error=said.error)
    try:
        done = lifecycle.transition(
            r,
            S.SUCCEEDED,
            now=now,
            actor="support",
            actor_id=actor_id,
            set_={
                "provider_status": "manual",
                "provider_ref": manual.reference,
                "succeeded_at": now,
                "settled_at": now,
            },
            remove=("lease_until", "last_error"),
            reason="manual_refund",
            event=EVENT,
            detail={**_said(amount, manual), "replaces_channel": r.channel.value},
        )
    except StaleRefund as e:
        fresh = lifecycle.get_refund(refund_id)
        raise DomainError(ErrorCode.CONFLICT, {"status": fresh.status.value if fresh else None}) from e
    return Recorded([done], False)
