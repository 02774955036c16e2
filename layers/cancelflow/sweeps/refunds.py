"""Refunds the schedule looks after (DOMAIN.md, "Refunds"). Integrations: DynamoDB, SQS.

1. **Overdue**: a refund not ``succeeded`` by its SLA (``DUE#REFUND#nn``, due_at = the SLA)
   gets ``overdue = true`` and an order history entry ``refund.overdue`` (the customer's
   timeline and the events outbox) in one transaction, and leaves the due index. The refund
   keeps its status and version: the flag is not a lifecycle transition, so a worker holding
   the refund is not disturbed.
2. **Stuck**: a refund waiting for an attempt (``pending``/``failed``, or ``processing`` whose
   lease ran out because its worker died) whose next attempt time passed more than one refund
   queue visibility timeout ago has no message that will deliver it: it is handed back to the
   refund step (``dispatch.send_refund``). The by-status index already sorts these states by
   their next attempt time (cancelflow.refunds.lifecycle), so "due" is a range query per shard.
   A conditional stamp (``handed_back_at``) makes overlapping runs send it once per window.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from cancelflow import dispatch
from cancelflow.clock import iso, parse
from cancelflow.store import ddb, history, keys, refund_records
from cancelflow.store.schema import QUEUES
from cancelflow.sweeps.due import REFUND, Tally, due, run, waiting

log = logging.getLogger(__name__)

# A refund message in flight (just sent, delayed by the worker, or in a dead worker's hands)
# shows up within the queue's visibility timeout; only a refund still due after that is stuck.
HAND_BACK_AFTER = timedelta(seconds=QUEUES["refund"]["visibility_timeout"])
ATTEMPTS = 3


def _key(refund_id: str) -> dict[str, Any]:
    return ddb.key(keys.refund_pk(refund_id), "REFUND")


def _overdue_ops(refund: ddb.Item, now: datetime) -> list[dict[str, Any]]:
    rid = refund["refund_id"]
    flag = {
        "Update": {
            "Key": _key(rid),
            "UpdateExpression": "SET overdue = :t, overdue_at = :now REMOVE due_pk, due_at",
            # decided on the stored refund: still due, not succeeded, as read (same version)
            "ConditionExpression": "attribute_exists(due_pk) AND due_at <= :now AND #s <> :ok "
            "AND version = :v",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {":t": True, ":now": iso(now), ":ok": refund_records.SUCCEEDED, ":v": int(refund["version"])}
            ),
        }
    }
    entry = history.entry_put(
        refund["order_id"],
        at=now,
        suffix=f"{rid}#overdue",
        event="refund.overdue",
        actor="system",
        actor_id="refund-sla",
        reason="refund_sla_passed",
        detail={
            "refund_id": rid,
            "amount": refund["amount"],
            "channel": refund["channel"],
            "status": refund["status"],
            "sla_due_at": refund["sla_due_at"],
        },
    )
    return [flag, entry]


def _still_overdue(refund: ddb.Item | None, now: datetime) -> bool:
    return (
        refund is not None
        and refund.get("due_pk") is not None
        and refund["status"] != refund_records.SUCCEEDED
        and parse(refund["due_at"]) <= now
    )


def flag_one(refund: ddb.Item, now: datetime, tally: Tally) -> None:
    for attempt in range(ATTEMPTS):
        if not _still_overdue(refund, now):
            tally.add("skipped" if attempt == 0 else "lost")
            return
        try:
            ddb.transact(_overdue_ops(refund, now))
        except ddb.TransactionFailed as e:
            if not any(r in ddb.LOST_RACE for r in e.reasons):
                raise
            # the index copy was stale, or the worker moved it: decide on the stored refund
            refund = ddb.get(keys.refund_pk(refund["refund_id"]), "REFUND") or {}
            continue
        tally.add("done", ident=refund["refund_id"])
        return
    tally.add("lost")


def flag_overdue(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    tally = Tally()
    return run(due(REFUND, now), lambda item: flag_one(item, now, tally), tally, budget, stop_at)


def _stamp(refund: ddb.Item, now: datetime) -> bool:
    """Claim the hand-back for this window; False when another run (or a transition) was first."""
    stamped = ddb.update(
        {
            "Key": _key(refund["refund_id"]),
            "UpdateExpression": "SET handed_back_at = :now",
            "ConditionExpression": "#s = :s AND version = :v AND "
            "(attribute_not_exists(handed_back_at) OR handed_back_at <= :cut)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":now": iso(now),
                    ":s": refund["status"],
                    ":v": int(refund["version"]),
                    ":cut": iso(now - HAND_BACK_AFTER),
                }
            ),
        }
    )
    return stamped is not None


def hand_back_stuck(now: datetime, budget: int | None = None, stop_at: float | None = None) -> Tally:
    """Send refunds that wait for an attempt nobody will make back to the refund step."""
    tally = Tally()

    def act(item: ddb.Item) -> None:
        if _stamp(item, now):
            dispatch.send_refund(item["refund_id"])
            tally.add("done", ident=item["refund_id"])
        else:
            tally.add("lost")

    return run(waiting("REFUND", refund_records.TIMED, now - HAND_BACK_AFTER), act, tally, budget, stop_at)
