"""The tables: from the schema, encrypted, recoverable, protected in prod, streamed, TTL."""

from __future__ import annotations

from cancelflow.store.schema import INDEXES, table_definition

from tests.infra import tpl


def test_main_table_matches_the_schema(dev):
    """GIVEN store.schema WHEN dev is synthesised THEN the table has its keys and 4 GSIs."""
    _, table = tpl.only(dev, "AWS::DynamoDB::GlobalTable", "DataTable")
    p = tpl.props(table)
    assert p["KeySchema"] == table_definition("x")["KeySchema"]
    gsis = {g["IndexName"]: g for g in p["GlobalSecondaryIndexes"]}
    assert set(gsis) == set(INDEXES)
    for name, (pk, sk) in INDEXES.items():
        assert gsis[name]["KeySchema"] == [
            {"AttributeName": pk, "KeyType": "HASH"},
            {"AttributeName": sk, "KeyType": "RANGE"},
        ]
        assert gsis[name]["Projection"] == {"ProjectionType": "ALL"}
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert p["BillingMode"] == "PAY_PER_REQUEST"


def test_tables_are_encrypted_and_recoverable_everywhere(synth):
    """GIVEN both environments THEN every table is KMS-encrypted with point-in-time recovery."""
    for template in synth.templates.values():
        for table in tpl.resources(template, "AWS::DynamoDB::GlobalTable").values():
            p = tpl.props(table)
            assert p["SSESpecification"]["SSEEnabled"] is True
            assert p["SSESpecification"]["SSEType"] == "KMS"
            for replica in p["Replicas"]:
                pitr = replica["PointInTimeRecoverySpecification"]
                assert pitr["PointInTimeRecoveryEnabled"] is True


def test_deletion_protection_in_prod_not_dev(dev, prod):
    """GIVEN cdk.json THEN prod tables refuse deletion and are retained; dev ones are disposable."""
    for table in tpl.resources(prod, "AWS::DynamoDB::GlobalTable").values():
        assert all(r["DeletionProtectionEnabled"] is True for r in table["Properties"]["Replicas"])
    _, main = tpl.only(prod, "AWS::DynamoDB::GlobalTable", "DataTable")
    assert main["DeletionPolicy"] == "Retain"
    for table in tpl.resources(dev, "AWS::DynamoDB::GlobalTable").values():
        assert all(not r.get("DeletionProtectionEnabled") for r in table["Properties"]["Replicas"])


def test_idempotency_table_expires_records(dev):
    """GIVEN Powertools idempotency THEN its table has TTL on `expiration` and key `id`."""
    _, table = tpl.only(dev, "AWS::DynamoDB::GlobalTable", "Idempotency")
    p = tpl.props(table)
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert p["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
