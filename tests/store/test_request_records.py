"""The review queue's message for a stored request: a first request carries the customer's
own words and amount; an appeal against a rejection carries the appeal's text and time and who
rejected (so that reviewer never decides it). GIVEN a stored request WHEN its message is made
THEN it says exactly that (mutation testing found the appeal branch unasserted here)."""

from __future__ import annotations

import re
from datetime import timedelta

import msgspec
import pytest
from cancelflow.clock import iso
from cancelflow.domain.calendar import to_cst
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, history, keys, orders, requests
from cancelflow.store.codec import ID_PATTERN

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item, put

T2 = world.later(2)


def test_a_first_requests_message_carries_its_own_words_and_amount(product: str) -> None:
    o = world.delivered()
    sub = Submission(
        action=Action.AFTER_SALES,
        reason_code=Reason.INVALID_KEY,
        description="the key says used",
        evidence=("evidence/c1/shot.png",),
        refund_to=RefundTo.BALANCE,
        amount=400,
    )
    _, request = requests.open_for_review(o, sub, world.later(1))
    shard = keys.shard(request.request_id, get_settings().due_shards)
    stored = item(world.request_key(o.order_id, request.request_id))
    assert (stored["due_pk"], stored["due_at"]) == (f"DUE#REVIEW#{shard:02d}", iso(world.later(61)))
    assert request.due_at == world.later(61)
    # not an appeal: nobody excluded
    msg = requests.review_message(msgspec.structs.replace(request, rejected_by="r9"), o)
    assert (msg.kind, msg.description, msg.requested_amount, msg.rejected_by) == (
        "cancellation",
        "the key says used",
        400,
        None,
    )
    assert (msg.action, msg.reason_code, iso(msg.submitted_at), msg.evidence, msg.refund_to) == (
        Action.AFTER_SALES,
        Reason.INVALID_KEY,
        iso(world.later(1)),
        ("evidence/c1/shot.png",),
        RefundTo.BALANCE,
    )
    # a request stored before evidence and refund_to were kept: none, and back to the original
    older = {k: v for k, v in stored.items() if k not in ("evidence", "refund_to")}
    msg = requests.review_message(requests.of_item(older), o)
    assert (msg.evidence, msg.refund_to) == ((), RefundTo.ORIGINAL)


def test_an_appeals_message_carries_the_appeal_and_who_rejected(product: str) -> None:
    o = world.paid()
    _, request = requests.open_for_review(o, Submission(action=Action.REQUEST), world.later(1))
    appealed = msgspec.structs.replace(
        request,
        status=requests.UNDER_REVIEW,
        rejected_by="r1",
        appeal_used=True,
        appeal=requests.Appeal(at=world.later(30), text="I never got it", evidence=()),
    )
    msg = requests.review_message(appealed, o)
    assert (msg.kind, msg.description, msg.rejected_by, iso(msg.submitted_at)) == (
        "rejection_appeal",
        "I never got it",
        "r1",
        iso(world.later(30)),
    )
    # an appeal text on a request whose appeal is not used is not an appeal
    msg = requests.review_message(msgspec.structs.replace(appealed, appeal_used=False), o)
    assert (msg.kind, msg.rejected_by) == ("cancellation", None)


def test_a_customers_risk_counts_their_own_days_in_the_window(aws: dict[str, str]) -> None:
    """GIVEN day statistics of the customer (today, 29 days back, 30 days back, tomorrow, a day
    without order counts) and another customer's WHEN the risk is read over 30 days THEN only
    the customer's days inside the window count; no profile means not flagged."""
    today = to_cst(NOW).date()

    def day(customer: str, back: int, **counts: int) -> None:
        put({"pk": keys.customer_pk(customer), "sk": keys.day_sk(today - timedelta(days=back)), **counts})

    day("c1", 0, orders=2, cancellation_requests=1)
    day("c1", 29, orders=3)
    day("c1", 7, cancellation_requests=2)  # no orders that day
    day("c1", 30, orders=50, cancellation_requests=50)  # outside the window
    day("c1", -1, orders=70, cancellation_requests=70)  # tomorrow (a clock ahead): not yet
    day("c2", 0, orders=90, cancellation_requests=90)
    risk = customers.load_risk("c1", NOW, 30)
    assert (risk.window_days, risk.orders, risk.cancellation_requests, risk.flagged) == (30, 5, 3, False)
    customers.set_flag("c1", True)
    assert customers.load_risk("c1", NOW, 30).flagged
    assert item((keys.customer_pk("c1"), keys.PROFILE)) == {
        "pk": keys.customer_pk("c1"),
        "sk": keys.PROFILE,
        "customer_id": "c1",
        "flagged": True,
    }
    week = customers.load_risk("c1", NOW, 7)  # today and 6 days back: days 7 and 29 drop out
    assert (week.window_days, week.orders, week.cancellation_requests) == (7, 2, 1)
    # what a caller's one BatchGetItem found may hold other items: only the customer's days count
    found = ddb.batch_get([*customers.risk_keys("c1", NOW, 30), (keys.customer_pk("c2"), keys.day_sk(today))])
    assert customers.risk_from(found, "c1", 30).orders == 5


def test_opening_a_review_holds_the_order_and_stores_the_request(product: str) -> None:
    """GIVEN a paid order WHEN a request is opened for review THEN, in one go: the order is held
    by it (nothing else changes but the version), the request is stored under review with the
    customer's words, the timeline says so and the customer's day counts one more request."""
    o = world.paid()
    before = item(world.order_key(o.order_id))
    sub = Submission(
        action=Action.REQUEST,
        reason_code=Reason.OTHER,
        description="ordered the wrong region",
        evidence=("evidence/c1/a.png",),
        refund_to=RefundTo.BALANCE,
        amount=None,
    )
    held, request = requests.open_for_review(o, sub, world.later(1))
    rid = request.request_id
    assert re.match(ID_PATTERN, rid) and rid.startswith("rq_")
    after = item(world.order_key(o.order_id))
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    assert changed == {"open_request_id": rid, "version": o.version + 1, "updated_at": iso(world.later(1))}
    assert held == orders.require_order(o.order_id)
    stored = item(world.request_key(o.order_id, rid))
    assert requests.of_item(stored) == request  # what was returned
    assert {k: v for k, v in stored.items() if k not in ("due_pk", "due_at")} == {
        "pk": keys.order_pk(o.order_id),
        "sk": keys.request_sk(rid),
        "type": "request",
        "request_id": rid,
        "order_id": o.order_id,
        "customer_id": "c1",
        "action": "request",
        "reason_code": "other",
        "description": "ordered the wrong region",
        "evidence": ["evidence/c1/a.png"],
        "refund_to": "balance",
        "status": "under_review",
        "appeal_used": False,
        "created_at": iso(world.later(1)),
        "updated_at": iso(world.later(1)),
    }
    entry = history.timeline(o.order_id)[-1]
    assert {
        k: getattr(entry, k) for k in ("event", "actor", "actor_id", "reason", "from_status", "to_status")
    } == {
        "event": "cancellation.requested",
        "actor": "customer",
        "actor_id": "c1",
        "reason": "other",
        "from_status": "paid",
        "to_status": "paid",
    }
    assert entry.detail == {"request_id": rid, "action": "request"}  # no amount asked: none kept
    _, partial = requests.open_for_review(
        orders.complete_delivery(orders.start_delivery(world.paid().order_id, T2).order_id, T2),
        Submission(action=Action.AFTER_SALES, reason_code=Reason.INVALID_KEY, amount=300),
        world.later(3),
    )
    assert partial.amount == 300
    assert history.timeline(partial.order_id)[-1].detail["amount"] == 300
    day = item((keys.customer_pk("c1"), keys.day_sk(to_cst(NOW).date())))
    assert day["cancellation_requests"] == 2


def test_an_order_not_found_names_it(product: str) -> None:
    with pytest.raises(DomainError) as e:
        orders.require_order("o_" + "0" * 20)
    assert (e.value.code, e.value.details) == ("ORDER_NOT_FOUND", {"order_id": "o_" + "0" * 20})
    o = world.paid()
    with pytest.raises(DomainError) as e:
        orders.require_order(o.order_id, "someone-else")  # another customer's: not found too
    assert (e.value.code, e.value.details) == ("ORDER_NOT_FOUND", {"order_id": o.order_id})
