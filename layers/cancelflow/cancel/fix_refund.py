"""A customer fixes their refund's destination (docs/domain.md, "Refund recovery"):
``POST /v1/orders/{order_id}/refunds/{refund_id}/fix``.

A refund in ``needs_customer_action`` (the provider said the account cannot receive it) goes
back to ``pending`` with the customer's choice, in one conditional write against the refund as
read (``refunds.destination.hand_back``): the account confirmed (the provider is asked again under the
same refund number), a new WeChat card (kept beside the refund in the same transaction, for the
worker's 发起异常退款), or the balance instead (the channel becomes ``balance``: our ledger
credits it once per refund number, and the provider, which refused it, is never asked again).
Support's retry, a late provider word and this fix racing each other: whichever commits first
wins, the other is told what is stored, and the refund is paid once (the worker's rules).
Integrations: DynamoDB (reads, one transaction), the refund queue.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.refund_recovery import Fix
from cancelflow.refunds import destination, lifecycle
from cancelflow.store import orders
from cancelflow.store.refunds import Refund, cards


def own_refund(customer_id: str, order_id: str, refund_id: str) -> Refund:
    """The caller's refund of their order; another customer's (or another order's) is not found."""
    orders.require_order(order_id, customer_id)
    return lifecycle.require_refund(refund_id, order_id, customer_id)


def fix(
    customer_id: str,
    order_id: str,
    refund_id: str,
    choice: Fix,
    now: datetime,
    card: cards.Card | None = None,
) -> Refund:
    r = own_refund(customer_id, order_id, refund_id)
    return destination.hand_back(r, choice, actor="customer", actor_id=customer_id, now=now, card=card)
