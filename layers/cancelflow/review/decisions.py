"""A reviewer decides a task: approve, reject or ask the customer for more.

Every outcome is one transaction against the stored state: the task (only while the caller
holds a live lease on the version read), the request (only while under review), the order
(its version and its hold by this request) and the history. What approval does depends on the
order as stored, not on what the request once asked:
- paid or delivering: cancel, release reserved stock, lift the hold, create the full refund;
- delivered or completed, appeal or after-sales: a refund only (full or partial), no cancel;
- delivered or completed, cancel or stop-delivery: the delivery won the race, so the task
  turns into an appeal (never cancel a delivered order) and the reviewer decides again.
This module decides which step a decision is and checks it; each step's writes and their
conditions are one function of ``cancelflow.store.review_decisions``. Integrations: DynamoDB
(one BatchGetItem, one transaction; through ``cancelflow.store``), SQS (the refund queue).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictBool

from cancelflow import dispatch
from cancelflow.clock import parse
from cancelflow.domain import appeals
from cancelflow.domain.reasons import MAX_DESCRIPTION
from cancelflow.domain.states import VALUE_MOVED, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.fields import Fen, FreeText, Model
from cancelflow.review import tasks
from cancelflow.review.claims import require_lease, require_may_decide
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.settings import get_settings
from cancelflow.store import refunds, requests, review_decisions
from cancelflow.store.review_decisions import Decided, Step

REFUND_ONLY = tasks.REFUND_ONLY


class Checklist(Model):
    """The three checks every approval needs: order status, evidence, refund path."""

    # Strict: a check is ticked by JSON true only, never by "yes", "on" or 1.
    model_config = ConfigDict(extra="forbid", frozen=True)
    order_status_verified: StrictBool = False
    evidence_judged: StrictBool = False
    refund_path_confirmed: StrictBool = False

    def missing(self) -> list[str]:
        return [k for k, v in self.model_dump().items() if not v]


class Decision(Model):
    """The body of ``POST /v1/reviews/{task_id}/decision``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    outcome: Literal["approve", "reject", "need_info"]
    checklist: Checklist = Field(default_factory=Checklist)
    note: FreeText | None = Field(default=None, max_length=MAX_DESCRIPTION)
    # partial: appeals and after-sales; fen, a JSON integer only (not true, "100" or 100.0)
    refund_amount: Fen | None = None  # one rule for every money field (http.fields)


def _check(task: Task, reviewer: Reviewer, d: Decision, now: datetime) -> None:
    # A clear 403 up front; the task's write condition enforces the same (store.review_steps.step_op).
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


def _verdict(d: Decision) -> review_decisions.Verdict:
    return review_decisions.Verdict(d.checklist.model_dump(), d.note)


def _approve(step: Step, d: Decision) -> Decided:
    task, order = step.task, step.order
    if order.status in (OrderStatus.PAID, OrderStatus.DELIVERING):
        if d.refund_amount is not None:
            raise DomainError(
                ErrorCode.AMOUNT_NOT_ALLOWED,
                {"field": "refund_amount", "why": "a cancellation refunds in full"},
            )
        return review_decisions.approve_cancel(step, _verdict(d))
    if order.status in VALUE_MOVED and task.action not in REFUND_ONLY:
        # delivery completed before the decision: the request becomes an appeal, still leased
        return review_decisions.convert_to_appeal(step)
    if order.status not in VALUE_MOVED:
        raise DomainError(ErrorCode.ORDER_NOT_CANCELLABLE, {"status": order.status.value})
    amount = d.refund_amount or task.requested_amount or order.refundable
    refunds.check_refundable(order, amount)
    return review_decisions.approve_refund(
        step,
        _verdict(d),
        amount=amount,
        ends_rejection=appeals.ends_rejection(order, task.request_id),
    )


def _reject(step: Step, d: Decision) -> Decided:
    # The rejection stands on the order: the way on is its appeal, not the same ask anew.
    rejection = appeals.rejection(step.task.request_id, step.task.action, step.request.appeal_used)
    return review_decisions.reject(step, _verdict(d), rejection=rejection)


def _need_info(step: Step, d: Decision) -> Decided:
    """Ask the customer; the SLA clock stops (what is left is kept) until they answer through
    POST .../answer (cancelflow.cancel.answer_question). The order stays held, and the request
    stays due by the time the customer has to answer."""
    task, order, now = step.task, step.order, step.now
    policy = get_settings().policies.for_order(order)
    remaining = max(0, int((parse(task.decision_due) - now).total_seconds() * 1000))
    return review_decisions.ask_customer(
        step,
        question=d.note,
        answer_by=now + timedelta(hours=policy.review_need_info_hours),
        sla_remaining_ms=remaining,
    )


_OUTCOMES = {"approve": _approve, "reject": _reject, "need_info": _need_info}


def decide(task_id: str, reviewer: Reviewer, d: Decision, now: datetime) -> dict[str, Any]:
    """Carry out a decision; returns the outcome, the refund id (if any) and the task as left."""
    task = tasks.get_task(task_id)
    _check(task, reviewer, d, now)
    order, request = review_decisions.for_decision(task)
    if order.abort_requested_at is not None and order.open_request_id == task.request_id:
        # fulfilment was asked to stop; only its answer knows whether the value went out
        # (docs/domain.md, "Stop delivery"). The write's version condition holds the same.
        raise DomainError(
            ErrorCode.ABORT_PENDING, {"task_id": task_id, "abort_requested_at": order.abort_requested_at}
        )
    if request.status == requests.WITHDRAWN:  # withdrawn between the task's read and this one
        raise DomainError(ErrorCode.REQUEST_WITHDRAWN, {"task_id": task_id, "request_id": task.request_id})
    if request.status != requests.UNDER_REVIEW:
        raise DomainError(
            ErrorCode.TASK_ALREADY_DECIDED, {"task_id": task_id, "request_status": request.status.value}
        )
    try:
        done = _OUTCOMES[d.outcome](Step(task, request, order, reviewer, now), d)
    except (review_decisions.TransactionFailed, DomainError) as e:
        if isinstance(e, DomainError) and e.code != ErrorCode.CONFLICT:
            raise
        _explain(task_id, reviewer, now)
        raise DomainError(ErrorCode.CONFLICT, {"task_id": task_id, "order_status": order.status.value}) from e
    for refund_id in done.refund_ids:  # one per trade refunded
        dispatch.send_refund(refund_id)
    return {
        "outcome": done.outcome,
        "refund_id": done.refund_id,
        "order_status": done.order.status.value,
        "task": tasks.view(done.task, now),  # as written (a conversion keeps its lease)
    }


def _explain(task_id: str, reviewer: Reviewer, now: datetime) -> None:
    """A write that lost: say why from the task as it is now (escalated to seniors, lease gone,
    decided, or withdrawn by the customer)."""
    fresh = tasks.get_task(task_id)
    require_may_decide(fresh, reviewer)
    require_lease(fresh, reviewer, now)
