"""A customer fixes their refund's destination (docs/domain.md, "Refund recovery"):
``POST /v1/orders/{order_id}/refunds/{refund_id}/fix``.

A refund in ``needs_customer_action`` (the provider said the account cannot receive it) goes
back to ``pending`` with the customer's choice, in one conditional write against the refund as
read (``lifecycle.transition``): the account confirmed (the provider is asked again under the
same refund number), a new WeChat card (kept beside the refund in the same transaction, for the
worker's 发起异常退款), or the balance instead (the channel becomes ``balance``: our ledger
credits it once per refund number, and the provider, which refused it, is never asked again).
Support's retry, a late provider word and this fix racing each other: whichever commits first
wins, the other is told what is stored, and the refund is paid once (the worker's rules).
Integrations: DynamoDB (reads, one transaction), the refund queue.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow import dispatch
from cancelflow.domain import refund_recovery
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.refund_recovery import Fix
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle
from cancelflow.store import orders
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund, cards


def own_refund(customer_id: str, order_id: str, refund_id: str) -> Refund:
    """The caller's refund of their order; another customer's (or another order's) is not found."""
    orders.require_order(order_id, customer_id)
    r = lifecycle.get_refund(refund_id)
    if r is None or r.order_id != order_id or r.customer_id != customer_id:
        raise DomainError(ErrorCode.REFUND_NOT_FOUND, {"refund_id": refund_id})
    return r


def _not_offered(r: Refund, fix: Fix) -> DomainError:
    offered = refund_recovery.fixes(r.status, r.channel)
    return DomainError(
        ErrorCode.REFUND_FIX_NOT_OFFERED,
        {
            "fix": fix.value,
            "status": r.status.value,
            "channel": r.channel.value,
            "offered": [f.value for f in offered],
        },
    )


def fix(
    customer_id: str,
    order_id: str,
    refund_id: str,
    choice: Fix,
    now: datetime,
    card: cards.Card | None = None,
) -> Refund:
    r = own_refund(customer_id, order_id, refund_id)
    if choice not in refund_recovery.fixes(r.status, r.channel):
        raise _not_offered(r, choice)
    if (choice is Fix.NEW_CARD) != (card is not None):
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "card", "fix": choice.value})
    sets: dict[str, object] = {"failures": 0, "next_attempt_at": now}
    if choice is Fix.TO_BALANCE:
        sets |= {"channel": Channel.BALANCE, "refund_to": RefundTo.BALANCE, "switched_from": r.channel}
    try:
        pending = lifecycle.transition(
            r,
            RefundStatus.PENDING,
            now=now,
            actor="customer",
            actor_id=customer_id,
            set_=sets,
            remove=("lease_until",),
            reason=f"customer_{choice.value}",
            event="refund.destination_fixed",
            detail={"fix": choice.value, **({"to_channel": "balance"} if choice is Fix.TO_BALANCE else {})},
            card=card,
        )
    except StaleRefund as e:
        fresh = lifecycle.get_refund(refund_id)
        if fresh is not None and choice not in refund_recovery.fixes(fresh.status, fresh.channel):
            raise _not_offered(fresh, choice) from e
        raise DomainError(ErrorCode.CONFLICT, {"status": fresh.status.value if fresh else None}) from e
    dispatch.send_refund(refund_id)
    return pending
