"""An operation's summary and description, from its handler's docstring (what ``Api`` gives
Powertools for the OpenAPI document, which ``infra.openapi`` merges; the layer only registers)."""

from __future__ import annotations

import inspect
import re

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
