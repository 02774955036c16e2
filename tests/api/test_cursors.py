"""A customer's order list cursor: refused unless it was issued to this customer by this list,
in the use case (``list_orders``) and over HTTP (``GET /v1/orders``: 422 on query.cursor)."""

from __future__ import annotations

import base64
import json

import pytest
from cancelflow.cancel.list_orders import list_orders
from cancelflow.errors import DomainError
from cancelflow.store import codec, keys
from cancelflow.store.schema import GSI_CUSTOMER, GSI_STATUS

from tests.api.conftest import call
from tests.api.world import OTHER, OWNER, build_world
from tests.conftest import NOW
from tests.unit.test_cursors import ISSUE_CURSORS


@pytest.fixture
def owners_orders(catalog: dict[str, str]) -> str:
    """The world's owner with 4 orders; the cursor to the second page of 3."""
    build_world(catalog)
    first = call("GET", "/v1/orders", query={"limit": "3"}).json
    assert len(first["items"]) == 3 and first["next_cursor"]
    return str(first["next_cursor"])


def refused(cursor: str, who: str = "owner") -> None:
    resp = call("GET", "/v1/orders", who=who, query={"cursor": cursor})
    assert (resp.status, resp.code, resp.json["error"]["details"].get("field")) == (
        422,
        "VALIDATION_FAILED",
        "query.cursor",
    ), resp.raw
    with pytest.raises(DomainError) as e:
        list_orders(OWNER if who == "owner" else OTHER, 20, cursor, NOW)
    assert (e.value.code, e.value.details) == ("VALIDATION_FAILED", {"field": "query.cursor"})


@pytest.mark.parametrize("cursor", ISSUE_CURSORS)
def test_forged_cursor_from_the_issue_is_refused(owners_orders: str, cursor: str) -> None:
    """GIVEN the owner's orders WHEN the issue's forged cursors are sent THEN 422 on query.cursor."""
    refused(cursor)


def test_cursor_from_another_partition_is_refused(owners_orders: str) -> None:
    """GIVEN the owner's real cursor rewritten to point into another customer's partition, with
    the owner's own binding WHEN the owner sends it THEN 422: no page of someone else's orders."""
    raw = json.loads(base64.urlsafe_b64decode(owners_orders + "=" * (-len(owners_orders) % 4)))
    raw["k"]["gsi_cust_pk"] = keys.customer_pk(OTHER)
    refused(base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("="))


def test_cursor_of_another_caller_is_refused(owners_orders: str) -> None:
    """GIVEN the owner's cursor WHEN the owner sends it THEN the last order; WHEN another
    customer sends it THEN 422 (not the owner's orders, not an empty page)."""
    resp = call("GET", "/v1/orders", query={"cursor": owners_orders})
    assert resp.status == 200 and len(resp.json["items"]) == 1 and resp.json["next_cursor"] is None
    refused(owners_orders, who="other")


def test_cursor_from_another_list_is_refused(owners_orders: str) -> None:
    """GIVEN a review-queue cursor and a refunds cursor made out to the owner WHEN the owner sends
    them to the orders list THEN 422."""
    task_key = {"pk": "TASK#tk_1", "sk": "TASK", "status_pk": "REVIEW#open", "status_sk": "0#x"}
    reviews = codec.CursorScope("reviews?status=open", OWNER, GSI_STATUS, ("REVIEW#open",))
    refused(codec.encode_cursor(reviews, {k: {"S": v} for k, v in task_key.items()}))
    # an orders-shaped key of the owner's own partition, bound as a refunds cursor
    order_key = {"pk": "ORDER#o_1", "sk": "ORDER", "gsi_cust_pk": keys.customer_pk(OWNER), "gsi_cust_sk": "x"}
    refunds = codec.CursorScope(
        "refunds?status=&overdue=False", OWNER, GSI_CUSTOMER, (keys.customer_pk(OWNER),)
    )
    refused(codec.encode_cursor(refunds, {k: {"S": v} for k, v in order_key.items()}))


def test_truncated_or_garbage_cursor_is_refused(owners_orders: str) -> None:
    """GIVEN the owner's real cursor WHEN cut short or replaced by garbage THEN 422; the real one
    still works."""
    for cursor in (
        owners_orders[:-2],
        owners_orders[: len(owners_orders) // 2],
        "not-a-cursor",
        "e30",
        "光标",
    ):
        refused(cursor)
    assert call("GET", "/v1/orders", query={"cursor": owners_orders}).status == 200
