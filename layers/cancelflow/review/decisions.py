"""A reviewer decides a task: approve, reject or ask the customer for more.

Every outcome is one transaction against the stored state: the task (only while the caller
holds a live lease on the version read), the request (only while under review), the order
(its version and its hold by this request) and the history. What approval does depends on the
order as stored, not on what the request once asked:
- paid or delivering: cancel, release reserved stock, lift the hold, create the full refund;
- delivered or completed, appeal or after-sales: a refund only (full or partial), no cancel;
- delivered or completed, cancel or stop-delivery: the delivery won the race, so the task
  turns into an appeal (never cancel a delivered order) and the reviewer decides again.
Integrations: DynamoDB (one BatchGetItem, one transaction; through ``cancelflow.store``), SQS
(the refund queue).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from cancelflow import dispatch
from cancelflow.clock import parse
from cancelflow.domain.models import Order, Rejection
from cancelflow.domain.options import Action
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import MAX_DESCRIPTION
from cancelflow.domain.states import VALUE_MOVED, Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.fields import Fen, FreeText
from cancelflow.review import tasks, writes
from cancelflow.review.claims import require_lease, require_may_decide
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.settings import get_settings
from cancelflow.store import orders, refunds, requests, review_steps
from cancelflow.store.requests import Request
from cancelflow.store.review_steps import entry, request_decided, step_op

APPROVED, CONVERTED = "approved", "converted_to_appeal"
REJECTED, NEED_INFO = requests.REJECTED, requests.NEED_INFO  # outcomes that are request statuses
REFUND_ONLY = tasks.REFUND_ONLY


class Checklist(BaseModel):
    """The three checks every approval needs: order status, evidence, refund path."""

    # Strict: a check is ticked by JSON true only, never by "yes", "on" or 1.
    model_config = ConfigDict(extra="forbid", frozen=True)
    order_status_verified: StrictBool = False
    evidence_judged: StrictBool = False
    refund_path_confirmed: StrictBool = False

    def missing(self) -> list[str]:
        return [k for k, v in self.model_dump().items() if not v]


class Decision(BaseModel):
    """The body of ``POST /v1/reviews/{task_id}/decision``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    outcome: Literal["approve", "reject", "need_info"]
    checklist: Checklist = Field(default_factory=Checklist)
    note: FreeText | None = Field(default=None, max_length=MAX_DESCRIPTION)
    # partial: appeals and after-sales; fen, a JSON integer only (not true, "100" or 100.0)
    refund_amount: Fen | None = None  # one rule for every money field (http.fields)


def _check(task: Task, reviewer: Reviewer, d: Decision, now: datetime) -> None:
    # A clear 403 up front; the task's write condition enforces the same (review_steps.step_op).
    require_may_decide(task, reviewer)
    require_lease(task, reviewer, now)
    if d.outcome == "approve" and d.checklist.missing():
        raise DomainError(
            ErrorCode.CHECKLIST_INCOMPLETE, {"field": "checklist", "missing": d.checklist.missing()}
        )
    if d.outcome != "approve" and not (d.note or "").strip():
        raise DomainError(
            ErrorCode.VALIDATION_FAILED, {"field": "note", "why": "say why (reject) or what (need_info)"}
        )


def _decided_sets(
    reviewer: Reviewer, d: Decision, now: datetime, outcome: str, **more: Any
) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "decided_by": reviewer.id,
        "decided_at": now,
        "checklist": d.checklist.model_dump(),
        "note": d.note,
        **more,
    }


def _approve(
    task: Task, request: Request, order: Order, reviewer: Reviewer, d: Decision, now: datetime
) -> dict[str, Any]:
    rid = task.request_id
    refund_to = RefundTo(task.refund_to)
    if order.status in (OrderStatus.PAID, OrderStatus.DELIVERING):
        if d.refund_amount is not None:
            raise DomainError(
                ErrorCode.AMOUNT_NOT_ALLOWED,
                {"field": "refund_amount", "why": "a cancellation refunds in full"},
            )
        amount = order.refundable
        sets = _decided_sets(reviewer, d, now, APPROVED, refund_amount=amount, order_cancelled=True)
        done, refund_id = orders.cancel_with_refund(
            order,
            now,
            actor=Actor.REVIEWER,
            actor_id=reviewer.id,
            reason=task.reason_code,
            refund_to=refund_to,
            request_id=rid,
            extra=[
                step_op(task, reviewer, now, sets, tasks.DECIDED),
                request_decided(request, reviewer, now, APPROVED, d.note),
                entry(
                    task,
                    Actor.REVIEWER,
                    reviewer.id,
                    now,
                    "review.decided",
                    {"outcome": APPROVED, "amount": amount, "order_cancelled": True},
                ),
            ],
            **review_steps.held_by(rid),
        )
        return {
            "outcome": APPROVED,
            "refund_id": refund_id,
            "refund_amount": amount,
            "order": done,
            "sets": sets,
        }
    if order.status in VALUE_MOVED and task.action not in REFUND_ONLY:
        return _convert(task, request, order, reviewer, now)
    if order.status not in VALUE_MOVED:
        raise DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, {"status": order.status.value})
    amount = d.refund_amount or task.requested_amount or order.refundable
    refunds.check_refundable(order, amount)
    refund_id, put = refunds.create(
        order,
        amount=amount,
        refund_to=refund_to,
        reason=task.reason_code,
        source=Actor.REVIEWER.value,
        now=now,
        request_id=rid,
    )
    sets = _decided_sets(
        reviewer, d, now, APPROVED, refund_amount=amount, refund_id=refund_id, order_cancelled=False
    )
    change = orders.Change(
        order,
        None,  # value has moved: a refund, never a cancellation
        "review.decided",
        Actor.REVIEWER,
        reviewer.id,
        now,
        reason=task.reason_code,
        set_={"refunded_amount": order.refunded_amount + amount},
        # an upheld appeal against a rejection ends that rejection
        remove=["open_request_id", *(["rejection"] if _rejected_by_this(order, rid) else [])],
        detail={
            "task_id": task.task_id,
            "request_id": rid,
            "outcome": APPROVED,
            "amount": amount,
            "refund_id": refund_id,
            "order_cancelled": False,
        },
        **review_steps.held_by(rid),
    )
    done = orders.run(
        change,
        [
            put,
            step_op(task, reviewer, now, sets, tasks.DECIDED),
            request_decided(request, reviewer, now, APPROVED, d.note),
        ],
    )
    return {"outcome": APPROVED, "refund_id": refund_id, "refund_amount": amount, "order": done, "sets": sets}


def _rejected_by_this(order: Order, request_id: str) -> bool:
    return order.rejection is not None and order.rejection.request_id == request_id


def _convert(task: Task, request: Request, order: Order, reviewer: Reviewer, now: datetime) -> dict[str, Any]:
    """Delivery completed before the decision: the request becomes an appeal, still leased."""
    sets = {"action": Action.APPEAL.value, "converted_from": task.action}
    req_sets = {"converted_to_appeal": True, "updated_at": now}
    detail = {"from_action": task.action, "order_status": order.status.value}
    review_steps.commit(
        writes.step(task, request, reviewer, now, sets, None, req_sets, "review.converted_to_appeal", detail)
    )
    return {"outcome": CONVERTED, "refund_id": None, "order": order, "sets": sets}


def _reject(
    task: Task, request: Request, order: Order, reviewer: Reviewer, d: Decision, now: datetime
) -> dict[str, Any]:
    rid = task.request_id
    sets = _decided_sets(reviewer, d, now, REJECTED)
    change = orders.Change(
        order,
        None,
        "review.decided",
        Actor.REVIEWER,
        reviewer.id,
        now,
        reason=task.reason_code,
        # The rejection stands on the order: the way on is its appeal, not the same ask anew.
        set_={"rejection": Rejection(rid, task.action, appeal_used=request.appeal_used)},
        remove=["open_request_id"],  # the hold is lifted: delivery goes on
        detail={"task_id": task.task_id, "request_id": rid, "outcome": REJECTED, "note": d.note},
        **review_steps.held_by(rid),
    )
    done = orders.run(
        change,
        [
            step_op(task, reviewer, now, sets, tasks.DECIDED),
            request_decided(request, reviewer, now, REJECTED, d.note),
        ],
    )
    return {"outcome": REJECTED, "refund_id": None, "order": done, "sets": sets}


def _need_info(
    task: Task, request: Request, order: Order, reviewer: Reviewer, d: Decision, now: datetime
) -> dict[str, Any]:
    """Ask the customer; the SLA clock stops (what is left is kept) until they answer through
    POST .../answer (cancelflow.cancel.answer_question). The order stays held."""
    policy = get_settings().policies.for_type(order.product_type)
    remaining = max(0, int((parse(task.decision_due) - now).total_seconds() * 1000))
    sets = {
        "info_request": d.note,
        "info_asked_at": now,
        "info_asked_by": reviewer.id,
        "sla_remaining_ms": remaining,
    }
    # The request stays in the due index with the time the customer has to answer, so an
    # unanswered question is escalated rather than holding the order for ever.
    wait_until = now + timedelta(hours=policy.review_need_info_hours)
    req_sets = {
        "status": NEED_INFO,
        "info_request": d.note,
        "info_asked_at": now,
        "due_at": wait_until,
        "updated_at": now,
    }
    detail = {"question": d.note, "answer_by": wait_until}
    review_steps.commit(
        writes.step(task, request, reviewer, now, sets, tasks.WAITING, req_sets, "review.need_info", detail)
    )
    return {"outcome": NEED_INFO, "refund_id": None, "order": order, "sets": sets}


_OUTCOMES = {"approve": _approve, "reject": _reject, "need_info": _need_info}


def decide(task_id: str, reviewer: Reviewer, d: Decision, now: datetime) -> dict[str, Any]:
    """Carry out a decision; returns the outcome, the refund id (if any) and the task as left."""
    task = tasks.get_task(task_id)
    _check(task, reviewer, d, now)
    order, request = review_steps.for_decision(task)
    if request.status != requests.UNDER_REVIEW:
        raise DomainError(
            ErrorCode.TASK_ALREADY_DECIDED, {"task_id": task_id, "request_status": request.status.value}
        )
    try:
        result = _OUTCOMES[d.outcome](task, request, order, reviewer, d, now)
    except (review_steps.TransactionFailed, DomainError) as e:
        if isinstance(e, DomainError) and e.code != ErrorCode.CONFLICT:
            raise
        _explain(task_id, reviewer, now)
        raise DomainError(ErrorCode.CONFLICT, {"task_id": task_id, "order_status": order.status.value}) from e
    dispatch.send_refund(result["refund_id"])
    park = {APPROVED: tasks.DECIDED, REJECTED: tasks.DECIDED, NEED_INFO: tasks.WAITING}.get(result["outcome"])
    left = review_steps.after(task, now, result["sets"], park)  # a conversion keeps its lease
    return {
        "outcome": result["outcome"],
        "refund_id": result["refund_id"],
        "order_status": result["order"].status.value,
        "task": tasks.view(left, now),
    }


def _explain(task_id: str, reviewer: Reviewer, now: datetime) -> None:
    """A write that lost: say why from the task as it is now (escalated to seniors, lease gone,
    or decided)."""
    fresh = tasks.get_task(task_id)
    require_may_decide(fresh, reviewer)
    require_lease(fresh, reviewer, now)
