"""The idempotency records of ``Idempotency-Key`` (``cancelflow.http.idempotency``): Powertools'
DynamoDB persistence layer over the idempotency table, with the one DynamoDB client of the
process. Kept here so DynamoDB stays in ``store/``; Powertools writes the records itself."""

from __future__ import annotations

from functools import cache
from typing import Any

from cancelflow import aws
from cancelflow.settings import get_settings


def records() -> Any:
    """The persistence layer for the configured table and the current client (one per pair:
    tests and the local runtime swap clients and tables)."""
    return _layer(get_settings().idempotency_table_name, aws.dynamodb())


@cache
def _layer(table: str, client: Any) -> Any:
    # Imported here: Powertools' idempotency (and boto3) loads on the first POST with a key,
    # not at cold start.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=table, boto3_client=client)
