"""Lifecycle journeys over HTTP through the local runtime (issue 17): completion with no API
call, and the cooling-off before delivery. Top-ups run under the default policy here (their
cooling-off is the auto-approval window); the suite turns keyed goods' off (tests/conftest)."""

from __future__ import annotations

from tests.e2e.conftest import PLATFORM, Api, cancel, customer, detail, fulfil, new_order, pay

WINDOW_S = 10 * 60  # the auto-approval window, which the cooling-off follows by default


def _timeline(api: Api, cust: tuple[str, str], order_id: str) -> list[str]:
    return [e["event"] for e in api.ok("GET", f"/v1/orders/{order_id}/timeline", cust)["entries"]]


def _option(api: Api, cust: tuple[str, str], order_id: str, action: str) -> dict:  # type: ignore[type-arg]
    opts = api.ok("GET", f"/v1/orders/{order_id}/cancellation-options", cust)
    return next(a for a in opts["actions"] if a["action"] == action)


def test_a_delivered_order_completes_when_its_window_ends_with_no_api_call(api: Api) -> None:
    """GIVEN a delivered game card WHEN business time passes its 72 h confirmation window THEN
    it reads completed (completed_at = the window's end), the completion schedule has written it
    (order.completed on the timeline) and after-sales is open, without anyone calling the API."""
    pid, cust = api.product(), customer()
    order = new_order(api, cust, pid)
    pay(api, order)
    fulfil(api, order["order_id"], "start")
    delivered = fulfil(api, order["order_id"], "complete")
    assert delivered["status"] == "delivered"
    assert _option(api, cust, order["order_id"], "appeal")["allowed"] is True

    moved = api.advance(72 * 3600 + 5)
    assert "complete_orders" in moved["ticked"]
    d = detail(api, cust, order["order_id"])["order"]
    assert d["status"] == "completed" and d["completed_at"] is not None
    assert d["completed_at"] > delivered["delivered_at"]
    assert _timeline(api, cust, order["order_id"])[-1] == "order.completed"
    assert api.status()["schedules"]["last_results"]["complete_orders"]["done"] >= 1
    assert _option(api, cust, order["order_id"], "after_sales")["allowed"] is True
    appeal = _option(api, cust, order["order_id"], "appeal")
    assert (appeal["allowed"], appeal["code"]) == (False, "APPEAL_WINDOW_CLOSED")


def test_cooling_off_refuses_the_start_then_allows_it_and_the_window_is_self_service(api: Api) -> None:
    """GIVEN a paid top-up WHEN fulfilment starts it at once THEN 409 COOLING_OFF saying until
    when (UTC and China time) and nothing changes; the customer's request inside the window is
    auto-approved. A second top-up, started once the cooling-off is over, is delivering."""
    pid, cust = api.product("mobile_topup", price=5000), customer()
    first = new_order(api, cust, pid)
    pay(api, first)
    r = api.call("POST", f"/v1/platform/orders/{first['order_id']}/fulfilment", PLATFORM, {"action": "start"})
    details = api.error(r, 409, "COOLING_OFF")["details"]
    assert details["until"] and details["until_cst"].endswith("+08:00")
    assert detail(api, cust, first["order_id"])["order"]["status"] == "paid"
    assert _option(api, cust, first["order_id"], "request")["outcome"] == "refund_started"
    done = cancel(api, cust, first["order_id"], action="request", reason_code="changed_mind")
    assert done.status_code == 201, done.text
    assert done.json()["outcome"] == "refund_started"

    second = new_order(api, cust, pid)
    pay(api, second)
    api.advance(WINDOW_S + 1)
    started = fulfil(api, second["order_id"], "start")
    assert started["status"] == "delivering"
    assert "delivery.started" in _timeline(api, cust, second["order_id"])
