"""Hardening (issue 13), the review step against the stored state (moto):
- 5: an escalated, senior-only task is decided by seniors only, enforced by the write itself;
  escalation ends a plain reviewer's lease;
- 12: review intake takes priority only from facts the platform can check;
- 13: after a rejection the way on is the appeal, not a new request;
- 3: the decision body is strict (no "yes" for a check, no "100" for an amount).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.cancel.appeal_rejection import appeal
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.errors import DomainError
from cancelflow.review import claims, decisions, tasks
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.review.sla import escalate_overdue
from cancelflow.review.tasks import Reviewer
from cancelflow.store import ddb, keys, orders, requests, review_steps
from pydantic import ValidationError

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake, stored_task

FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
R1, S1, S2 = Reviewer("r1"), Reviewer("s1", senior=True), Reviewer("s2", senior=True)
CLAIMED = NOW + timedelta(minutes=60)  # the lease lasts 10 minutes
LATE = NOW + timedelta(minutes=61)  # requests made at NOW are due at 03:00
DECISIONS = {
    "approve": Decision(outcome="approve", checklist=FULL),
    "reject": Decision(outcome="reject", note="no platform fault found"),
    "need_info": Decision(outcome="need_info", note="请补充截图"),
}


def _snapshot(order_id: str, task_id: str) -> tuple[Any, ...]:
    """Everything a decision could change, as stored: every attribute of the order, the task,
    the requests and the timeline entries (index attributes included)."""
    pk = keys.order_pk(order_id)
    order = ddb.get(pk, keys.ORDER)
    return order, stored_task(task_id), ddb.partition(pk, "REQ#"), ddb.partition(pk, "HIST#")


def _claimed_then_escalated(make_request: Maker, queue: str, who: Reviewer = R1) -> tuple[str, str]:
    oid, rid = make_request()
    intake(drain(queue))
    task_id = claims.claim_next(who, CLAIMED).task_id
    assert escalate_overdue(requests.get_request(oid, rid), LATE) is True
    return oid, task_id


# ---------------------------------------------------------------- 5: senior-only


@pytest.mark.parametrize("outcome", list(DECISIONS))
def test_escalated_task_cannot_be_decided_by_its_plain_lease_holder(
    make_request: Maker, review_queue: str, outcome: str
) -> None:
    """GIVEN a task claimed by a plain reviewer, then escalated (senior-only) while the lease lasts
    WHEN that reviewer decides it
    THEN 403 FORBIDDEN naming the senior role, and nothing changed."""
    oid, task_id = _claimed_then_escalated(make_request, review_queue)
    before = _snapshot(oid, task_id)
    with pytest.raises(DomainError) as e:
        decide(task_id, R1, DECISIONS[outcome], LATE)
    assert e.value.code == "FORBIDDEN" and e.value.status == 403
    assert e.value.details["needs"] == "senior_reviewer"
    assert _snapshot(oid, task_id) == before


def _plain_lease_on_senior_only_task(make_request: Maker, queue: str) -> tuple[str, str]:
    """A plain reviewer's live lease on a senior-only task: what a race between the check and
    the write sees (or a task escalated by an older version that left the lease)."""
    oid, _ = make_request()
    intake(drain(queue))
    task_id = claims.claim_next(R1, CLAIMED).task_id
    ddb.update(
        {
            "Key": ddb.key(keys.task_pk(task_id), "TASK"),
            "UpdateExpression": "SET senior_only = :t",
            "ExpressionAttributeValues": ddb.values({":t": True}),
        }
    )
    return oid, task_id


@pytest.mark.parametrize("outcome", list(DECISIONS))
def test_senior_only_is_enforced_by_the_decision_write_itself(
    make_request: Maker, review_queue: str, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    """GIVEN a senior-only task under a plain reviewer's live lease
    WHEN that reviewer's decision skips the up-front check (as if it raced the escalation)
    THEN the transaction refuses it (FORBIDDEN) and the order, request, task and timeline are
    unchanged."""
    oid, task_id = _plain_lease_on_senior_only_task(make_request, review_queue)
    monkeypatch.setattr(decisions, "_check", lambda *a: None)
    before = _snapshot(oid, task_id)
    with pytest.raises(DomainError) as e:
        decide(task_id, R1, DECISIONS[outcome], LATE)
    assert e.value.code == "FORBIDDEN"
    assert _snapshot(oid, task_id) == before


def test_task_write_condition_refuses_a_plain_reviewer_on_a_senior_only_task(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a senior-only task under a plain reviewer's live lease
    WHEN the task update of a review step is written for that reviewer
    THEN DynamoDB refuses it (the condition failed) and the task is unchanged."""
    _, task_id = _plain_lease_on_senior_only_task(make_request, review_queue)
    task, before = tasks.get_task(task_id), stored_task(task_id)
    with pytest.raises(ddb.TransactionFailed) as e:
        ddb.transact([review_steps.step_op(task, R1, LATE, {"outcome": "approved"}, tasks.DECIDED)])
    assert e.value.reasons == ["ConditionalCheckFailed"]
    assert stored_task(task_id) == before


def test_escalation_ends_a_plain_reviewers_lease_so_a_senior_takes_it_at_once(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a task claimed by a plain reviewer WHEN it is escalated while the lease lasts
    THEN the lease is gone (the plain reviewer could not decide it anyway) and a senior claims
    and decides it before the plain reviewer's lease would have run out."""
    oid, task_id = _claimed_then_escalated(make_request, review_queue)
    task = stored_task(task_id)
    assert "lease_holder" not in task and "lease_until" not in task
    with pytest.raises(DomainError) as e:
        claims.release(task_id, R1, LATE)
    assert e.value.code == "LEASE_NOT_HELD"
    assert claims.claim_next(S1, LATE).task_id == task_id
    assert decide(task_id, S1, DECISIONS["approve"], LATE)["outcome"] == "approved"
    assert orders.require_order(oid).status.value == "cancelled"


def test_escalation_keeps_a_senior_reviewers_lease(make_request: Maker, review_queue: str) -> None:
    """GIVEN a task claimed by a senior WHEN it is escalated while the lease lasts
    THEN the senior keeps the lease and decides it."""
    _, task_id = _claimed_then_escalated(make_request, review_queue, who=S1)
    task = tasks.get_task(task_id)
    assert task.senior_only is True and task.lease_holder == "s1"
    assert decide(task_id, S1, DECISIONS["reject"], LATE)["outcome"] == "rejected"


# ---------------------------------------------------------------- 12: priority from checkable facts


def test_platform_fault_reason_before_delivery_is_not_urgent(make_request: Maker, review_queue: str) -> None:
    """GIVEN a paid, undelivered order WHEN the customer requests a cancellation with a
    platform-fault reason that fits before delivery (stock error)
    THEN the task is of normal priority, with no 5-minute first-response deadline."""
    _, rid = make_request(reason=Reason.STOCK_ERROR)
    intake(drain(review_queue))
    t = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert t.priority_class == 1 and t.first_response_due is None
    assert stored_task(t.task_id)["status_sk"].startswith("1#")


def test_old_message_claiming_a_delivery_fault_on_an_undelivered_order_is_not_urgent(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a review message of a paid, undelivered order that says duplicate_delivery (sent
    before reasons were checked against the state)
    WHEN intake makes its task THEN the customer's word alone gives no priority: normal class."""
    _, rid = make_request()
    bodies = [json.dumps(json.loads(b) | {"reason_code": "duplicate_delivery"}) for b in drain(review_queue)]
    intake(bodies)
    t = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert t.priority_class == 1 and t.first_response_due is None


def test_platform_fault_on_delivered_goods_stays_urgent(make_request: Maker, review_queue: str) -> None:
    """GIVEN a delivered order WHEN the customer appeals with invalid_key THEN the task is urgent."""
    _, rid = make_request(Action.APPEAL, reason=Reason.INVALID_KEY)
    intake(drain(review_queue))
    t = tasks.get_task(tasks.task_id_for(rid, "cancellation"))
    assert t.priority_class == 0 and t.first_response_due is not None


# ---------------------------------------------------------------- 13: after a rejection


def _rejected(make_request: Maker, queue: str, action: Action = Action.REQUEST) -> tuple[str, str]:
    oid, rid = make_request(action, reason=_submission(action).reason_code)
    intake(drain(queue))
    t = claims.claim_next(R1, NOW)
    decide(t.task_id, R1, DECISIONS["reject"], NOW + timedelta(minutes=1))
    return oid, rid


def _submission(action: Action) -> Submission:
    if action is Action.APPEAL:
        return Submission(action=action, reason_code=Reason.INVALID_KEY, evidence=("evidence/c1/x/shot.png",))
    return Submission(action=action, reason_code=Reason.CHANGED_MIND)


def _again(order_id: str, action: Action = Action.REQUEST, minutes: int = 2) -> DomainError:
    sub = _submission(action)
    with pytest.raises(DomainError) as e:
        submit_cancellation.submit("c1", order_id, sub, NOW + timedelta(minutes=minutes))
    return e.value


def test_new_request_after_a_rejection_is_refused_for_the_appeal(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a paid order whose cancellation request was rejected
    WHEN the customer submits the same request again
    THEN REQUEST_REJECTED_APPEAL_INSTEAD naming the rejected request, and nothing is stored
    (no new request, no hold, no message for review)."""
    oid, rid = _rejected(make_request, review_queue)
    before = (ddb.get(keys.order_pk(oid), keys.ORDER), requests.list_requests(oid))
    e = _again(oid)
    assert e.code == "REQUEST_REJECTED_APPEAL_INSTEAD" and e.status == 409
    assert e.details["appeal_request_id"] == rid
    assert (ddb.get(keys.order_pk(oid), keys.ORDER), requests.list_requests(oid)) == before
    assert drain(review_queue) == []


def test_new_request_after_the_appeal_was_rejected_is_refused_as_final(
    make_request: Maker, review_queue: str
) -> None:
    """GIVEN a rejected request whose appeal a senior rejected too
    WHEN the customer submits the same request again THEN REQUEST_REJECTED_FINAL."""
    oid, rid = _rejected(make_request, review_queue)
    appeal("c1", oid, rid, "我确实需要取消", (), RefundTo.ORIGINAL, NOW + timedelta(minutes=2))
    intake(drain(review_queue))
    t = claims.claim_next(S1, NOW + timedelta(minutes=3))
    decide(t.task_id, S1, DECISIONS["reject"], NOW + timedelta(minutes=4))
    assert _again(oid, minutes=5).code == "REQUEST_REJECTED_FINAL"


def test_an_upheld_appeal_ends_the_rejection(make_request: Maker, review_queue: str) -> None:
    """GIVEN a delivered order whose appeal was rejected
    WHEN a senior upholds the appeal against the rejection with a partial refund
    THEN the rejection no longer stands: a new appeal for the rest is allowed again."""
    oid, rid = _rejected(make_request, review_queue, Action.APPEAL)
    assert _again(oid, Action.APPEAL).code == "REQUEST_REJECTED_APPEAL_INSTEAD"
    appeal("c1", oid, rid, "卡密确实无效", (), RefundTo.ORIGINAL, NOW + timedelta(minutes=2))
    intake(drain(review_queue))
    t = claims.claim_next(S1, NOW + timedelta(minutes=3))
    partial = Decision(outcome="approve", checklist=FULL, refund_amount=4000)
    assert decide(t.task_id, S1, partial, NOW + timedelta(minutes=4))["outcome"] == "approved"
    assert orders.require_order(oid).rejection is None
    done = submit_cancellation.submit("c1", oid, _submission(Action.APPEAL), NOW + timedelta(minutes=5))
    assert done.outcome.value == "under_review"


# ---------------------------------------------------------------- 3: a strict decision body


@pytest.mark.parametrize("loose", ["yes", "on", 1, "true", 1.0])
@pytest.mark.parametrize("field", list(Checklist.model_fields))
def test_checklist_item_accepts_only_a_json_boolean(field: str, loose: Any) -> None:
    """GIVEN a decision whose checklist item is "yes", "on", 1, "true" or 1.0
    WHEN the body is validated (as a dict and as JSON) THEN it is refused."""
    body = {"outcome": "approve", "checklist": {field: loose}}
    with pytest.raises(ValidationError):
        Decision.model_validate(body)
    with pytest.raises(ValidationError):
        Decision.model_validate_json(json.dumps(body))


@pytest.mark.parametrize("loose", [True, "100", 100.5, "1e2"])
def test_refund_amount_accepts_only_a_json_integer(loose: Any) -> None:
    """GIVEN a decision whose refund_amount is true, "100", 100.5 or "1e2"
    WHEN the body is validated (as a dict and as JSON) THEN it is refused; 100 is accepted, and
    so is 100.0, which JSON Schema counts as the integer 100 (the one money rule, http.fields)."""
    body = {"outcome": "approve", "refund_amount": loose}
    with pytest.raises(ValidationError):
        Decision.model_validate(body)
    with pytest.raises(ValidationError):
        Decision.model_validate_json(json.dumps(body))
    ok = {"outcome": "approve", "refund_amount": 100, "checklist": {"evidence_judged": True}}
    assert Decision.model_validate_json(json.dumps(ok)).refund_amount == 100
    assert Decision.model_validate({**ok, "refund_amount": 100.0}).refund_amount == 100
