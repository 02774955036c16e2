"""Refund records: the one definition of a refund (``Refund``) and every read and write of one.
``records``: the entity, creation, reads and support's list; ``owed``: the refunds a change of an
order owes, one per trade refunded (every caller creates refunds through ``owe``); ``writes``:
its moves (lifecycle transitions, the schedule's overdue flag and hand-back). Import from here."""

from __future__ import annotations

from cancelflow.store.refunds.manual import Manual, manual_refund_id
from cancelflow.store.refunds.owed import Owed, owe
from cancelflow.store.refunds.records import (
    FIELDS,
    OPEN,
    SK,
    TIMED,
    Op,
    Refund,
    RefundStatus,
    check_refundable,
    create,
    decode,
    get,
    get_many,
    page,
    refund_channel,
    refund_id_of,
    refund_no_of,
)
from cancelflow.store.refunds.writes import (
    QUEUE_VISIBILITY,
    StaleRefund,
    chase,
    flag_overdue,
    mark_handed_back,
    overdue_ops,
    touch,
    transition,
    transition_ops,
)

__all__ = [
    "FIELDS",
    "OPEN",
    "QUEUE_VISIBILITY",
    "SK",
    "TIMED",
    "Manual",
    "Op",
    "Owed",
    "Refund",
    "RefundStatus",
    "StaleRefund",
    "chase",
    "check_refundable",
    "create",
    "decode",
    "flag_overdue",
    "get",
    "get_many",
    "manual_refund_id",
    "mark_handed_back",
    "overdue_ops",
    "owe",
    "page",
    "refund_channel",
    "refund_id_of",
    "refund_no_of",
    "touch",
    "transition",
    "transition_ops",
]
