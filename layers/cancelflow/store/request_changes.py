"""What a customer adds to a request after submitting it, each one transaction written against
the request (and order, or task) as stored: the one appeal against a rejection
(docs/domain.md, "Appeals"), and the answer to a reviewer's question (docs/domain.md, "Review").
Whether either is allowed is the cancel step's (``cancelflow.cancel``); these writes refuse
it again if the stored request moved on since it was read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys, review_steps
from cancelflow.store.codec import plain
from cancelflow.store.orders.changes import Change, Op, run
from cancelflow.store.requests import (
    NEED_INFO,
    REJECTED,
    UNDER_REVIEW,
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
    policy = get_settings().policies.for_type(order.product_type)
    due_pk, due_at = review_due(request.request_id, policy, now)
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
        set_={"open_request_id": request.request_id},  # held again while a senior reviews
        condition="attribute_not_exists(open_request_id)",
        detail={"request_id": request.request_id, "refund_to": refund_to.value, "evidence": len(evidence)},
    )
    try:
        held = run(change, [request_op])
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
