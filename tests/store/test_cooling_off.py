"""Cooling-off, at the store: fulfilment cannot start an order before its product type's
cooling-off after payment has run (by default the auto-approval window), and the refusal
is the write's own condition on the stored payment time, not only what was read.
GIVEN a paid game card WHEN fulfilment starts it inside / at the end of the cooling-off THEN
COOLING_OFF saying until when (UTC and China time), nothing written / delivering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.clock import iso
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import history, orders
from msgspec.structs import replace

from tests.conftest import NOW
from tests.store import world
from tests.store.guard import item


@pytest.fixture(autouse=True)
def default_policy(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The default policy book (the suite's turns keyed goods' cooling-off off: tests/conftest)."""
    monkeypatch.setenv("CANCELFLOW_POLICY_OVERRIDES", "")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _cooling() -> timedelta:
    return get_settings().policies.for_type(world.ProductType.GAME_CARD).cooling_off


def test_the_default_cooling_off_is_the_auto_approval_window() -> None:
    for policy in get_settings().policies.policies.values():
        assert policy.cooling_off == policy.auto_approve_window > timedelta(0)


def test_start_inside_the_cooling_off_is_refused_saying_until_when(product: str) -> None:
    o = world.paid(NOW)
    until = NOW + _cooling()
    before = item(world.order_key(o.order_id))
    with pytest.raises(DomainError) as e:
        orders.start_delivery(o.order_id, until - timedelta(milliseconds=1))
    assert (e.value.code, e.value.status) == ("COOLING_OFF", 409)
    assert e.value.details == {"until": iso(until), "until_cst": "2026-11-27T10:10:00+08:00"}
    assert item(world.order_key(o.order_id)) == before  # nothing written
    assert [h.event for h in history.timeline(o.order_id)][-1] == "order.paid"


def test_start_once_it_ends_is_accepted(product: str) -> None:
    o = world.paid(NOW)
    started = orders.start_delivery(o.order_id, NOW + _cooling())
    assert started.status is OrderStatus.DELIVERING and started.stock_locked


def test_the_write_decides_on_the_stored_payment_time(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a read that claims the order was paid long ago (a stale or wrong copy) WHEN
    fulfilment starts it inside the stored cooling-off THEN the write's condition on the stored
    ``paid_at`` refuses it, answered COOLING_OFF from the order as stored."""
    from cancelflow.store.orders import lifecycle

    o = world.paid(NOW)
    wrong = replace(o, paid_at=NOW - timedelta(hours=1))
    monkeypatch.setattr(lifecycle, "require_order", lambda _id: wrong)
    with pytest.raises(DomainError) as e:
        orders.start_delivery(o.order_id, NOW + timedelta(minutes=1))
    assert e.value.code == "COOLING_OFF" and e.value.details["until"] == iso(NOW + _cooling())
    assert orders.require_order(o.order_id).status is OrderStatus.PAID


def test_zero_cooling_off_starts_at_once(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANCELFLOW_POLICY_OVERRIDES", '{"game_card": {"cooling_off_minutes": 0}}')
    get_settings.cache_clear()
    o = world.paid(NOW)
    assert orders.start_delivery(o.order_id, NOW).status is OrderStatus.DELIVERING
