"""The customer's timeline entries: one documented event code per kind of history entry the code
writes, a title for each in zh-CN and en, and typed fields picked from the stored entry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cancelflow.cancel.timeline import ReviewOutcome, TimelineEntry
from cancelflow.cancel.titles import TITLES, title
from cancelflow.store import history
from cancelflow.store.history import HistoryEvent

LAYER = Path(__file__).resolve().parents[2] / "layers" / "cancelflow"
# Where event names appear without being written: the table of events, the timeline and titles.
NOT_WRITERS = {"events/catalogue.py", "store/history.py", "cancel/titles.py", "cancel/timeline.py"}
LITERAL = re.compile(r"\"((?:order|delivery|payment|cancellation|review|refund)\.[a-z_]+)\"")
MEMBER = re.compile(r"\bHistoryEvent\.([A-Z_]+)\b")


def written_events() -> set[str]:
    """Every history event the layer's writers name, as a literal or a HistoryEvent member."""
    found: set[str] = set()
    for path in LAYER.rglob("*.py"):
        if path.relative_to(LAYER).as_posix() in NOT_WRITERS:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(LITERAL.findall(text))
        found |= {HistoryEvent[name].value for name in MEMBER.findall(text)}
    return found


def test_every_history_entry_the_code_writes_has_an_event_code() -> None:
    """GIVEN every event name the writers of history entries use WHEN compared with the
    documented enum THEN they are the same set: nothing written is undocumented, and no code is
    documented that nothing writes."""
    assert written_events() == {e.value for e in HistoryEvent}


def test_an_undocumented_history_event_is_refused_at_the_writer() -> None:
    """GIVEN an event name that is not a HistoryEvent WHEN a history entry is built with it THEN
    it is refused there, so no customer ever sees an unknown code."""
    at = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"order\.teleported"):
        history.entry_put(
            "o_1", at=at, suffix="v000002", event="order.teleported", actor="system", actor_id="x"
        )
    ok = history.entry_put("o_1", at=at, suffix="v000002", event="order.paid", actor="platform", actor_id="x")
    assert ok["Put"]["Item"]["event"] == {"S": "order.paid"}


def test_every_event_code_has_a_title_in_both_languages() -> None:
    """GIVEN the titles table WHEN each event (and each review outcome) is titled in zh-CN and en
    THEN there is a distinct, non-empty text for each, and nothing in the table is not an event."""
    for event in HistoryEvent:
        zh, en = title(event, None, "zh-CN"), title(event, None, "en")
        assert zh.strip() and en.strip() and zh != en, event
    for outcome in ReviewOutcome:
        assert title(HistoryEvent.REVIEW_DECIDED, outcome, "en") != title(
            HistoryEvent.REVIEW_DECIDED, None, "en"
        )
    assert {k.split(":")[0] for k in TITLES} == {e.value for e in HistoryEvent}


def _entry(event: str, detail: dict[str, Any], **extra: Any) -> history.Entry:
    """A history entry as stored (decoded as the store reads it)."""
    return history.of_item(
        {
            "pk": "ORDER#o_1",
            "sk": "HIST#x",
            "type": "history",
            "order_id": "o_1",
            "entry_id": "o_1:HIST#x",
            "at": "2026-11-27T02:20:00.000Z",
            "event": event,
            "actor": "reviewer",
            "actor_id": "r1",
            "detail": detail,
            **extra,
        }
    )


def test_a_reviewers_question_carries_its_text_and_answer_deadline() -> None:
    """GIVEN a stored review.need_info entry WHEN shown THEN typed: the question, its answer
    deadline in UTC and in CST with its offset, the request, and a title per language; nothing
    internal (task id, reviewer id) is in the entry."""
    stored = _entry(
        "review.need_info",
        {
            "task_id": "tk_1",
            "request_id": "rq_1",
            "question": "请上传付款截图",
            "answer_by": "2026-11-30T02:20:00.000Z",
        },
        reason="wrong_info",
    )
    en = TimelineEntry.of(stored, "en")
    assert (en.event, en.question, en.request_id) == (HistoryEvent.REVIEW_NEED_INFO, "请上传付款截图", "rq_1")
    assert en.answer_by == datetime(2026, 11, 30, 2, 20, tzinfo=UTC)
    assert en.answer_by_cst == "2026-11-30T10:20:00+08:00"
    assert en.title == "The reviewer needs more information from you"
    assert TimelineEntry.of(stored, "zh-CN").title == "审核员需要你补充信息"
    dumped = en.model_dump()
    assert "tk_1" not in str(dumped) and "r1" not in str(dumped) and "detail" not in dumped


def test_a_rejection_carries_its_reason_and_a_refund_step_its_money() -> None:
    """GIVEN a stored rejection and a refund step WHEN shown THEN the rejection has its outcome
    and reason (no refund fields); the refund step its id, amount, channel and status."""
    rejected = TimelineEntry.of(
        _entry(
            "review.decided",
            {"task_id": "tk_1", "request_id": "rq_1", "outcome": "rejected", "note": "卡密已发放"},
            from_status="paid",
            to_status="paid",
        ),
        "en",
    )
    assert (rejected.outcome, rejected.rejection_reason, rejected.title) == (
        ReviewOutcome.REJECTED,
        "卡密已发放",
        "Request rejected",
    )
    assert rejected.amount is None and rejected.order_cancelled is None and rejected.question is None
    refund = TimelineEntry.of(
        _entry(
            "refund.succeeded",
            {
                "refund_id": "rf_1",
                "amount": 8800,
                "channel": "alipay",
                "from_status": "processing",
                "to_status": "succeeded",
                "attempts": 1,
                "provider_status": "TRADE_SUCCESS",
            },
            actor="system",
        ),
        "zh-CN",
    )
    assert (refund.refund_id, refund.amount, refund.channel, refund.refund_status) == (
        "rf_1",
        8800,
        "alipay",
        "succeeded",
    )
    assert refund.from_status is None and "TRADE_SUCCESS" not in str(refund.model_dump())
