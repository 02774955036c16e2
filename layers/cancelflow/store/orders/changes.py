"""One change of one order, as one transaction (docs/domain.md, "Order states").

Each lifecycle operation is: the order update, conditional on the version and status read (so
it is decided against the stored state at the moment of writing), one history entry, and
whatever else must change with it (stock keys, statistics, refunds, requests). A lost race
surfaces as ``CONFLICT`` with the state found (``OrderConflict``, which carries that order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import KEYED_TYPES
from cancelflow.domain.quarantine import quarantines_keys
from cancelflow.domain.states import Actor, OrderStatus, can_transition
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import ddb, history, keys, quarantine, stock
from cancelflow.store.codec import decode, plain
from cancelflow.store.orders import reads

Op = dict[str, Any]  # one write of a transaction: pass it along, never look inside


class Change(msgspec.Struct):
    """One change of one order: the conditional update plus its history entry."""

    order: Order
    to: OrderStatus | None
    event: str
    actor: Actor
    actor_id: str
    now: datetime
    reason: str | None = None
    set_: dict[str, Any] = msgspec.field(default_factory=dict)
    remove: list[str] = msgspec.field(default_factory=list)
    condition: str = ""  # extra condition, ANDed
    cond_values: dict[str, Any] = msgspec.field(default_factory=dict)
    detail: dict[str, Any] = msgspec.field(default_factory=dict)

    def ops(self) -> list[Op]:
        o = self.order
        if self.to is not None and self.to is not o.status and not can_transition(o.status, self.to):
            raise DomainError(
                ErrorCode.ORDER_NOT_CANCELLABLE, {"status": o.status.value, "to": self.to.value}
            )
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
                # a refusal is worded from the order as stored, returned by the refused write
                # itself (no read after it; no read capacity either)
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
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


class OrderConflict(DomainError):
    """CONFLICT: a change lost its race. ``details`` word it as before (the status and version
    found); ``found`` is that order itself as stored when the change was refused (None: there
    is no such order), so a caller that decides again (the expiry sweep) needs no read.

    ``in_flight``: the refusal was another transaction holding one of the items
    (``TransactionConflict``). ``found`` is then the order as last committed, before that
    transaction's outcome: a caller deciding again waits a moment first, or it would be
    refused by the same transaction again."""

    def __init__(self, found: Order | None, in_flight: bool = False) -> None:
        super().__init__(
            ErrorCode.CONFLICT,
            {"status": found.status.value if found else None, "version": found.version if found else None},
        )
        self.found = found
        self.in_flight = in_flight


def run(change: Change, extra: list[Op] | None = None) -> Order:
    """Commit a change (plus extra ops) atomically; a lost race is ``OrderConflict``."""
    try:
        ddb.transact([*change.ops(), *(extra or [])])
    except ddb.TransactionFailed as e:
        # Any failed condition (the order's version, or an item written with it such as a
        # payment record) or a concurrent transaction on one of the items is a lost race: the
        # caller gets CONFLICT with the state found, never a raw error.
        if any(r in ddb.LOST_RACE for r in e.reasons):
            in_flight = "TransactionConflict" in e.reasons
            raise OrderConflict(_found(change.order.order_id, e), in_flight) from e
        raise
    return _committed(change)


def _found(order_id: str, e: ddb.TransactionFailed) -> Order | None:
    """The stored order a refused change met. When the order's own condition failed, the
    transaction returned the order as stored (``ALL_OLD``; no item: there is no such order),
    so the refusal costs that one request. Otherwise (another item's condition, or a
    concurrent transaction on the order) its state is unknown: read it."""
    if e.reasons[:1] == ["ConditionalCheckFailed"]:
        old = old_item(e, 0)
        return reads.of_item(old) if old is not None else None
    return reads.get_order(order_id)


def old_item(e: ddb.TransactionFailed, i: int) -> ddb.Item | None:
    """Item ``i`` of a cancelled transaction as stored, when its condition failed and it asked
    for ``ALL_OLD`` (``ddb.transact`` decodes them into ``e.items``)."""
    return e.items[i] if i < len(e.items) else None


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


def release_ops(order: Order, now: datetime) -> list[Op]:
    """Give reserved keys back. Keys are released only while not delivered (stock conserved);
    those of an order that reached delivering go to quarantine, not to stock (docs/domain.md,
    "Quarantine": ``domain/quarantine.py`` decides which)."""
    if order.product_type not in KEYED_TYPES:
        return []
    if quarantines_keys(order):
        return [quarantine.quarantine_op(order.product_id, k, order.order_id, now) for k in order.key_ids]
    return [stock.release_op(order.product_id, k, order.order_id) for k in order.key_ids]


def not_due() -> list[str]:
    """What a change removes when the order can no longer fall due (the expiry index)."""
    return ["due_pk", "due_at"]
