"""One attempt at one refund: claim it, ask the provider, record the answer.

Exactly-once money movement rests on three things, each necessary:
1. the claim is a conditional transition (pending/failed, or processing whose lease ran out,
   -> processing at the version read), so two workers never run one attempt together;
2. every attempt uses the refund's fixed ``refund_no`` as the provider's idempotency key;
3. an attempt that follows another one (or any unknown result) QUERIES the provider before it
   submits, so a refund the provider took while its worker died is found, not paid again.
Powertools idempotency is deliberately not the guard here (docs/stack-notes.md, "Powertools
idempotency": issue #8049, an in-progress record can expire after a Lambda timeout and the work
run twice).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import msgspec

from cancelflow.refunds import lifecycle, results
from cancelflow.refunds.model import CLAIMABLE, Outcome, ProviderResult
from cancelflow.refunds.providers import for_channel
from cancelflow.refunds.providers.base import NewCard, Provider, RefundRequest
from cancelflow.settings import get_settings
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund, cards

log = logging.getLogger(__name__)
S = RefundStatus
MAX_QUEUE_DELAY = timedelta(seconds=900)  # SQS DelaySeconds limit; longer waits are the sweep's


class Attempt(msgspec.Struct, frozen=True):
    """What one refund message did to its refund."""

    refund_id: str
    result: str  # the refund's status after the attempt, or "skipped:<why>"
    refund: Refund | None = None
    requeue_in: timedelta | None = None  # send the refund message again after this delay
    changed: bool = False  # the attempt moved the refund to ``result`` (what metrics count)


def request_for(r: Refund) -> RefundRequest:
    return RefundRequest(
        refund_id=r.refund_id,
        refund_no=r.refund_no,
        order_id=r.order_id,
        payment_id=r.payment_id,
        customer_id=r.customer_id,
        amount=r.amount,
        paid_amount=r.paid_amount,
        currency=r.currency,
        reason=r.reason,
    )


def _why_not(r: Refund, now: datetime) -> str | None:
    if r.status not in CLAIMABLE:
        return r.status.value
    if r.status is S.FAILED and r.next_attempt_at > now:
        return "not_due"
    if r.status is S.PROCESSING and r.lease_until is not None and r.lease_until > now:
        return "leased"
    return None


def claim(r: Refund, now: datetime, worker_id: str) -> Refund:
    lease = now + timedelta(seconds=get_settings().refund_lease_seconds)
    return lifecycle.transition(
        r,
        S.PROCESSING,
        now=now,
        actor="system",
        actor_id=worker_id,
        # next_attempt_at = lease end: if this worker dies, the sweep finds the refund due then
        set_={
            "attempts": r.attempts + 1,
            "lease_until": lease,
            "next_attempt_at": lease,
            "awaiting_provider": False,
        },
    )


def execute(
    provider: Provider, req: RefundRequest, first: bool, now: datetime, after_fix: bool = False
) -> ProviderResult:
    """Ask the provider, never paying twice: submit blind only on the very first attempt.

    ``after_fix``: support handed the refund back after the customer fixed the destination, so
    the provider's old "account closed" is history: the provider is asked to pay it again in
    its own way (``Provider.resume``: Alipay and the acquirer take the same number again, WeChat
    needs 发起异常退款 with a new card); it still pays the number at most once."""
    if first:
        result = provider.submit(req, now)
    else:
        found = provider.query(req, now)
        if after_fix and found.outcome is Outcome.ACCOUNT_CLOSED:
            # (the query's refund id: no second read); a new card the customer gave, if any
            result = provider.resume(req, now, found, card=_new_card(req.refund_id))
            if result.outcome in (Outcome.SUCCEEDED, Outcome.PENDING):
                cards.delete(req.refund_id)  # the provider has it: we keep no card longer
        elif found.outcome is Outcome.NOT_FOUND:
            result = provider.submit(req, now)
        else:
            return found  # taken before (maybe by a worker that died), or unknown: no submit
    if result.outcome is Outcome.UNKNOWN:
        # A timeout or 5xx may hide an accepted refund: query now; if still in doubt, back off
        # and the next attempt queries again before it may submit.
        found = provider.query(req, now)
        if found.outcome in (
            Outcome.SUCCEEDED,
            Outcome.PENDING,
            Outcome.ACCOUNT_CLOSED,
            Outcome.FINAL_FAILURE,
        ):
            return found
    return result


def _new_card(refund_id: str) -> NewCard | None:
    c = cards.get(refund_id)
    return NewCard(bank_type=c.bank_type, account=c.account, real_name=c.real_name) if c else None


def _requeue(r: Refund, now: datetime) -> timedelta | None:
    """When to look at the refund again (its retry, or the poll of an accepted one: both are
    ``next_attempt_at``), if SQS can delay a message that long."""
    if r.status not in (S.FAILED, S.PROCESSING):
        return None
    wait = max(timedelta(0), r.next_attempt_at - now)
    return wait if wait <= MAX_QUEUE_DELAY else None


def process(refund_id: str, now: datetime, worker_id: str = "refund-worker") -> Attempt:
    r = lifecycle.get_refund(refund_id)
    if r is None:
        return Attempt(refund_id, "skipped:missing")
    why = _why_not(r, now)
    if why:
        return Attempt(refund_id, f"skipped:{why}", r)
    if r.status is S.PROCESSING and r.awaiting_provider:
        return poll_accepted(r, now, worker_id)
    first = r.attempts == 0
    after_fix = r.status is S.PENDING and not first  # pending again: support retried it
    try:
        claimed = claim(r, now, worker_id)
    except StaleRefund:
        return Attempt(refund_id, "skipped:lost_race")
    provider = for_channel(claimed.channel)
    req = request_for(claimed)
    try:
        result = execute(provider, req, first, now, after_fix)
    except Exception as e:  # a bug or missing configuration: acted or not, nobody knows
        log.exception("provider call failed for refund %s", refund_id)
        result = ProviderResult(Outcome.UNKNOWN, error=type(e).__name__)
    poll = provider.poll_at(req, result, now) if result.outcome is Outcome.PENDING else None
    after, changed = results.record(claimed, result, now, actor_id=worker_id, poll_at=poll)
    return Attempt(refund_id, after.status.value, after, _requeue(after, now), changed)


def poll_accepted(r: Refund, now: datetime, worker_id: str) -> Attempt:
    """A refund the provider accepted: only ask how it went (a query pays nothing, so no claim
    is needed and two pollers are harmless). Still processing: the next poll, later each time."""
    provider = for_channel(r.channel)
    req = request_for(r)
    try:
        result = provider.query(req, now)
    except Exception as e:
        log.exception("provider query failed for refund %s", r.refund_id)
        result = ProviderResult(Outcome.UNKNOWN, error=type(e).__name__)
    if result.outcome in (Outcome.PENDING, Outcome.UNKNOWN):
        nxt = max(provider.poll_at(req, result, now), now + lifecycle.backoff(r.refund_id, r.polls + 1))
        try:
            after = lifecycle.touch(r, now, next_attempt_at=nxt, lease_until=nxt, polls=r.polls + 1)
        except StaleRefund:
            return Attempt(r.refund_id, "skipped:lost_race")
        return Attempt(r.refund_id, after.status.value, after, _requeue(after, now))
    after, changed = results.record(r, result, now, actor_id=worker_id)
    return Attempt(r.refund_id, after.status.value, after, _requeue(after, now), changed)


def handle_message(body: str, now: datetime) -> Attempt:
    """One refund queue message (``RefundMessage``). An invalid body or unknown version raises,
    so SQS retries it alone and then moves it to the dead-letter queue. After the attempt the
    refund's own timer (a retry after backoff, a poll of an accepted refund) is a delayed
    message; waits beyond SQS's 15 minutes are the schedule's (sweeps/refunds.py)."""
    import math

    from cancelflow import dispatch
    from cancelflow.messages import RefundMessage

    msg = RefundMessage.from_json(body)
    attempt = process(msg.refund_id, now)
    if attempt.requeue_in is not None:
        dispatch.send_refund(msg.refund_id, delay_seconds=math.ceil(attempt.requeue_in.total_seconds()))
    return attempt
