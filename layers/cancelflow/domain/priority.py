"""Review priority (DOMAIN.md, "Review"): platform faults and stop-delivery first, then by
time left to the SLA, then by amount. One sort key so a store can order tasks for us."""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.reasons import Reason, is_platform_fault

URGENT = 0
NORMAL = 1
_MAX_AMOUNT = 10**12


def priority_class(action: str, reason: Reason, escalated: bool = False) -> int:
    if escalated or action == "stop_delivery" or is_platform_fault(reason):
        return URGENT
    return NORMAL


def priority_key(klass: int, sla_due: datetime, amount: int, task_id: str) -> str:
    """Lexicographic order = review order: class, then earliest SLA, then larger amount."""
    epoch_ms = int(sla_due.timestamp() * 1000)
    return f"{klass}#{epoch_ms:015d}#{_MAX_AMOUNT - min(amount, _MAX_AMOUNT - 1):013d}#{task_id}"
