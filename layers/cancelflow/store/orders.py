"""Orders: reads and the lifecycle operations (DOMAIN.md, "Order states").

Each operation is one transaction of: the order update, conditional on the version read
(so it is decided against the stored state at the moment of writing), one history entry,
and whatever else must change with it (stock keys, statistics, refunds, requests). A lost
race surfaces as ``CONFLICT`` with the state found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.domain.models import PAYMENT_TIMEOUT_REASON, Order
from cancelflow.domain.products import KEYED_TYPES, ProductType, RefundTo
from cancelflow.domain.states import Actor, OrderStatus, can_transition
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, history, keys, refund_records, stock
from cancelflow.store.codec import checked, decode, dump, new_id, plain
from cancelflow.store.schema import GSI_CUSTOMER

MAX_QUANTITY = 20  # a transaction holds at most 100 items; keys + order + history + stats


def _order_from(item: ddb.Item) -> Order:
    return decode(Order, item)


def get_order(order_id: str) -> Order | None:
    item = ddb.get(keys.order_pk(order_id), keys.ORDER)
    return _order_from(item) if item else None


def require_order(order_id: str, customer_id: str | None = None) -> Order:
    """The order, or ORDER_NOT_FOUND; another customer's order is "not found" too."""
    order = get_order(order_id)
    if order is None or (customer_id is not None and order.customer_id != customer_id):
        raise DomainError("ORDER_NOT_FOUND", {"order_id": order_id})
    return order


def list_customer_orders(
    customer_id: str, limit: int, start: dict[str, Any] | None
) -> tuple[list[Order], dict[str, Any] | None]:
    """Newest first, from ``start`` (a checked position); where the next page starts (the
    ``LastEvaluatedKey``; the use case makes it a cursor)."""
    items, last = ddb.query(
        GSI_CUSTOMER,
        "gsi_cust_pk = :c",
        {":c": keys.customer_pk(customer_id)},
        limit=limit,
        forward=False,
        start=start,
    )
    return [_order_from(i) for i in items], last


# ---------------------------------------------------------------- building a change


@dataclass
class Change:
    """One change of one order: the conditional update plus its history entry."""

    order: Order
    to: OrderStatus | None
    event: str
    actor: Actor
    actor_id: str
    now: datetime
    reason: str | None = None
    set_: dict[str, Any] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    condition: str = ""  # extra condition, ANDed
    cond_values: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)

    def ops(self) -> list[dict[str, Any]]:
        o = self.order
        if self.to is not None and self.to is not o.status and not can_transition(o.status, self.to):
            raise DomainError("ORDER_NOT_CANCELLABLE", {"status": o.status.value, "to": self.to.value})
        version = o.version + 1
        sets = {"version": version, "updated_at": iso(self.now), **self.set_}
        if self.to is not None:
            sets["status"] = self.to.value
        expr, names, vals = ddb.update_expression(sets, self.remove)
        cond = "#cv = :cv AND #cs = :cs" + (f" AND ({self.condition})" if self.condition else "")
        names |= {"#cv": "version", "#cs": "status"}
        vals |= {
            ":cv": o.version,
            ":cs": o.status.value,
            **{k: plain(v) for k, v in self.cond_values.items()},
        }
        update = {
            "Update": {
                "Key": ddb.key(keys.order_pk(o.order_id), keys.ORDER),
                "UpdateExpression": expr,
                "ConditionExpression": cond,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": ddb.values(vals),
            }
        }
        entry = history.entry_put(
            o.order_id,
            at=self.now,
            suffix=f"v{version:06d}",
            event=self.event,
            actor=self.actor.value,
            actor_id=self.actor_id,
            reason=self.reason,
            from_status=o.status.value,
            to_status=(self.to or o.status).value,
            detail=self.detail,
        )
        return [update, entry]


def run(change: Change, extra: list[dict[str, Any]] | None = None) -> Order:
    """Commit a change (plus extra ops) atomically; a lost race is CONFLICT with the state found."""
    try:
        ddb.transact([*change.ops(), *(extra or [])])
    except ddb.TransactionFailed as e:
        # Any failed condition (the order's version, or an item written with it such as a
        # payment record) or a concurrent transaction on one of the items is a lost race: the
        # caller gets CONFLICT with the state found, never a raw error.
        if any(r in ddb.LOST_RACE for r in e.reasons):
            found = get_order(change.order.order_id)
            raise DomainError(
                "CONFLICT",
                {
                    "status": found.status.value if found else None,
                    "version": found.version if found else None,
                },
            ) from e
        raise
    return _committed(change)


def _committed(change: Change) -> Order:
    """The order as the transaction left it. Its version condition proved the stored order was
    ``change.order``, so the result is that plus the change: no read after the write (one
    request fewer on every lifecycle operation). Round-tripped through the stored form so
    times carry milliseconds exactly as a read would return them."""
    data = plain(change.order)
    for name in change.remove:
        data.pop(name, None)
    data |= change.set_ | {"version": change.order.version + 1}
    if change.to is not None:
        data["status"] = change.to
    return decode(Order, plain(data))


def _release_ops(order: Order) -> list[dict[str, Any]]:
    """Give reserved keys back. Keys are released only while not delivered (stock conserved)."""
    if order.product_type not in KEYED_TYPES:
        return []
    return [stock.release_op(order.product_id, k, order.order_id) for k in order.key_ids]


def not_due() -> list[str]:
    return ["due_pk", "due_at"]


# ---------------------------------------------------------------- lifecycle


def create_order(
    customer_id: str,
    product_id: str,
    quantity: int,
    now: datetime,
    target: str | None = None,
    order_id: str | None = None,
) -> Order:
    """Create an unpaid order and reserve its stock, all or nothing."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError("INVALID_QUANTITY", {"field": "quantity", "max": MAX_QUANTITY})
    product = stock.get_product(product_id)
    if product is None:
        raise DomainError("PRODUCT_NOT_FOUND", {"product_id": product_id})
    ptype = ProductType(product["product_type"])
    if ptype is ProductType.MOBILE_TOPUP and quantity != 1:
        raise DomainError("INVALID_QUANTITY", {"field": "quantity", "max": 1})
    s = get_settings()
    policy = s.policies.for_type(ptype)
    order_id = order_id or new_id("o")
    deadline = now + policy.payment_timeout
    exclude: set[str] = set()
    for _attempt in range(4):
        key_ids: list[str] = []
        if ptype in KEYED_TYPES:
            key_ids = stock.candidates(product_id, quantity, order_id, exclude)[:quantity]
            if len(key_ids) < quantity:
                raise DomainError("OUT_OF_STOCK", {"product_id": product_id, "requested": quantity})
        order = checked(
            Order(
                order_id=order_id,
                customer_id=customer_id,
                product_id=product_id,
                product_type=ptype,
                quantity=quantity,
                amount=int(product["price"]) * quantity,
                target=target,
                status=OrderStatus.PENDING_PAYMENT,
                version=1,
                created_at=now,
                payment_deadline=deadline,
                key_ids=tuple(key_ids),
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
            "due_pk": keys.due_pk("EXPIRY", keys.shard(order_id, s.due_shards)),
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
        ]
        try:
            ddb.transact(ops)
            return order
        except ddb.TransactionFailed as e:
            if e.reasons and e.reasons[0] == "ConditionalCheckFailed":
                raise DomainError("CONFLICT", {"order_id": order_id}) from e
            # a racing order took some keys first: try others
            exclude |= {k for k, r in zip(key_ids, e.reasons[3:], strict=False) if r != "None"}
    raise DomainError("OUT_OF_STOCK", {"product_id": product_id, "requested": quantity})


def start_delivery(order_id: str, now: datetime) -> Order:
    """Fulfilment locks the stock. Refused while a cancellation request holds the order."""
    order = require_order(order_id)
    if order.status is not OrderStatus.PAID:
        raise DomainError(
            "ORDER_NOT_CANCELLABLE" if order.status is not OrderStatus.DELIVERING else "CONFLICT",
            {"status": order.effective_status(now).value},
        )
    if order.held:
        raise DomainError("ORDER_HELD", {"request_id": order.open_request_id})
    return run(
        Change(
            order,
            OrderStatus.DELIVERING,
            "delivery.started",
            Actor.PLATFORM,
            "fulfilment",
            now,
            set_={"stock_locked": True, "delivery_started_at": now},
            condition="attribute_not_exists(open_request_id)",
        )
    )


def complete_delivery(order_id: str, now: datetime) -> Order:
    """Value moves: keys become delivered, the order delivered."""
    order = require_order(order_id)
    if order.status is not OrderStatus.DELIVERING:
        raise DomainError("CONFLICT", {"status": order.status.value})
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
            set_={"delivered_at": now},
        ),
        ops,
    )


def fail_delivery(order_id: str, now: datetime, reason: str = "fulfilment_failed") -> Order:
    """Delivery did not happen: back to paid, stock unlocked (still reserved for the order)."""
    order = require_order(order_id)
    if order.status is not OrderStatus.DELIVERING:
        raise DomainError("CONFLICT", {"status": order.status.value})
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


def complete_order(order_id: str, now: datetime) -> Order:
    order = require_order(order_id)
    if order.status is not OrderStatus.DELIVERED:
        raise DomainError("CONFLICT", {"status": order.status.value})
    return run(
        Change(
            order,
            OrderStatus.COMPLETED,
            "order.completed",
            Actor.SYSTEM,
            "confirmation",
            now,
            set_={"completed_at": now},
        )
    )


def _cancel_sets(now: datetime, actor: Actor, reason: str) -> dict[str, Any]:
    return {"cancelled_at": now, "cancelled_by": actor.value, "cancel_reason": reason, "stock_locked": False}


def self_cancel(order: Order, now: datetime, reason: str = "changed_mind") -> Order:
    """Unpaid order cancelled by its customer at once; stock released, nothing to refund."""
    if order.is_overdue_unpaid(now):
        raise DomainError("ORDER_EXPIRED")
    if order.status is not OrderStatus.PENDING_PAYMENT:
        # A paid order is never cancelled without its refund (cancel_with_refund does that).
        raise DomainError(
            "ORDER_CANCELLED" if order.status is OrderStatus.CANCELLED else "ALREADY_PAID",
            {"status": order.status.value},
        )
    change = Change(
        order,
        OrderStatus.CANCELLED,
        "order.cancelled",
        Actor.CUSTOMER,
        order.customer_id,
        now,
        reason=reason,
        set_=_cancel_sets(now, Actor.CUSTOMER, reason),
        remove=not_due(),
        condition="payment_deadline > :now",
        cond_values={":now": iso(now)},
    )
    return run(change, _release_ops(order))


def expire_order(order: Order, now: datetime) -> Order:
    """The system cancels an unpaid order past its deadline (reason ``payment_timeout``)."""
    if not order.is_overdue_unpaid(now):
        raise DomainError("CONFLICT", {"status": order.status.value})
    change = Change(
        order,
        OrderStatus.CANCELLED,
        "order.expired",
        Actor.SYSTEM,
        "expiry",
        now,
        reason=PAYMENT_TIMEOUT_REASON,
        set_=_cancel_sets(now, Actor.SYSTEM, PAYMENT_TIMEOUT_REASON),
        remove=not_due(),
        condition="payment_deadline <= :now",
        cond_values={":now": iso(now)},
    )
    return run(change, _release_ops(order))


def cancel_with_refund(
    order: Order,
    now: datetime,
    *,
    actor: Actor,
    actor_id: str,
    reason: str,
    refund_to: RefundTo,
    amount: int | None = None,
    request_id: str | None = None,
    event: str = "order.cancelled",
    extra: list[dict[str, Any]] | None = None,
    condition: str = "",
    cond_values: dict[str, Any] | None = None,
) -> tuple[Order, str | None]:
    """Cancel a paid (or delivering, undelivered) order and create its refund in one
    transaction; the refund is full unless ``amount`` says less. Returns (order, refund id)."""
    amount = order.refundable if amount is None else amount
    refund_id, ops = None, list(extra or [])
    sets = _cancel_sets(now, actor, reason)
    if amount > 0:
        refund_records.check_refundable(order, amount)
        refund_id, put = refund_records.new_refund_put(
            order,
            amount=amount,
            refund_to=refund_to,
            reason=reason,
            source=actor.value,
            now=now,
            request_id=request_id,
        )
        ops.append(put)
        sets["refunded_amount"] = order.refunded_amount + amount
    change = Change(
        order,
        OrderStatus.CANCELLED,
        event,
        actor,
        actor_id,
        now,
        reason=reason,
        set_=sets,
        remove=["open_request_id"],
        condition=condition,
        cond_values=cond_values or {},
        detail={"refund_id": refund_id, "amount": amount, "request_id": request_id},
    )
    return run(change, _release_ops(order) + ops), refund_id
