"""Orders in every state, built without I/O, for the pure domain tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
from cancelflow.domain.policy import PolicyBook, build_policy_book
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.store.codec import decode

from tests.conftest import NOW

S = OrderStatus
PAID_AT = NOW + timedelta(minutes=1)
DELIVERED_AT = NOW + timedelta(minutes=20)
COMPLETED_AT = NOW + timedelta(days=3)
BOOK: PolicyBook = build_policy_book()


def make_order(status: OrderStatus = S.PENDING_PAYMENT, **kw: Any) -> Order:
    """An order as the lifecycle would leave it in ``status`` (created at NOW, paid 1 min later)."""
    d: dict[str, Any] = {
        "order_id": "o_00000000000000000001",
        "customer_id": "c1",
        "product_id": "p-game_card",
        "product_type": ProductType.GAME_CARD,
        "quantity": 1,
        "amount": 10000,
        "status": status,
        "version": 1,
        "created_at": NOW,
        "payment_deadline": NOW + timedelta(minutes=15),
        "key_ids": ("k1",),
    }
    if status is not S.PENDING_PAYMENT and kw.get("cancel_reason") != PAYMENT_TIMEOUT_REASON:
        d |= {
            "paid_at": PAID_AT,
            "payment_id": "pay-1",
            "payment_channel": Channel.ALIPAY,
            "paid_amount": 10000,
        }
    if status in (S.DELIVERING, S.DELIVERED, S.COMPLETED):
        d |= {"stock_locked": True, "delivery_started_at": PAID_AT + timedelta(minutes=5)}
    if status in (S.DELIVERED, S.COMPLETED):
        d["delivered_at"] = DELIVERED_AT
    if status is S.COMPLETED:
        d["completed_at"] = COMPLETED_AT
    if status is S.CANCELLED:
        d |= {"cancelled_at": NOW + timedelta(minutes=2), "cancelled_by": Actor.CUSTOMER}
        d["cancel_reason"] = "changed_mind"
    d.update(kw)
    return decode(Order, d)
