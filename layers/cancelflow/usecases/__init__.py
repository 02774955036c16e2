"""Use cases: one module each, called by the thin handlers in functions/."""
