"""Lambda entry points of the review step (thin: parse, call the shared layer, answer)."""
