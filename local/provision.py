"""Create the tables, queues, bus and bucket on an AWS endpoint (moto, in-process or server)
from the same definitions the CDK stack uses (cancelflow.store.schema)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from cancelflow.store.schema import QUEUES, idempotency_table_definition, table_definition

DEFAULT_NAMES = {
    "CANCELFLOW_TABLE": "cancelflow",
    "CANCELFLOW_IDEMPOTENCY_TABLE": "cancelflow-idempotency",
    "CANCELFLOW_EVIDENCE_BUCKET": "cancelflow-evidence",
    "CANCELFLOW_EVENT_BUS": "cancelflow",
}


def provision(endpoint_url: str | None = None, region: str = "ap-east-1") -> dict[str, str]:
    """Create everything; returns the environment variables the handlers read."""
    kw: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url}
    ddb = boto3.client("dynamodb", **kw)
    sqs = boto3.client("sqs", **kw)
    env = dict(DEFAULT_NAMES)
    ddb.create_table(**table_definition(env["CANCELFLOW_TABLE"]))
    ddb.create_table(**idempotency_table_definition(env["CANCELFLOW_IDEMPOTENCY_TABLE"]))
    for name, conf in QUEUES.items():
        dlq_url = sqs.create_queue(QueueName=f"cancelflow-{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        url = sqs.create_queue(
            QueueName=f"cancelflow-{name}",
            Attributes={
                "VisibilityTimeout": str(conf["visibility_timeout"]),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(conf["max_receive_count"])}
                ),
            },
        )["QueueUrl"]
        env[f"CANCELFLOW_{name.upper()}_QUEUE_URL"] = url
        env[f"CANCELFLOW_{name.upper()}_DLQ_URL"] = dlq_url
    s3 = boto3.client("s3", **kw)
    s3.create_bucket(
        Bucket=env["CANCELFLOW_EVIDENCE_BUCKET"], CreateBucketConfiguration={"LocationConstraint": region}
    )
    boto3.client("events", **kw).create_event_bus(Name=env["CANCELFLOW_EVENT_BUS"])
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    return env


def apply(env: dict[str, str]) -> None:
    os.environ.update(env)
    from cancelflow.settings import reset_settings

    reset_settings()
