"""Hardening (issue 13), over the routes as API Gateway calls them: a payment id replayed with
other values (6), reasons that do not fit the state (12), a new request after a rejection
(13), a plain reviewer deciding an escalated task (5) and a loose decision body (3)."""

from __future__ import annotations

from typing import Any

from cancelflow.review import tasks
from cancelflow.review.sla import escalate_overdue
from cancelflow.settings import get_settings
from cancelflow.store import requests

from tests.api.conftest import FrozenClock, call, pay, place_order, table_snapshot
from tests.review.conftest import drain, intake

FULL = {"order_status_verified": True, "evidence_judged": True, "refund_path_confirmed": True}


def _order(catalog: dict[str, str]) -> dict[str, Any]:
    return place_order(catalog, quantity=1)


def _paid_outside_the_window(catalog: dict[str, str], frozen: FrozenClock) -> str:
    order_id = str(_order(catalog)["order_id"])
    pay(order_id)
    frozen.advance(minutes=30)  # past the auto-approval window: a request goes to review
    return order_id


def _options(order_id: str) -> dict[str, Any]:
    r = call("GET", f"/v1/orders/{order_id}/cancellation-options")
    assert r.status == 200, r.raw
    return {a["action"]: a for a in r.json["actions"]}


def _request(order_id: str, reason: str = "changed_mind") -> Any:
    return call("POST", f"/v1/orders/{order_id}/cancellations", {"action": "request", "reason_code": reason})


# ---------------------------------------------------------------- 6


def test_replayed_payment_id_with_another_amount_is_409_payment_conflict(catalog: dict[str, str]) -> None:
    """GIVEN a payment applied to an order
    WHEN the same payment id is posted again with another amount and channel
    THEN 409 PAYMENT_CONFLICT with the stored and the sent values, and nothing changed."""
    order = _order(catalog)
    body = {
        "order_id": order["order_id"],
        "payment_id": "wx-9",
        "amount": order["amount"],
        "channel": "alipay",
    }
    assert call("POST", "/v1/platform/payments", body, who="platform").status == 200
    before = table_snapshot()
    other = body | {"amount": order["amount"] - 1, "channel": "wechat_pay"}
    r = call("POST", "/v1/platform/payments", other, who="platform")
    assert r.status == 409 and r.code == "PAYMENT_CONFLICT"
    details = r.json["error"]["details"]
    assert details["stored"] == {
        "order_id": order["order_id"],
        "amount": order["amount"],
        "channel": "alipay",
    }
    assert details["sent"] == {
        "order_id": order["order_id"],
        "amount": order["amount"] - 1,
        "channel": "wechat_pay",
    }
    assert table_snapshot() == before


# ---------------------------------------------------------------- 12


def test_delivery_fault_reason_on_a_paid_undelivered_order_is_422(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a paid order nothing was delivered for
    WHEN the customer asks the options, then requests a cancellation for duplicate_delivery
    THEN the options do not offer that reason, the POST is 422 REASON_NOT_ALLOWED naming the
    allowed ones, and nothing is stored (no request, no hold, no message for review)."""
    order_id = _paid_outside_the_window(catalog, frozen)
    reasons = _options(order_id)["request"]["reasons"]
    assert "duplicate_delivery" not in reasons and "stock_error" in reasons
    before = table_snapshot()
    r = _request(order_id, "duplicate_delivery")
    assert r.status == 422 and r.code == "REASON_NOT_ALLOWED"
    assert r.json["error"]["details"]["allowed"] == reasons
    assert table_snapshot() == before
    assert drain(get_settings().review_queue_url) == []


# ---------------------------------------------------------------- 13 and 5


def _reviewed(order_id: str, frozen: FrozenClock, claim_after_minutes: int = 0) -> str:
    """Request a cancellation; the plain reviewer claims its task ``claim_after_minutes`` later."""
    assert _request(order_id).status == 201
    intake(drain(get_settings().review_queue_url))
    frozen.advance(minutes=claim_after_minutes)
    claimed = call("POST", "/v1/reviews/claim-next", who="reviewer")
    assert claimed.status == 200, claimed.raw
    return str(claimed.json["task_id"])


def test_new_request_after_a_rejection_is_409_appeal_instead(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a paid order whose cancellation request a reviewer rejected
    WHEN the customer asks the options and requests the cancellation again
    THEN the options say request is not allowed (REQUEST_REJECTED_APPEAL_INSTEAD, with the
    request to appeal), and the POST is 409 with that code; nothing is stored."""
    order_id = _paid_outside_the_window(catalog, frozen)
    task_id = _reviewed(order_id, frozen)
    rejected = call(
        "POST", f"/v1/reviews/{task_id}/decision", {"outcome": "reject", "note": "不符合"}, who="reviewer"
    )
    assert rejected.status == 200, rejected.raw
    request_id = tasks.get_task(task_id).request_id
    option = _options(order_id)["request"]
    assert option["allowed"] is False and option["code"] == "REQUEST_REJECTED_APPEAL_INSTEAD"
    assert option["appeal_request_id"] == request_id and option["message"]
    before = table_snapshot()
    r = _request(order_id)
    assert r.status == 409 and r.code == "REQUEST_REJECTED_APPEAL_INSTEAD"
    assert r.json["error"]["details"]["appeal_request_id"] == request_id
    assert table_snapshot() == before


def test_plain_reviewer_deciding_an_escalated_task_is_403(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a task a plain reviewer claimed, escalated (senior-only) by the SLA sweep
    WHEN that reviewer posts an approval THEN 403 FORBIDDEN and nothing changed."""
    order_id = _paid_outside_the_window(catalog, frozen)
    task_id = _reviewed(order_id, frozen, claim_after_minutes=55)
    frozen.advance(minutes=6)  # past the one-hour decision SLA, inside the lease
    request_id = tasks.get_task(task_id).request_id
    assert escalate_overdue(requests.get_request(order_id, request_id), frozen.now()) is True
    before = table_snapshot()
    body = {"outcome": "approve", "checklist": FULL}
    r = call("POST", f"/v1/reviews/{task_id}/decision", body, who="reviewer")
    assert r.status == 403 and r.code == "FORBIDDEN"
    assert table_snapshot() == before


# ---------------------------------------------------------------- 3


def test_decision_checklist_of_yes_is_422(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a task the reviewer holds WHEN the approval's checklist says "yes", "on" or 1
    THEN 422 VALIDATION_FAILED each time and the task is not decided."""
    order_id = _paid_outside_the_window(catalog, frozen)
    task_id = _reviewed(order_id, frozen)
    before = table_snapshot()
    for loose in ("yes", "on", 1):
        body = {"outcome": "approve", "checklist": dict.fromkeys(FULL, loose)}
        r = call("POST", f"/v1/reviews/{task_id}/decision", body, who="reviewer")
        assert r.status == 422 and r.code == "VALIDATION_FAILED", (loose, r.raw)
    assert table_snapshot() == before
