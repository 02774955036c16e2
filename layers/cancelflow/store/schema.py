"""The table, its indexes and the queues: one definition for the CDK, the local runtime and tests.

Pure data, so infra/ and local/ can read it without importing any handler code.
"""

from __future__ import annotations

from typing import Any

# Index names (the code queries these).
GSI_CUSTOMER = "by_customer"  # a customer's orders, newest first
GSI_DUE = "by_due"  # sparse: what falls due when (unpaid expiry, refund SLA, review SLA)
GSI_STOCK = "by_stock"  # sparse: a product's available keys, sharded
GSI_STATUS = "by_status"  # sparse: review tasks and refunds by status, in order

# attribute name -> (partition key, sort key) per index
INDEXES: dict[str, tuple[str, str]] = {
    GSI_CUSTOMER: ("gsi_cust_pk", "gsi_cust_sk"),
    GSI_DUE: ("due_pk", "due_at"),
    GSI_STOCK: ("stock_pk", "stock_sk"),
    GSI_STATUS: ("status_pk", "status_sk"),
}


def table_definition(table_name: str) -> dict[str, Any]:
    """Arguments for ``CreateTable`` (the CDK construct builds the same from INDEXES)."""
    attrs = {"pk", "sk"} | {a for pair in INDEXES.values() for a in pair}
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, (pk, sk) in INDEXES.items()
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def idempotency_table_definition(table_name: str) -> dict[str, Any]:
    """Powertools' idempotency persistence: partition key ``id``, TTL on ``expiration``."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    }


# Queues: name suffix -> settings. Each has a dead-letter queue "<name>-dlq".
QUEUES: dict[str, dict[str, int]] = {
    "review": {"visibility_timeout": 60, "max_receive_count": 5, "batch_size": 10, "max_concurrency": 5},
    "refund": {"visibility_timeout": 120, "max_receive_count": 8, "batch_size": 5, "max_concurrency": 4},
}
