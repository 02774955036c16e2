"""Recording what a provider said about a refund: one place that maps a provider outcome to a
lifecycle transition, used by the worker (after submit/query) and by callbacks.

The provider's word that money moved is applied in any state but ``succeeded`` (it cannot
be undone, so it always wins). Any other word is applied only to an attempt in flight.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.refunds import lifecycle
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.settings import get_settings
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund

S = RefundStatus
_IN_FLIGHT = frozenset({S.PROCESSING, S.FAILED})
# The provider said no for good: who must act next, and the error shown when it gave none.
_STOPPED = {
    Outcome.ACCOUNT_CLOSED: (S.NEEDS_CUSTOMER_ACTION, "account_closed"),
    Outcome.FINAL_FAILURE: (S.NEEDS_ATTENTION, "refused"),
}


def _provider_fields(result: ProviderResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if result.provider_status:
        out["provider_status"] = result.provider_status
    if result.provider_ref:
        out["provider_ref"] = result.provider_ref
    return out


def _settled(result: ProviderResult) -> dict[str, Any]:
    return {"settled_at": result.settle_at} if result.settle_at is not None else {}


def plan(
    refund: Refund, result: ProviderResult, now: datetime, poll_at: datetime | None = None
) -> tuple[RefundStatus, dict[str, Any], tuple[str, ...], str | None] | None:
    """(target, sets, removes, event) for this result on this refund, or None: nothing to do."""
    o = result.outcome
    if refund.status is S.SUCCEEDED:
        return None
    if o is Outcome.SUCCEEDED:
        sets = {"succeeded_at": now, **_provider_fields(result), **_settled(result)}
        # (never overdue from now on: domain/refund_sla.py; the store takes it off the SLA index)
        return S.SUCCEEDED, sets, ("lease_until", "last_error"), None
    if refund.status not in _IN_FLIGHT:
        return None
    if o is Outcome.PENDING:
        if poll_at is None:
            return None  # a callback saying "still processing" changes nothing
        sets = {
            "lease_until": poll_at,
            "next_attempt_at": poll_at,
            "failures": 0,
            "awaiting_provider": True,
            "polls": 0,
            **_provider_fields(result),
        }
        return S.PROCESSING, sets, (), "refund.accepted"
    if o in _STOPPED:
        to, default_error = _STOPPED[o]
        return (
            to,
            {"last_error": result.error or default_error, **_provider_fields(result)},
            ("lease_until",),
            None,
        )
    # RETRYABLE, UNKNOWN, or NOT_FOUND right after an unknown submit: back off and query next time
    if refund.status is not S.PROCESSING:
        return None
    failures = refund.failures + 1
    sets = {"failures": failures, "last_error": result.error or o.value}
    if failures >= get_settings().refund_max_failures:
        return S.NEEDS_ATTENTION, sets, ("lease_until",), None
    sets["next_attempt_at"] = now + lifecycle.backoff(refund.refund_id, failures)
    return S.FAILED, sets, ("lease_until",), None


def record(
    refund: Refund, result: ProviderResult, now: datetime, *, actor_id: str, poll_at: datetime | None = None
) -> tuple[Refund, bool]:
    """Apply ``result`` to ``refund`` as read; (refund now, whether this call changed it).

    On a lost race the refund is read again and the result re-planned against what is
    stored, so a callback and a worker (or two callbacks) apply the same fact once.
    """
    for _ in range(4):
        step = plan(refund, result, now, poll_at)
        if step is None:
            return refund, False
        to, sets, removes, event = step
        if to is not S.PROCESSING:
            sets = {"awaiting_provider": False, **sets}
        try:
            after = lifecycle.transition(
                refund,
                to,
                now=now,
                actor="system",
                actor_id=actor_id,
                set_=sets,
                remove=removes,
                reason=result.error,
                event=event,
                detail={"outcome": result.outcome.value, "provider_status": result.provider_status},
            )
            return after, True
        except StaleRefund:
            fresh = lifecycle.get_refund(refund.refund_id)
            if fresh is None:
                raise
            refund = fresh
    raise StaleRefund(refund.refund_id)
