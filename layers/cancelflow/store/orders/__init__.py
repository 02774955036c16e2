"""Orders (docs/domain.md, "Order states"): one import for every caller.

- ``reads``: one order by id, a customer's orders a page at a time;
- ``changes``: ``Change`` and ``run``, one change of one order as one transaction (the order
  update conditional on the version and status read, its history entry, what goes with it);
  a lost race raises ``OrderConflict`` (CONFLICT) carrying the order as found;
- ``lifecycle``: created with stock reserved, delivered (or failed);
- ``completion``: delivered -> completed when the confirmation window ends (the sweep's write);
- ``cancellations``: cancelled by the customer, the system, or with its refunds (after review;
  one refund per trade refunded), or by support;
- ``auto_approved``: the auto-approved cancellation, conditional on the risk counters read;
- ``partition``: the order with its history and requests, or with its customer's risk.
"""

from __future__ import annotations

from cancelflow.store.orders.auto_approved import RiskMoved, cancel_auto_approved
from cancelflow.store.orders.cancellations import (
    cancel_with_refunds,
    expire_order,
    self_cancel,
    staff_cancel,
)
from cancelflow.store.orders.changes import Change, Op, OrderConflict, not_due, release_ops, run
from cancelflow.store.orders.completion import complete_due, complete_order
from cancelflow.store.orders.lifecycle import (
    MAX_QUANTITY,
    complete_delivery,
    create_order,
    fail_delivery,
    start_delivery,
)
from cancelflow.store.orders.partition import Partition, read_partition, read_with_risk
from cancelflow.store.orders.reads import customer_scope, get_order, list_customer_orders, require_order

__all__ = [
    "MAX_QUANTITY",
    "Change",
    "Op",
    "OrderConflict",
    "Partition",
    "RiskMoved",
    "cancel_auto_approved",
    "cancel_with_refunds",
    "complete_delivery",
    "complete_due",
    "complete_order",
    "create_order",
    "customer_scope",
    "expire_order",
    "fail_delivery",
    "get_order",
    "list_customer_orders",
    "not_due",
    "read_partition",
    "read_with_risk",
    "release_ops",
    "require_order",
    "run",
    "self_cancel",
    "staff_cancel",
    "start_delivery",
]
