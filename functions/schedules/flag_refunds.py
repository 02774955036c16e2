"""EventBridge schedule (rate in infra.topology.SCHEDULES): flag refunds past their SLA as
overdue, and hand refunds stuck in a retryable state back to the refund step. It also counts
whether the business calendar its SLAs use lacks a year it should know by now (the
``calendar_year_unknown`` alarm): the refund SLAs are the calendar's only reader that runs
on a schedule."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from cancelflow import clock
from cancelflow.domain.calendar import to_cst
from cancelflow.settings import get_settings
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
    unknown = get_settings().policies.calendar.unknown_year(to_cst(now).date())
    metrics.add_metric(name="calendar_year_unknown", unit=MetricUnit.Count, value=int(unknown is not None))
    if unknown is not None:
        logger.warning(
            "no holiday calendar for %s: upgrade chinesecalendar or name the notice's days in the "
            "policy overrides (bank refund deadlines count weekends only)",
            unknown,
        )
    result = {"overdue": overdue.summary(), "handed_back": stuck.summary(), "calendar_year_unknown": unknown}
    logger.info("refund sweep", extra=result)
    return result
