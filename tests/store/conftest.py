"""Store-level guard tests: embedded AWS (moto, in-process) with one keyed product.

The stack (tables, queues, bucket, bus) is made once for this folder and its tables emptied
before each test, instead of once per test as ``tests/conftest.py``'s ``aws`` does: these
tests read only what they wrote, and the half second a stack costs, times every guard test,
is most of what ``make mutation`` spends per mutant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import moto_stack
from tests.store import world


@pytest.fixture(scope="package")
def _stack() -> Iterator[dict[str, str]]:
    with moto_stack() as env:
        yield env


def _empty(table: str) -> None:
    from cancelflow import aws

    client = aws.dynamodb()
    names = [k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]]
    kw: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(names))),
    }
    kw["ExpressionAttributeNames"] = {f"#k{i}": n for i, n in enumerate(names)}
    while True:
        page = client.scan(**kw)
        deletes = [{"DeleteRequest": {"Key": item}} for item in page["Items"]]
        for i in range(0, len(deletes), 25):
            request: dict[str, Any] = {table: deletes[i : i + 25]}
            while request:
                request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        if "LastEvaluatedKey" not in page:
            return
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def aws(_stack: dict[str, str]) -> dict[str, str]:
    """``tests/conftest.py``'s ``aws`` (faithful DynamoDB), with empty tables."""
    from cancelflow.store import policies, stock

    for table in (_stack["CANCELFLOW_TABLE"], _stack["CANCELFLOW_IDEMPOTENCY_TABLE"]):
        _empty(table)
    # The stack (and so its client) outlives the test, and the product cache belongs to the
    # client: emptied with the tables, a product a test deleted or never wrote is never served
    # from an earlier test's cache.
    stock.forget_products()
    policies.forget()  # likewise the policy copies this process wrote
    return _stack


@pytest.fixture
def product(aws: dict[str, str]) -> str:
    """A game-card product with four available keys (k0..k3)."""
    return world.add_product()
