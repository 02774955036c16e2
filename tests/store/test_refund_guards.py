"""Refunds and the balance: a refund id and a credit are written once, a refund moves only
from the status and version it was read at, and the sweeps flag or hand back a refund only as
they found it. Each test sends the write in the state its condition forbids and finds it
refused with the refund (and the rest of the table) unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cancelflow.clock import iso, parse
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.refunds import lifecycle
from cancelflow.store import ddb, keys, ledger, orders, refunds
from cancelflow.store.refunds import Refund, RefundStatus, StaleRefund
from cancelflow.sweeps.refunds import HAND_BACK_AFTER

from tests.store import world
from tests.store.guard import item, put, refused, unchanged

S = RefundStatus
CHECK_FAILED = ["ConditionalCheckFailed", "None"]  # the refund's update; its history entry fine


def _refund() -> Refund:
    """A pending refund: a paid order cancelled by a reviewer."""
    _, (rid,) = orders.cancel_with_refunds(
        world.paid(),
        world.later(1),
        actor=Actor.REVIEWER,
        actor_id="r1",
        reason="changed_mind",
        refund_to=RefundTo.ORIGINAL,
    )
    assert rid is not None
    got = lifecycle.get_refund(rid)
    assert got is not None
    return got


def _claim(r: Refund, at: datetime) -> Refund:
    """What the worker's claim writes: processing, under a lease."""
    lease = at + timedelta(minutes=5)
    return lifecycle.transition(
        r,
        S.PROCESSING,
        now=at,
        actor="system",
        actor_id="w1",
        set_={"attempts": r.attempts + 1, "lease_until": lease, "next_attempt_at": lease},
    )


def _key(r: Refund) -> tuple[str, str]:
    return world.refund_key(r.refund_id)


def test_a_refund_id_in_use_is_not_overwritten(product: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a refund, and a second order owing one whose new id happens to be the same
    WHEN the second refund is created with that order's cancellation
    THEN CONFLICT: the first refund (its amount, its order) is not overwritten, the order stays paid."""
    first = _refund()
    second = world.paid()
    monkeypatch.setattr(refunds.records, "new_id", lambda prefix: first.refund_id)
    with unchanged(_key(first), world.order_key(second.order_id)), pytest.raises(DomainError) as e:
        orders.cancel_with_refunds(
            second,
            world.later(2),
            actor=Actor.REVIEWER,
            actor_id="r1",
            reason="changed_mind",
            refund_to=RefundTo.ORIGINAL,
        )
    assert e.value.code == "CONFLICT"


def test_a_refund_number_is_credited_to_the_balance_once(aws: dict[str, str]) -> None:
    """GIVEN a balance refund credited to the customer
    WHEN the same refund number is credited again (a retry, a second worker)
    THEN nothing is credited: False, and the credit and the balance are unchanged."""
    assert ledger.credit("c1", "rfno1", 500, "rf_1", world.later(1))
    pk = keys.customer_pk("c1")
    with unchanged((pk, ledger.credit_sk("rfno1")), (pk, ledger.BALANCE_SK)):
        assert not ledger.credit("c1", "rfno1", 700, "rf_1", world.later(2))
    assert ledger.balance("c1") == 500


def test_a_refund_transition_decided_on_an_older_version_is_refused(product: str) -> None:
    """GIVEN a refund claimed by a worker (processing, version 2) and then polled (version 3)
    WHEN a transition decided on version 2 is written (a late callback's read)
    THEN StaleRefund: the refund and its history are unchanged."""
    read = _claim(_refund(), world.later(2))
    lifecycle.touch(read, world.later(3), next_attempt_at=world.later(8), polls=1)
    with unchanged(_key(read)), pytest.raises(StaleRefund):
        lifecycle.transition(read, S.SUCCEEDED, now=world.later(4), actor="system", actor_id="cb")


def test_a_refund_transition_decided_on_another_status_is_refused(product: str) -> None:
    """GIVEN a refund read as processing, stored as needs_attention at the same version (no
    path does that without a new version; the status clause holds if one does)
    WHEN the worker's failed attempt is written (processing -> failed, to be retried)
    THEN StaleRefund: a refund parked for a person is not put back in the retry loop."""
    read = _claim(_refund(), world.later(2))
    put(item(_key(read)) | {"status": S.NEEDS_ATTENTION.value})
    with unchanged(_key(read)), pytest.raises(StaleRefund):
        lifecycle.transition(
            read, S.FAILED, now=world.later(3), actor="system", actor_id="w1", set_={"failures": 1}
        )


def test_a_refund_poll_on_an_older_version_is_refused(product: str) -> None:
    """GIVEN a refund claimed (version 2) and then polled by one poller (version 3)
    WHEN a second poller's bookkeeping, decided on version 2, is written
    THEN StaleRefund: the refund is unchanged."""
    read = _claim(_refund(), world.later(2))
    lifecycle.touch(read, world.later(3), next_attempt_at=world.later(8), polls=1)
    with unchanged(_key(read)), pytest.raises(StaleRefund):
        lifecycle.touch(read, world.later(4), next_attempt_at=world.later(9), polls=1)


# ---------------------------------------------------------------- the refund sweeps


def _due(r: Refund) -> tuple[ddb.Item, datetime]:
    """The refund as the overdue sweep read it, and a time just past its SLA."""
    read = item(_key(r))
    return read, parse(read["due_at"]) + timedelta(minutes=1)


def test_flagging_a_refund_no_longer_in_the_due_index_is_refused(product: str) -> None:
    """GIVEN a refund read by the overdue sweep, since taken out of the due index
    WHEN the overdue flag is written
    THEN it is refused: the refund is not flagged (nor its timeline told) twice."""
    read, now = _due(_refund())
    put({k: v for k, v in read.items() if k != "due_pk"})
    with unchanged(_key(_refund_of(read))):
        assert refused(refunds.overdue_ops(_refund_of(read), now)) == CHECK_FAILED


def test_flagging_a_refund_not_yet_due_is_refused(product: str) -> None:
    """GIVEN a refund read as due, stored with a later due time
    WHEN the overdue flag is written
    THEN it is refused: a refund inside its SLA is not overdue."""
    read, now = _due(_refund())
    put(read | {"due_at": iso(now + timedelta(hours=1))})
    with unchanged(_key(_refund_of(read))):
        assert refused(refunds.overdue_ops(_refund_of(read), now)) == CHECK_FAILED


def test_flagging_a_succeeded_refund_is_refused(product: str) -> None:
    """GIVEN a refund read as pending, stored as succeeded at the same version (with its due
    entry still there: the status clause alone decides)
    WHEN the overdue flag is written
    THEN it is refused: a refund that was paid is never overdue."""
    read, now = _due(_refund())
    put(read | {"status": S.SUCCEEDED.value})
    with unchanged(_key(_refund_of(read))):
        assert refused(refunds.overdue_ops(_refund_of(read), now)) == CHECK_FAILED


def test_flagging_a_refund_changed_since_it_was_read_is_refused(product: str) -> None:
    """GIVEN a refund read by the overdue sweep as pending, then claimed by a worker
    WHEN the overdue flag decided on the pending read is written
    THEN it is refused (the sweep reads it again and decides on what is stored)."""
    r = _refund()
    read, now = _due(r)
    _claim(r, now - timedelta(seconds=30))
    with unchanged(_key(r)):
        assert refused(refunds.overdue_ops(_refund_of(read), now)) == CHECK_FAILED


def _refund_of(read: ddb.Item) -> Refund:
    return refunds.decode(read)


def _stamp(read: ddb.Item, now: datetime) -> bool:
    """The stuck-refund sweep's hand-back stamp, decided on ``read``."""
    return refunds.mark_handed_back(_refund_of(read), now, not_since=now - HAND_BACK_AFTER)


def test_handing_back_a_refund_in_another_status_is_refused(product: str) -> None:
    """GIVEN a refund read as pending, stored as succeeded at the same version
    WHEN the stuck-refund sweep's hand-back stamp is written
    THEN it is refused: nothing is sent to the worker for a refund that is done."""
    r = _refund()
    read = item(_key(r))
    put(read | {"status": S.SUCCEEDED.value})
    with unchanged(_key(r)):
        assert not _stamp(read, world.later(30))


def test_handing_back_a_refund_changed_since_it_was_read_is_refused(product: str) -> None:
    """GIVEN a refund read as processing (version 2), then polled (version 3, still processing)
    WHEN the hand-back stamp decided on version 2 is written
    THEN it is refused."""
    claimed = _claim(_refund(), world.later(2))
    read = item(_key(claimed))
    lifecycle.touch(claimed, world.later(3), next_attempt_at=world.later(8), polls=1)
    with unchanged(_key(claimed)):
        assert not _stamp(read, world.later(30))


def test_handing_back_a_refund_handed_back_in_this_window_is_refused(product: str) -> None:
    """GIVEN a refund handed back a minute ago by an overlapping run
    WHEN this run's hand-back stamp is written
    THEN it is refused: the worker gets one message per window."""
    r = _refund()
    read = item(_key(r))
    assert _stamp(read, world.later(29))
    with unchanged(_key(r)):
        assert not _stamp(read, world.later(30))
