"""Lambda entry points of the refund step (thin: parse, call the shared layer, answer)."""
