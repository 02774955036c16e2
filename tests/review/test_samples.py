"""The committed sample events are current, and each works against the handlers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cancelflow import clock

from functions.review import api, intake
from local.apigw import parse_result
from tests.conftest import NOW
from tests.review import samples


def test_samples_are_current() -> None:
    """GIVEN events/review-*.json WHEN generated again THEN identical
    (run `python -m tests.review.samples` after changing them)."""
    for name, event in samples.samples().items():
        assert (samples.EVENTS / f"{name}.json").read_text(encoding="utf-8") == samples.render(event), name


def test_samples_run_against_the_handlers(catalog: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the world the samples name
    WHEN the SQS batch goes to intake and the API events to the review API, in a reviewer's order
    THEN the unknown schema version alone fails, and list, claim, detail, release, claim and the
    approval all succeed."""
    samples.build_world(catalog, monkeypatch)
    monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(minutes=5))

    def load(name: str) -> dict[str, object]:
        return dict(json.loads((samples.EVENTS / f"{name}.json").read_text(encoding="utf-8")))

    batch = load("review-intake-sqs-batch")
    out = intake.handler(batch, None)
    assert out == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}  # type: ignore[index]
    seen = []
    for name in ("list", "claim-next", "get-task", "release", "claim-next", "decision"):
        status, _, body = parse_result(api.handler(load(f"review-api-{name}"), None))
        seen.append((name, status))
        if name == "list":
            assert [t["task_id"] for t in json.loads(body)["items"]] == [samples.TASK]
    assert [s for _, s in seen] == [200] * 6, seen
    assert json.loads(body)["outcome"] == "approved"
