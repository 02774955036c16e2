"""The table's change stream (infra.topology.STREAM_CONSUMERS) -> the domain event bus.

The event source mapping filters to INSERTs of history items and reports batch item
failures; unconfirmed records come back on the next invocation (docs/events.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow.events.publisher import publish

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = publish(event.get("Records") or [])
    metrics.add_metric(name="events_published", unit=MetricUnit.Count, value=result.published)
    metrics.add_metric(name="events_failed", unit=MetricUnit.Count, value=result.failed + result.invalid)
    if result.retry:
        logger.warning(
            "events not confirmed, retried from the first",
            extra={"failed": result.failed, "invalid": result.invalid, "retry": result.retry[:10]},
        )
    return result.response()
