"""A customer's recent cancellation statistics: one small item per customer per day (CST).

Reading 30 day-items by key is one BatchGetItem; writing adds to today's item only, so no
item is shared between customers (no hot counter).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.domain.calendar import to_cst
from cancelflow.domain.models import RiskProfile
from cancelflow.store import ddb, keys


def count_op(customer_id: str, now: datetime, field: str) -> dict[str, Any]:
    """An Update adding one to today's ``orders`` or ``cancellation_requests``."""
    return {
        "Update": {
            "Key": ddb.key(keys.customer_pk(customer_id), keys.day_sk(to_cst(now).date())),
            "UpdateExpression": "ADD #f :one SET customer_id = :c",
            "ExpressionAttributeNames": {"#f": field},
            "ExpressionAttributeValues": ddb.values({":one": 1, ":c": customer_id}),
        }
    }


def risk_keys(customer_id: str, now: datetime, window_days: int) -> list[tuple[str, str]]:
    today = to_cst(now).date()
    pk = keys.customer_pk(customer_id)
    return [(pk, keys.day_sk(today - timedelta(days=i))) for i in range(window_days)] + [(pk, keys.PROFILE)]


def risk_from(items: dict[tuple[str, str], ddb.Item], customer_id: str, window_days: int) -> RiskProfile:
    pk = keys.customer_pk(customer_id)
    days = [v for (p, s), v in items.items() if p == pk and s.startswith("DAY#")]
    profile = items.get((pk, keys.PROFILE), {})
    return RiskProfile(
        window_days=window_days,
        orders=sum(int(d.get("orders", 0)) for d in days),
        cancellation_requests=sum(int(d.get("cancellation_requests", 0)) for d in days),
        flagged=bool(profile.get("flagged", False)),
    )


def load_risk(customer_id: str, now: datetime, window_days: int) -> RiskProfile:
    return risk_from(ddb.batch_get(risk_keys(customer_id, now, window_days)), customer_id, window_days)


def set_flag(customer_id: str, flagged: bool) -> None:
    """Support (and the demo data) mark a customer high-risk by hand."""
    from cancelflow import aws

    aws.dynamodb().put_item(
        TableName=ddb.table(),
        Item=ddb.to_item(
            {
                "pk": keys.customer_pk(customer_id),
                "sk": keys.PROFILE,
                "customer_id": customer_id,
                "flagged": flagged,
            }
        ),
    )
