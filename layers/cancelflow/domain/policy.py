"""Cancellation policies: configuration, not code (DOMAIN.md, "Products").

Defaults come from DOMAIN.md. Each product type may override any value, and each environment
may override them again with the JSON in ``CANCELFLOW_POLICY_OVERRIDES``, e.g.
``{"mobile_topup": {"auto_approve_minutes": 5}}``. Validation rejects nonsense at start-up.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cancelflow.domain.calendar import add_business_days
from cancelflow.domain.products import Channel, ProductType


class RefundSla(BaseModel):
    """How long a refund on one channel takes: expected arrival and the SLA (overdue after)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    expected_minutes: int = Field(default=0, ge=0)
    sla_minutes: int | None = Field(default=None, ge=1)
    expected_business_days: int | None = Field(default=None, ge=0)
    sla_business_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_sla(self) -> RefundSla:
        if (self.sla_minutes is None) == (self.sla_business_days is None):
            raise ValueError("give exactly one of sla_minutes and sla_business_days")
        return self

    def expected_by(self, start: datetime, holidays: tuple[date, ...]) -> datetime:
        if self.expected_business_days is not None:
            return add_business_days(start, self.expected_business_days, holidays)
        return start + timedelta(minutes=self.expected_minutes)

    def due_by(self, start: datetime, holidays: tuple[date, ...]) -> datetime:
        if self.sla_business_days is not None:
            return add_business_days(start, self.sla_business_days, holidays)
        assert self.sla_minutes is not None
        return start + timedelta(minutes=self.sla_minutes)


class EvidenceRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    content_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    max_files: int = Field(default=5, ge=0, le=20)
    upload_url_seconds: int = Field(default=300, ge=30, le=3600)
    required_for_appeal: bool = True  # an appeal of a delivered order needs at least one image


_DEFAULT_REFUND_SLA: dict[Channel, RefundSla] = {
    Channel.ALIPAY: RefundSla(expected_minutes=0, sla_minutes=60),
    Channel.WECHAT_PAY: RefundSla(expected_minutes=0, sla_minutes=60),
    Channel.BANK_CARD: RefundSla(expected_business_days=1, sla_business_days=3),
    Channel.BALANCE: RefundSla(expected_minutes=0, sla_minutes=60),
}


class CancellationPolicy(BaseModel):
    """The published cancellation policy of one product type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    product_type: ProductType
    payment_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    auto_approve_minutes: int = Field(default=10, ge=0, le=24 * 60)
    review_first_response_minutes: int = Field(default=5, ge=1)
    review_decision_minutes: int = Field(default=60, ge=1)
    # need_info pauses the review SLA; unanswered after this long, a senior decides without it
    review_need_info_hours: int = Field(default=72, ge=1)
    refund_start_minutes: int = Field(default=60, ge=1)  # initiated within 1 h of approval
    refund_sla: dict[Channel, RefundSla] = Field(default_factory=lambda: dict(_DEFAULT_REFUND_SLA))
    appeal_after_delivery: bool = True
    confirmation_window_hours: int = Field(default=72, ge=1)  # delivered -> completed
    after_sales_days: int = Field(default=7, ge=0)
    evidence: EvidenceRules = Field(default_factory=EvidenceRules)

    @property
    def payment_timeout(self) -> timedelta:
        return timedelta(minutes=self.payment_timeout_minutes)

    @property
    def auto_approve_window(self) -> timedelta:
        return timedelta(minutes=self.auto_approve_minutes)


class RiskRules(BaseModel):
    """When a customer's recent cancellations make them high-risk (DOMAIN.md, "Review")."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window_days: int = Field(default=30, ge=1, le=90)
    max_ratio: float = Field(default=0.30, gt=0, le=1)
    min_orders: int = Field(default=5, ge=1)


class PolicyBook(BaseModel):
    """Every product type's policy, the risk rules and the holiday calendar."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    policies: dict[ProductType, CancellationPolicy]
    risk: RiskRules = Field(default_factory=RiskRules)
    holidays: tuple[date, ...] = ()
    review_lease_minutes: int = Field(default=10, ge=1, le=120)

    def for_type(self, product_type: ProductType) -> CancellationPolicy:
        return self.policies[product_type]


# Per-type differences from the defaults, with the reason for each.
_TYPE_DEFAULTS: dict[ProductType, dict[str, Any]] = {
    ProductType.GAME_CARD: {},
    # A top-up pushed upstream cannot be recalled, so a shorter confirmation window suffices.
    ProductType.MOBILE_TOPUP: {"confirmation_window_hours": 24},
    ProductType.SOFTWARE_LICENSE: {},
}


def _policy_for(t: ProductType, override: Any) -> CancellationPolicy:
    if not isinstance(override, dict):
        raise ValueError(f"policy override for {t.value} must be an object")
    values = {**_TYPE_DEFAULTS[t], **override}
    # Overriding one channel's refund SLA keeps the others' defaults (every channel needs one).
    if isinstance(values.get("refund_sla", {}), dict):
        values["refund_sla"] = {**_DEFAULT_REFUND_SLA, **values.get("refund_sla", {})}
    # Last, so an override cannot make one type's policy claim to be another's.
    return CancellationPolicy.model_validate({**values, "product_type": t})


def build_policy_book(overrides: dict[str, Any] | str | None = None) -> PolicyBook:
    """Defaults, then per-type defaults, then the environment's overrides; validated."""
    if isinstance(overrides, str):
        overrides = json.loads(overrides) if overrides.strip() else {}
    overrides = dict(overrides or {})
    top = {k: overrides.pop(k) for k in ("risk", "holidays", "review_lease_minutes") if k in overrides}
    unknown = set(overrides) - {t.value for t in ProductType}
    if unknown:
        raise ValueError(f"unknown product types in policy overrides: {sorted(unknown)}")
    policies = {t: _policy_for(t, overrides.get(t.value, {})) for t in ProductType}
    return PolicyBook.model_validate({"policies": policies, **top})
