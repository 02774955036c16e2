"""Owing refunds: the one way a change of an order creates refunds (a cancel with refund,
auto-approved or reviewed; a reviewer's refund after delivery; a payment refunded on arrival).

An order can carry several trades (a late payment, a duplicate, one of the wrong amount, then
the right one): each refund names ONE trade, carries that trade's total and never more than is
left of it, so a provider that checks the original trade (WeChat Pay's ``amount.total``) sees
exactly that trade. A refund of the order is split over its trades by ``Order.refund_slices``
(the applied trade first, then the others in arrival order), one refund per slice, all in the
transaction of the change that owes them (docs/domain.md, "Refunds").

Why a check in code on the order as read is enough: every caller writes ``Owed.sets`` with an
``orders.Change``, whose update is conditional on the version read. If another writer changed
the order (another refund, another payment) since the read, the whole transaction is refused
and the caller decides again on the order as it is; so the per-trade and per-order sums checked
here are the stored ones at the moment of writing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow.domain.models import MAX_REFUND_SLICES, Order, Trade
from cancelflow.domain.products import RefundTo
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store.refunds.manual import Manual, manual_refund_id
from cancelflow.store.refunds.records import Op, check_refundable, create


class Owed(msgspec.Struct, frozen=True):
    """The refunds one change owes: their ids (the applied trade's first), their Puts, and what
    the change sets on the order with them (``refunded_amount`` and the trades' ``refunded``)."""

    refund_ids: tuple[str, ...] = ()
    ops: list[Op] = msgspec.field(default_factory=list)
    sets: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def refund_id(self) -> str | None:
        """The first refund (the applied trade's): what a caller that shows one refund names."""
        return self.refund_ids[0] if self.refund_ids else None

    def named(self) -> dict[str, Any]:
        """What the owing change's history entry says of its refunds: ``refund_id`` (the first)
        and, when there are several, ``refund_ids`` (the customer's view lists every one)."""
        several = {"refund_ids": list(self.refund_ids)} if len(self.refund_ids) > 1 else {}
        return {"refund_id": self.refund_id, **several}


def owe(
    order: Order,
    amount: int,
    *,
    refund_to: RefundTo,
    reason: str,
    source: str,
    now: datetime,
    request_id: str | None = None,
    payment_id: str | None = None,
    manual: Manual | None = None,
) -> Owed:
    """Refunds of ``amount`` in all on ``order`` (``payment_id``: on that trade only), each on one
    trade and within what is left of it. AMOUNT_INVALID / NOTHING_TO_REFUND (with the most that
    may be refunded) when the order or the trades cannot cover it. The caller writes ``ops`` and
    ``sets`` in the transaction of its ``orders.Change`` (see the module docstring). ``manual``:
    support paid it outside; the refunds are recorded succeeded, with ids made from the order and
    the outside reference (recording it again is a replay)."""
    check_refundable(order, amount)
    slices = order.refund_slices(amount, payment_id)
    covered = sum(n for _, n in slices)
    if covered < amount:  # a named trade with less left, or books that disagree: refuse, never overdraw
        raise DomainError(ErrorCode.AMOUNT_INVALID, {"field": "amount", "max_amount": covered})
    if len(slices) > MAX_REFUND_SLICES:
        # One item per slice in a transaction of at most 100: refuse clearly, saying what one
        # refund can cover (the rest is another refund).
        most = sum(n for _, n in slices[:MAX_REFUND_SLICES])
        raise DomainError(
            ErrorCode.AMOUNT_INVALID,
            {"field": "amount", "max_amount": most, "why": f"at most {MAX_REFUND_SLICES} trades per refund"},
        )
    ids: list[str] = []
    ops: list[Op] = []
    taken: dict[str, int] = {}
    for n, (trade, part) in enumerate(slices):
        refund_id, put = create(
            order,
            amount=part,
            refund_to=refund_to,
            reason=reason,
            source=source,
            now=now,
            request_id=request_id,
            trade=trade,
            manual=manual,
            refund_id=manual_refund_id(order.order_id, manual.reference, n) if manual else None,
        )
        ids.append(refund_id)
        ops.append(put)
        taken[trade.payment_id] = part
    trades = tuple(_claimed(t, taken.get(t.payment_id, 0)) for t in order.trades)
    sets = {"refunded_amount": order.refunded_amount + amount, "trades": trades}
    return Owed(tuple(ids), ops, sets)


def _claimed(trade: Trade, part: int) -> Trade:
    return msgspec.structs.replace(trade, refunded=trade.refunded + part) if part else trade
