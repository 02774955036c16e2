"""The one JSON parser for what arrives from outside: request bodies and provider callbacks.

``json.loads`` alone lets an attacker pick the failure: a body nested a thousand levels deep
raises ``RecursionError``, a 5,000-digit number ``ValueError`` (Python's int parsing limit),
and ``NaN``/``Infinity`` are accepted although they are not JSON. Here each of them is a
``BodyError`` (a ``ValueError``), and nesting has an explicit limit far above any real body
(ours are two levels deep), checked before ``json.loads`` recurses.

Standard library only: the refund worker and the notification parsers use it without the
HTTP stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # objects and arrays inside each other; a request body here has 2

# A JSON string (escapes included) and the brackets outside strings. For valid JSON this
# tokenises exactly as the parser does, since a quote outside a string always opens one.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class BodyError(ValueError):
    """What is wrong with a body: ``why`` is ``not_json``, ``too_deep`` or ``not_object``."""

    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(f"{why}: {detail}" if detail else why)
        self.why = why


def too_deep(text: str) -> bool:
    """Whether objects and arrays nest more than ``MAX_DEPTH`` levels in ``text``."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # every real body: no scan at all
        return False
    level = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        level += 1 if m.group() in "[{" else -1
        if level > MAX_DEPTH:
            return True
    return False


def _no_constant(name: str) -> Any:
    raise BodyError("not_json", f"{name} is not JSON")


def loads(data: str | bytes) -> Any:
    """Parse JSON text, or raise ``BodyError``; never ``RecursionError``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as e:
        raise BodyError("not_json", "not UTF-8") from e
    if too_deep(text):
        raise BodyError("too_deep", f"nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except BodyError:
        raise
    except RecursionError as e:  # cannot happen after the depth check; never a crash anyway
        raise BodyError("too_deep", f"nested deeper than {MAX_DEPTH}") from e
    except ValueError as e:  # JSONDecodeError, and the int parsing limit
        raise BodyError("not_json", str(e)[:200]) from e


def loads_object(data: str | bytes) -> dict[str, Any]:
    """Parse a JSON object (an array or a scalar is a ``BodyError`` ``not_object``)."""
    doc = loads(data)
    if not isinstance(doc, dict):
        raise BodyError("not_object", type(doc).__name__)
    return doc
