"""Quarantine (docs/domain.md, "Quarantine"): what a cancellation does with the card keys of an
order that reached ``delivering``, and what support may do with them afterwards.

Once fulfilment has started, a key may already have left the building (shown to a supplier's
system, copied into a delivery message that failed half-way), so cancelling such an order never
returns its keys to ``available``: they go to ``quarantined``, and a person decides. Support
either releases a key to stock (it was never shown) or voids it (it may have been); each with a
reason, recorded with its actor in the order's history. Only a quarantined key can be released
or voided, and only once: the write is conditional on the key still being quarantined for that
order (``store.quarantine.settle``), so of two decisions on the same key exactly one is kept.

``delivery_started_at`` is set when fulfilment starts and kept when a delivery fails (the order
goes back to ``paid``), so "reached delivering" is a stored fact the cancellation's own write
reads, not the status at the moment of cancelling.
"""

from __future__ import annotations

from enum import StrEnum

from cancelflow.domain.models import Order


class Settlement(StrEnum):
    """What support decides for a quarantined key."""

    RELEASE = "release"  # back to stock: available to the next order
    VOID = "void"  # never sold again


MAX_REASON = 200  # characters of support's reason


def quarantines_keys(order: Order) -> bool:
    """Whether cancelling ``order`` quarantines its keys (True) instead of releasing them to
    stock: it reached ``delivering`` at some point, even if that delivery then failed."""
    return order.delivery_started_at is not None
