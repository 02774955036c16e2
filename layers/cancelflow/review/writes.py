"""The conditional writes every review step is made of: the task (under the caller's lease),
the request (while under review) and the history entry of a review step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.states import Actor
from cancelflow.review import tasks
from cancelflow.review.claims import holder_condition
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
    return sets | {"status": park, **tasks.parked_attrs(park, now, task["task_id"])}, (
        "lease_holder",
        "lease_until",
    )


def task_after(task: ddb.Item, now: datetime, sets: dict[str, Any], park: str | None) -> ddb.Item:
    """The task as ``task_update`` leaves it once committed (no read after the write)."""
    changed, removed = _task_change(task, now, sets, park)
    after: ddb.Item = {k: v for k, v in task.items() if k not in removed} | plain(changed)
    return after


def task_update(
    task: ddb.Item, reviewer: Reviewer, now: datetime, sets: dict[str, Any], park: str | None
) -> dict[str, Any]:
    """The task update, only while the caller's lease on the version read lasts. ``park``
    (decided, waiting) moves the task out of the open pool and ends the lease."""
    cond, vals = holder_condition(reviewer, task, now)
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
