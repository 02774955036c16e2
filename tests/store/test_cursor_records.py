"""List cursors at their edges (store/codec.py): any cursor the codec issues decodes back,
whatever its length; one naming a partition past the list's last, or a key value over
DynamoDB's 1,024 bytes, is refused. (Mutation testing found these edges unasserted: a wrong
padding rule failed only some lengths, an off-by-one let the partition after the last in.)"""

from __future__ import annotations

from typing import Any

import pytest
from cancelflow.errors import DomainError
from cancelflow.store import codec
from cancelflow.store.codec import CursorScope, Position
from cancelflow.store.schema import GSI_STATUS

REFUNDS = CursorScope("refunds", "sub-s1", GSI_STATUS, ("REFUND#pending#00", "REFUND#pending#01"))


def _key(sort: str, partition: str = "REFUND#pending#00") -> dict[str, Any]:
    return {
        "pk": {"S": "REFUND#rf_1"},
        "sk": {"S": "REFUND"},
        "status_pk": {"S": partition},
        "status_sk": {"S": sort},
    }


def test_every_cursor_issued_decodes_back_whatever_its_length() -> None:
    """GIVEN last keys whose sort key grows one character at a time (so the cursor's length
    takes every value modulo 4 and 5) WHEN each cursor is decoded THEN it is the same position."""
    for n in range(1, 41):
        start = _key("t" * n)
        cursor = codec.encode_cursor(REFUNDS, start)
        assert codec.decode_cursor(REFUNDS, cursor) == Position(0, start), (n, len(cursor))


def test_a_cursor_past_the_last_partition_is_refused() -> None:
    last = len(REFUNDS.partitions)
    assert codec.decode_cursor(REFUNDS, codec.encode_cursor(REFUNDS, None, part=last - 1)) == Position(
        last - 1
    )
    for cursor in (
        codec.encode_cursor(REFUNDS, None, part=last),
        codec.encode_cursor(REFUNDS, _key("t", "REFUND#pending#01"), part=last),
    ):
        with pytest.raises(DomainError) as e:
            codec.decode_cursor(REFUNDS, cursor)
        assert (e.value.code, e.value.details) == ("VALIDATION_FAILED", {"field": "query.cursor"})


def test_a_cursor_key_value_may_have_1024_bytes_and_no_more() -> None:
    at_limit = _key("t" * 1024)
    assert codec.decode_cursor(REFUNDS, codec.encode_cursor(REFUNDS, at_limit)) == Position(0, at_limit)
    over = codec.encode_cursor(REFUNDS, _key("t" * 1025))
    with pytest.raises(DomainError) as e:
        codec.decode_cursor(REFUNDS, over)
    assert e.value.code == "VALIDATION_FAILED"
