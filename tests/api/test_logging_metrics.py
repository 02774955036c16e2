"""Operable in the cloud (issue 15, item 7): every API answer is logged through Powertools'
Logger with the request id as correlation id, the same id the answer's X-Request-Id carries, and
the layer's own loggers write the same JSON with it; every cancellation is counted by outcome,
and the auto-approval rule's decisions as 1/0 (their list: docs/events.md, "Metrics")."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from cancelflow import telemetry

from tests.api.conftest import FrozenClock, call, pay, place_order


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What Powertools' Logger writes (its handler's stream swapped for a buffer), at INFO."""
    handler = telemetry.logger.logger_handler
    assert isinstance(handler, logging.StreamHandler)
    buf = io.StringIO()
    stdlib = logging.getLogger(telemetry.SERVICE)
    old_stream, old_level = handler.setStream(buf), stdlib.level
    stdlib.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        handler.setStream(old_stream)
        stdlib.setLevel(old_level)


def _json_lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]


def _counts(out: str) -> list[tuple[str, float, dict[str, str]]]:
    """(metric, value, dimensions) of every EMF document printed, namespace cancelflow."""
    found = []
    for line in out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        doc = json.loads(line)
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "cancelflow"
        dims = {name: doc[name] for names in directive["Dimensions"] for name in names}
        found += [(m["Name"], sum(doc[m["Name"]]), dims) for m in directive["Metrics"]]
    return found


def test_an_answer_is_logged_with_the_id_its_x_request_id_carries(
    catalog: dict[str, str], log_lines: io.StringIO
) -> None:
    """GIVEN an order WHEN its owner reads it, and reads an order that does not exist THEN each
    answer has one JSON log line whose correlation_id is the answer's X-Request-Id, with the
    route and the status."""
    order = place_order(catalog)
    found = call("GET", f"/v1/orders/{order['order_id']}")
    missing = call("GET", "/v1/orders/o_00000000000000000000")
    assert found.status == 200 and missing.status == 404
    answered = [line for line in _json_lines(log_lines) if line["message"] == "answered"]
    by_id = {line["correlation_id"]: line for line in answered}
    assert by_id[found.headers["x-request-id"]]["route"] == "GET /v1/orders/{order_id}"
    assert by_id[found.headers["x-request-id"]]["status"] == 200
    assert by_id[missing.headers["x-request-id"]]["status"] == 404
    assert by_id[found.headers["x-request-id"]]["service"] == "cancelflow"
    assert found.headers["x-request-id"] != missing.headers["x-request-id"]


def test_the_layers_loggers_write_the_same_json_with_the_request_id(
    catalog: dict[str, str], log_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a use case that logs through its own ``cancelflow.*`` stdlib logger WHEN a request
    runs it THEN that record is a JSON line of the same Logger, with the request's id."""
    from cancelflow.cancel import get_order

    real = get_order.get_order

    def logging_get_order(*args: Any) -> Any:
        logging.getLogger("cancelflow.cancel.get_order").warning("reading the order")
        return real(*args)

    monkeypatch.setattr(get_order, "get_order", logging_get_order)
    order = place_order(catalog)
    resp = call("GET", f"/v1/orders/{order['order_id']}")
    assert resp.status == 200
    (line,) = [line for line in _json_lines(log_lines) if line["message"] == "reading the order"]
    assert line["correlation_id"] == resp.headers["x-request-id"]
    assert line["level"] == "WARNING" and line["service"] == "cancelflow"


def test_cancellations_are_counted_by_outcome_and_auto_approvals_as_one_or_zero(
    catalog: dict[str, str], frozen: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN an unpaid order, an order paid a minute ago and one paid 20 minutes ago WHEN the
    owner self-cancels the first (then replays it with the same Idempotency-Key) and requests
    cancellation of the others THEN ``cancellations`` is counted once per submission with its
    outcome, and ``auto_approvals`` is 1 for the auto-approved request, 0 for the reviewed one
    (its Average is the auto-approval rate); the replay counts nothing."""
    late = place_order(catalog)["order_id"]
    pay(late, minutes_after=0)
    frozen.advance(minutes=20)
    unpaid = place_order(catalog)["order_id"]
    fresh = place_order(catalog)["order_id"]
    pay(fresh, minutes_after=0)
    capsys.readouterr()
    key = {"idempotency-key": "metrics-self-cancel-1"}
    first = call("POST", f"/v1/orders/{unpaid}/cancellations", {"action": "self_cancel"}, headers=key)
    replay = call("POST", f"/v1/orders/{unpaid}/cancellations", {"action": "self_cancel"}, headers=key)
    auto = call("POST", f"/v1/orders/{fresh}/cancellations", {"action": "request"})
    reviewed = call("POST", f"/v1/orders/{late}/cancellations", {"action": "request"})
    assert [r.status for r in (first, replay, auto, reviewed)] == [201, 201, 201, 201]
    assert replay.headers.get("idempotency-replayed") == "true"
    assert (auto.json["outcome"], reviewed.json["outcome"]) == ("refund_started", "under_review")
    service = {"service": "cancelflow"}
    assert _counts(capsys.readouterr().out) == [
        ("cancellations", 1.0, {"outcome": "cancelled", **service}),
        ("cancellations", 1.0, {"outcome": "refund_started", **service}),
        ("auto_approvals", 1.0, service),
        ("cancellations", 1.0, {"outcome": "under_review", **service}),
        ("auto_approvals", 0.0, service),
    ]
