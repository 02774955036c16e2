"""Support's customer flag over the API (docs/domain.md, "Risk"): set and cleared with a reason,
each change audited (who, when, why), refused without a reason, for support only; a flagged
customer's requests are not auto-approved."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import FrozenClock, call, pay, place_order, table_snapshot
from tests.api.world import OWNER, SUPPORT_SUB

PATH = f"/v1/customers/{OWNER}/flag"


def _flag(flagged: bool, reason: str) -> dict[str, Any]:
    r = call("POST", PATH, {"flagged": flagged, "reason": reason}, who="support")
    assert r.status == 200, r.raw
    return dict(r.json)


def test_support_sets_and_clears_the_flag_with_a_reason_each_audited(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a customer never flagged WHEN support flags them (chargeback), then clears the
    flag (cleared by the bank) THEN each answer is the flag as stored with the reason, who and
    when; the trail holds both changes, newest first; while flagged, a request inside the
    auto-approval window goes to review, and after clearing one is approved at once."""
    before = call("GET", PATH, who="support")
    assert (before.status, before.json["flagged"], before.json["history"]) == (200, False, [])

    flagged = _flag(True, "chargeback on two orders")
    assert (flagged["flagged"], flagged["reason"], flagged["changed_by"]) == (
        True,
        "chargeback on two orders",
        SUPPORT_SUB,
    )
    order = place_order(catalog)
    pay(order["order_id"])
    frozen.advance(minutes=2)
    r = call("POST", f"/v1/orders/{order['order_id']}/cancellations", {"action": "request"})
    assert (r.status, r.json["outcome"]) == (201, "under_review"), r.raw

    frozen.advance(minutes=1)
    cleared = _flag(False, "the bank withdrew the chargeback")
    assert (cleared["flagged"], cleared["reason"]) == (False, "the bank withdrew the chargeback")
    trail = [(c["flagged"], c["reason"], c["changed_by"]) for c in cleared["history"]]
    assert trail == [
        (False, "the bank withdrew the chargeback", SUPPORT_SUB),
        (True, "chargeback on two orders", SUPPORT_SUB),
    ]
    assert cleared["history"][0]["changed_at"] > cleared["history"][1]["changed_at"]
    assert call("GET", PATH, who="support").json == cleared

    again = place_order(catalog)
    pay(again["order_id"])
    frozen.advance(minutes=2)
    r = call("POST", f"/v1/orders/{again['order_id']}/cancellations", {"action": "request"})
    assert (r.status, r.json["outcome"]) == (201, "refund_started"), r.raw


def test_a_change_without_a_reason_is_refused_and_changes_nothing(catalog: dict[str, str]) -> None:
    """GIVEN a customer WHEN support sends no reason, an empty one, or only spaces THEN 422
    naming the field, and the table is as it was (no flag, no audit entry)."""
    before = table_snapshot()
    for body in ({"flagged": True}, {"flagged": True, "reason": ""}, {"flagged": True, "reason": "   "}):
        r = call("POST", PATH, body, who="support")
        assert (r.status, r.code) == (422, "VALIDATION_FAILED"), (body, r.raw)
        assert "reason" in r.json["error"]["details"]["field"], r.json
    assert table_snapshot() == before


def test_only_support_sees_or_changes_the_flag(catalog: dict[str, str]) -> None:
    """GIVEN the customer themself and a reviewer WHEN they read or change the flag THEN 403,
    nothing written."""
    before = table_snapshot()
    for who in ("owner", "reviewer"):
        assert call("GET", PATH, who=who).status == 403
        assert call("POST", PATH, {"flagged": False, "reason": "not me"}, who=who).status == 403
    assert table_snapshot() == before
