"""What a submission tells the customer to expect (docs/domain.md, "Review", expected review
time): the decision from the review queue as it stands, never after the SLA; the refund on the
channel it goes to, from now when it started, from the expected decision when under review."""

from __future__ import annotations

from datetime import datetime, timedelta

from cancelflow import aws as cloud
from cancelflow.domain.priority import NORMAL, URGENT
from cancelflow.store import ddb, tasks

from tests.api.conftest import FrozenClock, call
from tests.api.test_cancel_routes import _new_paid_order


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _put_task(task_id: str, attrs: dict[str, str]) -> None:
    pk, sk = tasks.task_key(task_id)
    item = {"pk": pk, "sk": sk, "type": "review_task", **attrs}
    cloud.dynamodb().put_item(TableName=ddb.table(), Item=ddb.to_item(item))


def _late_request(catalog: dict[str, str], frozen: FrozenClock, **body: str) -> dict[str, object]:
    oid = _new_paid_order(catalog, frozen, payment_id=f"pay-{frozen.now().timestamp()}")
    frozen.advance(minutes=30)  # past the auto-approval window: reviewed
    resp = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request", **body})
    assert resp.status == 201 and resp.json["outcome"] == "under_review", resp.raw
    return dict(resp.json)


def test_an_auto_approved_refund_says_when_it_arrives_and_no_review(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    oid = _new_paid_order(catalog, frozen)
    now = frozen.advance(minutes=3)
    resp = call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"})
    assert resp.status == 201 and resp.json["outcome"] == "refund_started", resp.raw
    assert resp.json["expected_review_by"] is None
    eta = resp.json["refund_eta"]
    assert eta["channel"] == "bank_card"  # how it was paid
    assert now < _at(eta["expected_by"]) <= _at(eta["due_by"]) and eta["expected_by_cst"]


def test_with_no_recent_decisions_the_review_sla_is_the_answer(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN nobody decided anything in the last hour THEN the rate is unknown: expected by the
    60-minute SLA, and the refund from then on the original channel (balance when asked)."""
    out = _late_request(catalog, frozen)
    review_by = _at(str(out["expected_review_by"]))
    assert review_by == frozen.now() + timedelta(minutes=60)
    eta = out["refund_eta"]
    assert isinstance(eta, dict) and eta["channel"] == "bank_card" and _at(eta["expected_by"]) > review_by
    balance = _late_request(catalog, frozen, refund_to="balance")["refund_eta"]
    assert isinstance(balance, dict) and balance["channel"] == "balance"


def test_the_estimate_follows_the_queue_ahead_and_the_recent_rate(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN 6 decisions in the last hour (one per 10 minutes) and 2 open tasks ahead (urgent),
    1 behind (due later) WHEN a request goes to review THEN it is expected in (2 + 1) x 10 = 30
    minutes; and with 9 ahead the SLA caps it."""
    now = frozen.now() + timedelta(minutes=30)  # when _late_request will submit
    for i in range(6):
        decided_at = now - timedelta(minutes=5 + 9 * i)
        _put_task(f"tk_done{i}", tasks.parked_attrs("decided", decided_at, f"tk_done{i}"))
    _put_task("tk_old", tasks.parked_attrs("decided", now - timedelta(minutes=61), "tk_old"))  # outside
    for i in range(2):
        _put_task(f"tk_urg{i}", tasks.pool_attrs(f"tk_urg{i}", URGENT, now + timedelta(minutes=5), 100))
    _put_task("tk_later", tasks.pool_attrs("tk_later", NORMAL, now + timedelta(minutes=90), 100))
    out = _late_request(catalog, frozen)
    assert frozen.now() == now
    assert _at(str(out["expected_review_by"])) == now + timedelta(minutes=30)
    for i in range(2, 9):
        _put_task(f"tk_urg{i}", tasks.pool_attrs(f"tk_urg{i}", URGENT, now + timedelta(minutes=5), 100))
    capped = _late_request(catalog, frozen)
    assert _at(str(capped["expected_review_by"])) == frozen.now() + timedelta(minutes=60)
