"""List cursors (store/codec.py): one decoder for every list, refusing whatever it did not issue
to this caller for this list, before anything reaches DynamoDB."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cancelflow.errors import DomainError
from cancelflow.store import codec
from cancelflow.store.codec import CursorScope, Position
from cancelflow.store.schema import GSI_CUSTOMER, GSI_STATUS

REVIEWS = CursorScope("reviews?status=open", "sub-r1", GSI_STATUS, ("REVIEW#open",))
REFUNDS = CursorScope(
    "refunds?status=&overdue=False", "sub-s1", GSI_STATUS, ("REFUND#pending#00", "REFUND#pending#01")
)
ORDERS = CursorScope("orders", "c1", GSI_CUSTOMER, ("CUSTOMER#c1",))

# Cursors from the issue, sent to the live system: each answered 500.
ISSUE_CURSORS = (
    "eyJwIjogMTAsICJrIjogbnVsbH0%3D",  # {"p": 10, "k": null}, URL-encoded as sent
    "eyJwIjogMTAsICJrIjogbnVsbH0=",  # the same once the query string is decoded
    base64.urlsafe_b64encode(b'{"a":1}').decode(),
    base64.urlsafe_b64encode(b'{"x":"y"}').decode(),
    "eyJwIjogMCwgImsiOiAieCJ9",  # {"p": 0, "k": "x"}
)


def task_key(partition: str = "REVIEW#open") -> dict[str, Any]:
    return {
        "pk": {"S": "TASK#tk_0a1b"},
        "sk": {"S": "TASK"},
        "status_pk": {"S": partition},
        "status_sk": {"S": "0#2026-11-27T02:00:00.000Z#tk_0a1b"},
    }


def forge(scope: CursorScope, key: dict[str, Any] | None, part: int = 0, **extra: Any) -> str:
    """A cursor with the scope's own binding (as a forger who read this code could build)."""
    body = {"v": 1, "b": scope.binding, "p": part, "k": key, **extra}
    return base64.urlsafe_b64encode(json.dumps(body, ensure_ascii=False).encode()).decode().rstrip("=")


def refused(scope: CursorScope, cursor: str) -> None:
    with pytest.raises(DomainError) as e:
        codec.decode_cursor(scope, cursor)
    assert (e.value.code, e.value.details) == ("VALIDATION_FAILED", {"field": "query.cursor"})


def test_a_cursor_gives_back_the_position_it_was_made_from() -> None:
    """GIVEN a LastEvaluatedKey of the reviews' index WHEN made a cursor and decoded for the same
    list and caller THEN the same key; no cursor is the first page; a later partition's start
    (refunds) comes back as that partition with no key."""
    cursor = codec.encode_cursor(REVIEWS, task_key())
    assert codec.decode_cursor(REVIEWS, cursor) == Position(0, task_key())
    assert codec.decode_cursor(REVIEWS, None) == codec.decode_cursor(REVIEWS, "") == Position()
    assert codec.decode_cursor(REFUNDS, codec.encode_cursor(REFUNDS, None, 1)) == Position(1, None)


def test_a_cursor_is_opaque_and_url_safe() -> None:
    """GIVEN a cursor WHEN looked at THEN only URL-safe characters (no padding to escape), and
    neither the caller nor the raw key attributes in clear text."""
    cursor = codec.encode_cursor(REVIEWS, task_key())
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "sub-r1" not in cursor and "status_pk" not in cursor


@pytest.mark.parametrize("cursor", ISSUE_CURSORS)
@pytest.mark.parametrize("scope", [REVIEWS, REFUNDS, ORDERS], ids=["reviews", "refunds", "orders"])
def test_cursors_the_list_did_not_issue_are_refused(scope: CursorScope, cursor: str) -> None:
    """GIVEN the issue's forged cursors ({"p":10,"k":null}, {"a":1}, {"x":"y"}, {"p":0,"k":"x"})
    WHEN any list decodes one THEN VALIDATION_FAILED on query.cursor (they answered 500)."""
    refused(scope, cursor)


def test_cursor_from_another_partition_is_refused() -> None:
    """GIVEN a well-formed key of the decided tasks' partition, with the open list's own binding
    WHEN the open list decodes it THEN refused (DynamoDB would reject it: a 500 in the cloud);
    likewise a refund key of partition 00 presented as partition 01's, and another customer's
    order key."""
    refused(REVIEWS, forge(REVIEWS, {k: v["S"] for k, v in task_key("REVIEW#decided").items()}))
    refund = {"pk": "REFUND#rf_1", "sk": "REFUND", "status_pk": "REFUND#pending#00", "status_sk": "x"}
    assert codec.decode_cursor(REFUNDS, forge(REFUNDS, refund, 0)).start is not None
    refused(REFUNDS, forge(REFUNDS, refund, 1))
    order = {"pk": "ORDER#o_1", "sk": "ORDER", "gsi_cust_pk": "CUSTOMER#c2", "gsi_cust_sk": "x"}
    refused(ORDERS, forge(ORDERS, order))


def test_cursor_of_another_caller_is_refused() -> None:
    """GIVEN a cursor issued to reviewer r1 WHEN reviewer r2 sends it THEN refused."""
    cursor = codec.encode_cursor(REVIEWS, task_key())
    refused(CursorScope(REVIEWS.name, "sub-r2", REVIEWS.index, REVIEWS.partitions), cursor)


def test_cursor_from_another_list_is_refused() -> None:
    """GIVEN cursors of the open tasks, the claimed tasks (same partition, other filter), the
    refunds and the orders WHEN each other list decodes them THEN refused; as is a refunds
    cursor after the shard count changed (its partitions are not the list's any more)."""
    claimed = CursorScope("reviews?status=claimed", "sub-r1", GSI_STATUS, ("REVIEW#open",))
    refused(claimed, codec.encode_cursor(REVIEWS, task_key()))
    refund = {"pk": {"S": "REFUND#rf_1"}, "sk": {"S": "REFUND"}}
    refund |= {"status_pk": {"S": "REFUND#pending#00"}, "status_sk": {"S": "x"}}
    refunds_cursor = codec.encode_cursor(REFUNDS, refund)
    refused(REVIEWS, refunds_cursor)
    reshard = CursorScope(REFUNDS.name, REFUNDS.caller, REFUNDS.index, (*REFUNDS.partitions, "REFUND#x#02"))
    refused(reshard, refunds_cursor)
    order = {"pk": {"S": "ORDER#o_1"}, "sk": {"S": "ORDER"}}
    order |= {"gsi_cust_pk": {"S": "CUSTOMER#c1"}, "gsi_cust_sk": {"S": "x"}}
    refused(REVIEWS, codec.encode_cursor(ORDERS, order))
    refused(ORDERS, codec.encode_cursor(REVIEWS, task_key()))


def test_truncated_or_garbage_cursors_are_refused() -> None:
    """GIVEN a real cursor cut short, and garbage of every kind WHEN decoded THEN refused, never
    an exception of another kind."""
    cursor = codec.encode_cursor(REVIEWS, task_key())
    plain_key = {k: v["S"] for k, v in task_key().items()}
    garbage = [
        cursor[:-1],
        cursor[:-5],
        cursor[: len(cursor) // 2],
        cursor + "A",
        "not a cursor",
        "not-a-cursor",
        "e30",  # {}
        "W10",  # []
        "bnVsbA",  # null
        "////",
        "x" * 3000,
        "光标",
        "%00",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        forge(REVIEWS, plain_key, v=2),  # another format version
        forge(REVIEWS, plain_key, extra="x"),  # a field no cursor has
        forge(REVIEWS, None),  # no key in the first partition: never issued
        forge(REVIEWS, plain_key, part=-1),
        forge(REVIEWS, plain_key, part=True),
        forge(REVIEWS, plain_key, part="0"),
        forge(REVIEWS, plain_key | {"extra": "x"}),  # not a key of the index
        forge(REVIEWS, {k: v for k, v in plain_key.items() if k != "sk"}),
        forge(REVIEWS, plain_key | {"status_sk": ""}),
        forge(REVIEWS, plain_key | {"status_sk": 1}),
        forge(REVIEWS, plain_key | {"status_sk": {"S": "x"}}),
        forge(REVIEWS, plain_key | {"status_sk": "x" * 1025}),  # DynamoDB: sort keys <= 1,024 bytes
        forge(REVIEWS, plain_key | {"status_sk": "光" * 400}),  # 1,200 bytes
        forge(REVIEWS, "x"),  # type: ignore[arg-type]
        forge(REVIEWS, [plain_key]),  # type: ignore[arg-type]
    ]
    for c in garbage:
        refused(REVIEWS, c)
