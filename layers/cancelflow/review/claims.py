"""Claiming (a lease) and giving back. DOMAIN.md, "Claiming": two reviewers never decide the
same task; an expired lease returns the task to the pool.

claim-next is one Query of the open pool in priority order plus one conditional write (a
transaction of the lease and its history entry). A reviewer who loses a race moves on to
the next candidate of the same page, so 50 reviewers over 20 tasks cost few extra requests.
Integrations: DynamoDB.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.review import tasks
from cancelflow.review.tasks import Reviewer
from cancelflow.settings import get_settings
from cancelflow.store import ddb, history, keys
from cancelflow.store.schema import GSI_STATUS

PAGE = 25  # candidates read per query; reviewers holding leases on top are filtered out


def _lease_ops(task: ddb.Item, reviewer: Reviewer, now: datetime, until: datetime) -> list[dict[str, Any]]:
    version = int(task["version"]) + 1
    cond, vals = tasks.claimable_filter(reviewer)
    update = {
        "Update": {
            "Key": tasks.task_key(task["task_id"]),
            "UpdateExpression": (
                "SET lease_holder = :me, lease_until = :until, last_claimed_at = :now, "
                "version = :nv, claims = claims + :one, "
                "first_response_at = if_not_exists(first_response_at, :now)"
            ),
            # decided against the stored task: still open, nobody's live lease, same version
            "ConditionExpression": f"#s = :open AND version = :v AND {cond}",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    **vals,
                    ":me": reviewer.id,
                    ":until": iso(until),
                    ":now": iso(now),
                    ":nv": version,
                    ":v": int(task["version"]),
                    ":one": 1,
                    ":open": tasks.OPEN,
                }
            ),
        }
    }
    entry = history.entry_put(
        task["order_id"],
        at=now,
        suffix=f"{task['task_id']}#v{version:06d}",
        event="review.claimed",
        actor=Actor.REVIEWER.value,
        actor_id=reviewer.id,
        detail={"task_id": task["task_id"], "lease_until": iso(until)},
    )
    return [update, entry]


def claim_next(reviewer: Reviewer, now: datetime) -> ddb.Item:
    """Lease the highest-priority task this reviewer may take, or NO_TASK_AVAILABLE."""
    until = now + timedelta(minutes=get_settings().policies.review_lease_minutes)
    cond, vals = tasks.claimable_filter(reviewer)
    start = None
    while True:
        page, start = ddb.query(
            GSI_STATUS,
            "status_pk = :p",
            {":p": keys.status_pk("REVIEW", tasks.OPEN), ":now": iso(now), **vals},
            limit=PAGE,
            start=start,
            filter_expression=cond,
        )
        for task in page:
            try:
                ddb.transact(_lease_ops(task, reviewer, now, until))
            except ddb.TransactionFailed:
                continue  # someone else took it (or it changed): the next one
            version = int(task["version"]) + 1
            first = task.get("first_response_at") or iso(now)
            return task | {
                "lease_holder": reviewer.id,
                "lease_until": iso(until),
                "last_claimed_at": iso(now),
                "first_response_at": first,
                "version": version,
                "claims": int(task.get("claims", 0)) + 1,
            }
        if not start:
            raise DomainError("NO_TASK_AVAILABLE")


def holder_condition(reviewer: Reviewer, task: ddb.Item, now: datetime) -> tuple[str, dict[str, Any]]:
    """The write-time check that the caller still holds the lease on this version."""
    return (
        "lease_holder = :me AND lease_until > :now AND version = :v AND #s = :st",
        {":me": reviewer.id, ":now": iso(now), ":v": int(task["version"]), ":st": task["status"]},
    )


def require_lease(task: ddb.Item, reviewer: Reviewer, now: datetime) -> None:
    if task["status"] == tasks.DECIDED:
        raise DomainError(
            "TASK_ALREADY_DECIDED", {"task_id": task["task_id"], "outcome": task.get("outcome")}
        )
    if task.get("lease_holder") != reviewer.id or not tasks.lease_live(task, now):
        raise DomainError(
            "LEASE_NOT_HELD", {"task_id": task["task_id"], "status": tasks.shown_status(task, now)}
        )


def release(task_id: str, reviewer: Reviewer, now: datetime) -> ddb.Item:
    """Give a claimed task back to the pool at once (instead of waiting for the lease)."""
    task = tasks.get_task(task_id)
    require_lease(task, reviewer, now)
    cond, vals = holder_condition(reviewer, task, now)
    version = int(task["version"]) + 1
    ops = [
        {
            "Update": {
                "Key": tasks.task_key(task_id),
                "UpdateExpression": "SET version = :nv REMOVE lease_holder, lease_until",
                "ConditionExpression": cond,
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": ddb.values({**vals, ":nv": version}),
            }
        },
        history.entry_put(
            task["order_id"],
            at=now,
            suffix=f"{task_id}#v{version:06d}",
            event="review.released",
            actor=Actor.REVIEWER.value,
            actor_id=reviewer.id,
            detail={"task_id": task_id},
        ),
    ]
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed as e:
        raise DomainError("LEASE_NOT_HELD", {"task_id": task_id}) from e
    fresh = tasks.get_task(task_id)
    return fresh
