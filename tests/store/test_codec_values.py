"""The item (de)serialisation (store/wire.py: boto3's TypeSerializer/TypeDeserializer rewritten
without boto3, with a fast path for strings, flags and whole numbers): what is stored is exactly
what boto3 would send, and reads back as it was written, whole numbers as int, other numbers as
Decimal, binary as bytes, and an unset optional is no attribute at all.

boto3 itself is the reference (a test dependency, and in the Lambda runtime): every value,
including the ones boto3 refuses, gets the same answer from both, error type and message alike.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from cancelflow.store import ddb, wire
from hypothesis import given, settings
from hypothesis import strategies as st

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


class Reference(TypeSerializer):  # type: ignore[misc]  # boto3 ships no type hints
    """boto3's serialiser with the one documented choice on top: None in a map is left out."""

    def _serialize_m(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.serialize(v) for k, v in value.items() if v is not None}


def outcome(f: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    """What ``f`` answers for ``value``: its result, or the type and message of what it raised."""
    try:
        return ("ok", f(value))
    except Exception as e:  # comparing what each raises is the point
        return ("raised", type(e), str(e))


def expected(value: Any) -> Any:
    """``value`` as it reads back: tuples as lists, no None in maps (numbers and bytes compare
    equal to their Decimal and Binary forms as they are)."""
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [expected(v) for v in value]
    return value


def whole_numbers_are_ints(value: Any) -> bool:
    if isinstance(value, Decimal):
        return not value.is_finite() or value != value.to_integral_value()
    if isinstance(value, dict):
        return all(whole_numbers_are_ints(v) for v in value.values())
    if isinstance(value, list | set):
        return all(whole_numbers_are_ints(v) for v in value)
    return True


# Numbers of every shape: any int (past 38 digits boto3 refuses it), decimals of any precision
# and exponent (some round, overflow or underflow: refused), the non-finite ones.
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [Decimal(s) for s in ("NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "-0", "1E+2", "1.0")]
    ),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8), st.binary(max_size=8))
sets = st.one_of(
    st.frozensets(st.text(max_size=4), max_size=4),
    st.sets(st.one_of(st.integers(), st.decimals(allow_nan=False, places=2)), max_size=4),
    st.sets(st.binary(max_size=4), max_size=4),
    st.sets(st.one_of(st.text(max_size=2), st.integers(), st.floats(), st.binary(max_size=2)), max_size=4),
)
values = st.recursive(
    st.one_of(scalars, sets, st.floats(), st.builds(Binary, st.binary(max_size=4))),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)
# What a store stores (no float, no boto3 Binary) and so must read back as it was written.
storable = st.recursive(
    st.one_of(scalars, sets.filter(lambda s: all(not isinstance(x, float) for x in s))),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_value_is_stored_exactly_as_boto3_stores_it_or_refused_as_boto3_refuses_it(value: Any) -> None:
    """GIVEN any value (nested maps, lists, sets, numbers of any precision, floats, bytes, None)
    THEN the stored form, or the error, is boto3's: same type, same message."""
    assert outcome(wire.serialize, value) == outcome(Reference().serialize, value)


@settings(max_examples=400, deadline=None)
@given(storable)
def test_what_is_stored_reads_back_as_boto3_reads_it_with_whole_numbers_as_int(value: Any) -> None:
    """GIVEN a value boto3 can store THEN it reads back equal to what boto3 reads back and to
    what was written, its whole numbers as int."""
    stored = outcome(Reference().serialize, value)
    if stored[0] != "ok":
        return  # refused (too many digits, a non-finite number): the test above covers that
    ours = wire.deserialize(stored[1])
    if "NaN" not in repr(stored[1]):  # NaN equals nothing, not even itself
        assert ours == TypeDeserializer().deserialize(stored[1])
        assert ours == expected(value)
    assert whole_numbers_are_ints(ours)


@pytest.mark.parametrize(
    "wire_value",
    [
        {},
        {"X": "1"},
        {"s": "lower case"},
        {"nS": ["1", "2.5"]},
        {"N": "1" * 39},
        {"N": "0" * 40 + "7"},
        {"N": "1.5", "S": "x"},
        {"B": "not bytes"},
        {"NULL": True},
        {"BS": [b"a", b"b"]},
        {"L": [{"N": "1E+2"}]},
    ],
    ids=repr,
)
def test_an_attribute_value_reads_as_boto3_reads_it(wire_value: dict[str, Any]) -> None:
    """GIVEN an attribute value, well formed or not THEN it reads (or is refused) as boto3 would,
    but for whole numbers (int) and binary (bytes, which equals boto3's Binary)."""
    ours, theirs = outcome(wire.deserialize, wire_value), outcome(TypeDeserializer().deserialize, wire_value)
    assert ours == theirs


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


def test_binary_reads_back_as_bytes() -> None:
    """GIVEN bytes (or boto3's Binary) WHEN stored and read back THEN they are bytes."""
    stored = ddb.to_item({"b": b"\x00\xff", "w": Binary(b"w"), "s": {b"a", b"b"}})
    assert stored == {
        "b": {"B": b"\x00\xff"},
        "w": {"B": b"w"},
        "s": TypeSerializer().serialize({b"a", b"b"}),
    }
    back = ddb.from_item(stored)
    assert back == {"b": b"\x00\xff", "w": b"w", "s": {b"a", b"b"}}
    assert type(back["b"]) is bytes and type(back["w"]) is bytes


def test_none_is_no_attribute_in_an_item_or_a_map() -> None:
    """GIVEN an unset optional THEN it is left out, at the top and inside maps."""
    assert ddb.to_item({"a": None, "b": {"c": None, "d": 1}}) == {"b": {"M": {"d": {"N": "1"}}}}


def test_a_float_is_refused() -> None:
    """GIVEN a float (money is fen) THEN it cannot be stored, alone or inside anything."""
    for value in (1.5, [1.5], {"x": 1.5}, {1.5}):
        with pytest.raises(TypeError, match="Float types are not supported"):
            ddb.to_item({"amount": value})


def test_a_number_dynamodb_cannot_hold_exactly_is_refused_not_rounded() -> None:
    """GIVEN more than 38 significant digits, or an exponent out of DynamoDB's range THEN it is
    refused (boto3's context traps), never stored rounded."""
    for value in (10**38, Decimal("1." + "1" * 38), Decimal("1E+127"), Decimal("1E-166")):
        assert outcome(wire.serialize, value)[0] == "raised"
        assert outcome(wire.serialize, value) == outcome(TypeSerializer().serialize, value)
    assert wire.serialize(10**38 - 1) == {"N": "9" * 38}


def test_the_codec_does_not_import_boto3() -> None:
    """GIVEN a fresh interpreter WHEN the store's codec imports and (de)serialises every type
    THEN boto3 is not loaded (it costs every cold start ~25-30 ms; clients come from botocore)."""
    probe = (
        "import sys; from decimal import Decimal; from cancelflow.store import ddb; "
        "v = {'a': [None, True, 1, Decimal('1.5'), b'x', {'m': 's'}], 'n': {1}, 's': {'t'}, 'b': {b'y'}}; "
        "assert ddb.from_item(ddb.to_item(v)) == v; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 's3transfer')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
