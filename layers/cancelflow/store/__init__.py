"""Data access on one DynamoDB table (docs/data-model.md). Every state change is a
conditional write or a transaction against the stored state."""
