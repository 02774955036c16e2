"""Domain values to stored attributes and back: datetimes as RFC 3339 UTC strings
(comparable as text), enums as their values, structs and dataclasses as maps; and the list cursors.

List cursors (orders, review tasks, refunds: every list decodes its cursor here, nowhere else).
A cursor is URL-safe base64 of ``{"v", "b", "p", "k"}``: a format version, a binding, the index
partition the next page starts in (lists that walk several partitions, like refunds) and the
DynamoDB key to start after. Clients treat it as opaque and pass it back unchanged.

Why it is bound and checked, not signed: the binding is a digest of the list (with its filters),
the caller and the partitions it walks, so a cursor issued to someone else, for another list or
for another filter is refused; the key must be exactly a key of the list's index (its four string
attributes) in the partition the cursor names, so no cursor can read outside the list or reach
DynamoDB in a shape it rejects (an ``ExclusiveStartKey`` outside the queried partition is an
error in the cloud, and moto does not check it). What a forger can still do is start their own
list at another row of the same partition, which paging gives them anyway. An HMAC would detect
that too, but needs a key shared by every instance of three functions: a Secrets Manager secret
read at each cold start, its rotation and its grants; not worth it for no extra protection. The
version field leaves room for a signed format if a list ever holds rows its caller may not read.
Any refusal is ``VALIDATION_FAILED`` on ``query.cursor`` (cursors arrive as a query parameter).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from cancelflow.clock import iso
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store.schema import INDEXES

T = TypeVar("T")


def plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, msgspec.Struct):
        return {name: plain(getattr(v, name)) for name in v.__struct_fields__}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):  # the policies (API schemas too)
        return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        return [plain(x) for x in v]
    return v


def dump(v: Any, *, exclude_none: bool = False) -> dict[str, Any]:
    """A struct (or dataclass) as stored attributes (``exclude_none``: leave unset optionals out)."""
    data: dict[str, Any] = plain(v)
    return {k: x for k, x in data.items() if x is not None} if exclude_none else data


def decode[T](cls: type[T], item: Mapping[str, Any]) -> T:
    """A stored item (or any plain map) as ``cls``: types and bounds checked, other keys (index
    keys, bookkeeping) ignored. Raises ``msgspec.ValidationError`` (a ``ValueError``)."""
    return msgspec.convert(item, cls)


def checked[T](v: T) -> T:
    """``v`` once its types and bounds have passed ``decode``: a dataclass or struct built in code
    is not validated by its constructor, so what is stored or sent goes through this first."""
    return msgspec.convert(msgspec.to_builtins(v), type(v))


CURSOR_FIELD = "query.cursor"
_CURSOR_VERSION = 1
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]{1,2048}")
# DynamoDB refuses an empty key value, and a sort key over 1,024 bytes (checked below in bytes;
# a partition key may have 2,048, but each must equal the list's own partition anyway).
_KEY_BYTES = 1024
_KeyValue = Annotated[str, msgspec.Meta(min_length=1, max_length=_KEY_BYTES)]


class _Cursor(msgspec.Struct, forbid_unknown_fields=True):
    v: Literal[1]
    b: str
    p: Annotated[int, msgspec.Meta(ge=0, le=65535)]
    k: dict[str, _KeyValue] | None = None


class CursorScope(msgspec.Struct, frozen=True):
    """What one list's cursors are valid for: the list and its filters (``name``), who asked
    (``caller``), the index queried ("" for the table) and the partitions it walks, in order."""

    name: str
    caller: str
    index: str
    partitions: tuple[str, ...]

    @property
    def binding(self) -> str:
        what = json.dumps([_CURSOR_VERSION, self.name, self.caller, self.index, self.partitions])
        return _b64(hashlib.sha256(what.encode()).digest()[:12])

    @property
    def key_attributes(self) -> frozenset[str]:
        return frozenset({"pk", "sk", *INDEXES.get(self.index, ())})

    @property
    def partition_attribute(self) -> str:
        """The key attribute naming the partition walked ("pk": the table itself, index "")."""
        return INDEXES[self.index][0] if self.index else "pk"


class Position(msgspec.Struct, frozen=True):
    """Where a page starts: the index partition (an offset into the scope's partitions) and the
    key to start after (``ExclusiveStartKey``; None: the partition's beginning)."""

    part: int = 0
    start: dict[str, Any] | None = None


def encode_cursor(scope: CursorScope, start: Mapping[str, Any] | None, part: int = 0) -> str:
    """The cursor for the page after ``start`` (a ``LastEvaluatedKey`` of this scope's index)."""
    key = None if start is None else {k: v["S"] for k, v in start.items()}
    body = {"v": _CURSOR_VERSION, "b": scope.binding, "p": part, "k": key}
    return _b64(json.dumps(body, separators=(",", ":")).encode())


def decode_cursor(scope: CursorScope, cursor: str | None) -> Position:
    """A cursor back into a position, only if this scope issued it (see the module docstring);
    anything else is VALIDATION_FAILED on ``query.cursor``. No cursor: the first page."""
    if not cursor:
        return Position()
    try:
        if not _CURSOR_CHARS.fullmatch(cursor):
            raise ValueError("not URL-safe base64")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c = msgspec.json.decode(raw, type=_Cursor)
    except (ValueError, msgspec.MsgspecError):  # binascii.Error is a ValueError
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": CURSOR_FIELD}) from None
    partition_attr = scope.partition_attribute
    ok = (
        c.b == scope.binding
        and c.p < len(scope.partitions)
        and (
            (c.k is None and c.p > 0)  # the start of a later partition
            or (
                c.k is not None
                and set(c.k) == scope.key_attributes
                and c.k[partition_attr] == scope.partitions[c.p]
                and all(len(v.encode()) <= _KEY_BYTES for v in c.k.values())
            )
        )
    )
    if not ok:
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": CURSOR_FIELD})
    return Position(c.p, None if c.k is None else {k: {"S": v} for k, v in c.k.items()})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_id(prefix: str) -> str:
    """``o_1f3a…``: a prefix naming the kind and 20 random hex digits (80 bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


ID_PATTERN = r"^[a-z]{1,3}_[0-9a-f]{20}$"
