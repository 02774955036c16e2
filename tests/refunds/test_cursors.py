"""Support's refund list cursor: refused unless the list issued it to this caller for these
filters, at the store (``support.list_refunds``) and over HTTP (``GET /v1/refunds``: 422 on
query.cursor)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cancelflow.errors import DomainError
from cancelflow.refunds import support
from cancelflow.refunds.model import RefundStatus
from cancelflow.settings import get_settings
from cancelflow.store import codec, keys
from cancelflow.store.schema import GSI_STATUS

from tests.refunds.conftest import owe_refund, paid_order
from tests.refunds.test_routes import call
from tests.unit.test_cursors import ISSUE_CURSORS

SUPPORT = "user-support"  # the sub tests.refunds.test_routes.call gives a support caller


@pytest.fixture
def pending(aws: dict[str, str]) -> list[str]:
    """Six pending refunds (spread over the index shards)."""
    return [owe_refund(paid_order(f"c{i}", 1000, "alipay"), 1000) for i in range(6)]


def pending_scope(caller: str = SUPPORT) -> codec.CursorScope:
    parts = tuple(keys.status_pk("REFUND", "pending", n) for n in range(get_settings().status_shards))
    return codec.CursorScope("refunds?status=pending&overdue=False&chased=False", caller, GSI_STATUS, parts)


def forged(part: int, key: dict[str, str] | None, caller: str = SUPPORT) -> str:
    """A well-formed cursor with the pending list's real binding for ``caller``."""
    body = {"v": 1, "b": pending_scope(caller).binding, "p": part, "k": key}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def refused_at_the_store(cursor: str, status: RefundStatus | None = RefundStatus.PENDING) -> None:
    with pytest.raises(DomainError) as e:
        support.list_refunds(status, False, cursor, 2, SUPPORT)
    assert (e.value.code, e.value.details) == ("VALIDATION_FAILED", {"field": "query.cursor"})


def refused_over_http(cursor: str, query: dict[str, str] | None = None, sub: str | None = None) -> None:
    """``query``: the list's filters (default status=pending)."""
    q = {"status": "pending"} if query is None else query
    status, body = call("GET", "/v1/refunds", ["support"], query={**q, "cursor": cursor}, sub=sub)
    assert (status, body["error"]["code"], body["error"]["details"].get("field")) == (
        422,
        "VALIDATION_FAILED",
        "query.cursor",
    ), body


def first_page(query: dict[str, str] | None = None, sub: str | None = None) -> dict[str, Any]:
    status, page = call("GET", "/v1/refunds", ["support"], query={"limit": "2", **(query or {})}, sub=sub)
    assert status == 200 and len(page["items"]) == 2 and page["next_cursor"], page
    return dict(page)


@pytest.mark.parametrize("cursor", ISSUE_CURSORS)
def test_forged_cursor_from_the_issue_is_refused_not_a_500(pending: list[str], cursor: str) -> None:
    """GIVEN pending refunds WHEN the issue's cursors ({"p":0,"k":"x"} among them) are sent,
    with and without a status filter THEN 422 VALIDATION_FAILED on query.cursor (500 before)."""
    refused_at_the_store(cursor)
    refused_at_the_store(cursor, None)
    refused_over_http(cursor)
    refused_over_http(cursor, {})


def test_cursor_from_another_partition_is_refused(pending: list[str]) -> None:
    """GIVEN a well-formed key of shard 00 of the pending refunds, bound like the caller's own
    cursor WHEN it claims to be in shard 01, or in the failed refunds' partition THEN 422; a
    partition number beyond the list's partitions ({"p": 10}) too."""
    key = {"pk": f"REFUND#{pending[0]}", "sk": "REFUND", "status_pk": keys.status_pk("REFUND", "pending", 0)}
    key["status_sk"] = f"2026-11-27T02:00:00.000Z#{pending[0]}"
    assert support.list_refunds(RefundStatus.PENDING, False, forged(0, key), 2, SUPPORT) is not None
    elsewhere = key | {"status_pk": keys.status_pk("REFUND", "failed", 1)}
    for cursor in (
        forged(1, key),
        forged(1, elsewhere),
        forged(10, None),
        forged(len(pending_scope().partitions), None),
    ):
        refused_at_the_store(cursor)
        refused_over_http(cursor)


def test_cursor_of_another_caller_is_refused(pending: list[str]) -> None:
    """GIVEN one support agent's cursor WHEN they send it THEN the next page; WHEN another
    support agent sends it THEN 422."""
    page = first_page()
    status, nxt = call("GET", "/v1/refunds", ["support"], query={"limit": "2", "cursor": page["next_cursor"]})
    assert status == 200 and not {r["refund_id"] for r in nxt["items"]} & {
        r["refund_id"] for r in page["items"]
    }
    refused_over_http(page["next_cursor"], {}, sub="user-support-2")
    with pytest.raises(DomainError):
        support.list_refunds(None, False, page["next_cursor"], 2, "user-support-2")


def test_cursor_from_another_list_is_refused(pending: list[str]) -> None:
    """GIVEN a cursor of every open refund WHEN it is sent with status=pending, or with
    overdue=true THEN 422; a review-queue cursor or an orders cursor: 422."""
    cursor = first_page()["next_cursor"]
    refused_over_http(cursor)  # status=pending
    refused_over_http(cursor, {"overdue": "true"})
    task_key = {"pk": {"S": "TASK#tk_1"}, "sk": {"S": "TASK"}, "status_pk": {"S": "REVIEW#open"}}
    task_key["status_sk"] = {"S": "0#x"}
    reviews = codec.CursorScope("reviews?status=open", SUPPORT, GSI_STATUS, ("REVIEW#open",))
    refused_over_http(codec.encode_cursor(reviews, task_key))
    orders = codec.CursorScope("orders", SUPPORT, "by_customer", (keys.customer_pk(SUPPORT),))
    order_key = {
        "pk": {"S": "ORDER#o_1"},
        "sk": {"S": "ORDER"},
        "gsi_cust_pk": {"S": keys.customer_pk(SUPPORT)},
    }
    order_key["gsi_cust_sk"] = {"S": "x"}
    refused_over_http(codec.encode_cursor(orders, order_key))


def test_truncated_or_garbage_cursor_is_refused(pending: list[str]) -> None:
    """GIVEN a real cursor WHEN it is cut short or replaced by garbage THEN 422, and the real
    one still works."""
    real = first_page({"status": "pending"})["next_cursor"]
    for cursor in (real[:-2], real[: len(real) // 2], real + "x", "not-a-cursor", "e30", "%%%"):
        refused_over_http(cursor)
    assert call("GET", "/v1/refunds", ["support"], query={"status": "pending", "cursor": real})[0] == 200
