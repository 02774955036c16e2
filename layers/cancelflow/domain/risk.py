"""Risk: when a customer's recent cancellations make them high-risk (docs/domain.md, "Risk").

A customer is high-risk when support has flagged them, or when, over the last ``window_days``
(CST days, today included), they placed at least ``min_orders`` orders and asked to cancel more
than ``max_ratio`` of them. What counts is the customer's own cancellations: every request,
auto-approved ones too (else a customer who always cancels inside the window would never
reach the threshold), except a withdrawn one and one upheld as a platform fault
(``counts_when_approved``); expiries and self-cancels of unpaid orders are never counted. A high-risk
customer is never auto-approved (``domain/auto_approval.py``) and their requests are reviewed
strictly. The statistics are read by ``store/customers.py``; the thresholds are configuration
(``PolicyBook.risk``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
from msgspec import Meta

from cancelflow.domain.reasons import Reason, is_platform_fault


@dataclass(frozen=True)
class RiskRules:
    """The thresholds; bounds checked when the policy book is built."""

    window_days: Annotated[int, Meta(ge=1, le=90)] = 30
    max_ratio: Annotated[float, Meta(gt=0, le=1)] = 0.30
    min_orders: Annotated[int, Meta(ge=1)] = 5


class RiskProfile(msgspec.Struct, frozen=True):
    """A customer's recent cancellation history (requests over orders in a window)."""

    window_days: int = 30
    orders: int = 0
    cancellation_requests: int = 0
    flagged: bool = False  # set by support, e.g. after fraud
    # today's count as read (CST day of the read): what the auto-approval write conditions on,
    # so parallel requests cannot all be approved under the threshold (store/customers.py)
    requests_today: int = 0

    @property
    def ratio(self) -> float:
        return self.cancellation_requests / self.orders if self.orders else 0.0

    def high_risk(self, rules: RiskRules) -> bool:
        return high_risk(self, rules)


def counts_when_approved(reason_code: str) -> bool:
    """Whether a request approved in review still counts towards the customer's risk: not when
    it claimed a platform fault (wrong item, invalid key, ...) and review upheld it. That was the
    platform's cancellation, not the customer's, and must not cost them their auto-approval. A
    rejected fault claim was not upheld and keeps counting; so does every customer reason."""
    return not is_platform_fault(Reason(reason_code))


def high_risk(profile: RiskProfile, rules: RiskRules) -> bool:
    """Flagged, or enough orders in the window and too many of them asked to be cancelled."""
    return profile.flagged or (profile.orders >= rules.min_orders and profile.ratio > rules.max_ratio)
