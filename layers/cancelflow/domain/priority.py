"""Review priority (docs/domain.md, "Priority").

Urgent first, then by time left to the SLA, then by amount: one sort key so a store can order
tasks for us. Urgency comes only from facts the platform can check: a stop-delivery (the order
is delivering), an escalation, or a platform fault claimed about goods whose value moved; never
from the customer's word alone on an undelivered order.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.actions import Action
from cancelflow.domain.reasons import Reason, is_platform_fault
from cancelflow.domain.states import VALUE_MOVED, OrderStatus

URGENT = 0
NORMAL = 1
_MAX_AMOUNT = 10**12


def reviewed_as(action: str, status: OrderStatus) -> str:
    """The action a request is reviewed as: a cancel or stop-delivery whose delivery completed
    anyway becomes an appeal (a delivered order is never cancelled). ``status``: the order's."""
    if action in (Action.REQUEST.value, Action.STOP_DELIVERY.value) and status in VALUE_MOVED:
        return Action.APPEAL.value
    return action


def checkable_fault(reason: Reason, status: OrderStatus) -> bool:
    """A platform fault the platform can check: claimed about goods whose value moved. Before
    delivery a platform-fault reason is the customer's word alone, which earns no priority."""
    return status in VALUE_MOVED and is_platform_fault(reason)


def priority_class(action: str, reason: Reason, status: OrderStatus, escalated: bool = False) -> int:
    """``status``: the order's, as stored when the task is made."""
    if escalated or action == "stop_delivery" or checkable_fault(reason, status):
        return URGENT
    return NORMAL


def priority_key(klass: int, sla_due: datetime, amount: int, task_id: str) -> str:
    """Lexicographic order = review order: class, then earliest SLA, then larger amount."""
    epoch_ms = int(sla_due.timestamp() * 1000)
    return f"{klass}#{epoch_ms:015d}#{_MAX_AMOUNT - min(amount, _MAX_AMOUNT - 1):013d}#{task_id}"
