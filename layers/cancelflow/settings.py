"""All configuration in one struct, read once from the environment (msgspec converts the
strings and checks the bounds: a bad value fails the cold start, loudly).

Table names, queue URLs, bus and bucket names reach the code only through here (the CDK
sets them as Lambda environment variables; the local runtime sets them for its process).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

import msgspec
from msgspec import Meta

from cancelflow.redacted import Redacted

if TYPE_CHECKING:
    from cancelflow.domain.policy import PolicyBook

Positive = Annotated[int, Meta(ge=1)]


class Settings(Redacted, frozen=True):
    """The function's configuration, read once from its environment."""

    HIDDEN = frozenset({"provider_credentials"})  # never in a log line

    table_name: str = "cancelflow"
    idempotency_table_name: str = "cancelflow-idempotency"
    review_queue_url: str = ""
    refund_queue_url: str = ""
    evidence_bucket: str = "cancelflow-evidence"
    event_bus_name: str = "cancelflow"
    provider_base_url: str = ""  # the payment providers' API (the simulator locally)
    provider_secret_arn: str = ""  # credentials in Secrets Manager (cloud)
    # local only: the secret's JSON (HIDDEN: never in a log line)
    provider_credentials: str = ""
    provider_timeout_seconds: Annotated[float, Meta(gt=0, le=30)] = 5.0
    # Refund retries (docs/refunds.md): failed attempts before needs_attention, backoff, lease.
    refund_max_failures: Annotated[int, Meta(ge=1, le=50)] = 6
    refund_backoff_seconds: Positive = 30
    refund_backoff_max_seconds: Positive = 3600
    refund_lease_seconds: Annotated[int, Meta(ge=5)] = 90  # below the refund queue's visibility timeout
    refund_chase_period_hours: Positive = 24  # a customer chases an overdue refund at most this often
    aws_endpoint_url: str | None = None  # embedded AWS locally; None in the cloud
    # Sparse due-time indexes are sharded so no index partition takes every write (docs/data-model.md).
    due_shards: Annotated[int, Meta(ge=1, le=256)] = 16
    stock_shards: Annotated[int, Meta(ge=1, le=64)] = 4
    status_shards: Annotated[int, Meta(ge=1, le=256)] = 8
    sweep_max_items: Positive = 500
    # Threads working due-index shards in parallel within one sweep run (docs/events.md).
    sweep_workers: Annotated[int, Meta(ge=1, le=64)] = 8
    policy_overrides: str = ""

    @property
    def refund_chase_period(self) -> timedelta:
        return timedelta(hours=self.refund_chase_period_hours)

    @property
    def policies(self) -> PolicyBook:
        return _policy_book(self.policy_overrides)


_ENV = {
    "table_name": "CANCELFLOW_TABLE",
    "idempotency_table_name": "CANCELFLOW_IDEMPOTENCY_TABLE",
    "review_queue_url": "CANCELFLOW_REVIEW_QUEUE_URL",
    "refund_queue_url": "CANCELFLOW_REFUND_QUEUE_URL",
    "evidence_bucket": "CANCELFLOW_EVIDENCE_BUCKET",
    "event_bus_name": "CANCELFLOW_EVENT_BUS",
    "provider_base_url": "CANCELFLOW_PROVIDER_BASE_URL",
    "provider_secret_arn": "CANCELFLOW_PROVIDER_SECRET_ARN",
    "provider_credentials": "CANCELFLOW_PROVIDER_CREDENTIALS",
    "provider_timeout_seconds": "CANCELFLOW_PROVIDER_TIMEOUT_SECONDS",
    "refund_max_failures": "CANCELFLOW_REFUND_MAX_FAILURES",
    "refund_backoff_seconds": "CANCELFLOW_REFUND_BACKOFF_SECONDS",
    "refund_backoff_max_seconds": "CANCELFLOW_REFUND_BACKOFF_MAX_SECONDS",
    "refund_lease_seconds": "CANCELFLOW_REFUND_LEASE_SECONDS",
    "refund_chase_period_hours": "CANCELFLOW_REFUND_CHASE_PERIOD_HOURS",
    "aws_endpoint_url": "AWS_ENDPOINT_URL",
    "due_shards": "CANCELFLOW_DUE_SHARDS",
    "stock_shards": "CANCELFLOW_STOCK_SHARDS",
    "status_shards": "CANCELFLOW_STATUS_SHARDS",
    "sweep_max_items": "CANCELFLOW_SWEEP_MAX_ITEMS",
    "sweep_workers": "CANCELFLOW_SWEEP_WORKERS",
    "policy_overrides": "CANCELFLOW_POLICY_OVERRIDES",
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    given = {k: os.environ[v] for k, v in _ENV.items() if os.environ.get(v)}
    return msgspec.convert(given, Settings, strict=False)  # strict=False: "16" may be an int


@lru_cache(maxsize=8)
def _policy_book(overrides: str) -> PolicyBook:
    # Imported here: the policy book (and the business calendar under it) is the cancel and
    # review steps' concern; the sweeps, the refund worker and the publisher never read it.
    from cancelflow.domain.policy import build_policy_book
    from cancelflow.store import policies  # noqa: F401  (the store of pinned policy versions)

    return build_policy_book(overrides)


def reset_settings() -> None:
    """Forget cached settings and clients (tests and the local runtime change the environment)."""
    get_settings.cache_clear()
    from cancelflow import aws
    from cancelflow.store import policies

    aws.reset_clients()
    policies.forget()  # another table may not hold the copies this process wrote
