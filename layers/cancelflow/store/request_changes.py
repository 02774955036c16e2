"""What a customer does to a request after submitting it, each one transaction written against
the request (and order, or task) as stored: the one appeal against a rejection
(docs/domain.md, "Appeals"), the answer to a reviewer's question (docs/domain.md, "Review") and
the withdrawal of a request still waiting for its decision (docs/domain.md, "Withdrawal").
Whether each is allowed is the cancel step's (``cancelflow.cancel``); these writes refuse it
again if the stored request moved on since it was read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.domain import stop_delivery
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import abort_requests, customers, ddb, keys, review_steps, tasks
from cancelflow.store.codec import plain
from cancelflow.store.history import HistoryEvent
from cancelflow.store.orders.changes import Change, Op, run
from cancelflow.store.requests import (
    NEED_INFO,
    REJECTED,
    UNDER_REVIEW,
    WITHDRAWN,
    Answer,
    Appeal,
    Request,
    review_due,
    stored,
)
from cancelflow.store.tasks import Task


def _key(request: Request) -> dict[str, Any]:
    return ddb.key(keys.order_pk(request.order_id), keys.request_sk(request.request_id))


def appeal(
    order: Order,
    request: Request,
    text: str,
    evidence: tuple[str, ...],
    refund_to: RefundTo,
    now: datetime,
) -> tuple[Order, Request]:
    """The request back under review as an appeal (with a new review SLA), the order held
    again while a senior reviews; the held order and the request as stored. Refused
    (APPEAL_NOT_ALLOWED, or CONFLICT for the order) unless the request is still rejected with
    its appeal unused and no request holds the order."""
    policy = get_settings().policies.for_order(order)
    due_pk, due_at = review_due(request.request_id, policy, now)
    # appealed while delivery is under way: a stop like any other, fulfilment asked to abort
    abort = stop_delivery.asks_abort(order)
    if abort:
        due_at = stop_delivery.abort_answer_due(policy, now)
    appealed = msgspec.structs.replace(
        request,
        status=UNDER_REVIEW,
        appeal_used=True,
        appeal=Appeal(at=now, text=text, evidence=evidence, refund_to=refund_to),
        refund_to=refund_to,
        evidence=(*request.evidence, *evidence),
        due_at=due_at,
        updated_at=now,
    )
    after = stored(appealed)
    request_op: Op = {
        "Update": {
            "Key": _key(request),
            "UpdateExpression": "SET #s = :ur, appeal_used = :t, appeal = :ap, refund_to = :rt, "
            "evidence = :ev, due_pk = :dp, due_at = :due, updated_at = :now",
            # once per request, decided against the stored request
            "ConditionExpression": "#s = :rj AND appeal_used = :f",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":ur": UNDER_REVIEW.value,
                    ":rj": REJECTED.value,
                    ":t": True,
                    ":f": False,
                    ":ap": after["appeal"],
                    ":rt": after["refund_to"],
                    ":ev": after["evidence"],
                    ":dp": due_pk,
                    ":due": after["due_at"],
                    ":now": after["updated_at"],
                }
            ),
        }
    }
    change = Change(
        order,
        None,
        "cancellation.appealed",
        Actor.CUSTOMER,
        request.customer_id,
        now,
        reason=request.reason_code.value,
        # held again while a senior reviews
        set_={"open_request_id": request.request_id, **(abort_requests.hold_sets(now) if abort else {})},
        condition="attribute_not_exists(open_request_id)",
        detail={"request_id": request.request_id, "refund_to": refund_to.value, "evidence": len(evidence)},
    )
    extra = [request_op, *([abort_requests.entry_op(order, request.request_id, now)] if abort else [])]
    try:
        held = run(change, extra)
    except ddb.TransactionFailed as e:
        raise DomainError(ErrorCode.APPEAL_NOT_ALLOWED, {"request_id": request.request_id}) from e
    return held, appealed


def answer(
    request: Request, task: Task, text: str, evidence: tuple[str, ...], decision_due: datetime, now: datetime
) -> Request:
    """The customer's answer, in one transaction with the ``review.info_supplied`` entry: the
    task back in the open pool due at ``decision_due`` (only while it waits at the version
    read), the request back under review due with it (only while it is ``need_info``). The
    request as stored; CONFLICT when either moved on (answered twice at once, or the question
    timed out meanwhile)."""
    given = Answer(at=now, text=text, evidence=evidence)
    answered = msgspec.structs.replace(
        request,
        status=UNDER_REVIEW,
        due_at=decision_due,
        updated_at=now,
        answers=(*(request.answers or ()), given),
    )
    answer_item = plain(msgspec.to_builtins(given, builtin_types=(datetime,)))
    request_op: Op = {
        "Update": {
            "Key": _key(request),
            "UpdateExpression": "SET #s = :ur, due_at = :due, updated_at = :now, "
            "answers = list_append(if_not_exists(answers, :empty), :ans)",
            "ConditionExpression": "#s = :ni",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":ur": UNDER_REVIEW.value,
                    ":ni": NEED_INFO.value,
                    ":due": iso(decision_due),
                    ":now": iso(now),
                    ":ans": [answer_item],
                    ":empty": [],
                }
            ),
        }
    }
    detail = plain({"evidence": len(evidence), "decision_due": decision_due})
    try:
        ddb.transact(
            [
                review_steps.answered_op(task, now, decision_due, answer_item),
                request_op,
                review_steps.entry(
                    task, Actor.CUSTOMER, request.customer_id, now, "review.info_supplied", detail
                ),
            ]
        )
    except ddb.TransactionFailed as e:
        raise DomainError(ErrorCode.CONFLICT, {"request_id": request.request_id}) from e
    return answered


def withdraw(order: Order, request: Request, task: Task | None, now: datetime) -> Order:
    """The customer takes back ``request`` before its decision, in one transaction with the
    ``request.withdrawn`` entry: the order's hold by this request lifted (its version and the
    hold read), the request ``withdrawn`` and out of the review due index (only while under
    review or waiting for an answer), its task closed (``withdrawn``, out of every list, any
    lease ended: only while open or waiting, at any version, so a claim or a release meanwhile
    does not refuse the customer; ``None``: intake has not made it, and it must not exist at
    the write) and the request's count towards the customer's risk taken back. The order as
    left; CONFLICT when any of it moved on (a reviewer's decision that committed first)."""
    rid = request.request_id
    request_op: Op = {
        "Update": {
            "Key": _key(request),
            "UpdateExpression": "SET #s = :wd, withdrawn_at = :now, updated_at = :now REMOVE due_pk, due_at",
            "ConditionExpression": "#s IN (:ur, :ni)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {":wd": WITHDRAWN.value, ":ur": UNDER_REVIEW.value, ":ni": NEED_INFO.value, ":now": iso(now)}
            ),
        }
    }
    task_id = task.task_id if task is not None else tasks.task_id_for(rid, review_kind(request))
    change = Change(
        order,
        None,  # the order goes on in the state it has (paid, delivering, ...), no longer held
        HistoryEvent.REQUEST_WITHDRAWN,
        Actor.CUSTOMER,
        request.customer_id,
        now,
        reason=request.reason_code.value,
        remove=["open_request_id"],
        # not while fulfilment is asked to abort: only its answer settles a stop
        condition="open_request_id = :rid AND attribute_not_exists(abort_requested_at)",
        cond_values={":rid": rid},
        detail={"request_id": rid, "action": request.action.value, "task_id": task_id},
    )
    ops = [
        request_op,
        task_closed(task, task_id, now),
        customers.uncount_request_op(request.customer_id, request.created_at),
    ]
    return run(change, ops)


def review_kind(request: Request) -> str:
    """The task of the request's current review: its first, or the appeal against its rejection."""
    return "rejection_appeal" if request.appeal_used else "cancellation"


def task_closed(
    task: Task | None,
    task_id: str,
    now: datetime,
    status: tasks.TaskStatus = tasks.WITHDRAWN,
    more: dict[str, Any] | None = None,
) -> Op:
    """The task closed as ``status`` by someone other than a reviewer (withdrawn: parked by time
    under ``withdrawn``, which no list reads; decided by fulfilment's answer: with ``more``,
    what the decision sets), the lease ended, so the reviewer's next step on it is refused by
    its own write condition; or, with no task read, the check that intake has still not made
    one."""
    pk, sk = tasks.task_key(task_id)
    if task is None:
        return {"ConditionCheck": {"Key": ddb.key(pk, sk), "ConditionExpression": "attribute_not_exists(pk)"}}
    sets = {
        "status": status.value,
        "updated_at": iso(now),  # when it was closed
        **tasks.parked_attrs(status.value, now, task_id),
        **plain(more or {}),
    }
    expr, names, vals = ddb.update_expression(sets, tasks.LEASE_ATTRS)
    # a claim meanwhile moved the version on: count on from the stored one, never back
    expr = expr.replace("SET ", "SET version = version + :one, ", 1)
    vals |= {":one": 1, ":o": tasks.OPEN.value, ":w": tasks.WAITING.value}
    return {"Update": tasks.update_op(task_id, expr, "#s IN (:o, :w)", names, vals)}
