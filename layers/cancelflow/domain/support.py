"""Support's tools (docs/domain.md, "Support's tools"): the reasons support may cancel an order
for, what becomes of its keys, and how long a note may be. A person acting on an order always
says why: the note is kept with who acted in the order's history."""

from __future__ import annotations

from enum import StrEnum

from cancelflow.errors import DomainError, ErrorCode


class StaffCancelReason(StrEnum):
    """Why support cancels an order (the history entry's reason)."""

    STOCK_ERROR = "stock_error"  # the key or top-up cannot be supplied as sold
    FRAUD = "fraud"
    SUPPLIER_FAILURE = "supplier_failure"


class Restock(StrEnum):
    """What a staff cancel does with the order's reserved keys."""

    STOCK = "stock"  # back on sale (quarantined instead once delivery started: a person releases them)
    VOID = "void"  # never sold again, quarantined or not


MAX_NOTE = 500  # characters of support's note


def require_note(note: str) -> str:
    """A person acting on an order says why: a blank note is no note (the body allows any text)."""
    if not note.strip():
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "body.note", "why": "blank"})
    return note
