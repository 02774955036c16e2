"""EventBridge schedule (rate in infra.topology.SCHEDULES): escalate reviews past their SLA
(the review step's escalate_overdue: priority up, senior only, message re-sent if needed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.sweeps.due import stop_time
from cancelflow.sweeps.reviews import escalate_due

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    tally = escalate_due(clock.now(), stop_at=stop_time(context))
    metrics.add_metric(name="reviews_overdue", unit=MetricUnit.Count, value=tally.done)
    logger.info("review sweep", extra=tally.summary())
    return tally.summary()
