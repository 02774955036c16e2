"""The review step (docs/domain.md, "Review"; docs/review.md): tasks fed by the review queue,
claimed under a lease, decided with a checklist, escalated when overdue."""
