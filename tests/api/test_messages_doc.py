"""docs/messages.md describes the queue messages: its examples must be valid messages and its
field tables must list exactly the models' fields."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cancelflow.domain.options import Action
from cancelflow.domain.reasons import Reason
from cancelflow.messages import RefundMessage, ReviewMessage

DOC = (Path(__file__).resolve().parents[2] / "docs" / "messages.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(title)
    nxt = DOC.find("\n## ", start + 1)
    return DOC[start : nxt if nxt != -1 else None]


def _examples(section: str) -> list[dict[str, object]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


def _table_fields(section: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))


def test_review_examples_and_fields_match_the_model() -> None:
    """GIVEN the review queue section THEN every example validates and every field is listed."""
    section = _section("## Review queue")
    examples = _examples(section)
    assert len(examples) == 2
    for ex in examples:
        assert json.loads(ReviewMessage.from_json(json.dumps(ex)).to_json()) == ex
    assert _table_fields(section) == set(ReviewMessage.__struct_fields__)


def test_refund_example_and_fields_match_the_model() -> None:
    """GIVEN the refund queue section THEN its example validates and every field is listed."""
    section = _section("## Refund queue")
    (ex,) = _examples(section)
    assert RefundMessage.from_json(json.dumps(ex)).refund_id == ex["refund_id"]
    assert _table_fields(section) == set(RefundMessage.__struct_fields__)


def test_a_message_its_consumer_would_refuse_fails_at_the_sender() -> None:
    """GIVEN messages built in code with values out of bounds or an unknown field in the body
    THEN the sender raises instead of queueing them, and the consumer refuses the body."""
    (ex,) = _examples(_section("## Refund queue"))
    ok = RefundMessage.from_json(json.dumps(ex))
    with pytest.raises(ValueError, match="order_amount"):
        ReviewMessage(
            request_id="rq_1",
            order_id="o_1",
            customer_id="c1",
            action=Action.REQUEST,
            reason_code=Reason.CHANGED_MIND,
            order_amount=-1,
            refundable=0,
            submitted_at=datetime(2026, 11, 27, 2, 0, tzinfo=UTC),
        ).to_json()
    with pytest.raises(ValueError, match="unknown field"):
        RefundMessage.from_json(json.dumps({**ex, "amount": 5}))
    assert json.loads(ok.to_json()) == ex
