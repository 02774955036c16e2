"""The one invariant checker (local.invariants) must see each kind of violation, or the tests
that rely on it (lifecycle, property, races, end to end) would pass on a broken table.

GIVEN a hand-made consistent snapshot THEN no violations; WHEN one thing is broken THEN exactly
that invariant reports it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from local import invariants

ORDER = {
    "type": "order",
    "order_id": "o1",
    "product_type": "game_card",
    "status": "paid",
    "version": 2,
    "key_ids": ["k1"],
    "paid_amount": 1000,
    "refunded_amount": 0,
}
KEY = {"type": "stock_key", "key_id": "k1", "status": "reserved", "order_id": "o1"}
FREE = {"type": "stock_key", "key_id": "k2", "status": "available", "stock_pk": "STOCK#p#0"}
HISTORY = [{"type": "history", "order_id": "o1", "sk": f"H#v{v:06d}"} for v in (1, 2)]
GOOD = [ORDER, KEY, FREE, *HISTORY]


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    items = copy.deepcopy(GOOD)
    items[index] = {k: v for k, v in {**items[index], **changes}.items() if v is not None}
    return items


def test_a_consistent_table_has_no_violations() -> None:
    assert not any(invariants.check(GOOD).values())


# o1 cancelled after it reached delivering: its key quarantined (in support's list), another
# key of an earlier such order voided (docs/domain.md, "Quarantine")
CANCELLED_IN_DELIVERY = {
    **ORDER,
    "status": "cancelled",
    "delivery_started_at": "2026-11-27T02:00:00.000Z",
    "paid_amount": 0,
}
QUARANTINED = {**KEY, "status": "quarantined", "status_pk": "STOCK#quarantined#00"}
VOIDED = {"type": "stock_key", "key_id": "k3", "status": "voided", "order_id": "o1"}
QUARANTINE = [CANCELLED_IN_DELIVERY, QUARANTINED, FREE, *HISTORY, VOIDED]


def _in_quarantine(index: int, **changes: Any) -> list[dict[str, Any]]:
    items = copy.deepcopy(QUARANTINE)
    items[index] = {k: v for k, v in {**items[index], **changes}.items() if v is not None}
    return items


def test_quarantined_and_voided_keys_of_an_order_cancelled_in_delivery_are_consistent() -> None:
    assert not any(invariants.check(QUARANTINE).values())


@pytest.mark.parametrize(
    "items",
    [
        _in_quarantine(0, delivery_started_at=None),  # cancelled before delivery: keys go to stock
        _in_quarantine(0, status="paid", key_ids=[]),  # quarantined from a live order
        _in_quarantine(1, status_pk=None),  # quarantined but support cannot find it
        _in_quarantine(1, stock_pk="AVAIL#p#00"),  # quarantined and sellable at once
        _in_quarantine(5, status_pk="STOCK#quarantined#00"),  # voided but still listed
        _in_quarantine(2, status_pk="STOCK#quarantined#00"),  # released but still listed
        _in_quarantine(5, status="lost"),  # a sixth state
        _in_quarantine(5, order_id="o9"),  # voided from no known order
    ],
)
def test_each_broken_quarantine_is_a_stock_violation(items: list[dict[str, Any]]) -> None:
    found = {name for name, violations in invariants.check(items).items() if violations}
    assert any(name.startswith("stock conserved") for name in found), found


@pytest.mark.parametrize(
    ("items", "invariant"),
    [
        (_with(1, status="available"), "stock conserved"),  # reserved key back in stock, still tied
        (_with(2, stock_pk=None), "stock conserved"),  # available but not findable
        (_with(0, status="cancelled", delivered_at="2026-11-27T02:00:00.000Z"), "never both"),
        (_with(0, refunded_amount=2000), "refunded <= paid"),
        (_with(0, version=3), "every state change"),  # version 3 without its history entry
        ([*GOOD, {**ORDER, "order_id": "o2"}], "stock conserved"),  # k1 on two live orders
    ],
)
def test_each_broken_invariant_is_reported(items: list[dict[str, Any]], invariant: str) -> None:
    found = {name for name, violations in invariants.check(items).items() if violations}
    assert any(name.startswith(invariant) for name in found), found
