"""The conditional writes every review step is made of: the task (under the caller's lease, and
only if the caller may decide it), the request (while under review) and the history entry of a
review step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.states import Actor
from cancelflow.review import tasks
from cancelflow.review.claims import LEASE_ATTRS, decider_condition
from cancelflow.review.tasks import Reviewer
from cancelflow.store import ddb, history, keys, requests
from cancelflow.store.codec import plain


def _task_change(
    task: ddb.Item, now: datetime, sets: dict[str, Any], park: str | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What a review step sets on the task and what it removes."""
    sets = {**sets, "version": int(task["version"]) + 1, "updated_at": iso(now)}
    if park is None:
        return sets, ()
    return sets | {"status": park, **tasks.parked_attrs(park, now, task["task_id"])}, LEASE_ATTRS


def task_after(task: ddb.Item, now: datetime, sets: dict[str, Any], park: str | None) -> ddb.Item:
    """The task as ``task_update`` leaves it once committed (no read after the write)."""
    changed, removed = _task_change(task, now, sets, park)
    after: ddb.Item = {k: v for k, v in task.items() if k not in removed} | plain(changed)
    return after


def task_update(
    task: ddb.Item, reviewer: Reviewer, now: datetime, sets: dict[str, Any], park: str | None
) -> dict[str, Any]:
    """The task update, only while the caller's lease on the version read lasts and the caller
    may decide the task as stored (seniority). ``park`` (decided, waiting) moves the task out of
    the open pool and ends the lease."""
    cond, vals = decider_condition(reviewer, task, now)
    expr, names, set_vals = ddb.update_expression(*_task_change(task, now, sets, park))
    return {
        "Update": {
            "Key": tasks.task_key(task["task_id"]),
            "UpdateExpression": expr,
            "ConditionExpression": cond,
            "ExpressionAttributeNames": names | {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(vals | set_vals),
        }
    }


def request_update(request: ddb.Item, sets: dict[str, Any], decided: bool) -> dict[str, Any]:
    """The request update, only while it is under review; a decided request leaves the due index."""
    expr, names, vals = ddb.update_expression(sets, ("due_pk", "due_at") if decided else ())
    return {
        "Update": {
            "Key": ddb.key(keys.order_pk(request["order_id"]), keys.request_sk(request["request_id"])),
            "UpdateExpression": expr,
            "ConditionExpression": "#s = :ur",
            "ExpressionAttributeNames": names | {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(vals | {":ur": requests.UNDER_REVIEW}),
        }
    }


def review_entry(
    task: ddb.Item, actor: Actor, actor_id: str, at: datetime, event: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """The timeline entry of one review step, keyed by the task version it makes (so a replay
    of the same step cannot append twice)."""
    version = int(task["version"]) + 1
    return history.entry_put(
        task["order_id"],
        at=at,
        suffix=f"{task['task_id']}#v{version:06d}",
        event=event,
        actor=actor.value,
        actor_id=actor_id,
        reason=task.get("reason_code"),
        detail={"task_id": task["task_id"], "request_id": task["request_id"], **detail},
    )


def request_decided(
    request: ddb.Item, reviewer: Reviewer, now: datetime, status: str, note: str | None
) -> dict[str, Any]:
    """The request update of a decision (out of the due index); a rejection names who rejected
    (never the one to decide its appeal)."""
    sets: dict[str, Any] = {
        "status": status,
        "decided_by": reviewer.id,
        "decided_at": now,
        "decision_note": note,
        "updated_at": now,
    }
    if status == requests.REJECTED:
        sets |= {"rejected_by": reviewer.id, "rejected_at": now}
    return request_update(request, sets, decided=True)


def step(
    task: ddb.Item,
    request: ddb.Item,
    reviewer: Reviewer,
    now: datetime,
    sets: dict[str, Any],
    park: str | None,
    request_sets: dict[str, Any],
    event: str,
    detail: dict[str, Any],
) -> list[dict[str, Any]]:
    """A review step that leaves the order alone (ask the customer, turn into an appeal): the
    task, the request (still undecided) and the step's timeline entry, for one transaction."""
    return [
        task_update(task, reviewer, now, sets, park),
        request_update(request, request_sets, decided=False),
        review_entry(task, Actor.REVIEWER, reviewer.id, now, event, detail),
    ]
