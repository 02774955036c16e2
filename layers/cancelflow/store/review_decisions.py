"""The writes of a reviewer's decision, one function per step and one transaction each: the
task (only while the caller holds a live lease on the version read and may decide it,
``review_steps.step_op``), the request (only while under review), the order (its version and
status read, and its hold by this request) and the timeline. Which step a decision is, and
its checks: ``cancelflow.review.decisions``.

- ``approve_cancel``: a paid or delivering order cancelled with its full refund, stock released;
- ``approve_refund``: a refund only (the value has moved), which ends a rejection it upholds;
- ``reject``: the rejection stands on the order, the hold is lifted;
- ``convert_to_appeal``: delivery won the race, the task (still leased) becomes an appeal;
- ``ask_customer``: the task waits for the customer, the request stays due until they answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from cancelflow.domain.actions import Action
from cancelflow.domain.models import Order, Rejection
from cancelflow.domain.products import RefundTo
from cancelflow.domain.risk import counts_when_approved
from cancelflow.domain.states import Actor
from cancelflow.store import customers, ddb, keys, orders, refunds, requests, tasks
from cancelflow.store.codec import decode
from cancelflow.store.ddb import TransactionFailed as TransactionFailed  # what a step refused raises
from cancelflow.store.requests import Request
from cancelflow.store.review_steps import after, entry, request_decided, request_update, step_op
from cancelflow.store.tasks import Reviewer, Task

APPROVED, CONVERTED = "approved", "converted_to_appeal"
REJECTED, NEED_INFO = requests.REJECTED, requests.NEED_INFO  # outcomes that are request statuses


class Step(NamedTuple):
    """What every decision is written against, as read: the task (leased by ``reviewer``), its
    request and order, and the time of the decision."""

    task: Task
    request: Request
    order: Order
    reviewer: Reviewer
    now: datetime


class Verdict(msgspec.Struct, frozen=True):
    """What the reviewer said: the checks ticked and the note (why, or what to ask)."""

    checklist: Mapping[str, bool]
    note: str | None


class Decided(msgspec.Struct, frozen=True):
    """What a step left: its outcome, the order, the task as written (no read after the
    write) and the refund it created, if any."""

    outcome: str
    order: Order
    task: Task
    refund_ids: tuple[str, ...] = ()  # one per trade refunded, the applied trade's first

    @property
    def refund_id(self) -> str | None:
        return self.refund_ids[0] if self.refund_ids else None


def for_decision(task: Task) -> tuple[Order, Request]:
    """The order and the request a decision acts on (one BatchGetItem)."""
    order_key = (keys.order_pk(task.order_id), keys.ORDER)
    req_key = (keys.order_pk(task.order_id), keys.request_sk(task.request_id))
    found = ddb.batch_get([order_key, req_key])
    return decode(Order, found[order_key]), requests.of_item(found[req_key])


def _held_by(request_id: str) -> dict[str, Any]:
    """``orders.Change``'s condition that the order is still held by this request (a decision
    acts on an order only while its request holds it)."""
    return {"condition": "open_request_id = :rid", "cond_values": {":rid": request_id}}


def _decided(reviewer: Reviewer, v: Verdict, now: datetime, outcome: str, **more: Any) -> dict[str, Any]:
    """What a decision sets on the task."""
    return {
        "outcome": outcome,
        "decided_by": reviewer.id,
        "decided_at": now,
        "checklist": dict(v.checklist),
        "note": v.note,
        **more,
    }


def uncounted(request: Request) -> list[dict[str, Any]]:
    """An approved platform fault is taken back from the customer's risk, on the day the
    request was made and counted (``domain/risk.counts_when_approved``); in the approval's own
    transaction, so it happens exactly when the approval does."""
    if counts_when_approved(request.reason_code):
        return []
    return [customers.uncount_request_op(request.customer_id, request.created_at)]


def approve_cancel(step: Step, verdict: Verdict) -> Decided:
    """Approve on a paid or delivering order: cancelled by the reviewer with its full refund,
    reserved stock released, the hold lifted, the task and the request decided."""
    task, request, order, reviewer, now = step
    rid = task.request_id
    amount = order.refundable
    sets = _decided(reviewer, verdict, now, APPROVED, refund_amount=amount, order_cancelled=True)
    done, refund_ids = orders.cancel_with_refunds(
        order,
        now,
        actor=Actor.REVIEWER,
        actor_id=reviewer.id,
        reason=task.reason_code,
        refund_to=RefundTo(task.refund_to),
        request_id=rid,
        extra=[
            step_op(task, reviewer, now, sets, tasks.DECIDED),
            request_decided(request, reviewer, now, APPROVED, verdict.note),
            entry(
                task,
                Actor.REVIEWER,
                reviewer.id,
                now,
                "review.decided",
                {"outcome": APPROVED, "amount": amount, "order_cancelled": True},
            ),
            *uncounted(request),
        ],
        **_held_by(rid),
    )
    return Decided(APPROVED, done, after(task, now, sets, tasks.DECIDED), refund_ids)


def approve_refund(
    step: Step,
    verdict: Verdict,
    *,
    amount: int,
    ends_rejection: bool,
) -> Decided:
    """Approve on an order whose value has moved: a refund of ``amount`` (checked refundable
    by the caller), no cancellation, the hold lifted; ``ends_rejection``: the rejection that
    stands on the order is ended (an upheld appeal against it)."""
    task, request, order, reviewer, now = step
    rid = task.request_id
    owed = refunds.owe(
        order,
        amount,
        refund_to=RefundTo(task.refund_to),
        reason=task.reason_code,
        source=Actor.REVIEWER.value,
        now=now,
        request_id=rid,
    )
    refund_id = owed.refund_id
    sets = _decided(
        reviewer, verdict, now, APPROVED, refund_amount=amount, refund_id=refund_id, order_cancelled=False
    )
    change = orders.Change(
        order,
        None,  # value has moved: a refund, never a cancellation
        "review.decided",
        Actor.REVIEWER,
        reviewer.id,
        now,
        reason=task.reason_code,
        set_=owed.sets,
        remove=["open_request_id", *(["rejection"] if ends_rejection else [])],
        detail={
            "task_id": task.task_id,
            "request_id": rid,
            "outcome": APPROVED,
            "amount": amount,
            **owed.named(),
            "order_cancelled": False,
        },
        **_held_by(rid),
    )
    done = orders.run(
        change,
        [
            *owed.ops,
            step_op(task, reviewer, now, sets, tasks.DECIDED),
            request_decided(request, reviewer, now, APPROVED, verdict.note),
            *uncounted(request),
        ],
    )
    return Decided(APPROVED, done, after(task, now, sets, tasks.DECIDED), owed.refund_ids)


def reject(
    step: Step,
    verdict: Verdict,
    *,
    rejection: Rejection,
) -> Decided:
    """Reject: ``rejection`` stands on the order (the way on is its appeal, not the same ask
    anew), the hold is lifted (delivery goes on), the task and the request decided."""
    task, request, order, reviewer, now = step
    rid = task.request_id
    sets = _decided(reviewer, verdict, now, REJECTED)
    change = orders.Change(
        order,
        None,
        "review.decided",
        Actor.REVIEWER,
        reviewer.id,
        now,
        reason=task.reason_code,
        set_={"rejection": rejection},
        remove=["open_request_id"],
        detail={"task_id": task.task_id, "request_id": rid, "outcome": REJECTED, "note": verdict.note},
        **_held_by(rid),
    )
    done = orders.run(
        change,
        [
            step_op(task, reviewer, now, sets, tasks.DECIDED),
            request_decided(request, reviewer, now, REJECTED, verdict.note),
        ],
    )
    return Decided(REJECTED, done, after(task, now, sets, tasks.DECIDED))


def _undecided_step(
    task: Task,
    request: Request,
    reviewer: Reviewer,
    now: datetime,
    sets: dict[str, Any],
    park: tasks.TaskStatus | None,
    request_sets: dict[str, Any],
    event: str,
    detail: dict[str, Any],
) -> Task:
    """A step that leaves the order alone: the task (under the caller's lease), the request
    (still undecided) and the step's timeline entry, in one transaction; the task as left."""
    ddb.transact(
        [
            step_op(task, reviewer, now, sets, park),
            request_update(request, request_sets, decided=False),
            entry(task, Actor.REVIEWER, reviewer.id, now, event, detail),
        ]
    )
    return after(task, now, sets, park)


def convert_to_appeal(step: Step) -> Decided:
    """Delivery completed before the decision: the request becomes an appeal, the task keeps
    its lease (the reviewer decides again)."""
    task, request, order, reviewer, now = step
    sets = {"action": Action.APPEAL.value, "converted_from": task.action}
    req_sets = {"converted_to_appeal": True, "updated_at": now}
    detail = {"from_action": task.action, "order_status": order.status.value}
    left = _undecided_step(
        task, request, reviewer, now, sets, None, req_sets, "review.converted_to_appeal", detail
    )
    return Decided(CONVERTED, order, left)


def ask_customer(
    step: Step,
    *,
    question: str | None,
    answer_by: datetime,
    sla_remaining_ms: int,
) -> Decided:
    """Ask the customer ``question``: the task waits (keeping what was left of its SLA), the
    request stays in the due index until ``answer_by``, so an unanswered question is escalated
    rather than holding the order for ever. The order stays held."""
    task, request, order, reviewer, now = step
    sets = {
        "info_request": question,
        "info_asked_at": now,
        "info_asked_by": reviewer.id,
        "sla_remaining_ms": sla_remaining_ms,
    }
    req_sets = {
        "status": NEED_INFO,
        "info_request": question,
        "info_asked_at": now,
        "due_at": answer_by,
        "updated_at": now,
    }
    detail = {"question": question, "answer_by": answer_by}
    left = _undecided_step(
        task, request, reviewer, now, sets, tasks.WAITING, req_sets, "review.need_info", detail
    )
    return Decided(NEED_INFO, order, left)
