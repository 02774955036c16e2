"""The review queue's cursor: refused unless the list issued it to this reviewer for this status,
at the store (``tasks.list_tasks``) and over HTTP (``GET /v1/reviews``: 422 on query.cursor)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cancelflow.errors import DomainError
from cancelflow.review import tasks
from cancelflow.store import codec
from cancelflow.store.schema import GSI_STATUS

from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake
from tests.review.test_routes import call
from tests.unit.test_cursors import ISSUE_CURSORS

STATUSES = ("open", "claimed", "waiting_customer", "decided")


@pytest.fixture
def three_open(make_request: Maker, review_queue: str) -> list[str]:
    """Three open tasks (so a page of one has a next page)."""
    for customer in ("c1", "c2", "c3"):
        make_request(customer=customer)
    intake(drain(review_queue))
    return [t.task_id for t in tasks.list_tasks("open", NOW)[0]]


def forged(key: dict[str, Any], caller: str, status: str = "open") -> str:
    """A well-formed cursor for ``key`` with the open list's real binding for ``caller``."""
    scope = codec.CursorScope(f"reviews?status={status}", caller, GSI_STATUS, ("REVIEW#open",))
    body = {"v": 1, "b": scope.binding, "p": 0, "k": {k: v["S"] for k, v in key.items()}}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def refused_at_the_store(cursor: str, status: str = "open", caller: str = "") -> None:
    with pytest.raises(DomainError) as e:
        tasks.list_tasks(status, NOW, 1, cursor, caller=caller)
    assert (e.value.code, e.value.details) == ("VALIDATION_FAILED", {"field": "query.cursor"})


def refused_over_http(cursor: str, who: str = "r1", status: str = "open") -> None:
    status_code, body = call("GET", "/v1/reviews", who, query={"status": status, "cursor": cursor})
    assert (status_code, body["error"]["code"], body["error"]["details"].get("field")) == (
        422,
        "VALIDATION_FAILED",
        "query.cursor",
    ), body


@pytest.mark.parametrize("cursor", ISSUE_CURSORS)
def test_forged_cursor_from_the_issue_is_refused_not_a_500(three_open: list[str], cursor: str) -> None:
    """GIVEN open tasks WHEN the issue's cursors ({"p":10,"k":null}, {"a":1}, {"x":"y"},
    {"p":0,"k":"x"}) are sent to every status of GET /v1/reviews THEN 422 VALIDATION_FAILED on
    query.cursor each time (they answered 500: the decoded JSON went to DynamoDB as it was)."""
    for status in STATUSES:
        refused_at_the_store(cursor, status)
        refused_over_http(cursor, status=status)


def test_cursor_from_another_partition_is_refused(three_open: list[str]) -> None:
    """GIVEN a well-formed key of the decided tasks' partition, bound like r1's own open-list
    cursor WHEN r1 sends it for the open list THEN 422 (moto answers an empty page; DynamoDB
    rejects an ExclusiveStartKey outside the queried partition, a 500 in the cloud)."""
    key = {
        "pk": {"S": f"TASK#{three_open[0]}"},
        "sk": {"S": "TASK"},
        "status_pk": {"S": "REVIEW#decided"},
        "status_sk": {"S": f"2026-11-27T02:00:00.000Z#{three_open[0]}"},
    }
    refused_at_the_store(forged(key, "sub-r1"), caller="sub-r1")
    refused_over_http(forged(key, "sub-r1"))


def test_cursor_of_another_caller_is_refused(three_open: list[str]) -> None:
    """GIVEN r1's cursor to the second page of the open tasks WHEN r1 sends it THEN the next page;
    WHEN r2 sends it THEN 422."""
    status, first = call("GET", "/v1/reviews", "r1", query={"limit": "1"})
    assert status == 200 and len(first["items"]) == 1 and first["next_cursor"]
    status, second = call("GET", "/v1/reviews", "r1", query={"limit": "1", "cursor": first["next_cursor"]})
    assert status == 200 and [t["task_id"] for t in second["items"]] == three_open[1:2]
    refused_over_http(first["next_cursor"], who="r2")
    refused_at_the_store(first["next_cursor"], caller="sub-r2")


def test_cursor_from_another_list_is_refused(three_open: list[str]) -> None:
    """GIVEN r1's cursor of the open list WHEN r1 sends it for the claimed list (the same index
    partition, another filter) or the decided list THEN 422; and an orders cursor or a refunds
    cursor for the open list: 422."""
    _, first = call("GET", "/v1/reviews", "r1", query={"limit": "1"})
    for status in ("claimed", "decided"):
        refused_over_http(first["next_cursor"], status=status)
    order_key = {"pk": "ORDER#o_1", "sk": "ORDER", "gsi_cust_pk": "CUSTOMER#c1", "gsi_cust_sk": "x"}
    orders_scope = codec.CursorScope("orders", "sub-r1", "by_customer", ("CUSTOMER#c1",))
    refused_over_http(codec.encode_cursor(orders_scope, {k: {"S": v} for k, v in order_key.items()}))
    refunds_scope = codec.CursorScope("refunds?status=&overdue=False", "sub-r1", GSI_STATUS, ("REVIEW#open",))
    start = tasks.list_tasks("open", NOW, 1)[1]
    assert start is not None
    position = codec.decode_cursor(
        codec.CursorScope("reviews?status=open", "", GSI_STATUS, ("REVIEW#open",)), start
    )
    refused_over_http(codec.encode_cursor(refunds_scope, position.start))


def test_truncated_or_garbage_cursor_is_refused(three_open: list[str]) -> None:
    """GIVEN r1's real cursor WHEN it is cut short, or replaced by garbage THEN 422 on
    query.cursor, and the real one still works."""
    _, first = call("GET", "/v1/reviews", "r1", query={"limit": "1"})
    real = first["next_cursor"]
    for cursor in (real[:-2], real[: len(real) // 2], real + "x", "not-a-cursor", "e30", "%%%"):
        refused_over_http(cursor)
    assert call("GET", "/v1/reviews", "r1", query={"limit": "1", "cursor": real})[0] == 200
