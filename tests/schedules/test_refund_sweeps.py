"""The refund sweep: overdue refunds flagged once, stuck refunds handed back once per window."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import Actor
from cancelflow.refunds import lifecycle, results
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.store import ddb, history, orders, payments, refunds
from cancelflow.sweeps.due import Tally
from cancelflow.sweeps.refunds import HAND_BACK_AFTER, flag_one, flag_overdue, hand_back_stuck

from tests.conftest import NOW

SLA = timedelta(hours=1)  # alipay's default refund SLA


def _refund(catalog: dict[str, str], at: datetime = NOW, channel: Channel = Channel.ALIPAY) -> str:
    """A paid top-up cancelled with a full refund at ``at`` (the refund is pending)."""
    o = orders.create_order("c1", catalog["mobile_topup"], 1, at - timedelta(minutes=2), target="13800000000")
    paid = payments.confirm_payment(
        o.order_id, f"pay-{o.order_id}", o.amount, channel, at - timedelta(minutes=1)
    )
    _, (refund_id,) = orders.cancel_with_refunds(
        paid.order,
        at,
        actor=Actor.CUSTOMER,
        actor_id="c1",
        reason="changed_mind",
        refund_to=RefundTo.ORIGINAL,
    )
    assert refund_id is not None
    return refund_id


def _item(refund_id: str) -> dict[str, object]:
    item = ddb.get(f"REFUND#{refund_id}", "REFUND")
    assert item is not None
    return item


def _overdue_entries(order_id: str) -> int:
    return sum(1 for e in history.timeline(order_id) if e.event == "refund.overdue")


def test_refund_past_its_sla_is_flagged_once_and_leaves_the_index(catalog: dict[str, str]) -> None:
    """GIVEN a pending refund and one that succeeded WHEN the sweep runs after their SLA THEN
    only the pending one is flagged overdue, with one refund.overdue history entry, keeps its
    status and version, and is not read again by the next run."""
    late = _refund(catalog)
    done = _refund(catalog)
    r = lifecycle.get_refund(done)
    assert r is not None
    results.record(
        r, ProviderResult(Outcome.SUCCEEDED, "TRADE_SUCCESS"), NOW + timedelta(minutes=5), actor_id="t"
    )

    tally = flag_overdue(NOW + SLA + timedelta(minutes=1))

    assert tally.ids == [late] and tally.items_read == 1
    item = _item(late)
    assert item["overdue"] is True and "due_pk" not in item
    assert (item["status"], item["version"]) == ("pending", 1)
    assert _overdue_entries(str(item["order_id"])) == 1
    assert _item(done)["overdue"] is False
    again = flag_overdue(NOW + SLA + timedelta(minutes=10))
    assert (again.items_read, again.done) == (0, 0)


def test_not_yet_due_refunds_are_not_read(catalog: dict[str, str]) -> None:
    """GIVEN a refund inside its SLA WHEN the sweep runs THEN it reads nothing."""
    _refund(catalog)
    tally = flag_overdue(NOW + SLA - timedelta(minutes=1))
    assert (tally.items_read, tally.done) == (0, 0)


def test_stale_index_copy_is_flagged_against_the_stored_refund(catalog: dict[str, str]) -> None:
    """GIVEN the index copy of a refund that a worker has claimed since (new version) WHEN it
    is flagged THEN the sweep re-reads it and flags it at its stored status."""
    rid = _refund(catalog)
    copy = _item(rid)
    r = lifecycle.get_refund(rid)
    assert r is not None
    lifecycle.transition(
        r, lifecycle.S.PROCESSING, now=NOW + timedelta(minutes=1), actor="system", actor_id="w"
    )
    tally = Tally()
    flag_one(refunds.decode(copy), NOW + SLA + timedelta(minutes=1), tally)
    item = _item(rid)
    assert tally.done == 1 and item["overdue"] is True and item["status"] == "processing"


def test_two_overlapping_sweeps_flag_each_refund_once(catalog: dict[str, str]) -> None:
    """GIVEN 40 overdue refunds WHEN two sweeps start at the same moment THEN each refund is
    flagged by exactly one of them, with one history entry."""
    ids = {_refund(catalog) for _ in range(40)}
    gate = threading.Barrier(2)
    tallies: dict[str, Tally] = {}

    def sweep(name: str) -> None:
        gate.wait()
        tallies[name] = flag_overdue(NOW + SLA + timedelta(minutes=1))

    threads = [threading.Thread(target=sweep, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = tallies["a"], tallies["b"]
    assert not set(a.ids) & set(b.ids) and set(a.ids) | set(b.ids) == ids
    assert all(_overdue_entries(str(_item(i)["order_id"])) == 1 for i in ids)


def _queued(url: str) -> list[str]:
    from cancelflow import aws

    sqs, out = aws.client("sqs"), []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            out.append(json.loads(m["Body"])["refund_id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def test_stuck_refunds_are_handed_back_once_per_window(catalog: dict[str, str], aws: dict[str, str]) -> None:
    """GIVEN a pending refund whose message was lost, a refund that failed with a retry due
    beyond the worker's own delayed message, and a succeeded one WHEN the sweep runs THEN
    nothing is sent inside the grace window; after it the two waiting refunds are sent once,
    a second run in the same window sends nothing, and a run a window later sends them again."""
    url = aws["CANCELFLOW_REFUND_QUEUE_URL"]
    pending = _refund(catalog)
    failed = _refund(catalog)
    r = lifecycle.get_refund(failed)
    assert r is not None
    r = lifecycle.transition(r, lifecycle.S.PROCESSING, now=NOW, actor="system", actor_id="w")
    lifecycle.transition(
        r,
        lifecycle.S.FAILED,
        now=NOW,
        actor="system",
        actor_id="w",
        set_={"next_attempt_at": NOW + timedelta(hours=1)},
    )
    ok = _refund(catalog)
    s = lifecycle.get_refund(ok)
    assert s is not None
    results.record(s, ProviderResult(Outcome.SUCCEEDED), NOW, actor_id="t")
    _queued(url)  # nothing was sent by the store code itself; start from an empty queue

    assert hand_back_stuck(NOW + HAND_BACK_AFTER - timedelta(seconds=1)).done == 0
    assert _queued(url) == []
    first = NOW + timedelta(hours=1) + HAND_BACK_AFTER
    assert sorted(hand_back_stuck(first).ids) == sorted([pending, failed])
    assert sorted(_queued(url)) == sorted([pending, failed])
    assert hand_back_stuck(first + timedelta(seconds=30)).done == 0
    later = first + HAND_BACK_AFTER + timedelta(seconds=1)
    assert sorted(hand_back_stuck(later).ids) == sorted([pending, failed])


def test_handler_runs_both_jobs_and_emits_the_metric(
    catalog: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a refund overdue by the business clock WHEN the scheduled event arrives THEN it
    is flagged and refunds_overdue is 1."""
    from cancelflow import clock

    from functions.schedules import flag_refunds

    _refund(catalog, at=clock.now() - SLA - timedelta(minutes=5))
    with open("events/schedule-flag-refunds.json") as f:
        result = flag_refunds.handler(json.load(f), None)
    assert result["overdue"]["done"] == 1 and result["handed_back"]["done"] == 1
    emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert any(m.get("refunds_overdue") in (1.0, [1.0]) for m in emf)


def test_handler_counts_a_calendar_year_it_should_know_and_does_not(
    catalog: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN the business clock on 16 December of the last year chinesecalendar knows (no
    override names a holiday of the next) WHEN the refund schedule runs THEN it names the next
    year and counts calendar_year_unknown 1 (the alarm's metric); on the clock as it is today,
    with no missing year, it counts 0."""
    from cancelflow import clock
    from cancelflow.domain.calendar import CST, BusinessCalendar, official_years, to_cst

    from functions.schedules import flag_refunds

    def run() -> tuple[object, list[float]]:
        with open("events/schedule-flag-refunds.json") as f:
            result = flag_refunds.handler(json.load(f), None)
        emf = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
        counts = [m["calendar_year_unknown"] for m in emf if "calendar_year_unknown" in m]
        return result["calendar_year_unknown"], [c[0] if isinstance(c, list) else c for c in counts]

    expected_now = BusinessCalendar().unknown_year(to_cst(clock.now()).date())
    assert run() == (expected_now, [float(expected_now is not None)])
    last = official_years()[-1]
    target = datetime(last, 12, 16, 12, 0, tzinfo=CST)
    try:
        if clock.now() < target:
            clock.advance(target - clock.now())
        unknown, counted = run()
        assert isinstance(unknown, int) and unknown > last and counted == [1.0]
    finally:
        clock.reset()
