"""Review tasks: one task per request, a lease only on an open task nobody else holds (and
senior-only work only for seniors), and every review step only under the caller's live lease
on the version read, against a request still under review and an order held by it. Each test
puts the stored task, request or order into the state a condition forbids, lets the step run
on what it read before, and finds it refused with the table unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from cancelflow.clock import parse
from cancelflow.domain.options import Action
from cancelflow.errors import DomainError
from cancelflow.review import claims, intake, tasks
from cancelflow.review.decisions import Checklist, Decision, decide
from cancelflow.review.tasks import Reviewer, Task
from cancelflow.store import ddb, requests, review_steps

from tests.store import world
from tests.store.guard import item, put, refused, unchanged
from tests.store.world import R1, R2, S1

FULL = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
APPROVE = Decision(outcome="approve", checklist=FULL)
REJECT = Decision(outcome="reject", note="bought on purpose")
T1 = world.later(1)


def _keys(w: dict[str, Any]) -> list[tuple[str, str]]:
    """The order, the request and the task of a world."""
    oid = w["order"].order_id
    return [
        world.order_key(oid),
        world.request_key(oid, w["request"].request_id),
        world.task_key(w["task"].task_id),
    ]


def _stored(task: Task) -> ddb.Item:
    """The task's item as stored now (index attributes included)."""
    return item(world.task_key(task.task_id))


def _index_says(monkeypatch: pytest.MonkeyPatch, candidate: ddb.Item) -> None:
    """The open pool's index answers ``candidate`` (an eventually consistent copy, older than
    the stored task)."""
    monkeypatch.setattr(ddb, "query", lambda *a, **k: ([dict(candidate)], None))


def _no_lease(task: Task) -> ddb.Item:
    return {k: v for k, v in _stored(task).items() if k not in ("lease_holder", "lease_until")}


# ---------------------------------------------------------------- intake


def test_a_redelivered_review_message_does_not_reset_its_task(product: str) -> None:
    """GIVEN a task made from a request's message and leased by a reviewer
    WHEN the same message is delivered again (SQS delivers at least once)
    THEN intake does nothing (False): the task keeps its lease, version and claims."""
    w = world.claimed()
    with unchanged(*_keys(w)):
        assert not intake.accept(requests.review_message(w["request"], w["order"]), T1)


# ---------------------------------------------------------------- claiming


def test_claiming_a_task_decided_since_the_index_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a task the index still shows open, decided meanwhile
    WHEN another reviewer claims it
    THEN NO_TASK_AVAILABLE: a decided task is never leased again."""
    w = world.claimed()
    decide(w["task"].task_id, R1, REJECT, T1)
    decided = item(world.task_key(w["task"].task_id))
    _index_says(monkeypatch, decided | {"status": tasks.OPEN})
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        claims.claim_next(R2, world.later(2))
    assert e.value.code == "NO_TASK_AVAILABLE"


def test_claiming_a_task_another_reviewer_holds_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a task leased by r2, which the index still shows without a lease
    WHEN r1 claims it
    THEN NO_TASK_AVAILABLE: one live lease per task, so two reviewers never decide one."""
    w = world.claimed(who=R2)
    _index_says(monkeypatch, _no_lease(w["task"]))
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        claims.claim_next(R1, T1)
    assert e.value.code == "NO_TASK_AVAILABLE"


def _released() -> dict[str, Any]:
    """A task claimed once and given back: open, no lease, first response recorded."""
    w = world.claimed()
    w["task"] = claims.release(w["task"].task_id, R1, NOW_PLUS_HALF)
    return w


NOW_PLUS_HALF = world.later(0.5)


def test_a_plain_reviewer_claiming_a_senior_only_task_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an open task escalated to seniors, which the index shows from before
    WHEN a plain reviewer claims it
    THEN NO_TASK_AVAILABLE: senior-only work goes to seniors."""
    w = _released()
    released = _stored(w["task"])
    put(released | {"senior_only": True})
    _index_says(monkeypatch, released | {"senior_only": False})
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        claims.claim_next(R1, T1)
    assert e.value.code == "NO_TASK_AVAILABLE"


def test_a_senior_claiming_an_appeal_against_their_own_rejection_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an open appeal task against a rejection by s1, which the index shows without it
    WHEN s1 claims it
    THEN NO_TASK_AVAILABLE: the reviewer who rejected never decides the appeal."""
    w = _released()
    released = _stored(w["task"])
    put(released | {"rejected_by": S1.id, "senior_only": True})
    _index_says(monkeypatch, released)
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        claims.claim_next(S1, T1)
    assert e.value.code == "NO_TASK_AVAILABLE"


def test_a_first_claim_of_a_task_changed_since_the_index_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a task never claimed, read from the index at version 1 and changed since (version 2)
    WHEN a senior claims it for the first time
    THEN NO_TASK_AVAILABLE: the first claim (which also writes the timeline) is decided on
    the version it read, so what it returns is exactly what is stored."""
    o, request = world.held(world.paid())
    read = _stored(world.task_for(o, request))
    put(read | {"version": int(read["version"]) + 1})
    _index_says(monkeypatch, read)
    keys_ = [world.order_key(o.order_id), world.task_key(read["task_id"])]
    with unchanged(*keys_), pytest.raises(DomainError) as e:
        claims.claim_next(S1, T1)
    assert e.value.code == "NO_TASK_AVAILABLE"


def test_releasing_a_task_another_reviewer_holds_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a task leased by r2, read by r1 as r1's own (r1's lease ran out and r2 claimed)
    WHEN r1 gives it back
    THEN LEASE_NOT_HELD: r2 keeps the lease."""
    w = world.claimed(who=R2)
    read = msgspec.structs.replace(w["task"], lease_holder=R1.id)
    monkeypatch.setattr(tasks, "get_task", lambda task_id: read)
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        claims.release(w["task"].task_id, R1, T1)
    assert e.value.code == "LEASE_NOT_HELD"


# ---------------------------------------------------------------- the task update of every step


def _step(task: Task, at: Any = T1, who: Reviewer = R1) -> list[dict[str, Any]]:
    """``who``'s decision on ``task`` as read: the task update every review step sends."""
    return [review_steps.step_op(task, who, at, {"outcome": "approved"}, tasks.DECIDED)]


def test_a_review_step_under_another_reviewers_lease_is_refused(product: str) -> None:
    """GIVEN a task r1 read as leased to r1, stored leased to r2
    WHEN r1's step on it is written
    THEN it is refused: only the lease holder acts on a task."""
    w = world.claimed()
    put(_stored(w["task"]) | {"lease_holder": R2.id})
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"])) == ["ConditionalCheckFailed"]


def test_a_review_step_after_the_lease_ran_out_is_refused(product: str) -> None:
    """GIVEN a task leased to r1
    WHEN r1's step is written after the lease's end
    THEN it is refused: an expired lease decides nothing."""
    w = world.claimed()
    after = parse(w["task"].lease_until) + timedelta(seconds=1)
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"], after)) == ["ConditionalCheckFailed"]


def test_a_review_step_on_an_older_version_is_refused(product: str) -> None:
    """GIVEN a task leased to r1 and changed since r1 read it (a conversion to an appeal keeps
    the lease and makes a new version)
    WHEN r1's step decided on the old version is written
    THEN it is refused: a step is decided on the task as stored."""
    w = world.claimed()
    put(_stored(w["task"]) | {"version": w["task"].version + 1})
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"])) == ["ConditionalCheckFailed"]


def test_a_review_step_on_a_task_in_another_status_is_refused(product: str) -> None:
    """GIVEN a task r1 read as open, stored as waiting for the customer at the same version
    and lease (no path does that; the status clause holds if one does)
    WHEN r1's step is written
    THEN it is refused."""
    w = world.claimed()
    put(_stored(w["task"]) | {"status": tasks.WAITING})
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"])) == ["ConditionalCheckFailed"]


def test_a_plain_reviewers_step_on_a_task_escalated_to_seniors_is_refused(product: str) -> None:
    """GIVEN a task leased to plain reviewer r1, read as an ordinary task, stored as senior-only
    (escalated) at the same version and lease
    WHEN r1's step is written
    THEN it is refused: seniority is enforced by the write itself."""
    w = world.claimed()
    put(_stored(w["task"]) | {"senior_only": True})
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"])) == ["ConditionalCheckFailed"]


def test_a_seniors_step_on_an_appeal_against_their_own_rejection_is_refused(product: str) -> None:
    """GIVEN a task leased to senior s1, stored as an appeal against a rejection by s1 (read
    without it)
    WHEN s1's step is written
    THEN it is refused: the reviewer who rejected never decides the appeal."""
    w = world.claimed(who=S1)
    put(_stored(w["task"]) | {"rejected_by": S1.id, "senior_only": True})
    with unchanged(*_keys(w)):
        assert refused(_step(w["task"], who=S1)) == ["ConditionalCheckFailed"]


def test_deciding_a_request_no_longer_under_review_is_refused(product: str) -> None:
    """GIVEN a request read as under review, decided (rejected) since
    WHEN a decision's request update is written
    THEN it is refused: a decided request is not decided again."""
    w = world.claimed()
    decide(w["task"].task_id, R1, REJECT, T1)
    update = review_steps.request_update(w["request"], {"status": "approved"}, decided=True)
    with unchanged(*_keys(w)):
        assert refused([update]) == ["ConditionalCheckFailed"]


# ---------------------------------------------------------------- decisions and the order's hold


def _held_by_another(w: dict[str, Any]) -> None:
    """The order as stored names another request as its hold (same version)."""
    put(item(world.order_key(w["order"].order_id)) | {"open_request_id": "rq_" + "0" * 20})


@pytest.mark.parametrize(
    ("decision", "at_order"),
    [(APPROVE, "paid"), (REJECT, "paid"), (APPROVE, "delivered")],
    ids=["approve-cancel", "reject", "approve-refund-only"],
)
def test_a_decision_on_an_order_held_by_another_request_is_refused(
    product: str, decision: Decision, at_order: str
) -> None:
    """GIVEN a request under review, claimed by r1, whose order is held by another request
    WHEN r1 approves (a paid order: cancel and refund; a delivered one: refund only) or rejects
    THEN CONFLICT: a decision acts on an order only while this request holds it."""
    if at_order == "paid":
        w = world.claimed()
    else:
        w = world.claimed(order=world.delivered(), action=Action.APPEAL)
    _held_by_another(w)
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        decide(w["task"].task_id, R1, decision, T1)
    assert e.value.code == "CONFLICT"
