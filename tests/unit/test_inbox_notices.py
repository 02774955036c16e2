"""Which history entries notify their customer (cancelflow.inbox.notices) and what the message
says (cancelflow.inbox.texts), without AWS."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cancelflow.domain.states import Actor
from cancelflow.http.params import NOTICE_ID_PATTERN
from cancelflow.inbox import texts
from cancelflow.inbox.notices import NoticeKind, notice_id, notice_of
from cancelflow.store.history import Entry, HistoryEvent

T = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
E = HistoryEvent


def _entry(event: HistoryEvent, actor: Actor = Actor.SYSTEM, **detail: Any) -> Entry:
    return Entry(
        order_id="o_" + "1" * 20,
        entry_id=f"o_{'1' * 20}:HIST#{event}",
        at=T,
        event=event,
        actor=actor,
        actor_id="x",
        detail=detail,
    )


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        (
            _entry(E.ORDER_CANCELLED, Actor.CUSTOMER, request_id="rq_1", amount=100),
            NoticeKind.CANCELLED_AT_ONCE,
        ),
        (_entry(E.ORDER_CANCELLED, Actor.CUSTOMER), None),  # an unpaid order cancelled by its customer
        (_entry(E.ORDER_CANCELLED, Actor.REVIEWER, request_id="rq_1"), None),  # the decision tells it
        (_entry(E.ORDER_CANCELLED, Actor.PLATFORM, amount=100), NoticeKind.STOPPED_AND_CANCELLED),
        (_entry(E.ORDER_CANCELLED, Actor.SUPPORT, amount=100), NoticeKind.CANCELLED_BY_SUPPORT),
        (
            _entry(E.REVIEW_DECIDED, Actor.REVIEWER, task_id="tk_1", outcome="approved"),
            NoticeKind.REQUEST_APPROVED,
        ),
        (
            _entry(E.REVIEW_DECIDED, Actor.REVIEWER, task_id="tk_1", outcome="rejected"),
            NoticeKind.REQUEST_REJECTED,
        ),
        (
            _entry(E.REVIEW_DECIDED, Actor.REVIEWER, task_id="ta_1", outcome="approved"),
            NoticeKind.APPEAL_APPROVED,
        ),
        (
            _entry(E.REVIEW_DECIDED, Actor.REVIEWER, task_id="ta_1", outcome="rejected"),
            NoticeKind.APPEAL_REJECTED,
        ),
        (_entry(E.REFUND_PROCESSING, from_status="pending", attempts=1), NoticeKind.REFUND_STARTED),
        (_entry(E.REFUND_PROCESSING, from_status="failed", attempts=2), None),  # a retry
        (_entry(E.REFUND_MANUAL_RECORDED, reference="bank-1"), NoticeKind.REFUND_SUCCEEDED),
        (_entry(E.REVIEW_CLAIMED), None),
        (_entry(E.DELIVERY_STARTED), None),
        (_entry(E.REQUEST_WITHDRAWN, Actor.CUSTOMER), None),  # the customer's own act
        (_entry(E.REVIEW_INFO_SUPPLIED, Actor.CUSTOMER), None),
        (_entry(E.KEY_VOIDED), None),  # internal
        (_entry(E.SUPPORT_REPLIED, Actor.SUPPORT, text="on it"), NoticeKind.SUPPORT_REPLIED),
        (_entry(E.SUPPORT_ANSWER_OVERDUE), None),  # for the operations topic
    ],
)
def test_which_entries_notify(entry: Entry, kind: NoticeKind | None) -> None:
    n = notice_of(entry, "cust-1")
    assert (n.kind if n else None) == kind


@pytest.mark.parametrize("kind", list(NoticeKind))
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_kind_has_a_text_in_both_languages(kind: NoticeKind, lang: str) -> None:
    """GIVEN any kind, with every fact or none THEN its title and body render, with no template
    field left unfilled."""
    full = _entry(E.ORDER_EXPIRED)
    base = notice_of(full, "c")
    assert base is not None
    import msgspec

    for facts in ({}, {"amount": 1234, "channel": "wechat_pay", "reference": "R1", "note": "why",
                        "question": "q?", "answer_by": T, "decision_due": T}):  # fmt: skip
        n = msgspec.structs.replace(base, kind=kind, **facts)
        title, body = texts.text(n, lang)
        assert title and body and "{" not in body and "}" not in body
        if facts.get("amount") and "amount" in texts.TEXTS[kind][1][1]:
            assert "¥12.34" in body


def test_a_notice_id_is_the_same_for_its_entry_sorts_by_time_and_fits_its_path_pattern() -> None:
    a = notice_id(T, "o_x:HIST#a")
    assert a == notice_id(T, "o_x:HIST#a") != notice_id(T, "o_x:HIST#b")
    later = notice_id(T + timedelta(microseconds=1), "o_x:HIST#0")
    assert a < later < notice_id(T + timedelta(days=3650), "o_x:HIST#a")
    assert re.fullmatch(NOTICE_ID_PATTERN, a)


def test_times_in_the_text_are_beijing_time() -> None:
    n = notice_of(_entry(E.REVIEW_TASK_CREATED, decision_due="2026-12-04T10:30:00.000Z"), "c")
    assert n is not None
    assert "2026-12-04 18:30 Beijing time" in texts.text(n, "en")[1]
    assert "2026-12-04 18:30(北京时间)" in texts.text(n, "zh-CN")[1]
