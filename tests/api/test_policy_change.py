"""A policy changed after an order was placed leaves that order's options as they were, through
the customer's route (docs/domain.md, "Products and policies": an order is judged by the policy
version it was bought under); an order placed after the change gets the new rules."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import FrozenClock, call, pay, place_order
from tests.store.test_policy_pinning import game_card_window


def _options(oid: str) -> dict[str, Any]:
    r = call("GET", f"/v1/orders/{oid}/cancellation-options", headers={"accept-language": "en"})
    assert r.status == 200, r.raw
    return {a["action"]: a for a in r.json["actions"]}


def test_a_policy_change_leaves_an_existing_orders_options_unchanged(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN an order paid under the game card's 10-minute auto-approval window WHEN the window
    becomes 30 minutes and 15 minutes have passed THEN the order's request still needs a reviewer
    and its deadline is the old window's, exactly as read before the change; an order paid under
    the new policy is approved at once at the same point."""
    old = place_order(catalog)["order_id"]
    pay(old, minutes_after=0)
    frozen.advance(minutes=15)
    before = _options(old)
    assert before["request"]["needs_review"] is True
    with game_card_window(30):
        after = _options(old)
        assert after == before  # every action as it was: allowed, review, deadline, reasons
        new = place_order(catalog)["order_id"]
        pay(new, minutes_after=0)
        frozen.advance(minutes=15)
        assert _options(new)["request"]["needs_review"] is False
        assert _options(old)["request"]["needs_review"] is True
