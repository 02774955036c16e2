"""Logs and business metrics, the Powertools way: JSON log lines carrying the request's
correlation id, and CloudWatch metrics as embedded metric format (EMF) documents on stdout.

``logger`` is Powertools' Logger for the service ``cancelflow``. Its standard-library logger is
the one named ``cancelflow``, so every ``logging.getLogger("cancelflow.…")`` of the layer is a
child of it: those records come out through the same handler, as the same JSON, with the same
correlation id (set per API request by ``cancelflow.http.api``).

Metric names and dimensions: (docs/events.md, "Metrics"). Importing this
costs next to nothing on a cold start: Powertools' package imports its Logger and Metrics
whenever any part of it is imported.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

# infra.monitoring's SERVICE_DIMENSION and every function's POWERTOOLS_SERVICE_NAME; fixed
# here because it also names the stdlib logger the layer's loggers are children of.
SERVICE = "cancelflow"

logger = Logger(service=SERVICE)
_log = logging.getLogger("cancelflow.telemetry")


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Publish ``name`` (a Count) now, in a document of its own, with the service dimension and
    ``dimensions``: an EMF document's dimensions apply to every metric in it, so a metric with
    dimensions of its own cannot share one. The namespace is POWERTOOLS_METRICS_NAMESPACE.

    A metric that cannot be published is logged, never raised: what it counts has happened."""
    try:
        metric = EphemeralMetrics(service=SERVICE)
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
        metric.add_metric(name=name, unit=MetricUnit.Count, value=value)
        metric.flush_metrics()
    except Exception:
        _log.exception("metric %s not published", name)
