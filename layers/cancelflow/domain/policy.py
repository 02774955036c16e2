"""Cancellation policies: configuration, not code (docs/domain.md, "Products and policies").

The defaults are those docs/domain.md states. Each product type may override any value, and each
environment may override them again with the JSON in ``CANCELFLOW_POLICY_OVERRIDES``, e.g.
``{"mobile_topup": {"auto_approve_minutes": 5}}``. Validation rejects nonsense at start-up.
The rules that read these values each live in their own module (docs/domain.md, "Where each
rule lives"); ``RefundSla`` stays here as configuration of the refund SLA.

The policy's types are frozen dataclasses, not msgspec structs like the rest of the domain:
they are API schemas too (``GET /v1/policies``), and pydantic documents and validates dataclasses,
not structs. The bounds are ``msgspec.Meta`` annotations, enforced when ``build_policy_book``
converts the merged configuration with msgspec.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from cancelflow.domain.calendar import BusinessCalendar
from cancelflow.domain.models import Order
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.risk import RiskRules

NonNegative = Annotated[int, Meta(ge=0)]
Positive = Annotated[int, Meta(ge=1)]
DayOfMinutes = Annotated[int, Meta(ge=0, le=24 * 60)]


@dataclass(frozen=True)
class RefundSla:
    """How long a refund on one channel takes: expected arrival and the SLA (overdue after).
    Configuration only: the arithmetic and the overdue rule are ``domain/refund_sla.py``'s."""

    expected_minutes: NonNegative = 0
    sla_minutes: Positive | None = None
    expected_business_days: NonNegative | None = None
    sla_business_days: Positive | None = None

    def __post_init__(self) -> None:
        if (self.sla_minutes is None) == (self.sla_business_days is None):
            raise ValueError("give exactly one of sla_minutes and sla_business_days")


@dataclass(frozen=True)
class EvidenceRules:
    """What evidence a customer may upload: types, size, count and how long an upload URL lasts."""

    content_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")
    max_bytes: Positive = 5 * 1024 * 1024
    max_files: Annotated[int, Meta(ge=0, le=20)] = 5
    upload_url_seconds: Annotated[int, Meta(ge=30, le=3600)] = 300
    required_for_appeal: bool = True  # an appeal of a delivered order needs at least one image


_DEFAULT_REFUND_SLA: dict[Channel, RefundSla] = {
    Channel.ALIPAY: RefundSla(expected_minutes=0, sla_minutes=60),
    Channel.WECHAT_PAY: RefundSla(expected_minutes=0, sla_minutes=60),
    Channel.BANK_CARD: RefundSla(expected_business_days=1, sla_business_days=3),
    Channel.BALANCE: RefundSla(expected_minutes=0, sla_minutes=60),
}


@dataclass(frozen=True)
class CancellationPolicy:
    """The published cancellation policy of one product type."""

    product_type: ProductType
    payment_timeout_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 15
    auto_approve_minutes: DayOfMinutes = 10
    # Auto-approval only up to this order amount (fen); above it review decides. 0: never
    # auto-approved. Per type below (docs/domain.md, "Auto-approval").
    auto_approve_max_amount: NonNegative = 50_000
    # Auto-approval only for accounts at least this old (days) when the request is made; 0: any.
    auto_approve_min_account_days: Annotated[int, Meta(ge=0, le=3650)] = 7
    # An order whose customer's account age the platform did not send: False, the age rule does
    # not apply (the other conditions still do); True, treated as a new account (reviewed).
    unknown_account_age_is_new: bool = False
    # The least time between payment and the start of delivery (0: at once). None: the
    # auto-approval window, so that the customer's self-service cancellation inside it is
    # always reachable (fulfilment cannot have started). docs/domain.md, "Cooling-off".
    cooling_off_minutes: DayOfMinutes | None = None
    review_first_response_minutes: Positive = 5
    # A stop-delivery asks fulfilment to abort; unanswered after this long, its review task
    # escalates and the abort request is sent again (docs/domain.md, "Stop delivery").
    abort_answer_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 5
    review_decision_minutes: Positive = 60
    # need_info pauses the review SLA; unanswered after this long, a senior decides without it
    review_need_info_hours: Positive = 72
    refund_start_minutes: Positive = 60  # initiated within 1 h of approval
    refund_sla: dict[Channel, RefundSla] = field(default_factory=lambda: dict(_DEFAULT_REFUND_SLA))
    appeal_after_delivery: bool = True
    confirmation_window_hours: Positive = 72  # delivered -> completed
    after_sales_days: NonNegative = 7
    evidence: EvidenceRules = field(default_factory=EvidenceRules)

    @property
    def payment_timeout(self) -> timedelta:
        return timedelta(minutes=self.payment_timeout_minutes)

    @property
    def auto_approve_window(self) -> timedelta:
        return timedelta(minutes=self.auto_approve_minutes)

    @property
    def confirmation_window(self) -> timedelta:
        """After delivery, until the order counts as completed (the last moment to appeal)."""
        return timedelta(hours=self.confirmation_window_hours)

    @property
    def cooling_off(self) -> timedelta:
        minutes = self.auto_approve_minutes if self.cooling_off_minutes is None else self.cooling_off_minutes
        return timedelta(minutes=minutes)


class PolicyBook(msgspec.Struct, frozen=True):
    """Every product type's policy, the risk rules and the business calendar: public holidays
    and the weekend days worked instead (调休), as the State Council publishes them each year."""

    policies: dict[ProductType, CancellationPolicy]
    risk: RiskRules = msgspec.field(default_factory=RiskRules)
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()  # make-up working days: Saturdays or Sundays only
    review_lease_minutes: Annotated[int, Meta(ge=1, le=120)] = 10
    # support's answer in a request's conversation (docs/domain.md, "Conversations"): an urgent
    # request's or a stuck refund's within 5 minutes, any other within an hour
    support_priority_answer_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 5
    support_answer_minutes: Annotated[int, Meta(ge=1, le=7 * 24 * 60)] = 60

    def __post_init__(self) -> None:
        if weekdays := sorted(d.isoformat() for d in self.workdays if d.weekday() < 5):
            raise ValueError(f"workdays are weekend days worked instead of a holiday, not {weekdays}")
        if both := sorted(d.isoformat() for d in set(self.workdays) & set(self.holidays)):
            raise ValueError(f"days both holidays and workdays: {both}")

    @property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(frozenset(self.holidays), frozenset(self.workdays))

    def for_type(self, product_type: ProductType) -> CancellationPolicy:
        """The policy new orders of this type are bought under (the current one)."""
        return self.policies[product_type]

    def for_order(self, order: Order) -> CancellationPolicy:
        """The policy ``order`` was bought under, which judges it for its whole life: changing a
        policy never changes the rules of orders already placed (docs/domain.md, "Products and
        policies", pinning). An order stored before pinning has no version: the current one."""
        current = self.policies[order.product_type]
        version = order.policy_version
        if version is None or version == policy_version(current):
            return current
        return pinned(version)


# Policies by version: every version this process has met (a version never changes: it is the
# hash of the policy's values). The store fills it from the stored copies (``store.policies``),
# so the domain stays free of I/O; ``_load`` is that store read, set by the store at import.
_PINNED: dict[str, CancellationPolicy] = {}
_load: Callable[[str], CancellationPolicy] | None = None


def policy_json(policy: CancellationPolicy) -> bytes:
    """Every value of a policy, defaults included (msgspec leaves a dataclass's defaults out,
    and a default changed in code must make another version), in one canonical form."""
    return msgspec.json.encode(asdict(policy), order="sorted")


def policy_version(policy: CancellationPolicy) -> str:
    """The version of a policy: a hash of its values (16 hex digits), the same in every process."""
    return hashlib.sha256(policy_json(policy)).hexdigest()[:16]


def remember(policy: CancellationPolicy) -> str:
    version = policy_version(policy)
    _PINNED[version] = policy
    return version


def set_loader(load: Callable[[str], CancellationPolicy]) -> None:
    global _load
    _load = load


def pinned(version: str) -> CancellationPolicy:
    found = _PINNED.get(version)
    if found is None:
        if _load is None:
            raise LookupError(f"policy version {version} is unknown and no store is set")
        found = _PINNED.setdefault(version, _load(version))
    return found


def decode_policy(raw: str | bytes) -> CancellationPolicy:
    """A stored copy of a policy (``msgspec.json`` of it) back into the policy."""
    return (
        msgspec.json.decode(raw, type=CancellationPolicy)
        if isinstance(raw, str | bytes)
        else (msgspec.convert(raw, CancellationPolicy))
    )


# Per-type differences from the defaults, with the reason for each.
_TYPE_DEFAULTS: dict[ProductType, dict[str, Any]] = {
    # Game cards are the cards most bought with stolen payments and resold: 500 yuan at most
    # refunded without a reviewer (the default ceiling).
    ProductType.GAME_CARD: {},
    # A top-up pushed upstream cannot be recalled, so a shorter confirmation window suffices.
    # Top-ups are small (mostly 30 to 200 yuan): above 200 yuan a reviewer looks.
    ProductType.MOBILE_TOPUP: {"confirmation_window_hours": 24, "auto_approve_max_amount": 20_000},
    # Licences are dearer and rarely resold: up to 2,000 yuan without a reviewer.
    ProductType.SOFTWARE_LICENSE: {"auto_approve_max_amount": 200_000},
}


def _known(cls: type, raw: Any, where: str) -> dict[str, Any]:
    """msgspec ignores unknown keys of a dataclass; in configuration a typo must fail instead."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object")
    unknown = set(raw) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown settings in {where}: {sorted(unknown)}")
    return raw


def _policy_for(t: ProductType, override: Any) -> dict[str, Any]:
    """The merged, still unvalidated, configuration of one product type."""
    values = {**_TYPE_DEFAULTS[t], **_known(CancellationPolicy, override, f"policy override for {t.value}")}
    if "evidence" in values:
        _known(EvidenceRules, values["evidence"], f"{t.value}.evidence")
    # Overriding one channel's refund SLA keeps the others' defaults (every channel needs one).
    sla = values.get("refund_sla", {})
    if isinstance(sla, dict):
        for channel, raw in sla.items():
            _known(RefundSla, raw, f"{t.value}.refund_sla.{channel}")
        values["refund_sla"] = {**msgspec.to_builtins(_DEFAULT_REFUND_SLA), **sla}
    # Last, so an override cannot make one type's policy claim to be another's.
    return {**values, "product_type": t.value}


def build_policy_book(overrides: dict[str, Any] | str | None = None) -> PolicyBook:
    """Defaults, then per-type defaults, then the environment's overrides; validated."""
    if isinstance(overrides, str):
        overrides = json.loads(overrides) if overrides.strip() else {}
    if not isinstance(overrides or {}, dict):
        raise ValueError("policy overrides must be an object")
    overrides = dict(overrides or {})
    top = {
        k: overrides.pop(k)
        for k in (
            "risk",
            "holidays",
            "workdays",
            "review_lease_minutes",
            "support_priority_answer_minutes",
            "support_answer_minutes",
        )
        if k in overrides
    }
    unknown = set(overrides) - {t.value for t in ProductType}
    if unknown:
        raise ValueError(f"unknown product types in policy overrides: {sorted(unknown)}")
    if "risk" in top:
        _known(RiskRules, top["risk"], "risk")
    policies = {t.value: _policy_for(t, overrides.get(t.value, {})) for t in ProductType}
    # strict=False: "5" for 5 is accepted, as configuration written by hand often has it.
    return msgspec.convert({"policies": policies, **top}, PolicyBook, strict=False)
