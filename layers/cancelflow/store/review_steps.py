"""The review step's other reads and writes: a new task and its timeline entry, the lists, the
task and request updates each step makes (under the caller's lease, and only while the request
is under review), the escalation of an overdue review, and the reads a decision, a task's
detail and an escalation start from. The task's own shape, reads and leases: ``store.tasks``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.domain.models import Order
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import codec, ddb, history, keys, requests, tasks
from cancelflow.store.codec import decode, plain
from cancelflow.store.ddb import TransactionFailed as TransactionFailed  # what ``commit`` raises
from cancelflow.store.requests import Request
from cancelflow.store.schema import GSI_STATUS
from cancelflow.store.tasks import Op, Reviewer, Task

# ---------------------------------------------------------------- reads


def for_decision(task: Task) -> tuple[Order, Request]:
    """The order and the request a decision acts on (one BatchGetItem)."""
    order_key = (keys.order_pk(task.order_id), keys.ORDER)
    req_key = (keys.order_pk(task.order_id), keys.request_sk(task.request_id))
    found = ddb.batch_get([order_key, req_key])
    return decode(Order, found[order_key]), requests.of_item(found[req_key])


def due_request(item: Mapping[str, Any] | Request | Task) -> Request | None:
    """The request a review sweep's item names (a due index item, a request or its task): the
    item itself when it is the request as stored, else read (None when there is none)."""
    if isinstance(item, Request):
        return item
    if isinstance(item, Task):
        found = ddb.get(keys.order_pk(item.order_id), keys.request_sk(item.request_id))
    else:
        is_request = item.get("type") == "request"
        found = (
            dict(item)
            if is_request
            else ddb.get(keys.order_pk(item["order_id"]), keys.request_sk(item["request_id"]))
        )
    return None if found is None else requests.of_item(found)


def order_and_task(order_id: str, task_id: str) -> tuple[Order | None, Task | None]:
    """The order and the task (None: not there), in one BatchGetItem."""
    order_key, tkey = (keys.order_pk(order_id), keys.ORDER), tasks.task_key(task_id)
    found = ddb.batch_get([order_key, tkey])
    order = decode(Order, found[order_key]) if order_key in found else None
    return order, tasks.decode(found[tkey]) if tkey in found else None


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
    transaction; False when the task exists already (a redelivered or duplicated message)."""
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
    try:
        ddb.transact([put, timeline])
    except ddb.TransactionFailed as e:
        if e.reasons and e.reasons[0] == "ConditionalCheckFailed":
            return False  # the task exists: a redelivery or duplicate
        raise
    return True


def commit(ops: list[Op]) -> None:
    """One transaction of a review step's operations (``TransactionFailed`` when refused)."""
    ddb.transact(ops)


def held_by(request_id: str) -> dict[str, Any]:
    """``orders.Change``'s condition that the order is still held by this request (a decision
    acts on an order only while its request holds it)."""
    return {"condition": "open_request_id = :rid", "cond_values": {":rid": request_id}}


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


def _applied(task: Task, sets: Mapping[str, Any], removed: tuple[str, ...] = ()) -> Task:
    after = {k: v for k, v in tasks.dump(task).items() if k not in removed} | plain(dict(sets))
    return tasks.decode(after)


def after(task: Task, now: datetime, sets: Mapping[str, Any], park: str | None) -> Task:
    """The task as ``step_op`` leaves it once committed (no read after the write)."""
    return _applied(task, *_task_change(task, now, sets, park))


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


def _request_op(request: Request, expr: str, cond: str, names: Mapping[str, str], vals: dict[str, Any]) -> Op:
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
    return _request_op(request, expr, "#s = :ur", names, vals | {":ur": requests.UNDER_REVIEW})


def request_decided(request: Request, reviewer: Reviewer, now: datetime, status: str, note: str | None) -> Op:
    """The request update of a decision (out of the due index); a rejection names who rejected
    (never the one to decide its appeal)."""
    sets: dict[str, Any] = {"status": status, "decided_by": reviewer.id, "decided_at": now}
    sets |= {"decision_note": note, "updated_at": now}
    if status == requests.REJECTED:
        sets |= {"rejected_by": reviewer.id, "rejected_at": now}
    return request_update(request, sets, decided=True)


# ---------------------------------------------------------------- escalation


_UNDECIDED = {":ur": requests.UNDER_REVIEW, ":ni": requests.NEED_INFO}


def rearm_op(request: Request, next_due: datetime, now: datetime) -> Op:
    """Push the request's due time on, only if no other sweep did it first."""
    expr = "SET due_at = :next, escalated_at = if_not_exists(escalated_at, :now), #s = :ur"
    vals = {":next": iso(next_due), ":now": iso(now), ":seen": plain(request.due_at), **_UNDECIDED}
    return _request_op(request, expr, "due_at = :seen AND #s IN (:ur, :ni)", {}, vals)


def escalation_op(task: Task, sets: Mapping[str, Any], end_lease: bool) -> Op:
    """The task back in the open pool as ``sets`` leaves it (its place from its class, due time
    and amount), conditioned on the version read and never once decided; ``end_lease`` removes
    the lease."""
    changed = {**sets, "status": tasks.OPEN.value, "version": task.version + 1}
    left = _applied(task, changed)
    changed |= tasks.pool_attrs(task.task_id, left.priority_class, parse(left.decision_due), left.amount)
    expr, names, vals = ddb.update_expression(changed, tasks.LEASE_ATTRS if end_lease else ())
    cond = "version = :v AND #s <> :d"
    return {
        "Update": tasks.update_op(
            task.task_id, expr, cond, names, vals | {":v": task.version, ":d": tasks.DECIDED.value}
        )
    }


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
