"""Stock as support works with it: the keys a cancellation quarantined (docs/domain.md,
"Quarantine") and the stock counts of a product. The key states and their writes are
``cancelflow.store.stock``'s."""
