"""A refund support paid outside the system, as the refund records hold it (its use case is
cancelflow.refunds.manual)."""

from __future__ import annotations

import hashlib

import msgspec

from cancelflow.domain.products import Channel


class Manual(msgspec.Struct, frozen=True):
    """A refund support paid outside the system (a bank transfer, the provider's own console):
    recorded already succeeded, never sent to a provider (docs/domain.md, "Support's tools")."""

    channel: Channel
    reference: str  # the outside payment's reference, what makes the record idempotent
    note: str


def manual_refund_id(order_id: str, reference: str, n: int) -> str:
    """The same order and reference give the same ids, so recording it again is a replay."""
    return "rf_" + hashlib.sha256(f"{order_id}\n{reference}\n{n}".encode()).hexdigest()[:20]
