"""Support flags a customer high-risk, or clears the flag, always with a reason (docs/domain.md,
"Risk"). A flagged customer gets no auto-approval and their requests are reviewed strictly, by a
senior; clearing gives them back what the ratio allows. Every change is audited: the profile and
an append-only entry (who, when, set or cleared, why) are written in one transaction
(``store.customers.change_flag``), and the view shows the flag with its recent changes.
Integrations: DynamoDB (through ``cancelflow.store``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from cancelflow.http.fields import Model
from cancelflow.store import customers


class FlagChangeOut(Model):
    model_config = ConfigDict(frozen=True)
    flagged: bool = Field(description="true: set; false: cleared")
    reason: str
    changed_by: str = Field(description="the support agent")
    changed_at: datetime


class CustomerFlagOut(Model):
    model_config = ConfigDict(frozen=True)
    customer_id: str
    flagged: bool = Field(description="flagged high-risk by support: no auto-approval, senior review")
    reason: str | None = Field(default=None, description="why, as the last change gave it")
    changed_by: str | None = None
    changed_at: datetime | None = None
    history: list[FlagChangeOut] = Field(description="the last changes of the flag, newest first")


def view(customer_id: str) -> CustomerFlagOut:
    """The customer's flag and its audit trail (a customer never flagged: not flagged, no
    changes; the customer's existence is the platform's, not known here)."""
    profile, changes = customers.flag_history(customer_id)
    return CustomerFlagOut(
        customer_id=customer_id,
        flagged=profile.flagged,
        reason=profile.reason,
        changed_by=profile.changed_by,
        changed_at=datetime.fromisoformat(profile.changed_at) if profile.changed_at else None,
        history=[
            FlagChangeOut(
                flagged=c.flagged,
                reason=c.reason,
                changed_by=c.changed_by,
                changed_at=datetime.fromisoformat(c.changed_at),
            )
            for c in changes
        ],
    )


def change(customer_id: str, flagged: bool, reason: str, actor_id: str, now: datetime) -> CustomerFlagOut:
    """Set (``flagged``) or clear the flag; the reason is kept with the change. Setting it
    again, or clearing a clear flag, is a change too (audited), not an error: the reason may
    be new."""
    customers.change_flag(customer_id, flagged, reason.strip(), actor_id, now)
    return view(customer_id)
