"""What ``Api`` gives Powertools for an operation's OpenAPI entry (which ``infra.openapi``
merges; the layer only registers): its summary and description, from its handler's docstring,
and its documented responses."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any

from cancelflow.errors import CATALOGUE, ErrorCode
from cancelflow.http import errors as http_errors

# A sentence ends at . ! or ? followed by a space and a capital (so "e.g. ``x``" does not end one).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def summary_and_description(doc: str | None) -> tuple[str | None, str | None]:
    """An operation's summary (the docstring's first sentence, whole however many lines it
    takes) and description (the whole docstring, dedented)."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return None, None
    paragraph = " ".join(text.split("\n\n", 1)[0].split())
    return _SENTENCE_END.split(paragraph, 1)[0], text


_REQUEST_ID = {"X-Request-Id": {"description": "API Gateway's request id", "schema": {"type": "string"}}}
_REPLAYED = {
    "Idempotency-Replayed": {
        "description": "true when this is the stored first answer to the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def responses(
    method: str,
    status: int,
    model: Any,
    codes: Iterable[ErrorCode],
    own: dict[int, Any] | None = None,
    *,
    html: bool = False,
) -> dict[int, Any]:
    """The success answer (``model``, if any; a page's HTML with ``html``), one entry per status
    the error codes map to, and ``own``: the statuses a public route answers in its caller's
    dialect (status -> model)."""
    content: dict[str, Any] = {http_errors.JSON: {"model": model}} if model else {}
    if html:
        content = {"text/html": {"schema": {"type": "string"}}}
    headers = {**_REQUEST_ID, **(_REPLAYED if method == "POST" and own is None else {})}
    out: dict[int, Any] = {status: {"description": "success", "content": content, "headers": headers}}
    by_status: dict[int, list[ErrorCode]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    for code_status, group in sorted(by_status.items()):
        out[code_status] = {
            "description": "error: " + ", ".join(group),
            "content": {http_errors.JSON: {"model": http_errors.ErrorBody}},
            "headers": _REQUEST_ID,
        }
    for own_status, own_model in (own or {}).items():
        out[own_status] = {
            "description": "refused in the caller's dialect",
            "content": {http_errors.JSON: {"model": own_model}},
            "headers": _REQUEST_ID,
        }
    return out
