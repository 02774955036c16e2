"""Review tasks: one item per (request, kind), its key shapes, its place in the by-status index,
and the reads (one task; tasks by status in priority order).

Why the open pool is one index partition (``REVIEW#open``) and not sharded like refunds:
claim-next must see the single highest-priority task, which one Query gives only if every open
task sorts in one partition. The pool is bounded by what people can review (every task is
written a handful of times over minutes), far below a partition's ~1,000 writes per second;
docs/review.md has the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.domain.options import PARTIAL_REFUND_ACTIONS
from cancelflow.domain.priority import priority_key
from cancelflow.errors import DomainError
from cancelflow.store import codec, ddb, keys
from cancelflow.store.schema import GSI_STATUS

TASK_SK = "TASK"
KIND_PREFIX = {"cancellation": "tk", "rejection_appeal": "ta"}

# Stored task status. "claimed" is not stored: an open task is claimed while its lease lasts,
# so an expired lease returns it to the pool without anyone writing anything.
OPEN = "open"
WAITING = "waiting_customer"
DECIDED = "decided"
CLAIMED = "claimed"  # derived, for lists and views
STATUSES = (OPEN, CLAIMED, WAITING, DECIDED)


@dataclass(frozen=True)
class Reviewer:
    """The caller of a reviewer route (identity from the verified JWT)."""

    id: str
    senior: bool = False


def task_id_for(request_id: str, kind: str) -> str:
    """Deterministic, so a redelivered message names the same task: ``tk_<hex of rq_…>``."""
    return f"{KIND_PREFIX[kind]}_{request_id.split('_', 1)[1]}"


def task_key(task_id: str) -> dict[str, Any]:
    return ddb.key(keys.task_pk(task_id), TASK_SK)


def open_attrs(task_id: str, klass: int, decision_due: datetime, amount: int) -> dict[str, str]:
    """In the claimable pool, in review order (DOMAIN.md priority via ``priority_key``)."""
    return {
        "status_pk": keys.status_pk("REVIEW", OPEN),
        "status_sk": priority_key(klass, decision_due, amount, task_id),
    }


def parked_attrs(status: str, at: datetime, task_id: str) -> dict[str, str]:
    """Waiting for the customer, or decided: by time (lists only, never claimed)."""
    return {"status_pk": keys.status_pk("REVIEW", status), "status_sk": f"{iso(at)}#{task_id}"}


def get_task(task_id: str) -> ddb.Item:
    item = ddb.get(keys.task_pk(task_id), TASK_SK)
    if item is None or item.get("type") != "review_task":
        raise DomainError("TASK_NOT_FOUND", {"task_id": task_id})
    return item


def lease_live(task: ddb.Item, now: datetime) -> bool:
    until = task.get("lease_until")
    return isinstance(until, str) and parse(until) > now


def shown_status(task: ddb.Item, now: datetime) -> str:
    if task["status"] == OPEN and lease_live(task, now):
        return CLAIMED
    return str(task["status"])


_HIDDEN = {"pk", "sk", "status_pk", "status_sk", "type"}


def view(task: ddb.Item, now: datetime) -> dict[str, Any]:
    """What reviewers see of a task (index plumbing left out, live status derived)."""
    out = {k: v for k, v in task.items() if k not in _HIDDEN}
    out["status"] = shown_status(task, now)
    out["partial_amount_allowed"] = task.get("action") in {a.value for a in PARTIAL_REFUND_ACTIONS}
    if not lease_live(task, now):
        out.pop("lease_holder", None)
        out.pop("lease_until", None)
        out.pop("lease_senior", None)
    return out


def claimable_filter(reviewer: Reviewer | None) -> tuple[str, dict[str, Any]]:
    """Who may take an open task: nobody holds a live lease; senior-only tasks go to seniors;
    an appeal never goes back to the reviewer who rejected it."""
    expr = "(attribute_not_exists(lease_until) OR lease_until <= :now)"
    vals: dict[str, Any] = {}
    if reviewer is not None and not reviewer.senior:
        expr += " AND senior_only = :f"
        vals[":f"] = False
    elif reviewer is not None:
        expr += " AND (attribute_not_exists(rejected_by) OR rejected_by <> :me)"
        vals[":me"] = reviewer.id
    return expr, vals


def list_tasks(
    status: str, now: datetime, limit: int = 20, cursor: str | None = None, caller: str = ""
) -> tuple[list[ddb.Item], str | None]:
    """Tasks by status: open and claimed in priority order, the others newest first.
    One Query; a page may hold fewer than ``limit`` when the lease filter drops some. The cursor
    is this caller's for this status (``codec.decode_cursor``; bench and tests call without one)."""
    if status not in STATUSES:
        raise DomainError("VALIDATION_FAILED", {"field": "status", "allowed": list(STATUSES)})
    if not 1 <= limit <= 100:
        raise DomainError("VALIDATION_FAILED", {"field": "limit", "min": 1, "max": 100})
    partition = keys.status_pk("REVIEW", OPEN if status == CLAIMED else status)
    scope = codec.CursorScope(f"reviews?status={status}", caller, GSI_STATUS, (partition,))
    start = codec.decode_cursor(scope, cursor).start
    vals: dict[str, Any] = {":p": partition}
    flt = None
    if status == OPEN:
        flt, extra = claimable_filter(None)
        vals |= extra | {":now": iso(now)}
    elif status == CLAIMED:
        flt = "lease_until > :now"
        vals[":now"] = iso(now)
    items, last = ddb.query(
        GSI_STATUS,
        "status_pk = :p",
        vals,
        limit=limit,
        forward=status in (OPEN, CLAIMED),
        start=start,
        filter_expression=flt,
    )
    return items, codec.encode_cursor(scope, last) if last else None
