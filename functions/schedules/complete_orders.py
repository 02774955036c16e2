"""EventBridge schedule (rate in infra.topology.SCHEDULES): complete delivered orders whose
confirmation window has ended. Bounded per run; what is left waits for the next tick (reads
show those orders completed meanwhile)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.sweeps.completion import complete_due
from cancelflow.sweeps.due import stop_time

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # business time, not the event's "time" (the local runtime moves the clock)
    tally = complete_due(clock.now(), stop_at=stop_time(context))
    metrics.add_metric(name="orders_completed", unit=MetricUnit.Count, value=tally.done)
    logger.info("completion sweep", extra=tally.summary())
    return tally.summary()
