"""The refund step: lifecycle, worker, providers, balance ledger (docs/refunds.md)."""
