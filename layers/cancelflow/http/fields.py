"""Field types for request bodies, so every model says the same thing the same way.

Powertools validates a body with pydantic in *python* mode (``validate_python`` on the parsed
JSON), where an ``int`` field takes ``true`` as 1 and ``"100"`` as 100, and a ``bool`` field
takes ``"yes"``, ``"on"`` and ``1``. So:

- a count or any other whole number is ``JsonInt``: a JSON number without a fraction. Not
  ``true``, not ``"100"``; ``100.0`` is 100, because JSON Schema (the OpenAPI document) calls
  it an integer too, so a client built from the document may send it. ``1.5`` is refused.
- money is ``Fen``: a ``JsonInt`` of at least 1 fen;
- a flag or a checklist item is pydantic's ``StrictBool``: ``true`` or ``false`` only.

``ConfigDict(strict=True)`` is not the way: in python mode it would also refuse an enum's
string value and an ISO date string, which JSON can only send as strings.

Text a person writes (a reason, an appeal, a reviewer's note, a delivery failure) is
``FreeText``: any Unicode text with tabs and line breaks, but no other control character (NUL,
ESC, DEL, the C1 range), which no client types and which break logs, CSV exports and the
console. Refused, not stripped: what is stored is what the client sent, or a 422 naming the
field. (A lone surrogate, which cannot be stored as UTF-8, is refused by pydantic itself.)

Models derive from ``Model``: pydantic builds a model's validator and serializer when the model
is first used (``defer_build``), not when its class is defined, so a cold start pays only for
the models of the route it serves (about a millisecond each otherwise).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

__all__ = ["MAX_FEN", "TEXT_PATTERN", "Fen", "FreeText", "JsonInt", "Model", "StrictBool"]


class Model(BaseModel):
    """The base of the API's request and answer models (a subclass's own ``model_config`` is
    merged with this one)."""

    model_config = ConfigDict(defer_build=True)


def _a_json_number(value: object) -> object:
    # bool is an int in Python: without this, true would be 1 (and "100" would be 100).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value  # pydantic then refuses a fraction (int_from_float) and inf


JsonInt = Annotated[int, BeforeValidator(_a_json_number)]

MAX_FEN = 10**12  # ten billion yuan: far above any order, far below DynamoDB's number limit

# An amount of money: whole fen (CNY), at least 1. (Bounds before the validator, so the
# document shows them as minimum and maximum; on a JsonInt field give them in its Field.)
Fen = Annotated[int, Field(ge=1, le=MAX_FEN), BeforeValidator(_a_json_number)]

# C0 controls except tab (09), line feed (0a) and carriage return (0d); DEL; C1 controls.
# Written with \u escapes: the same text is a Python, a Rust (pydantic-core) and an ECMA-262
# (the OpenAPI document's) regular expression.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"

FreeText = Annotated[str, Field(pattern=TEXT_PATTERN)]

# An id another system gave (a customer, a product, a provider's trade reference).
ExternalId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")]
