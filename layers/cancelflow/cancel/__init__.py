"""The cancel step: what a customer may do with an order and doing it (options, self-cancel,
requests for review, appeals, answers to questions), and what the customer sees of an order;
one module per use case, called by the thin handlers in functions/cancel."""
