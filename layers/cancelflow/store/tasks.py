"""Review tasks as stored: one item per (request, kind), its key, its place in the by-status
index, its reads and its leases (docs/domain.md, "Review"); each review step's writes are
``store.review_steps`` (shared), ``store.review_decisions`` and ``store.review_escalations``.
The open pool is one unsharded index partition (``REVIEW#open``): claim-next needs the top
task from one Query; the pool stays far below a partition's write rate (docs/review.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.domain.priority import priority_key
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import codec, ddb, history, keys
from cancelflow.store.schema import GSI_STATUS

TASK_SK = "TASK"


class TaskStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting_customer"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"  # its request was withdrawn (at updated_at): closed, in no list
    CLAIMED = "claimed"  # never stored: an open task under a live lease (lists and views)


class TaskKind(StrEnum):
    CANCELLATION = "cancellation"
    REJECTION_APPEAL = "rejection_appeal"


OPEN, WAITING, DECIDED, WITHDRAWN, CLAIMED = TaskStatus  # in the order defined
STATUSES = (OPEN, CLAIMED, WAITING, DECIDED)  # what reviewers list (a withdrawn task is in none)
KIND_PREFIX = {TaskKind.CANCELLATION: "tk", TaskKind.REJECTION_APPEAL: "ta"}
LEASE_ATTRS = ("lease_holder", "lease_until", "lease_senior")  # what ending a lease removes

Op = dict[str, Any]  # one operation of a transaction: built here, only passed along outside store/
Start = dict[str, Any] | None  # where the next page of the pool starts: opaque, pass it back


class Reviewer(msgspec.Struct, frozen=True):
    """The caller of a reviewer route (identity from the verified JWT)."""

    id: str
    senior: bool = False


class TaskRisk(msgspec.Struct, frozen=True, kw_only=True):
    """The customer's figures when the task was made."""

    window_days: int
    orders: int
    cancellation_requests: int
    flagged: bool


class TaskAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's answer to the reviewer's question."""

    at: str
    text: str
    evidence: tuple[str, ...] = ()


class Task(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A review task, written and read as this one shape. Times are stored RFC 3339 strings
    (``clock.iso``, comparable as text). An attribute the item lacks is None and left out of
    the dump, so what is stored (and shown) is exactly what was set: no field but those has a
    default (``omit_defaults`` leaves a field equal to its default out)."""

    task_id: str
    kind: TaskKind
    request_id: str
    order_id: str
    customer_id: str
    product_type: str
    action: str
    converted_from: str | None = None
    reason_code: str
    description: str | None = None
    evidence: tuple[str, ...]
    refund_to: str
    requested_amount: int | None = None
    order_amount: int
    status: TaskStatus
    priority_class: int
    escalated: bool
    escalated_at: str | None = None
    senior_only: bool | msgspec.UnsetType = msgspec.UNSET  # missing: senior-only (``only_seniors``)
    rejected_by: str | None = None
    strict_review: bool
    risk: TaskRisk
    submitted_at: str
    created_at: str
    updated_at: str | None = None
    first_response_due: str | None = None
    decision_due: str
    # when fulfilment was asked to abort: claim-next's hint to read the order (never the rule)
    abort_asked_at: str | None = None
    claims: int
    version: int
    # the lease (reviewer-internal)
    lease_holder: str | None = None
    lease_until: str | None = None
    lease_senior: bool | None = None
    last_claimed_at: str | None = None
    first_response_at: str | None = None
    released_at: str | None = None
    # asking the customer, and their answers
    info_request: str | None = None
    info_asked_at: str | None = None
    info_asked_by: str | None = None
    sla_remaining_ms: int | None = None
    info_answered_at: str | None = None
    answers: tuple[TaskAnswer, ...] | None = None
    # the decision (a decision without a note stores the note as null: kept apart from absent)
    outcome: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    checklist: dict[str, bool] | None = None
    note: str | msgspec.UnsetType | None = msgspec.UNSET
    refund_amount: int | None = None
    refund_id: str | None = None
    order_cancelled: bool | None = None

    @property
    def only_seniors(self) -> bool:
        """Whether only a senior may take and decide it (a missing flag counts as senior-only)."""
        return self.senior_only is not False

    @property
    def amount(self) -> int:
        """What the pool orders by after class and SLA: the amount asked, else the order's."""
        return int(self.requested_amount or self.order_amount or 0)


def task_id_for(request_id: str, kind: str) -> str:
    """Deterministic, so a redelivered message names the same task: ``tk_<hex of rq_…>``."""
    return f"{KIND_PREFIX[TaskKind(kind)]}_{request_id.split('_', 1)[1]}"


def task_key(task_id: str) -> tuple[str, str]:
    return keys.task_pk(task_id), TASK_SK


def update_op(
    task_id: str, expr: str, cond: str, names: Mapping[str, str], vals: Mapping[str, Any]
) -> dict[str, Any]:
    """An UpdateItem of one task (``#s`` names its status), for ``ddb.update`` or a transaction."""
    return {
        "Key": ddb.key(*task_key(task_id)),
        "UpdateExpression": expr,
        "ConditionExpression": cond,
        "ExpressionAttributeNames": {**names, "#s": "status"},
        "ExpressionAttributeValues": ddb.values(vals),
    }


def decode(item: Mapping[str, Any]) -> Task:
    return codec.decode(Task, item)


def dump(task: Task) -> dict[str, Any]:
    """The task's attributes as stored (no keys, no index attributes)."""
    out: dict[str, Any] = msgspec.to_builtins(task)
    return out


def pool_attrs(task_id: str, klass: int, decision_due: datetime, amount: int) -> dict[str, str]:
    """In the claimable pool, in review order (docs/domain.md, "Priority": ``priority_key``)."""
    return {
        "status_pk": keys.status_pk("REVIEW", OPEN),
        "status_sk": priority_key(klass, decision_due, amount, task_id),
    }


def parked_attrs(status: str, at: datetime, task_id: str) -> dict[str, str]:
    """Waiting for the customer, or decided: by time (lists only, never claimed)."""
    return {"status_pk": keys.status_pk("REVIEW", status), "status_sk": f"{iso(at)}#{task_id}"}


# ---------------------------------------------------------------- reads


def get(task_id: str) -> Task:
    item = ddb.get(*task_key(task_id))
    if item is None or item.get("type") != "review_task":
        raise DomainError(ErrorCode.TASK_NOT_FOUND, {"task_id": task_id})
    return decode(item)


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


def open_pool(reviewer: Reviewer, now: datetime, limit: int, start: Start = None) -> tuple[list[Task], Start]:
    """One page of the open pool in priority order, only what ``reviewer`` may take now (one
    Query), and where the next page starts (None: the last page)."""
    cond, vals = claimable_filter(reviewer)
    items, last = ddb.query(
        GSI_STATUS,
        "status_pk = :p",
        {":p": keys.status_pk("REVIEW", OPEN), ":now": iso(now), **vals},
        limit=limit,
        start=start,
        filter_expression=cond,
    )
    return [decode(i) for i in items], last


# ---------------------------------------------------------------- leases


# lease_senior: whether the holder is a senior, so that an escalation (senior-only from then on)
# can end a plain reviewer's lease and keep a senior's (review.sla).
_LEASE = (
    "SET lease_holder = :me, lease_until = :until, lease_senior = :sen, last_claimed_at = :now, "
    "version = version + :one, claims = claims + :one, "
    "first_response_at = if_not_exists(first_response_at, :now)"
)


def lease(task: Task, reviewer: Reviewer, now: datetime, until: datetime) -> Task | None:
    """Lease ``task`` (a candidate of ``open_pool``) to ``reviewer`` until ``until``: the task as
    leased, or None when someone else was faster. Decided against the stored task: still open
    and nobody's live lease (and the reviewer may take it)."""
    cond, vals = claimable_filter(reviewer)
    values = {
        **vals,
        ":me": reviewer.id,
        ":until": iso(until),
        ":sen": reviewer.senior,
        ":now": iso(now),
        ":one": 1,
        ":open": OPEN.value,
    }
    cond = f"#s = :open AND {cond}"
    if task.first_response_at is None:
        return _first_lease(task, reviewer, now, cond, values)
    leased = ddb.update(update_op(task.task_id, _LEASE, cond, {}, values))
    return None if leased is None else decode(leased)


def _first_lease(
    task: Task, reviewer: Reviewer, now: datetime, cond: str, values: dict[str, Any]
) -> Task | None:
    """The first claim of a task and its entry on the customer's timeline (when a reviewer first
    took the request up), in one transaction. Later leases are reviewer-internal churn, kept on
    the task (claims, last_claimed_at). The candidate came from the index, so the write is also
    conditioned on its version: the result is then exactly the candidate plus the lease, without
    a read after the write; a stale candidate counts as a lost race."""
    entry = history.entry_put(
        task.order_id,
        at=now,
        suffix=f"{task.task_id}#claimed",
        event="review.claimed",
        actor=Actor.REVIEWER.value,
        actor_id=reviewer.id,
        detail={"task_id": task.task_id, "first_response_due": task.first_response_due},
    )
    versioned = update_op(
        task.task_id, _LEASE, f"{cond} AND version = :v", {}, {**values, ":v": task.version}
    )
    try:
        ddb.transact([{"Update": versioned}, entry])
    except ddb.TransactionFailed as e:
        if any(r in ddb.LOST_RACE for r in e.reasons):
            return None
        raise
    return msgspec.structs.replace(
        task,
        lease_holder=reviewer.id,
        lease_until=values[":until"],
        lease_senior=reviewer.senior,
        last_claimed_at=values[":now"],
        first_response_at=values[":now"],
        version=task.version + 1,
        claims=task.claims + 1,
    )
