"""The refund step: lifecycle, worker, providers (docs/refunds.md). Its records and the balance
ledger are the store's (``cancelflow.store.refunds``, ``cancelflow.store.ledger``)."""
