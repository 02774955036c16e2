"""Cancellation requests and what the customer and the review sweep write to them: a request
id once, one hold per order, auto-approval only while the stock is unlocked and nobody holds
the order, an appeal once and only against a rejection, an answer only to a question still
open, and an escalation only of a review as it was found. Each test lets the step decide on a
read that is no longer (or never was) stored and finds the write refused, table unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import answer_question, appeal_rejection, order_view, submit_cancellation
from cancelflow.domain.calendar import to_cst
from cancelflow.domain.models import Order, RiskProfile
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import RefundTo
from cancelflow.errors import DomainError
from cancelflow.review import sla
from cancelflow.review.decisions import Decision, decide
from cancelflow.store import customers, ddb, keys, orders, requests, tasks
from msgspec.structs import replace

from tests.store import world
from tests.store.guard import item, put, unchanged
from tests.store.world import R1

REQUEST = Submission(action=Action.REQUEST)
T1 = world.later(1)
OTHER_REQUEST = "rq_" + "0" * 20


def _rid(w: dict[str, Any]) -> str:
    """The request's id (``w["request"]``: as stored, or as a store function returned it)."""
    r = w["request"]
    return str(r["request_id"] if isinstance(r, dict) else r.request_id)


def _tid(w: dict[str, Any]) -> str:
    t = w["task"]
    return str(t["task_id"] if isinstance(t, dict) else t.task_id)


def _keys(w: dict[str, Any]) -> list[tuple[str, str]]:
    oid = w["order"].order_id
    return [world.order_key(oid), world.request_key(oid, _rid(w)), world.task_key(_tid(w))]


def _rejected() -> dict[str, Any]:
    """A request rejected by r1 (the order no longer held), each item as stored."""
    w = world.claimed()
    decide(_tid(w), R1, Decision(outcome="reject", note="used already"), T1)
    oid, rid = w["order"].order_id, _rid(w)
    return {
        "order": orders.require_order(oid),
        "request": item(world.request_key(oid, rid)),
        "task": item(world.task_key(_tid(w))),
    }


def _order_reads(monkeypatch: pytest.MonkeyPatch, order: Order) -> None:
    monkeypatch.setattr(orders.reads, "get_order", lambda order_id: order)


def _request_reads(monkeypatch: pytest.MonkeyPatch, stored: ddb.Item) -> None:
    """The use case's read of the request answers ``stored`` (what it saw before the write)."""
    monkeypatch.setattr(requests, "get_request", lambda order_id, request_id: requests.of_item(stored))


# ---------------------------------------------------------------- opening a request


def test_a_request_id_in_use_is_not_overwritten(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a rejected request on an order, and a new request whose id happens to be the same
    WHEN the new request is opened
    THEN CONFLICT: the rejection (who, when, its one appeal) is not overwritten."""
    w = _rejected()
    monkeypatch.setattr(requests, "new_id", lambda prefix: _rid(w))
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        requests.open_for_review(w["order"], REQUEST, world.later(2))
    assert e.value.code == "CONFLICT"


def test_opening_a_review_on_an_order_already_held_is_refused(product: str) -> None:
    """GIVEN an order held by a request under review, read without the hold at the same version
    WHEN a second request is opened for review on it
    THEN CONFLICT: one request holds an order at a time."""
    held, request = world.held(world.paid())
    key = world.request_key(held.order_id, request.request_id)
    with unchanged(world.order_key(held.order_id), key), pytest.raises(DomainError) as e:
        requests.open_for_review(replace(held, open_request_id=None), REQUEST, T1)
    assert e.value.code == "CONFLICT"


def _view_reads(monkeypatch: pytest.MonkeyPatch, order: Order) -> None:
    """The options' read of the order answers ``order`` (and a customer of no risk)."""
    view = order_view.OrderView(order, RiskProfile())
    monkeypatch.setattr(order_view, "load", lambda *a, **k: view)


@pytest.mark.parametrize(
    "stored",
    [{"stock_locked": True}, {"open_request_id": OTHER_REQUEST}],
    ids=["stock-locked", "held"],
)
def test_auto_approval_of_an_order_locked_or_held_since_the_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch, stored: dict[str, Any]
) -> None:
    """GIVEN a paid order read unlocked and unheld inside the auto-approval window, stored at
    the same version with its stock locked by fulfilment, or held by a request
    WHEN the customer's request is auto-approved (cancel and refund at once)
    THEN CONFLICT from the write itself: no refund while fulfilment has the stock or a
    reviewer has the order."""
    read = world.paid()
    put(item(world.order_key(read.order_id)) | stored)
    _view_reads(monkeypatch, read)
    with unchanged(world.order_key(read.order_id)), pytest.raises(DomainError) as e:
        submit_cancellation.submit("c1", read.order_id, REQUEST, T1)
    assert e.value.code == "CONFLICT"


def _day_key(at: Any) -> tuple[str, str]:
    return keys.customer_pk("c1"), keys.day_sk(to_cst(at).date())


def test_auto_approval_after_a_request_counted_since_the_read_is_refused(product: str) -> None:
    """GIVEN a paid order inside the auto-approval window, its customer's risk read with no
    request today, and then a parallel request of the same customer counted today
    WHEN the request read under the threshold is auto-approved
    THEN the write itself is refused (RiskMoved, a CONFLICT), nothing written: parallel requests
    cannot all be approved on one reading of the counters."""
    read = world.paid()
    risk = customers.load_risk("c1", T1, 30)
    ddb.transact([customers.count_op("c1", T1, "cancellation_requests")])  # the parallel one
    with unchanged(world.order_key(read.order_id), _day_key(T1)), pytest.raises(orders.RiskMoved) as e:
        orders.cancel_auto_approved(read, REQUEST, OTHER_REQUEST, T1, risk)
    assert e.value.code == "CONFLICT"


def test_auto_approval_of_a_customer_flagged_since_the_read_is_refused(product: str) -> None:
    """GIVEN a paid order inside the auto-approval window, its customer read as not flagged,
    and then flagged by support
    WHEN the request is auto-approved
    THEN the write itself is refused (RiskMoved), nothing written: no instant refund to a
    customer support has just stopped."""
    read = world.paid()
    risk = customers.load_risk("c1", T1, 30)
    customers.set_flag("c1", True)
    with (
        unchanged(world.order_key(read.order_id), (keys.customer_pk("c1"), keys.PROFILE)),
        pytest.raises(orders.RiskMoved),
    ):
        orders.cancel_auto_approved(read, REQUEST, OTHER_REQUEST, T1, risk)


# ---------------------------------------------------------------- the customer's appeal


def _appeal(w: dict[str, Any]) -> None:
    appeal_rejection.appeal(
        "c1",
        w["order"].order_id,
        _rid(w),
        "I never received the key",
        (),
        RefundTo.ORIGINAL,
        world.later(2),
    )


@pytest.mark.parametrize(
    "stored",
    [{"status": requests.UNDER_REVIEW}, {"appeal_used": True}],
    ids=["no-longer-rejected", "appeal-used"],
)
def test_an_appeal_on_a_request_changed_since_the_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch, stored: dict[str, Any]
) -> None:
    """GIVEN a request read as rejected with its appeal unused, stored (same order version) as
    back under review, or with its one appeal used
    WHEN the customer's appeal is written
    THEN CONFLICT: one appeal per request, and only against a rejection."""
    w = _rejected()
    put(w["request"] | stored)
    _request_reads(monkeypatch, w["request"])
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        _appeal(w)
    assert e.value.code == "CONFLICT"


def test_an_appeal_on_an_order_held_since_the_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a rejected request whose order is read unheld, stored held by another request
    WHEN the customer's appeal is written (it holds the order again)
    THEN CONFLICT: one request holds an order at a time."""
    w = _rejected()
    put(item(world.order_key(w["order"].order_id)) | {"open_request_id": OTHER_REQUEST})
    _order_reads(monkeypatch, w["order"])
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        _appeal(w)
    assert e.value.code == "CONFLICT"


# ---------------------------------------------------------------- answering a reviewer's question


def _asked() -> dict[str, Any]:
    """r1 asked the customer for more (task waiting, request need_info), each as stored."""
    w = world.claimed()
    decide(_tid(w), R1, Decision(outcome="need_info", note="which account?"), T1)
    oid, rid = w["order"].order_id, _rid(w)
    return {
        "order": orders.require_order(oid),
        "request": item(world.request_key(oid, rid)),
        "task": item(world.task_key(_tid(w))),
    }


def _answer(w: dict[str, Any]) -> None:
    oid, rid = w["order"].order_id, _rid(w)
    answer_question.answer("c1", oid, rid, "account 42", (), world.later(2))


@pytest.mark.parametrize(
    ("what", "stored"),
    [
        ("task", {"status": tasks.OPEN.value}),
        ("task", {"version": "+1"}),
        ("request", {"status": requests.UNDER_REVIEW}),
    ],
    ids=["task-no-longer-waiting", "task-changed", "request-no-longer-asked"],
)
def test_an_answer_to_a_question_no_longer_open_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch, what: str, stored: dict[str, Any]
) -> None:
    """GIVEN a reviewer's question read as open (task waiting, request need_info), stored at
    the same version as answered (task back in the pool, or a newer version of it), or the
    request under review again
    WHEN the customer's answer is written
    THEN CONFLICT: a question is answered once, on the task and request as they are."""
    w = _asked()
    if "version" in stored:
        stored = {"version": int(w[what]["version"]) + 1}
    put(w[what] | stored)
    _request_reads(monkeypatch, w["request"])
    monkeypatch.setattr(tasks, "get", lambda task_id: tasks.decode(w["task"]))
    with unchanged(*_keys(w)), pytest.raises(DomainError) as e:
        _answer(w)
    assert e.value.code == "CONFLICT"


# ---------------------------------------------------------------- the review sweep


def _under_review(with_task: bool = True) -> dict[str, Any]:
    o, request = world.held(world.paid())
    task = world.task_for(o, request) if with_task else None
    return {"order": o, "request": request, "task": task}


def _overdue(w: dict[str, Any]) -> Any:
    return world.later(61)  # the game card's decision window is 60 minutes


BatchGet = Callable[[list[tuple[str, str]]], dict[tuple[str, str], ddb.Item]]


def _task_reads(monkeypatch: pytest.MonkeyPatch, task: ddb.Item) -> None:
    """The sweep's read of the task answers ``task`` (older than what is stored)."""
    real: BatchGet = ddb.batch_get
    key = world.task_key(task["task_id"])

    def stale(keys_: list[tuple[str, str]]) -> dict[tuple[str, str], ddb.Item]:
        found = real(keys_)
        found[key] = task
        return found

    monkeypatch.setattr(ddb, "batch_get", stale)


def test_escalating_a_review_another_sweep_escalated_is_refused(product: str) -> None:
    """GIVEN an overdue review escalated by one sweep (its due time moved on), and an
    overlapping sweep holding the request as it read it before
    WHEN the second sweep escalates it
    THEN nothing is written (False): the review is escalated once per window."""
    w = _under_review()
    now = _overdue(w)
    assert sla.escalate_overdue(w["request"], now)
    with unchanged(*_keys(w)):
        assert not sla.escalate_overdue(w["request"], now + timedelta(minutes=1))


def test_escalating_a_review_decided_since_the_read_is_refused(product: str) -> None:
    """GIVEN an overdue request (no task yet) read as under review, stored as rejected with its
    due time still set (no path leaves it set; the status clause holds if one does)
    WHEN the review sweep re-arms it
    THEN nothing is written (False): a decided request is never put back under review."""
    w = _under_review(with_task=False)
    key = world.request_key(w["order"].order_id, _rid(w))
    put(item(key) | {"status": requests.REJECTED.value})
    with unchanged(world.order_key(w["order"].order_id), key):
        assert not sla.escalate_overdue(w["request"], _overdue(w))


def test_escalating_a_task_claimed_since_the_read_is_refused(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an overdue review whose task the sweep read at version 1, claimed since
    WHEN the sweep escalates it
    THEN nothing is written (False): the escalation is decided on the task as stored."""
    w = _under_review()
    now = _overdue(w)
    from cancelflow.review import claims

    w["task"] = claims.claim_next(R1, now - timedelta(minutes=2))
    _task_reads(monkeypatch, item(world.task_key(_tid(w))) | {"version": 1})
    with unchanged(*_keys(w)):
        assert not sla.escalate_overdue(w["request"], now)


def test_escalating_a_decided_task_is_refused(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN an overdue review whose task the sweep read as open, stored as decided at the same
    version (no path does that; the status clause holds if one does)
    WHEN the sweep escalates it
    THEN nothing is written (False): a decided task is not reopened."""
    w = _under_review()
    task = item(world.task_key(_tid(w)))
    put(task | {"status": tasks.DECIDED.value})
    _task_reads(monkeypatch, task)
    with unchanged(*_keys(w)):
        assert not sla.escalate_overdue(w["request"], _overdue(w))
