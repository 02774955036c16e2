"""The customer's account balance as a ledger of idempotent credits (docs/domain.md, "Refunds").

One credit item per refund number (``CUSTOMER#<id>`` / ``CREDIT#<refund_no>``), put only if
absent, and the balance item (``CUSTOMER#<id>`` / ``BALANCE``) raised in the same
transaction: a credit exists exactly when the balance includes it, and a repeated credit
changes nothing. Every item belongs to one customer, so no partition is shared.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.store import codec, ddb, keys

BALANCE_SK = "BALANCE"


class Credit(msgspec.Struct, frozen=True, kw_only=True):
    """One refund credited to a customer's balance (written once, never changed)."""

    customer_id: str
    refund_no: str
    refund_id: str
    amount: int
    at: datetime


def credit_sk(refund_no: str) -> str:
    return f"CREDIT#{refund_no}"


def credit(customer_id: str, refund_no: str, amount: int, refund_id: str, now: datetime) -> bool:
    """Credit once. True if this call credited, False if the refund number was credited before."""
    pk = keys.customer_pk(customer_id)
    c = Credit(customer_id=customer_id, refund_no=refund_no, refund_id=refund_id, amount=amount, at=now)
    item = {
        "pk": pk,
        "sk": credit_sk(refund_no),
        "type": "balance_credit",
        **codec.plain(c),
    }
    put = {"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}
    add = {
        "Update": {
            "Key": ddb.key(pk, BALANCE_SK),
            "UpdateExpression": "ADD balance :a, credits :one SET customer_id = :c, updated_at = :t",
            "ExpressionAttributeValues": ddb.values(
                {":a": amount, ":one": 1, ":c": customer_id, ":t": codec.plain(now)}
            ),
        }
    }
    try:
        ddb.transact([put, add])
    except ddb.TransactionFailed as e:
        if e.reasons and e.reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def credited(customer_id: str, refund_no: str) -> bool:
    return ddb.get(keys.customer_pk(customer_id), credit_sk(refund_no)) is not None


def balance(customer_id: str) -> int:
    item = ddb.get(keys.customer_pk(customer_id), BALANCE_SK)
    return int(item.get("balance", 0)) if item else 0


def credits(customer_id: str) -> list[Credit]:
    return [codec.decode(Credit, i) for i in ddb.partition(keys.customer_pk(customer_id), "CREDIT#")]
