"""What cancellation-options says is allowed is exactly what a POST accepts, and a refusal
carries the code the options showed, for every action in every order state (through the API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from cancelflow import aws
from cancelflow.domain.options import Action
from cancelflow.domain.products import Channel
from cancelflow.errors import CATALOGUE
from cancelflow.settings import get_settings
from cancelflow.store import orders, payments

from tests.api.conftest import call
from tests.api.world import OWNER
from tests.conftest import NOW


def _pending(pid: str) -> str:
    return orders.create_order(OWNER, pid, 1, NOW - timedelta(minutes=5), target="13800000000").order_id


def _paid(minutes_ago: int) -> Callable[[str], str]:
    def make(pid: str) -> str:
        oid = orders.create_order(
            OWNER, pid, 1, NOW - timedelta(minutes=minutes_ago + 1), target="13800000000"
        ).order_id
        payments.confirm_payment(
            oid, f"pay-{oid}", 5000, Channel.ALIPAY, NOW - timedelta(minutes=minutes_ago)
        )
        return oid

    return make


def _delivering(pid: str) -> str:
    oid = _paid(30)(pid)
    orders.start_delivery(oid, NOW - timedelta(minutes=20))
    return oid


def _delivered(pid: str) -> str:
    oid = _delivering(pid)
    orders.complete_delivery(oid, NOW - timedelta(minutes=19))
    return oid


def _completed(pid: str) -> str:
    oid = _delivered(pid)
    orders.complete_order(oid, NOW - timedelta(minutes=1))
    return oid


def _cancelled(pid: str) -> str:
    oid = _pending(pid)
    assert call("POST", f"/v1/orders/{oid}/cancellations", {"action": "self_cancel"}).status == 201
    return oid


def _held(pid: str) -> str:
    oid = _paid(30)(pid)
    assert (
        call("POST", f"/v1/orders/{oid}/cancellations", {"action": "request"}).json["outcome"]
        == "under_review"
    )
    return oid


def _expired(pid: str) -> str:
    return orders.create_order(OWNER, pid, 1, NOW - timedelta(minutes=20), target="13800000000").order_id


STATES: dict[str, Callable[[str], str]] = {
    "pending": _pending,
    "paid-in-window": _paid(2),
    "paid-after-window": _paid(30),
    "delivering": _delivering,
    "delivered": _delivered,
    "completed": _completed,
    "cancelled": _cancelled,
    "held": _held,
    "expired": _expired,
}
REASON = {
    Action.SELF_CANCEL: "changed_mind",
    Action.REQUEST: "changed_mind",
    Action.STOP_DELIVERY: "wrong_info",
    Action.APPEAL: "invalid_key",
    Action.AFTER_SALES: "invalid_key",
}


def _evidence(oid: str) -> list[str]:
    key = f"evidence/{OWNER}/{oid}/{'e' * 32}.png"
    aws.client("s3").put_object(
        Bucket=get_settings().evidence_bucket, Key=key, Body=b"\x89PNG", ContentType="image/png"
    )
    return [key]


@pytest.mark.parametrize("state", list(STATES))
def test_options_and_posts_agree(catalog: dict[str, str], state: str) -> None:
    """GIVEN an order in this state (one fresh order per action) WHEN options are read and then
    each action POSTed THEN allowed <=> accepted, and a refusal has the options' code."""
    for action in Action:
        oid = STATES[state](catalog["mobile_topup"])
        options = call("GET", f"/v1/orders/{oid}/cancellation-options").json
        option = next(a for a in options["actions"] if a["action"] == action.value)
        body = {
            "action": action.value,
            "reason_code": REASON[action],
            "description": "充值号码填写错误需要取消",
        }
        if action is Action.APPEAL:
            body["evidence"] = _evidence(oid)
        resp = call("POST", f"/v1/orders/{oid}/cancellations", body)
        if option["allowed"]:
            assert resp.status == 201 and resp.json["outcome"] == option["outcome"], (state, action, resp.raw)
        else:
            assert (resp.status, resp.code) == (CATALOGUE[option["code"]][0], option["code"]), (
                state,
                action,
                resp.raw,
            )


def test_options_show_cst_times_as_iso_8601_with_their_offset(catalog: dict[str, str]) -> None:
    """GIVEN a paid order inside the auto-approval window WHEN its options are read THEN every
    *_cst time (the request's deadline, each refund ETA) is ISO 8601 with +08:00 naming the same
    instant as its UTC field, to the second: no zone-less string."""
    from datetime import datetime

    from cancelflow.clock import parse

    oid = _paid(3)(catalog["mobile_topup"])
    options = call("GET", f"/v1/orders/{oid}/cancellation-options").json
    request = next(a for a in options["actions"] if a["action"] == "request")
    pairs = [(request["deadline_cst"], request["deadline"])]
    pairs += [(eta["expected_by_cst"], eta["expected_by"]) for eta in request["refund_eta"]]
    assert len(pairs) >= 2
    for shown, utc in pairs:
        assert shown.endswith("+08:00") and datetime.fromisoformat(shown) == parse(utc).replace(microsecond=0)


def test_the_openapi_document_says_what_a_cst_time_looks_like() -> None:
    """GIVEN the cancel API's OpenAPI document THEN every *_cst field of the options (a deadline,
    a refund ETA) is described as ISO 8601 with its +08:00 offset."""
    from functions.cancel.api import api

    schemas = api.openapi()["components"]["schemas"]
    for name, fields in (("ActionOption", ("deadline_cst",)), ("RefundEta", ("expected_by_cst",))):
        for f in fields:
            description = schemas[name]["properties"][f].get("description", "")
            assert "ISO 8601" in description and "+08:00" in description, (name, f)
