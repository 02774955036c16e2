"""The test-only fast rollback keeps moto's transaction semantics."""

from __future__ import annotations

import pytest
from cancelflow.store import ddb

from tests.refunds.moto_tx import item_level_rollback


def _put(pk: str, v: int, cond: str | None = None) -> dict[str, object]:
    op: dict[str, object] = {"Item": ddb.to_item({"pk": pk, "sk": "X", "v": v})}
    if cond:
        op["ConditionExpression"] = cond
    return {"Put": op}


def test_cancelled_transaction_leaves_nothing_behind(aws: dict[str, str]) -> None:
    """GIVEN an item WHEN a transaction updates it and then fails a condition on another item
    THEN neither change stays, the reasons are reported, and a good transaction still commits."""
    with item_level_rollback():
        ddb.transact([_put("A", 1), _put("B", 1)])
        bump = {
            "Update": {
                "Key": ddb.key("A", "X"),
                "UpdateExpression": "SET v = :n",
                "ExpressionAttributeValues": ddb.values({":n": 2}),
            }
        }
        with pytest.raises(ddb.TransactionFailed) as e:
            ddb.transact([bump, _put("C", 1), _put("B", 9, "attribute_not_exists(pk)")])
        assert e.value.reasons == ["None", "None", "ConditionalCheckFailed"]
        a, b, c = ddb.get("A", "X"), ddb.get("B", "X"), ddb.get("C", "X")
        assert a and a["v"] == 1 and b and b["v"] == 1 and c is None
        ddb.transact([bump])
        a = ddb.get("A", "X")
        assert a and a["v"] == 2
