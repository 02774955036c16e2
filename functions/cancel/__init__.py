"""Lambda entry points of the cancel step (thin: parse, call the shared layer, answer)."""
