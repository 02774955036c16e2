"""Shared fixtures: an in-process embedded AWS (moto) provisioned from the stack's definitions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime

import pytest

# Never let a test reach real AWS, whatever the machine's environment says.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "ap-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_SERVICE_NAME": "cancelflow",
        "POWERTOOLS_METRICS_NAMESPACE": "cancelflow",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# The suite's fixtures start delivery of keyed goods the moment they are paid (written before
# the cooling-off, issue 17), so here keyed goods have none; top-ups keep the default (the
# auto-approval window). The default for every type is tested under the default policy book
# (tests/store/test_cooling_off.py, tests/unit/test_lazy_completion.py, the e2e journey).
SUITE_POLICY = '{"game_card": {"cooling_off_minutes": 0}, "software_license": {"cooling_off_minutes": 0}}'
os.environ.setdefault("CANCELFLOW_POLICY_OVERRIDES", SUITE_POLICY)
os.environ.pop("AWS_PROFILE", None)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Friday


@contextmanager
def moto_stack(faithful: bool = True) -> Iterator[dict[str, str]]:
    """moto in-process with every table, queue, bucket and bus of the stack. ``faithful``:
    DynamoDB as the service behaves (atomic requests, cheap transactions; local/embedded_aws.py)."""
    from moto import mock_aws

    from local.embedded_aws import faithful_dynamodb
    from local.provision import apply, provision

    with mock_aws(), faithful_dynamodb() if faithful else nullcontext():
        env = provision()
        apply(env)
        yield env
    from cancelflow.settings import reset_settings

    reset_settings()


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """moto in-process with every table, queue, bucket and bus of the stack, DynamoDB faithful."""
    with moto_stack() as env:
        yield env


@pytest.fixture
def catalog(aws: dict[str, str]) -> dict[str, str]:
    """One product of each type; keyed ones with 20 keys. Returns type -> product id."""
    from cancelflow.domain.products import ProductType
    from cancelflow.store import stock

    ids = {}
    for t, price in (
        (ProductType.GAME_CARD, 10000),
        (ProductType.SOFTWARE_LICENSE, 29900),
        (ProductType.MOBILE_TOPUP, 5000),
    ):
        pid = f"p-{t.value}"
        stock.put_product(pid, t, price, f"{t.value} 商品", f"{t.value} product")
        if t is not ProductType.MOBILE_TOPUP:
            stock.add_keys(pid, ((f"{pid}-k{i:03d}", f"CODE-{i:04d}") for i in range(20)))
        ids[t.value] = pid
    return ids
