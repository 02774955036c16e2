"""The order's life outside cancellation: created with its stock reserved, delivered (or its
delivery failed); completed is ``completion``'s (docs/domain.md, "Order states"). Each is one
``Change``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.calendar import cst_display
from cancelflow.domain.cooling_off import cooling_off_until
from cancelflow.domain.models import Order
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.products import KEYED_TYPES, ProductType
from cancelflow.domain.states import Actor, OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, history, keys, policies, stock
from cancelflow.store.codec import checked, dump, new_id
from cancelflow.store.orders.changes import Change, OrderConflict, run
from cancelflow.store.orders.completion import due_at_delivery
from cancelflow.store.orders.reads import require_in, require_order

MAX_QUANTITY = 20  # a transaction holds at most 100 items; keys + order + history + stats


def create_order(
    customer_id: str,
    product_id: str,
    quantity: int,
    now: datetime,
    target: str | None = None,
    order_id: str | None = None,
    customer_since: datetime | None = None,
) -> Order:
    """Create an unpaid order and reserve its stock, all or nothing. ``customer_since``: when the
    customer's account was opened, if the platform says (the auto-approval's account age)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(ErrorCode.INVALID_QUANTITY, {"field": "quantity", "max": MAX_QUANTITY})
    product = stock.product_for_order(product_id)  # cached for a minute (store/stock.py)
    if product is None:
        raise DomainError(ErrorCode.PRODUCT_NOT_FOUND, {"product_id": product_id})
    ptype = product.product_type
    if ptype is ProductType.MOBILE_TOPUP and quantity != 1:
        raise DomainError(ErrorCode.INVALID_QUANTITY, {"field": "quantity", "max": 1})
    s = get_settings()
    policy = s.policies.for_type(ptype)
    version, pin_ops = policies.pin_op(policy)  # the order is judged by this policy for life
    order_id = order_id or new_id("o")
    deadline = now + policy.payment_timeout
    exclude: set[str] = set()
    for _attempt in range(4):
        key_ids: list[str] = []
        if ptype in KEYED_TYPES:
            key_ids = stock.candidates(product_id, quantity, order_id, exclude)[:quantity]
            if len(key_ids) < quantity:
                raise DomainError(ErrorCode.OUT_OF_STOCK, {"product_id": product_id, "requested": quantity})
        order = checked(
            Order(
                order_id=order_id,
                customer_id=customer_id,
                product_id=product_id,
                product_type=ptype,
                quantity=quantity,
                amount=product.price * quantity,
                target=target,
                customer_since=customer_since,
                status=OrderStatus.PENDING_PAYMENT,
                version=1,
                created_at=now,
                payment_deadline=deadline,
                key_ids=tuple(key_ids),
                policy_version=version,
            )
        )
        item = {
            "pk": keys.order_pk(order_id),
            "sk": keys.ORDER,
            "type": "order",
            **dump(order, exclude_none=True),
            "updated_at": iso(now),
            "gsi_cust_pk": keys.customer_pk(customer_id),
            "gsi_cust_sk": f"{iso(now)}#{order_id}",
            # sparse: only unpaid orders are in the expiry index, sharded (docs/data-model.md)
            "due_pk": keys.due_pk(keys.EXPIRY, keys.shard(order_id, s.due_shards)),
            "due_at": iso(deadline),
        }
        ops: list[dict[str, Any]] = [
            {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}},
            history.entry_put(
                order_id,
                at=now,
                suffix="v000001",
                event="order.created",
                actor=Actor.PLATFORM.value,
                actor_id="order-service",
                to_status=OrderStatus.PENDING_PAYMENT.value,
                detail={"quantity": quantity, "amount": order.amount},
            ),
            customers.count_op(customer_id, now, "orders"),
            *[stock.reserve_op(product_id, k, order_id) for k in key_ids],
            *pin_ops,  # last: the reasons of the keys' reservations keep their places
        ]
        try:
            ddb.transact(ops)
            policies.stored(version)
            return order
        except ddb.TransactionFailed as e:
            if e.reasons and e.reasons[0] == "ConditionalCheckFailed":
                raise DomainError(ErrorCode.CONFLICT, {"order_id": order_id}) from e
            # a racing order took some keys first: try others
            exclude |= {k for k, r in zip(key_ids, e.reasons[3:], strict=False) if r != "None"}
    raise DomainError(ErrorCode.OUT_OF_STOCK, {"product_id": product_id, "requested": quantity})


def start_delivery(order_id: str, now: datetime) -> Order:
    """Fulfilment locks the stock. Refused while a cancellation request holds the order, and
    during the cooling-off after payment (``domain/cooling_off.py``: COOLING_OFF, until when)."""
    order = require_order(order_id)
    if order.status is not OrderStatus.PAID:
        raise DomainError(
            ErrorCode.ORDER_NOT_CANCELLABLE
            if order.status is not OrderStatus.DELIVERING
            else ErrorCode.CONFLICT,
            {"status": order.effective_status(now).value},
        )
    if order.held:
        raise DomainError(ErrorCode.ORDER_HELD, {"request_id": order.open_request_id})
    policy = get_settings().policies.for_order(order)
    _refuse_while_cooling_off(order, now, policy)
    try:
        return run(
            Change(
                order,
                OrderStatus.DELIVERING,
                "delivery.started",
                Actor.PLATFORM,
                "fulfilment",
                now,
                set_={"stock_locked": True, "delivery_started_at": now},
                # the cooling-off too is decided on what is stored: paid at or before now - it
                condition="attribute_not_exists(open_request_id)"
                + (" AND paid_at <= :paid_by" if policy.cooling_off else ""),
                cond_values={":paid_by": iso(now - policy.cooling_off)} if policy.cooling_off else {},
            )
        )
    except OrderConflict as e:
        if e.found is not None:
            _refuse_while_cooling_off(e.found, now, policy)  # the stored order says why
        raise


def _refuse_while_cooling_off(order: Order, now: datetime, policy: CancellationPolicy) -> None:
    """COOLING_OFF, saying until when (UTC and China time), while the cooling-off runs."""
    until = cooling_off_until(order, now, policy)
    if until is not None:
        raise DomainError(ErrorCode.COOLING_OFF, {"until": iso(until), "until_cst": cst_display(until)})


def complete_delivery(order_id: str, now: datetime, upstream: str | None = None) -> Order:
    """Value moves: keys become delivered, the order delivered. While an abort is requested
    this is fulfilment's `delivered` answer, recorded as such (``upstream``: a top-up
    upstream's word): the abort is over, the stop request stays held and is reviewed as an
    appeal (docs/domain.md, "Stop delivery")."""
    order = require_in(order_id, OrderStatus.DELIVERING)
    answer = {"abort_answer": "delivered", "upstream": upstream} if order.abort_requested_at else {}
    ops = (
        [stock.deliver_op(order.product_id, k, order.order_id) for k in order.key_ids]
        if (order.product_type in KEYED_TYPES)
        else []
    )
    return run(
        Change(
            order,
            OrderStatus.DELIVERED,
            "delivery.completed",
            Actor.PLATFORM,
            "fulfilment",
            now,
            # the confirmation window's end, and the order's place in the completion sweep's index
            set_={"delivered_at": now, **due_at_delivery(order, now)},
            remove=["abort_requested_at"] if answer else [],
            detail=answer,
        ),
        ops,
    )


def fail_delivery(order_id: str, now: datetime, reason: str = "fulfilment_failed") -> Order:
    """Delivery did not happen: back to paid, stock unlocked (still reserved for the order)."""
    order = require_in(order_id, OrderStatus.DELIVERING)
    return run(
        Change(
            order,
            OrderStatus.PAID,
            "delivery.failed",
            Actor.PLATFORM,
            "fulfilment",
            now,
            reason=reason,
            set_={"stock_locked": False},
        )
    )
