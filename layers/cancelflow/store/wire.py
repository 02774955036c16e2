"""DynamoDB attribute values to and from Python, in boto3's wire form without importing boto3.

``boto3.dynamodb.types`` imports the whole ``boto3`` package (s3transfer, the resource layer:
~25-30 ms of every cold start) for two small classes, so they are rewritten here, rule for
rule: the same type order (None, bool, number, str, binary, number/string/binary set, mapping,
list or tuple), the same number context (``CONTEXT``: a number that DynamoDB could not hold
exactly is refused, never rounded), the same errors (a float is a ``TypeError``).
``tests/store/test_codec_values.py`` checks every rule against boto3 itself.

The three differences are this project's choices: a ``None`` inside a map is left out (as at an
item's top level: an unset optional is no attribute at all); a whole number reads back as
``int`` (fen, counts and versions compare and add as ints), any other as ``Decimal``; binary
reads back as ``bytes`` (boto3 wraps it in its ``Binary``, which equals the same bytes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# boto3's DYNAMODB_CONTEXT: DynamoDB's 38 significant digits and exponent range, and a trap on
# every signal that would change the number, so it raises instead of storing something else.
CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
# An int below this in magnitude has at most 38 digits, so the context leaves it as it is and
# ``str`` is already its stored form; a longer one goes through the context (and is refused).
_EXACT_INT = 10**38


def serialize(value: Any) -> dict[str, Any]:
    """One value as an attribute value (``{"S": ...}``, ``{"M": {...}}``...)."""
    # Fast path for what nearly every attribute is (boto3 tries each type in turn and builds a
    # Decimal for every int). Exact types only; a subclass takes the general path below.
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_EXACT_INT < value < _EXACT_INT:
        return {"N": str(value)}
    if kind is dict:
        return {"M": _map(value)}
    if kind is list:
        return {"L": [serialize(v) for v in value]}
    return _general(value)


def _general(value: Any) -> dict[str, Any]:
    # boto3's TypeSerializer._get_dynamodb_type, in its order (bool before number: a bool is an
    # int; a set is a number set only if every member is a number, and a float in it raises).
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if _is_binary(value):
        return {"B": _binary(value)}
    if isinstance(value, Set):
        if all(map(_is_number, value)):
            return {"NS": [_number(n) for n in value]}
        if all(isinstance(s, str) for s in value):
            return {"SS": list(value)}
        if all(map(_is_binary, value)):
            return {"BS": [_binary(b) for b in value]}
    if isinstance(value, Mapping):
        return {"M": _map(value)}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def _map(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) for k, v in value.items() if v is not None}


def _is_number(value: Any) -> bool:
    if isinstance(value, int | Decimal):
        return True
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return False


def _number(value: int | Decimal) -> str:
    # boto3's check, kept as it is: only these two are refused here ("-Infinity", "sNaN" pass
    # and DynamoDB refuses them), so what is sent stays exactly what boto3 would send.
    number = str(CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _boto3_binary() -> type | None:
    """boto3's ``Binary`` if boto3's types are loaded (else no value can be one): what a read
    through boto3 returned is stored as boto3 would store it, without importing boto3 for it."""
    types = sys.modules.get("boto3.dynamodb.types")
    return getattr(types, "Binary", None) if types is not None else None


def _is_binary(value: Any) -> bool:
    if isinstance(value, bytes | bytearray):
        return True
    wrapper = _boto3_binary()
    return wrapper is not None and isinstance(value, wrapper)


def _binary(value: Any) -> Any:
    return value if isinstance(value, bytes | bytearray) else value.value


def deserialize(value: Mapping[str, Any]) -> Any:
    """One attribute value as Python: boto3's ``TypeDeserializer`` but for the differences in
    the module docstring (whole numbers as int, binary as bytes)."""
    if len(value) == 1:
        # the same fast path: strings, flags and whole numbers, without a Decimal on the way
        if "S" in value:
            return value["S"]
        if "BOOL" in value:
            return value["BOOL"]
        # (at most 38 characters: a longer one may not fit the context, which then refuses it)
        n = value.get("N")
        if (
            n is not None
            and len(n) <= 38
            and n.isascii()
            and (n.isdigit() or (n[:1] == "-" and n[1:].isdigit()))
        ):
            return int(n)
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind = next(iter(value))
    # boto3 finds its reader by the lower-cased type name (so "s" reads like "S"): the same here
    read = _READERS.get(f"{kind}".lower())
    if read is None:
        raise TypeError(f"Dynamodb type {kind} is not supported")
    return read(value[kind])


def _read_number(value: str) -> int | Decimal:
    d = CONTEXT.create_decimal(value)
    # whole numbers (fen, counts, versions) as int; anything else (and a non-finite) a Decimal
    return int(d) if d.is_finite() and d == d.to_integral_value() else d


def _read_binary(value: Any) -> bytes:
    if not isinstance(value, bytes | bytearray):  # boto3's Binary refuses anything else
        raise TypeError("Value must be of the following types: <class 'bytearray'>, <class 'bytes'>")
    return bytes(value)


_READERS: dict[str, Callable[[Any], Any]] = {
    "null": lambda _: None,
    "bool": lambda v: v,
    "n": _read_number,
    "s": lambda v: v,
    "b": _read_binary,
    "ns": lambda v: set(map(_read_number, v)),
    "ss": set,
    "bs": lambda v: set(map(_read_binary, v)),
    "l": lambda v: [deserialize(x) for x in v],
    "m": lambda v: {k: deserialize(x) for k, x in v.items()},
}
