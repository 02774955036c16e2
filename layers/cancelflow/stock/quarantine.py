"""What support does with quarantined keys (docs/domain.md, "Quarantine"): list them, oldest
first; release one to stock or void it, with a reason. The decision is the store's conditional
write (``store.quarantine.settle``): of two decisions on the same key exactly one is kept, the other
is told KEY_NOT_QUARANTINED with the status the key has now."""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.products import KEYED_TYPES
from cancelflow.domain.quarantine import Settlement
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import quarantine as store_quarantine
from cancelflow.store import stock
from cancelflow.store.stock import StockKey

_TO = {Settlement.RELEASE: stock.AVAILABLE, Settlement.VOID: stock.VOIDED}


def list_quarantined(cursor: str | None, limit: int, caller: str) -> tuple[list[StockKey], str | None]:
    """One page of quarantined keys; the cursor is only good for this caller and this list."""
    return store_quarantine.quarantined(cursor, limit, caller)


def settle(
    product_id: str, key_id: str, decision: Settlement, reason: str, actor_id: str, now: datetime
) -> StockKey:
    """Release (to ``available``) or void one quarantined key, recorded in its order's history."""
    if not reason.strip():  # a decision says why: blank is no reason (the body allows any text)
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "body.reason", "why": "blank"})
    return store_quarantine.settle(
        product_id, key_id, _TO[decision], now=now, actor_id=actor_id, reason=reason
    )


def counts(product_id: str) -> dict[str, int]:
    """A keyed product's keys by status; PRODUCT_NOT_FOUND for no such (keyed) product."""
    product = stock.get_product(product_id)
    if product is None or product.product_type not in KEYED_TYPES:
        raise DomainError(ErrorCode.PRODUCT_NOT_FOUND, {"product_id": product_id})
    return stock.counts(product_id)
