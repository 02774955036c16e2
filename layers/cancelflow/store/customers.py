"""A customer's recent cancellation statistics: one small item per customer per day (CST), and
one profile item (support's flag). The rule that reads them is ``domain/risk.py``
(docs/domain.md, "Risk").

Reading 30 day-items by key is one BatchGetItem, and the callers that need the risk read it in
the same BatchGetItem as what they read anyway (``read_with_risk``, ``read_request_with_risk``);
writing adds to today's item only, so no item is shared between customers (no hot counter).
``DayStats`` and ``Profile`` are the items as written and as read; their keys (``pk``, ``sk``)
are added here when writing and ignored when decoding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta

from cancelflow.domain.calendar import to_cst
from cancelflow.domain.models import Order
from cancelflow.domain.risk import RiskProfile
from cancelflow.store import ddb, keys
from cancelflow.store.codec import decode

if TYPE_CHECKING:  # requests imports this module: no cycle at import time
    from cancelflow.store.requests import Request

Key = tuple[str, str]
Counter = Literal["orders", "cancellation_requests"]
Count = Annotated[int, Meta(ge=0)]


class DayStats(msgspec.Struct, frozen=True, kw_only=True):
    """One customer's counts on one CST day (``DAY#<date>``); created by the first count."""

    customer_id: str | None = None
    orders: Count = 0
    cancellation_requests: Count = 0


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """What support sets by hand about a customer (``PROFILE``): the flag, and the last change's
    reason, who and when (absent on a profile the demo data or an older version wrote)."""

    customer_id: str
    flagged: bool = False
    reason: str | None = None
    changed_by: str | None = None
    changed_at: str | None = None


class FlagChange(msgspec.Struct, frozen=True, kw_only=True):
    """One audit entry of the flag (``FLAG#<at>#<id>``), append-only: set or cleared, why, by whom."""

    customer_id: str
    flagged: bool
    reason: str
    changed_by: str
    changed_at: str


def count_op(customer_id: str, now: datetime, field: Counter) -> dict[str, Any]:
    """An Update adding one to today's ``orders`` or ``cancellation_requests``: an operation for a
    transaction, to pass along."""
    if field not in get_args(Counter):  # a Literal is not checked at run time
        raise ValueError(f"not a day statistic: {field}")
    return {
        "Update": {
            "Key": ddb.key(keys.customer_pk(customer_id), keys.day_sk(to_cst(now).date())),
            "UpdateExpression": "ADD #f :one SET customer_id = :c",
            "ExpressionAttributeNames": {"#f": field},
            "ExpressionAttributeValues": ddb.values({":one": 1, ":c": customer_id}),
        }
    }


def uncount_request_op(customer_id: str, made_at: datetime) -> dict[str, Any]:
    """An Update taking back the one ``cancellation_requests`` a request added on the day it was
    made (``made_at``): a withdrawn request never counts towards the risk (docs/domain.md,
    "Withdrawal"). Conditional on that count being there, so it never goes below zero: every
    request that can be withdrawn was counted in the transaction that made it."""
    return {
        "Update": {
            "Key": ddb.key(keys.customer_pk(customer_id), keys.day_sk(to_cst(made_at).date())),
            "UpdateExpression": "ADD #f :minus",
            "ConditionExpression": "#f >= :one",
            "ExpressionAttributeNames": {"#f": "cancellation_requests"},
            "ExpressionAttributeValues": ddb.values({":minus": -1, ":one": 1}),
        }
    }


def guarded_count_op(customer_id: str, now: datetime, seen_today: int) -> dict[str, Any]:
    """``count_op`` for an auto-approved request, conditional on today's count of requests being
    no more than was read (``seen_today``, ``RiskProfile.requests_today``). The decision was
    made on that count: a request counted since (a parallel one) fails this write, and its
    caller decides again on what is stored now (docs/domain.md, "Auto-approval"). A count that
    went down since (a withdrawal) passes: that only lowers the risk."""
    op = count_op(customer_id, now, "cancellation_requests")
    op["Update"]["ConditionExpression"] = "attribute_not_exists(#f) OR #f <= :seen"
    op["Update"]["ExpressionAttributeValues"] |= ddb.values({":seen": seen_today})
    return op


def unflagged_check(customer_id: str) -> dict[str, Any]:
    """A ConditionCheck that support has not flagged the customer (the profile may be absent):
    a flag set after the read stops the auto-approval all the same."""
    return {
        "ConditionCheck": {
            "Key": ddb.key(keys.customer_pk(customer_id), keys.PROFILE),
            "ConditionExpression": "attribute_not_exists(flagged) OR flagged = :f",
            "ExpressionAttributeValues": ddb.values({":f": False}),
        }
    }


def risk_keys(customer_id: str, now: datetime, window_days: int) -> list[Key]:
    """The day items of the window (today and ``window_days - 1`` days back) and the profile."""
    today = to_cst(now).date()
    pk = keys.customer_pk(customer_id)
    return [(pk, keys.day_sk(today - timedelta(days=i))) for i in range(window_days)] + [(pk, keys.PROFILE)]


def risk_from(
    items: dict[Key, ddb.Item], customer_id: str, window_days: int, now: datetime | None = None
) -> RiskProfile:
    """The customer's risk from what a BatchGetItem found; other items in ``items`` are ignored.
    ``now``: the time of the read, whose day's count is kept apart (``requests_today``)."""
    pk = keys.customer_pk(customer_id)
    found = {s: decode(DayStats, v) for (p, s), v in items.items() if p == pk and s.startswith("DAY#")}
    days = list(found.values())
    today = found.get(keys.day_sk(to_cst(now).date())) if now is not None else None
    raw = items.get((pk, keys.PROFILE))
    profile = decode(Profile, raw) if raw is not None else Profile(customer_id=customer_id)
    return RiskProfile(
        window_days=window_days,
        orders=sum(d.orders for d in days),
        cancellation_requests=sum(d.cancellation_requests for d in days),
        flagged=profile.flagged,
        requests_today=today.cancellation_requests if today is not None else 0,
    )


def load_risk(customer_id: str, now: datetime, window_days: int) -> RiskProfile:
    return read_with_risk(customer_id, now, window_days)[0]


def read_with_risk(
    customer_id: str, now: datetime, window_days: int, extra: list[Key] | None = None
) -> tuple[RiskProfile, dict[Key, ddb.Item]]:
    """The customer's risk and the ``extra`` items, in one BatchGetItem. For store modules (the
    items are undecoded): ``orders.read_with_risk`` and ``read_request_with_risk`` build on it."""
    extra = extra or []
    found = ddb.batch_get([*extra, *risk_keys(customer_id, now, window_days)])
    return risk_from(found, customer_id, window_days, now), {k: found[k] for k in extra if k in found}


class RequestWithRisk(msgspec.Struct, frozen=True):
    """An order, one of its requests and its customer's risk, as one BatchGetItem found them:
    ``None`` for what is not stored."""

    order: Order | None
    request: Request | None
    risk: RiskProfile


def read_request_with_risk(
    order_id: str, request_id: str, customer_id: str, now: datetime, window_days: int
) -> RequestWithRisk:
    """What review intake and a task's detail read: the order, the request and the customer's
    risk over ``window_days``, in one BatchGetItem."""
    from cancelflow.store import requests

    order_key = (keys.order_pk(order_id), keys.ORDER)
    req_key = (keys.order_pk(order_id), keys.request_sk(request_id))
    risk, found = read_with_risk(customer_id, now, window_days, [order_key, req_key])
    order, request = found.get(order_key), found.get(req_key)
    return RequestWithRisk(
        decode(Order, order) if order is not None else None,
        requests.of_item(request) if request is not None else None,
        risk,
    )


FLAG_SK = "FLAG#"


def change_flag(customer_id: str, flagged: bool, reason: str, actor_id: str, now: datetime) -> Profile:
    """Support sets or clears the flag with a reason: the profile and its audit entry in one
    transaction, so no change is without its entry. The entry is put only if new (append-only);
    two changes at once both commit, in the order DynamoDB serialises them, each with its entry."""
    from cancelflow.clock import iso
    from cancelflow.store.codec import new_id

    at = iso(now)
    profile = Profile(
        customer_id=customer_id, flagged=flagged, reason=reason, changed_by=actor_id, changed_at=at
    )
    change = FlagChange(
        customer_id=customer_id, flagged=flagged, reason=reason, changed_by=actor_id, changed_at=at
    )
    pk = keys.customer_pk(customer_id)
    ddb.transact(
        [
            {"Put": {"Item": ddb.to_item({"pk": pk, "sk": keys.PROFILE, **msgspec.to_builtins(profile)})}},
            {
                "Put": {
                    "Item": ddb.to_item(
                        {"pk": pk, "sk": f"{FLAG_SK}{at}#{new_id('fl')}", **msgspec.to_builtins(change)}
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
    )
    return profile


def flag_history(customer_id: str, limit: int = 50) -> tuple[Profile, list[FlagChange]]:
    """The profile as stored (a customer never flagged: an empty one) and the flag's last
    ``limit`` changes, newest first: one GetItem and one Query of the customer's partition."""
    raw = ddb.get(keys.customer_pk(customer_id), keys.PROFILE)
    profile = decode(Profile, raw) if raw is not None else Profile(customer_id=customer_id)
    items, _ = ddb.query(
        None,
        "pk = :p AND begins_with(sk, :f)",
        {":p": keys.customer_pk(customer_id), ":f": FLAG_SK},
        limit=limit,
        forward=False,
    )
    return profile, [decode(FlagChange, i) for i in items]


def set_flag(customer_id: str, flagged: bool) -> None:
    """The demo data and tests mark a customer high-risk by hand, without an audit entry;
    support does it with ``change_flag`` (a reason, audited)."""
    from cancelflow import aws

    profile = Profile(customer_id=customer_id, flagged=flagged)
    aws.dynamodb().put_item(
        TableName=ddb.table(),
        Item=ddb.to_item(
            {"pk": keys.customer_pk(customer_id), "sk": keys.PROFILE, **msgspec.to_builtins(profile)}
        ),
    )
