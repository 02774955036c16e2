"""Lambda entry points of the platform step (thin: parse, call the shared layer, answer)."""
