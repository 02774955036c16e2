"""The writes of the review SLA (``cancelflow.review.sla`` decides when and what): the due
request's time moved on by one decision window, conditional on the value read (overlapping
sweeps act once), and the task escalated with it, conditional on the version read and never
once decided; and the reads an escalation starts from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.domain.models import Order
from cancelflow.domain.states import Actor
from cancelflow.store import abort_requests, ddb, keys, requests, tasks
from cancelflow.store.codec import decode, plain
from cancelflow.store.requests import Request
from cancelflow.store.review_steps import applied, entry, request_op
from cancelflow.store.tasks import Op, Task

# ---------------------------------------------------------------- reads


def due_request(item: Request | Task) -> Request | None:
    """The request a review sweep's item names (the due request as the sweep read it, or its
    task): the request itself, else read (None when there is none)."""
    if isinstance(item, Request):
        return item
    found = ddb.get(keys.order_pk(item.order_id), keys.request_sk(item.request_id))
    return None if found is None else requests.of_item(found)


def order_and_task(order_id: str, task_id: str) -> tuple[Order | None, Task | None]:
    """The order and the task (None: not there), in one BatchGetItem."""
    order_key, tkey = (keys.order_pk(order_id), keys.ORDER), tasks.task_key(task_id)
    found = ddb.batch_get([order_key, tkey])
    order = decode(Order, found[order_key]) if order_key in found else None
    return order, tasks.decode(found[tkey]) if tkey in found else None


# ---------------------------------------------------------------- writes


_UNDECIDED = {":ur": requests.UNDER_REVIEW, ":ni": requests.NEED_INFO}


def rearm_op(request: Request, next_due: datetime, now: datetime) -> Op:
    """Push the request's due time on, only if no other sweep did it first."""
    expr = "SET due_at = :next, escalated_at = if_not_exists(escalated_at, :now), #s = :ur"
    vals = {":next": iso(next_due), ":now": iso(now), ":seen": plain(request.due_at), **_UNDECIDED}
    return request_op(request, expr, "due_at = :seen AND #s IN (:ur, :ni)", {}, vals)


def escalation_op(task: Task, sets: Mapping[str, Any], end_lease: bool) -> Op:
    """The task back in the open pool as ``sets`` leaves it (its place from its class, due time
    and amount), conditioned on the version read and never once decided; ``end_lease`` removes
    the lease."""
    changed = {**sets, "status": tasks.OPEN.value, "version": task.version + 1}
    left = applied(task, changed)
    changed |= tasks.pool_attrs(task.task_id, left.priority_class, parse(left.decision_due), left.amount)
    expr, names, vals = ddb.update_expression(changed, tasks.LEASE_ATTRS if end_lease else ())
    cond = "version = :v AND #s <> :d"
    return {
        "Update": tasks.update_op(
            task.task_id, expr, cond, names, vals | {":v": task.version, ":d": tasks.DECIDED.value}
        )
    }


def _commit(ops: list[Op]) -> bool:
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed:
        return False  # another sweep took it (or the request or task moved on)
    return True


def _asked_again(request: Request, order: Order | None, now: datetime) -> list[Op]:
    """``order``'s abort asked of fulfilment again, in the sweep's own transaction."""
    return [] if order is None else [abort_requests.entry_op(order, request.request_id, now, again=True)]


def rearm(request: Request, next_due: datetime, now: datetime, abort_of: Order | None = None) -> bool:
    """Only the request's due time moved on to ``next_due`` (``abort_of``: that order's abort
    asked again); False when another sweep was first or the request was decided since the read."""
    return _commit([rearm_op(request, next_due, now), *_asked_again(request, abort_of, now)])


def escalate(
    request: Request,
    task: Task,
    now: datetime,
    *,
    next_due: datetime,
    decision_due: datetime,
    priority_class: int,
    end_lease: bool,
    why: str,
    abort_of: Order | None = None,
) -> bool:
    """The request's due time moved on and its task escalated: senior-only from now on, of
    ``priority_class``, due at ``decision_due``, back in the open pool (``end_lease``: a plain
    reviewer's lease ended), with its ``review.escalated`` entry (reason ``why``), in one
    transaction (``abort_of``: that order's abort asked again). False when another sweep was first or the
    request or task moved on."""
    sets = {
        "escalated": True,
        "escalated_at": iso(now),
        "senior_only": True,
        "priority_class": priority_class,
        "decision_due": iso(decision_due),
    }
    timeline = entry(
        task, Actor.SYSTEM, "review-sla", now, "review.escalated", {"decision_due": task.decision_due}, why
    )
    return _commit(
        [
            rearm_op(request, next_due, now),
            escalation_op(task, sets, end_lease),
            timeline,
            *_asked_again(request, abort_of, now),
        ]
    )
