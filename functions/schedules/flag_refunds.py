"""EventBridge schedule (rate in infra.topology.SCHEDULES): flag refunds past their SLA as
overdue, and hand refunds stuck in a retryable state back to the refund step."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.sweeps.due import stop_time
from cancelflow.sweeps.refunds import flag_overdue, hand_back_stuck

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now, stop_at = clock.now(), stop_time(context)
    overdue = flag_overdue(now, stop_at=stop_at)
    stuck = hand_back_stuck(now, stop_at=stop_at)
    metrics.add_metric(name="refunds_overdue", unit=MetricUnit.Count, value=overdue.done)
    metrics.add_metric(name="refunds_handed_back", unit=MetricUnit.Count, value=stuck.done)
    result = {"overdue": overdue.summary(), "handed_back": stuck.summary()}
    logger.info("refund sweep", extra=result)
    return result
