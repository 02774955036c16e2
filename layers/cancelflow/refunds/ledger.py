"""The customer's account balance as a ledger of idempotent credits.

One credit item per refund number (``CUSTOMER#<id>`` / ``CREDIT#<refund_no>``), put only if
absent, and the balance item (``CUSTOMER#<id>`` / ``BALANCE``) raised in the same
transaction: a credit exists exactly when the balance includes it, and a repeated credit
changes nothing. Every item belongs to one customer, so no partition is shared.
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.clock import iso
from cancelflow.store import ddb, keys

BALANCE_SK = "BALANCE"


def credit_sk(refund_no: str) -> str:
    return f"CREDIT#{refund_no}"


def credit(customer_id: str, refund_no: str, amount: int, refund_id: str, now: datetime) -> bool:
    """Credit once. True if this call credited, False if the refund number was credited before."""
    pk = keys.customer_pk(customer_id)
    put = {
        "Put": {
            "Item": ddb.to_item(
                {
                    "pk": pk,
                    "sk": credit_sk(refund_no),
                    "type": "balance_credit",
                    "customer_id": customer_id,
                    "refund_no": refund_no,
                    "refund_id": refund_id,
                    "amount": amount,
                    "at": iso(now),
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    add = {
        "Update": {
            "Key": ddb.key(pk, BALANCE_SK),
            "UpdateExpression": "ADD balance :a, credits :one SET customer_id = :c, updated_at = :t",
            "ExpressionAttributeValues": ddb.values(
                {":a": amount, ":one": 1, ":c": customer_id, ":t": iso(now)}
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


def credits(customer_id: str) -> list[ddb.Item]:
    return ddb.partition(keys.customer_pk(customer_id), "CREDIT#")
