"""Domain values to stored attributes and back: datetimes as RFC 3339 UTC strings
(comparable as text), enums as their values, dataclasses as maps."""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import msgspec

from cancelflow.clock import iso
from cancelflow.errors import DomainError

T = TypeVar("T")


def plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, Enum):
        return v.value
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        return [plain(x) for x in v]
    return v


def dump(v: Any, *, exclude_none: bool = False) -> dict[str, Any]:
    """A dataclass as stored attributes (``exclude_none``: leave unset optionals out)."""
    data: dict[str, Any] = plain(v)
    return {k: x for k, x in data.items() if x is not None} if exclude_none else data


def decode(cls: type[T], item: Mapping[str, Any]) -> T:
    """A stored item (or any plain map) as ``cls``: types and bounds checked, other keys (index
    keys, bookkeeping) ignored. Raises ``msgspec.ValidationError`` (a ``ValueError``)."""
    return msgspec.convert(item, cls)


def checked(v: T) -> T:
    """``v`` once its types and bounds have passed ``decode``: a dataclass or struct built in code
    is not validated by its constructor, so what is stored or sent goes through this first."""
    return msgspec.convert(msgspec.to_builtins(v), type(v))


def encode_cursor(position: Mapping[str, Any] | None) -> str | None:
    """Where the next page starts, opaque to the client (URL-safe base64 of JSON)."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode() if position else None


def decode_cursor(cursor: str | None, field: str = "cursor") -> dict[str, Any] | None:
    """A cursor back into a position; anything else is VALIDATION_FAILED on ``field``. Callers
    check the position's shape (a forged one must not read another partition)."""
    if not cursor:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:  # also binascii.Error, UnicodeError, JSONDecodeError
        position = None
    if not isinstance(position, dict):
        raise DomainError("VALIDATION_FAILED", {"field": field})
    return position


def new_id(prefix: str) -> str:
    """``o_1f3a…``: a prefix naming the kind and 20 random hex digits (80 bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


ID_PATTERN = r"^[a-z]{1,3}_[0-9a-f]{20}$"
