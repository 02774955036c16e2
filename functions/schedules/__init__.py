"""Lambda entry points of the schedules step (thin: parse, call the shared layer, answer)."""
