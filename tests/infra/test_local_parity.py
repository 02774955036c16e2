"""The local runtime (local.provision, run under moto) provisions the same tables, indexes and
queues as the template, from the same schema."""

from __future__ import annotations

import json

from moto import mock_aws

from tests.infra import tpl


def _local():
    from local.provision import provision

    with mock_aws():
        import boto3

        env = provision()
        ddb = boto3.client("dynamodb", region_name="ap-east-1")
        sqs = boto3.client("sqs", region_name="ap-east-1")
        tables = {}
        for name in ddb.list_tables()["TableNames"]:
            t = ddb.describe_table(TableName=name)["Table"]
            tables[name] = {
                "keys": t["KeySchema"],
                "gsis": {g["IndexName"]: g["KeySchema"] for g in t.get("GlobalSecondaryIndexes", [])},
                "stream": t.get("StreamSpecification", {}).get("StreamViewType"),
            }
        queues = {}
        for url in sqs.list_queues()["QueueUrls"]:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            queues[url.rsplit("/", 1)[1]] = attrs
    return env, tables, queues


def test_tables_and_indexes_match(dev):
    """GIVEN provision() under moto and the dev template THEN both have a main table with the same
    keys, GSIs and stream, and an idempotency table with the same key."""
    env, tables, _ = _local()
    local_main = tables[env["CANCELFLOW_TABLE"]]
    local_idem = tables[env["CANCELFLOW_IDEMPOTENCY_TABLE"]]
    _, main = tpl.only(dev, "AWS::DynamoDB::GlobalTable", "DataTable")
    _, idem = tpl.only(dev, "AWS::DynamoDB::GlobalTable", "Idempotency")
    p = main["Properties"]
    assert p["KeySchema"] == local_main["keys"]
    assert {g["IndexName"]: g["KeySchema"] for g in p["GlobalSecondaryIndexes"]} == local_main["gsis"]
    assert p["StreamSpecification"]["StreamViewType"] == local_main["stream"]
    assert idem["Properties"]["KeySchema"] == local_idem["keys"]
    assert len(tables) == len(tpl.resources(dev, "AWS::DynamoDB::GlobalTable"))


def test_queues_and_dead_letter_queues_match(dev):
    """GIVEN provision() under moto THEN every local work queue exists in the template with the same
    visibility timeout and redrive count, and every template work queue exists locally."""
    _, _, queues = _local()
    local_work = {
        name.removeprefix("cancelflow-"): attrs for name, attrs in queues.items() if not name.endswith("-dlq")
    }
    local_dlqs = {
        name.removeprefix("cancelflow-").removesuffix("-dlq") for name in queues if name.endswith("-dlq")
    }
    template_work = {
        "review": tpl.only(dev, "AWS::SQS::Queue", "ReviewQueue")[1]["Properties"],
        "refund": tpl.only(dev, "AWS::SQS::Queue", "RefundQueue")[1]["Properties"],
    }
    assert set(local_work) == set(template_work) == local_dlqs
    for name, props in template_work.items():
        local = local_work[name]
        assert int(local["VisibilityTimeout"]) == props["VisibilityTimeout"]
        redrive = json.loads(local["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == props["RedrivePolicy"]["maxReceiveCount"]
