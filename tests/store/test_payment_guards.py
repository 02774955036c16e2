"""Payments: a payment id is recorded once, for one order, and a payment applies only inside
the order's window. Each test lets ``confirm_payment`` read something that is no longer (or
never was) stored and finds its write refused with the table unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cancelflow.clock import iso
from cancelflow.domain.products import Channel
from cancelflow.errors import DomainError
from cancelflow.store import ddb, keys, payments

from tests.store import world
from tests.store.guard import unchanged

BatchGet = Callable[[list[tuple[str, str]]], dict[tuple[str, str], ddb.Item]]


def _reads(monkeypatch: pytest.MonkeyPatch, edit: Callable[[dict[Any, ddb.Item]], None]) -> None:
    """``ddb.batch_get`` answers what is stored, edited by ``edit`` (a read made before the
    other side of a race wrote)."""
    real: BatchGet = ddb.batch_get

    def stale(keys_: list[tuple[str, str]]) -> dict[tuple[str, str], ddb.Item]:
        found = real(keys_)
        edit(found)
        return found

    monkeypatch.setattr(ddb, "batch_get", stale)


def test_a_payment_id_recorded_for_one_order_is_not_applied_to_another(
    product: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN payment pay-X applied to order A, and order B whose read did not see pay-X yet
    (the same notification racing for two orders)
    WHEN pay-X is confirmed for order B
    THEN CONFLICT: B stays unpaid and pay-X still records order A (one payment, one order)."""
    a, b = world.unpaid(), world.unpaid()
    payments.confirm_payment(a.order_id, "pay-X", a.amount, Channel.ALIPAY, world.later(1))
    record = (keys.payment_pk("pay-X"), "PAYMENT")

    def unseen(found: dict[Any, ddb.Item]) -> None:
        found.pop(record, None)

    _reads(monkeypatch, unseen)
    with unchanged(record, world.order_key(b.order_id)), pytest.raises(DomainError) as e:
        payments.confirm_payment(b.order_id, "pay-X", b.amount, Channel.ALIPAY, world.later(2))
    assert e.value.code == "CONFLICT"


def test_a_payment_after_the_deadline_is_not_applied(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN an unpaid order past its payment deadline, read with a later deadline
    WHEN a payment of its amount is confirmed
    THEN CONFLICT from the write itself: the order is not marked paid after its window."""
    o = world.unpaid()
    late = o.payment_deadline + timedelta(minutes=1)
    key = world.order_key(o.order_id)

    def later_deadline(found: dict[Any, ddb.Item]) -> None:
        found[key] = found[key] | {"payment_deadline": iso(late + timedelta(hours=1))}

    _reads(monkeypatch, later_deadline)
    with unchanged(key), pytest.raises(DomainError) as e:
        payments.confirm_payment(o.order_id, "pay-late", o.amount, Channel.ALIPAY, late)
    assert e.value.code == "CONFLICT"
