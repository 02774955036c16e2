"""The review step's shared reads and writes: a new task and its timeline entry, the lists, the
task and request updates each step makes (under the caller's lease, and only while the request
is under review), the release of a lease and the customer's answer. The task's own shape, reads
and leases: ``store.tasks``; the writes of each decision: ``store.review_decisions``; of the
review SLA: ``store.review_escalations``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import codec, ddb, history, keys, requests, tasks
from cancelflow.store.codec import plain
from cancelflow.store.requests import Request
from cancelflow.store.schema import GSI_STATUS
from cancelflow.store.tasks import Op, Reviewer, Task


def list_tasks(
    status: str, now: datetime, limit: int = 20, cursor: str | None = None, caller: str = ""
) -> tuple[list[Task], str | None]:
    """Tasks by status: open and claimed in priority order, the others newest first.
    One Query; a page may hold fewer than ``limit`` when the lease filter drops some. The cursor
    is this caller's for this status (``codec.decode_cursor``; bench and tests call without one)."""
    if status not in tasks.STATUSES:
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "status", "allowed": list(tasks.STATUSES)})
    if not 1 <= limit <= 100:
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "limit", "min": 1, "max": 100})
    partition = keys.status_pk("REVIEW", tasks.OPEN if status == tasks.CLAIMED else status)
    scope = codec.CursorScope(f"reviews?status={status}", caller, GSI_STATUS, (partition,))
    start = codec.decode_cursor(scope, cursor).start
    vals: dict[str, Any] = {":p": partition}
    flt = None
    if status == tasks.OPEN:
        flt, extra = tasks.claimable_filter(None)
        vals |= extra | {":now": iso(now)}
    elif status == tasks.CLAIMED:
        flt = "lease_until > :now"
        vals[":now"] = iso(now)
    items, last = ddb.query(
        GSI_STATUS,
        "status_pk = :p",
        vals,
        limit=limit,
        forward=status in (tasks.OPEN, tasks.CLAIMED),
        start=start,
        filter_expression=flt,
    )
    return [tasks.decode(i) for i in items], codec.encode_cursor(scope, last) if last else None


# ---------------------------------------------------------------- writes


_CREATED = ("kind", "action", "converted_from", "decision_due")  # besides the task and request ids


def create(task: Task, now: datetime) -> bool:
    """Put a new task in the open pool with its ``review.task_created`` timeline entry, in one
    transaction, only while its request still waits for a decision as stored (a withdrawal
    between intake's read and this write must not leave a task for nobody in the pool); False
    when the task exists already (a redelivered or duplicated message) or the request was
    settled meanwhile."""
    item = {
        "pk": keys.task_pk(task.task_id),
        "sk": tasks.TASK_SK,
        "type": "review_task",
        **tasks.dump(task),
        **tasks.pool_attrs(task.task_id, task.priority_class, parse(task.decision_due), task.amount),
    }
    created = {k: getattr(task, k) for k in _CREATED}
    timeline = entry(
        task, Actor.SYSTEM, "review-intake", now, "review.task_created", created, version=task.version
    )
    put = {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}
    pending = {
        "ConditionCheck": {
            "Key": ddb.key(keys.order_pk(task.order_id), keys.request_sk(task.request_id)),
            "ConditionExpression": "#s IN (:ur, :ni)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {":ur": requests.UNDER_REVIEW, ":ni": requests.NEED_INFO}
            ),
        }
    }
    try:
        ddb.transact([put, timeline, pending])
    except ddb.TransactionFailed as e:
        if "ConditionalCheckFailed" in (e.reasons[:1] + e.reasons[2:3]):
            return False  # the task exists (a redelivery or duplicate), or its request was settled
        raise
    return True


# ---------------------------------------------------------------- under the caller's lease


def holder_condition(reviewer: Reviewer, task: Task, now: datetime) -> tuple[str, dict[str, Any]]:
    """The write-time check that the caller still holds the lease on this version."""
    return (
        "lease_holder = :me AND lease_until > :now AND version = :v AND #s = :st",
        {":me": reviewer.id, ":now": iso(now), ":v": task.version, ":st": task.status.value},
    )


def decider_condition(reviewer: Reviewer, task: Task, now: datetime) -> tuple[str, dict[str, Any]]:
    """The write-time check of every review step: the caller holds the lease on this version and
    may decide the task as stored (``review.claims.require_may_decide``), so a task escalated
    between the read and the write is refused by the write itself. A missing flag counts as
    senior-only."""
    cond, vals = holder_condition(reviewer, task, now)
    if not reviewer.senior:
        return f"{cond} AND senior_only = :nsf", vals | {":nsf": False}
    return f"{cond} AND (attribute_not_exists(rejected_by) OR rejected_by <> :me)", vals


def release(task: Task, reviewer: Reviewer, now: datetime) -> Task | None:
    """End the caller's lease at once (the task is back in the pool): the task as left, or None
    when the caller no longer holds the lease on the version read."""
    cond, vals = holder_condition(reviewer, task, now)
    expr = "SET version = :nv, released_at = :rel REMOVE " + ", ".join(tasks.LEASE_ATTRS)
    released = ddb.update(
        tasks.update_op(task.task_id, expr, cond, {}, vals | {":nv": task.version + 1, ":rel": iso(now)})
    )
    return None if released is None else tasks.decode(released)


def _task_change(
    task: Task, now: datetime, sets: Mapping[str, Any], park: str | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What a review step sets on the task and what it removes."""
    sets = {**sets, "version": task.version + 1, "updated_at": iso(now)}
    if park is None:
        return sets, ()
    return sets | {"status": park, **tasks.parked_attrs(park, now, task.task_id)}, tasks.LEASE_ATTRS


def applied(task: Task, sets: Mapping[str, Any], removed: tuple[str, ...] = ()) -> Task:
    """The task with ``sets`` written and ``removed`` gone (what a committed update leaves)."""
    after = {k: v for k, v in tasks.dump(task).items() if k not in removed} | plain(dict(sets))
    return tasks.decode(after)


def after(task: Task, now: datetime, sets: Mapping[str, Any], park: str | None) -> Task:
    """The task as ``step_op`` leaves it once committed (no read after the write)."""
    return applied(task, *_task_change(task, now, sets, park))


def step_op(task: Task, reviewer: Reviewer, now: datetime, sets: Mapping[str, Any], park: str | None) -> Op:
    """The task update of a review step, only while the caller's lease on the version read lasts
    and the caller may decide the task as stored (seniority). ``park`` (decided, waiting) moves
    the task out of the open pool and ends the lease."""
    cond, vals = decider_condition(reviewer, task, now)
    expr, names, set_vals = ddb.update_expression(*_task_change(task, now, sets, park))
    return {"Update": tasks.update_op(task.task_id, expr, cond, names, vals | set_vals)}


def entry(
    task: Task,
    actor: Actor,
    actor_id: str,
    at: datetime,
    event: str,
    detail: Mapping[str, Any],
    reason: str | None = None,
    version: int | None = None,
) -> Op:
    """The timeline entry of one review step, keyed by the task version it makes, by default the
    next (so a replay of the same step cannot append twice); ``reason`` by default the request's."""
    version = task.version + 1 if version is None else version
    return history.entry_put(
        task.order_id,
        at=at,
        suffix=f"{task.task_id}#v{version:06d}",
        event=event,
        actor=actor.value,
        actor_id=actor_id,
        reason=reason or task.reason_code,
        detail={"task_id": task.task_id, "request_id": task.request_id, **detail},
    )


def request_op(request: Request, expr: str, cond: str, names: Mapping[str, str], vals: dict[str, Any]) -> Op:
    """An UpdateItem of one request (``#s`` names its status), for a transaction."""
    key = ddb.key(keys.order_pk(request.order_id), keys.request_sk(request.request_id))
    names = {**names, "#s": "status"}
    return {
        "Update": {
            "Key": key,
            "UpdateExpression": expr,
            "ConditionExpression": cond,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": ddb.values(vals),
        }
    }


def request_update(request: Request, sets: Mapping[str, Any], decided: bool) -> Op:
    """The request update, only while it is under review; a decided request leaves the due index."""
    expr, names, vals = ddb.update_expression(sets, ("due_pk", "due_at") if decided else ())
    return request_op(request, expr, "#s = :ur", names, vals | {":ur": requests.UNDER_REVIEW})


def request_decided(request: Request, reviewer: Reviewer, now: datetime, status: str, note: str | None) -> Op:
    """The request update of a decision (out of the due index); a rejection names who rejected
    (never the one to decide its appeal)."""
    sets: dict[str, Any] = {"status": status, "decided_by": reviewer.id, "decided_at": now}
    sets |= {"decision_note": note, "updated_at": now}
    if status == requests.REJECTED:
        sets |= {"rejected_by": reviewer.id, "rejected_at": now}
    return request_update(request, sets, decided=True)


def answered_op(task: Task, now: datetime, decision_due: datetime, answer: Mapping[str, Any]) -> Op:
    """The task back in the open pool with the customer's answer, due at ``decision_due``;
    only if it still waits for that answer at the version read."""
    sets = {
        "status": tasks.OPEN.value,
        "decision_due": iso(decision_due),
        "evidence": [*task.evidence, *answer.get("evidence", [])],
        "info_answered_at": iso(now),
        "version": task.version + 1,
        "updated_at": iso(now),
        **tasks.pool_attrs(task.task_id, task.priority_class, decision_due, task.amount),
    }
    expr, names, vals = ddb.update_expression(sets)
    expr += ", answers = list_append(if_not_exists(answers, :empty), :ans) REMOVE sla_remaining_ms"
    vals |= {":w": tasks.WAITING.value, ":v": task.version, ":ans": [plain(answer)], ":empty": []}
    return {"Update": tasks.update_op(task.task_id, expr, "#s = :w AND version = :v", names, vals)}
