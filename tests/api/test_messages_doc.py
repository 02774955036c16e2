"""docs/messages.md describes the queue messages: its examples must be valid messages and its
field tables must list exactly the models' fields."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
