"""EventBridge schedule (rate in infra.topology.SCHEDULES): expire unpaid orders past their
payment deadline. Bounded per run; what is left waits for the next tick."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.sweeps.due import stop_time
from cancelflow.sweeps.expiry import expire_due

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # business time, not the event's "time" (the local runtime moves the clock)
    tally = expire_due(clock.now(), stop_at=stop_time(context))
    metrics.add_metric(name="orders_expired", unit=MetricUnit.Count, value=tally.done)
    logger.info("expiry sweep", extra=tally.summary())
    return tally.summary()
