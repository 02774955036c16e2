"""EventBridge schedule (rate in infra.topology.SCHEDULES): escalate reviews past their SLA
(the review step's escalate_overdue: priority up, senior only, message re-sent if needed), and
conversations whose customer waits past support's answer window (sweeps.threads)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.sweeps.due import stop_time
from cancelflow.sweeps.reviews import escalate_due
from cancelflow.sweeps.threads import escalate_overdue

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = clock.now()
    tally = escalate_due(now, stop_at=stop_time(context))
    metrics.add_metric(name="reviews_overdue", unit=MetricUnit.Count, value=tally.done)
    # conversations whose customer waits past support's answer window (sweeps.threads)
    answers = escalate_overdue(now, stop_at=stop_time(context))
    metrics.add_metric(name="answers_overdue", unit=MetricUnit.Count, value=answers.done)
    logger.info("review sweep", extra={**tally.summary(), "answers_overdue": answers.summary()})
    return {**tally.summary(), "answers_overdue": answers.summary()}
