"""Lambda entry points of the events step (thin: parse, call the shared layer, answer)."""
