"""The scheduled sweeps (issue 7): expire unpaid orders, flag overdue refunds and reviews,
hand stuck refunds back. Each reads only what is due through a sparse index (docs/events.md,
"Schedules"), is bounded per run, and acts through conditional writes only."""
