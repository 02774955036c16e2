"""Claiming (a lease) and giving back, and who may decide a task: two reviewers never decide the
same task; an expired lease returns the task to the pool; senior-only tasks are for seniors.

claim-next is one Query of the open pool in priority order plus one conditional write (the
floor): an UpdateItem, or for a task's first claim a transaction that also puts the timeline
entry. A reviewer who loses a race tries another candidate of the same page, and after a
few losses reads the pool again, so 50 reviewers over 20 tasks cost few extra requests.
Leases are reviewer-internal: they are kept on the task (holder, until, claims count,
first_response_at), and only the first claim goes on the customer's timeline.
Integrations: DynamoDB.
"""

from __future__ import annotations

import random
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
MAX_LOSSES = 3  # lost races on one page before reading the pool again
MAX_ROUNDS = 20  # pages read at most, so a claim always answers


# lease_senior: whether the holder is a senior, so that an escalation (senior-only from then on)
# can end a plain reviewer's lease and keep a senior's (review.sla).
_LEASE = (
    "SET lease_holder = :me, lease_until = :until, lease_senior = :sen, last_claimed_at = :now, "
    "version = version + :one, claims = claims + :one, "
    "first_response_at = if_not_exists(first_response_at, :now)"
)
LEASE_ATTRS = ("lease_holder", "lease_until", "lease_senior")  # what ending a lease removes


def _lease(task: ddb.Item, reviewer: Reviewer, now: datetime, until: datetime) -> ddb.Item | None:
    """The lease, or None when someone else was faster; decided against the stored task: still
    open and nobody's live lease."""
    cond, vals = tasks.claimable_filter(reviewer)
    values = {
        **vals,
        ":me": reviewer.id,
        ":until": iso(until),
        ":sen": reviewer.senior,
        ":now": iso(now),
        ":one": 1,
        ":open": tasks.OPEN,
    }
    update = {
        "Key": tasks.task_key(task["task_id"]),
        "UpdateExpression": _LEASE,
        "ConditionExpression": f"#s = :open AND {cond}",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    if "first_response_at" not in task:
        return _first_lease(task, reviewer, now, update, values)
    return ddb.update({**update, "ExpressionAttributeValues": ddb.values(values)})


def _first_lease(
    task: ddb.Item, reviewer: Reviewer, now: datetime, update: dict[str, Any], values: dict[str, Any]
) -> ddb.Item | None:
    """The first claim of a task and its entry on the customer's timeline (when a reviewer first
    took the request up), in one transaction. Later leases are reviewer-internal churn, kept on
    the task (claims, last_claimed_at). The candidate came from the index, so the write is also
    conditioned on its version: the result is then exactly the candidate plus the lease, without
    a read after the write; a stale candidate counts as a lost race."""
    entry = history.entry_put(
        task["order_id"],
        at=now,
        suffix=f"{task['task_id']}#claimed",
        event="review.claimed",
        actor=Actor.REVIEWER.value,
        actor_id=reviewer.id,
        detail={"task_id": task["task_id"], "first_response_due": task.get("first_response_due")},
    )
    versioned = {
        **update,
        "ConditionExpression": f"{update['ConditionExpression']} AND version = :v",
        "ExpressionAttributeValues": ddb.values({**values, ":v": int(task["version"])}),
    }
    try:
        ddb.transact([{"Update": versioned}, entry])
    except ddb.TransactionFailed as e:
        if any(r in ddb.LOST_RACE for r in e.reasons):
            return None
        raise
    return {
        **task,
        "lease_holder": reviewer.id,
        "lease_until": values[":until"],
        "lease_senior": reviewer.senior,
        "last_claimed_at": values[":now"],
        "first_response_at": values[":now"],
        "version": int(task["version"]) + 1,
        "claims": int(task["claims"]) + 1,
    }


def claim_next(reviewer: Reviewer, now: datetime) -> ddb.Item:
    """Lease the highest-priority task this reviewer may take, or NO_TASK_AVAILABLE."""
    until = now + timedelta(minutes=get_settings().policies.review_lease_minutes)
    cond, vals = tasks.claimable_filter(reviewer)
    start = None
    for _round in range(MAX_ROUNDS):
        page, start = ddb.query(
            GSI_STATUS,
            "status_pk = :p",
            {":p": keys.status_pk("REVIEW", tasks.OPEN), ":now": iso(now), **vals},
            limit=PAGE,
            start=start,
            filter_expression=cond,
        )
        losses = 0
        while page and losses < MAX_LOSSES:
            # The top candidate first; after a lost race, a random one of the rest, so that
            # reviewers arriving together spread out instead of all colliding on each next one.
            task = page.pop(random.randrange(len(page)) if losses else 0)
            leased = _lease(task, reviewer, now, until)
            if leased is not None:
                return leased
            losses += 1
        if losses >= MAX_LOSSES:
            start = None  # this page is contended: read the pool again (the taken ones drop out)
            continue
        if not start:
            break
    raise DomainError("NO_TASK_AVAILABLE")


def holder_condition(reviewer: Reviewer, task: ddb.Item, now: datetime) -> tuple[str, dict[str, Any]]:
    """The write-time check that the caller still holds the lease on this version."""
    return (
        "lease_holder = :me AND lease_until > :now AND version = :v AND #s = :st",
        {":me": reviewer.id, ":now": iso(now), ":v": int(task["version"]), ":st": task["status"]},
    )


def decider_condition(reviewer: Reviewer, task: ddb.Item, now: datetime) -> tuple[str, dict[str, Any]]:
    """The write-time check of every review step: the caller holds the lease on this version and
    may decide the task as stored (``require_may_decide``), so a task escalated between the read
    and the write is refused by the write itself. A missing flag counts as senior-only."""
    cond, vals = holder_condition(reviewer, task, now)
    if not reviewer.senior:
        return f"{cond} AND senior_only = :nsf", vals | {":nsf": False}
    return f"{cond} AND (attribute_not_exists(rejected_by) OR rejected_by <> :me)", vals


def require_may_decide(task: ddb.Item, reviewer: Reviewer) -> None:
    """Senior-only tasks (appeals against a rejection, escalations) are for seniors; an appeal
    against a rejection never for the reviewer who rejected (the rule ``decider_condition``
    writes)."""
    senior_only = task.get("senior_only", True) is not False
    if (senior_only and not reviewer.senior) or task.get("rejected_by") == reviewer.id:
        raise DomainError("FORBIDDEN", {"task_id": task["task_id"], "needs": "senior_reviewer"})


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
    released = ddb.update(
        {
            "Key": tasks.task_key(task_id),
            "UpdateExpression": "SET version = :nv, released_at = :rel REMOVE " + ", ".join(LEASE_ATTRS),
            "ConditionExpression": cond,
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {**vals, ":nv": int(task["version"]) + 1, ":rel": iso(now)}
            ),
        }
    )
    if released is None:
        raise DomainError("LEASE_NOT_HELD", {"task_id": task_id})
    return released
