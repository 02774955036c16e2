"""The single table and the idempotency table, built from cancelflow.store.schema (the same
definition local.provision creates), so the cloud and the local runtime cannot disagree."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from cancelflow.store.schema import idempotency_table_definition, table_definition
from constructs import Construct

from infra.config import EnvConfig

IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"  # Powertools' idempotency record expiry


class Data(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        removal = cfg.removal_policy
        main = table_definition("unused")
        self.table = dynamodb.TableV2(
            self,
            "Table",
            **_keys(main),
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=gsi["IndexName"],
                    **_keys(gsi, main),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                for gsi in main["GlobalSecondaryIndexes"]
            ],
            billing=dynamodb.Billing.on_demand(),
            # AWS-managed KMS key (aws/dynamodb): encrypted at rest, no key policy to maintain.
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=cfg.deletion_protection,
            # The outbox: history entries reach the event publisher through the stream.
            dynamo_stream=dynamodb.StreamViewType(main["StreamSpecification"]["StreamViewType"]),
            removal_policy=removal,
        )
        self.idempotency_table = dynamodb.TableV2(
            self,
            "IdempotencyTable",
            **_keys(idempotency_table_definition("unused")),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=cfg.deletion_protection,
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            # Idempotency records are disposable (they expire within hours).
            removal_policy=RemovalPolicy.DESTROY,
        )


def _keys(definition: dict[str, Any], attrs_from: dict[str, Any] | None = None) -> dict[str, Any]:
    """partition_key / sort_key arguments from a CreateTable-style KeySchema."""
    types = {
        a["AttributeName"]: a["AttributeType"] for a in (attrs_from or definition)["AttributeDefinitions"]
    }
    out: dict[str, Any] = {}
    for key in definition["KeySchema"]:
        name = key["AttributeName"]
        attr = dynamodb.Attribute(name=name, type=_TYPES[types[name]])
        out["partition_key" if key["KeyType"] == "HASH" else "sort_key"] = attr
    return out


_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
