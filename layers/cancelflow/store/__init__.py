"""Data access on one DynamoDB table (docs/data-model.md). Every state change is a
conditional write or a transaction against the stored state."""

from cancelflow.deferred import defer_init

# ``store.orders`` re-exports every use of an order (one import for 450 callers), so its
# ``__init__`` imports all seven of its modules, cancellations' refunds and stock with them; a
# function that only reads orders (review intake, a sweep) loaded them all. Deferred, a name
# imports only its own module (cancelflow.deferred says how; tests/unit/test_import_weight.py
# checks every name against the real ``__init__``).
defer_init("cancelflow.store.orders")
