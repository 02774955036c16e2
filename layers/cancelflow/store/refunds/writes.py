"""Moving a stored refund: lifecycle transitions, bookkeeping, and the schedule's overdue flag
and hand-back stamp. Which moves exist and why is the refund step's (``cancelflow.refunds``);
each write here is conditional on the refund as it was read (docs/guards.md, "Refunds and the balance")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from cancelflow.store import codec, ddb, history
from cancelflow.store.refunds import cards
from cancelflow.store.refunds.records import (
    FIELDS,
    TIMED,
    Op,
    Refund,
    RefundStatus,
    S,
    item_key,
    status_entry,
)
from cancelflow.store.schema import QUEUES


class StaleRefund(Exception):
    """The refund changed since it was read (another worker, a callback, support)."""


def _versioned_update(refund: Refund, changes: Mapping[str, Any], remove: Iterable[str] = ()) -> Op:
    """The refund's update, only if it is still the status and version that was read."""
    expr, names, vals = ddb.update_expression(changes, remove)
    return {
        "Key": item_key(refund.refund_id),
        "UpdateExpression": expr,
        "ConditionExpression": "#cs = :cs AND #cv = :cv",
        "ExpressionAttributeNames": names | {"#cs": "status", "#cv": "version"},
        "ExpressionAttributeValues": ddb.values(vals | {":cs": refund.status.value, ":cv": refund.version}),
    }


def _after(refund: Refund, changes: Mapping[str, Any], remove: Iterable[str]) -> Refund:
    unknown = (set(changes) | set(remove)) - FIELDS
    if unknown:
        raise ValueError(f"not refund attributes: {sorted(unknown)}")
    return msgspec.structs.replace(refund, **{**changes, **dict.fromkeys(remove)})


def transition_ops(
    refund: Refund,
    to: RefundStatus,
    *,
    now: datetime,
    changes: Mapping[str, Any],
    remove: tuple[str, ...],
    event: str,
    actor: str,
    actor_id: str,
    reason: str | None,
    detail: Mapping[str, Any],
) -> tuple[list[Op], Refund]:
    """The two writes of one transition (the refund's update and its order's history entry),
    and the refund as it will be once they commit. Whether ``to`` is allowed is the caller's."""
    version = refund.version + 1
    sets = {"status": to, "version": version, "updated_at": now, **changes}
    after = _after(refund, sets, remove)
    index = status_entry(refund.refund_id, to, after.next_attempt_at if to in TIMED else now)
    gone = remove
    if to is S.SUCCEEDED:  # never overdue once succeeded (domain/refund_sla.py): off the SLA index
        gone = (*remove, "due_pk", "due_at")
    entry = history.entry_put(
        refund.order_id,
        at=now,
        suffix=f"{refund.refund_id}#v{version:06d}",
        event=event,
        actor=actor,
        actor_id=actor_id,
        reason=reason,
        detail=dict(detail),
    )
    return [{"Update": _versioned_update(refund, sets | index, gone)}, entry], after


def transition(refund: Refund, to: RefundStatus, *, card: cards.Card | None = None, **kw: Any) -> Refund:
    """Commit one transition (``transition_ops``), with the customer's new ``card`` kept in the
    same transaction (it stands or falls with the hand-back); ``StaleRefund`` if the refund
    changed since it was read."""
    ops, after = transition_ops(refund, to, **kw)
    if card is not None:
        ops.append(cards.put_op(refund.refund_id, card))
    # The update's condition, or the history entry of the same version already written by
    # whoever won: either way someone else moved the refund first.
    if not _commit(ops):
        raise StaleRefund(refund.refund_id)
    return after


def _commit(ops: list[Op]) -> bool:
    """One transaction; False when a condition failed or another transaction held an item (a
    lost race: the caller says what that means), any other failure raised."""
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed as e:
        if any(r in ddb.LOST_RACE for r in e.reasons):
            return False
        raise
    return True


def touch(refund: Refund, *, now: datetime, changes: Mapping[str, Any]) -> Refund:
    """Bookkeeping without a transition or a history entry (the next poll of a refund waiting on
    its provider), conditional on the status and version read like any write."""
    sets = {"version": refund.version + 1, "updated_at": now, **changes}
    after = _after(refund, sets, ())
    index = (
        status_entry(refund.refund_id, refund.status, after.next_attempt_at)
        if "next_attempt_at" in sets
        else {}
    )
    if ddb.update(_versioned_update(refund, sets | index)) is None:
        raise StaleRefund(refund.refund_id)
    return after


# ---------------------------------------------------------------- the schedule's writes


def overdue_ops(refund: Refund, now: datetime) -> list[Op]:
    """Flag the refund overdue and tell its timeline, and take it out of the SLA index.
    Decided on the stored refund: still in the index, overdue by domain/refund_sla.py's rule
    (due by now, not succeeded), at the version read. Status and version stay: the flag is not
    a lifecycle transition, so a worker holding the refund is not disturbed."""
    flag = {
        "Update": {
            "Key": item_key(refund.refund_id),
            "UpdateExpression": "SET overdue = :t, overdue_at = :now REMOVE due_pk, due_at",
            "ConditionExpression": "attribute_exists(due_pk) AND due_at <= :now AND #s <> :ok "
            "AND version = :v",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {":t": True, ":now": codec.plain(now), ":ok": S.SUCCEEDED.value, ":v": refund.version}
            ),
        }
    }
    entry = history.entry_put(
        refund.order_id,
        at=now,
        suffix=f"{refund.refund_id}#overdue",
        event="refund.overdue",
        actor="system",
        actor_id="refund-sla",
        reason="refund_sla_passed",
        detail={
            "refund_id": refund.refund_id,
            "amount": refund.amount,
            "channel": refund.channel,
            "status": refund.status,
            "sla_due_at": refund.sla_due_at,
        },
    )
    return [flag, entry]


def flag_overdue(refund: Refund, now: datetime) -> bool:
    """Commit ``overdue_ops``: False when the stored refund no longer matches the read."""
    return _commit(overdue_ops(refund, now))


def chase(refund: Refund, now: datetime, *, period: timedelta, actor_id: str) -> Refund | None:
    """The customer's chase (催办) of an overdue refund, with its timeline entry (the event that
    alerts support). Decided on the stored refund: still overdue and not succeeded, and not
    chased within ``period`` (two chases at once: one counts). Status and version stay, like the
    overdue flag: a worker holding the refund is not disturbed. None: not (or no longer) allowed."""
    chases = refund.chases + 1
    flag = {
        "Update": {
            "Key": item_key(refund.refund_id),
            "UpdateExpression": "SET chased_at = :now, chases = :n",
            "ConditionExpression": "overdue = :t AND #s <> :ok AND "
            "(attribute_not_exists(chased_at) OR chased_at <= :cut)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":t": True,
                    ":now": codec.plain(now),
                    ":n": chases,
                    ":ok": S.SUCCEEDED.value,
                    ":cut": codec.plain(now - period),
                }
            ),
        }
    }
    entry = history.entry_put(
        refund.order_id,
        at=now,
        suffix=f"{refund.refund_id}#chase{chases:04d}",
        event="refund.chased",
        actor="customer",
        actor_id=actor_id,
        reason="customer_chased",
        detail={
            "refund_id": refund.refund_id,
            "amount": refund.amount,
            "channel": refund.channel,
            "status": refund.status,
            "chases": chases,
            "sla_due_at": refund.sla_due_at,
        },
    )
    if not _commit([flag, entry]):
        return None
    return msgspec.structs.replace(refund, chased_at=now, chases=chases)


# A refund message in flight (just sent, delayed by the worker, or in a dead worker's hands)
# shows up again within the refund queue's visibility timeout.
QUEUE_VISIBILITY = timedelta(seconds=QUEUES["refund"]["visibility_timeout"])


def mark_handed_back(refund: Refund, now: datetime, *, not_since: datetime) -> bool:
    """Claim the stuck-refund hand-back (stamp ``handed_back_at``) unless one was stamped after
    ``not_since``; False when another run (or a transition) was first."""
    stamped = ddb.update(
        {
            "Key": item_key(refund.refund_id),
            "UpdateExpression": "SET handed_back_at = :now",
            "ConditionExpression": "#s = :s AND version = :v AND "
            "(attribute_not_exists(handed_back_at) OR handed_back_at <= :cut)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":now": codec.plain(now),
                    ":s": refund.status.value,
                    ":v": refund.version,
                    ":cut": codec.plain(not_since),
                }
            ),
        }
    )
    return stamped is not None
