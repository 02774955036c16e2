"""The pure domain: states, policies, reasons, and one module per rule (eligibility and options,
auto-approval, risk, priority, appeals, the after-sales window, the refund SLA, the business
calendar); docs/domain.md, "Where each rule lives", names each.

Nothing here does I/O, so it is cheap to import and exhaustively testable.
"""
