"""The item (de)serialisation (store/ddb.py: boto3's TypeSerializer/TypeDeserializer with a fast
path for strings, flags and whole numbers): what is stored reads back as it was written, whole
numbers as int, other numbers as Decimal, and an unset optional is no attribute at all."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from cancelflow.store import ddb

VALUES: list[Any] = [
    "x",
    "",
    "ORDER#o_1",
    True,
    False,
    0,
    -5,
    10**12,
    Decimal("1.5"),
    [1, "a", True, {"c": 2}],
    {"x": {"y": [True, 0, "z"]}},
    {"s", "t"},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_reads_back_as_written_and_as_boto3_would_store_it(value: Any) -> None:
    """GIVEN a value WHEN stored and read back THEN it is the same value, and the stored form is
    exactly boto3's (the fast path changes speed, never the wire format)."""
    stored = ddb.to_item({"v": value})
    assert stored == {"v": TypeSerializer().serialize(value)}
    back = ddb.from_item(stored)["v"]
    assert back == value
    assert type(back) is type(value) or isinstance(value, set)


def test_whole_numbers_read_as_int_and_others_as_decimal() -> None:
    """GIVEN numbers as DynamoDB returns them THEN whole ones are int (fen, counts compare and add
    as ints), others a Decimal, and bool is never a number."""
    got = ddb.from_item({"a": {"N": "5000"}, "b": {"N": "-3"}, "c": {"N": "1.5"}, "d": {"N": "1E+2"}})
    assert got == {"a": 5000, "b": -3, "c": Decimal("1.5"), "d": 100}
    assert type(got["a"]) is int and type(got["d"]) is int and type(got["c"]) is Decimal
    assert ddb.to_item({"f": True}) == {"f": {"BOOL": True}}
    assert TypeDeserializer().deserialize({"N": "5000"}) == Decimal(5000)  # boto3's own: Decimal


def test_none_is_no_attribute_in_an_item_or_a_map() -> None:
    """GIVEN an unset optional THEN it is left out, at the top and inside maps."""
    assert ddb.to_item({"a": None, "b": {"c": None, "d": 1}}) == {"b": {"M": {"d": {"N": "1"}}}}


def test_a_float_is_refused() -> None:
    """GIVEN a float (money is fen) THEN it cannot be stored."""
    with pytest.raises(TypeError):
        ddb.to_item({"amount": 1.5})
