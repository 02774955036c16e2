"""Models to stored attributes: datetimes as RFC 3339 UTC strings (comparable as text)."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from cancelflow.clock import iso


def plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso(v)
    if isinstance(v, Enum):
        return v.value
    if isinstance(v, BaseModel):
        return plain(v.model_dump())
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set | frozenset):
        return [plain(x) for x in v]
    return v


def new_id(prefix: str) -> str:
    """``o_1f3a…``: a prefix naming the kind and 20 random hex digits (80 bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


ID_PATTERN = r"^[a-z]{1,3}_[0-9a-f]{20}$"
