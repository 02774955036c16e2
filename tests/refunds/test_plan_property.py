"""Property: whatever sequence of provider answers arrives (callbacks, polls, attempts, in any
order), the state the rules lead to never leaves succeeded, never retries past the maximum,
and never takes a transition the lifecycle table does not have."""

from __future__ import annotations

from datetime import timedelta

from cancelflow.domain.products import Channel
from cancelflow.refunds.lifecycle import ALLOWED
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.results import plan
from cancelflow.settings import get_settings
from cancelflow.store.refunds import Refund, RefundStatus
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from tests.conftest import NOW

S = RefundStatus
_events = st.lists(
    st.tuples(st.sampled_from(list(Outcome)), st.booleans(), st.booleans()), min_size=1, max_size=40
)


def _refund() -> Refund:
    return Refund(
        refund_id="rf_00000000000000000001",
        refund_no="rf00000000000000000001",
        order_id="o_00000000000000000001",
        customer_id="c1",
        amount=100,
        channel=Channel.WECHAT_PAY,
        reason="x",
        status=S.PENDING,
        version=1,
        created_at=NOW,
        updated_at=NOW,
        next_attempt_at=NOW,
        sla_due_at=NOW + timedelta(hours=1),
    )


@settings(max_examples=300, deadline=None)
@given(_events)
def test_any_order_of_answers_keeps_the_rules(events: list[tuple[Outcome, bool, bool]]) -> None:
    """GIVEN a refund WHEN claims and provider answers arrive in any order THEN every step is an
    allowed transition, succeeded is final, and failures never exceed the maximum."""
    r, t = _refund(), NOW
    succeeded = False
    for outcome, claim_first, is_poll in events:
        t += timedelta(seconds=1)
        if claim_first and r.status in (S.PENDING, S.FAILED):  # a worker's claim
            assert S.PROCESSING in ALLOWED[r.status]
            r = replace(r, status=S.PROCESSING, version=r.version + 1)
        step = plan(r, ProviderResult(outcome), t, t + timedelta(minutes=1) if is_poll else None)
        if step is None:
            continue
        to, sets, _removes, _event = step
        assert to in ALLOWED[r.status] or (to is r.status is S.PROCESSING)
        assert not succeeded
        r = replace(r, **{**sets, "status": to, "version": r.version + 1})
        succeeded = r.status is S.SUCCEEDED
        assert r.failures <= get_settings().refund_max_failures
        if r.status is S.FAILED:
            assert r.next_attempt_at > t
