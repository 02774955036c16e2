"""The customer's inbox (站内信): which moments of an order notify its customer, and what the
message says in the reader's language (docs/domain.md, "Notifications")."""
