"""Reading an order's partition for its customer: the order, its history and its requests share
a partition, so one Query reads them all; the refunds the history names are one BatchGetItem."""

from __future__ import annotations

from cancelflow.domain.models import Order
from cancelflow.errors import DomainError
from cancelflow.store import ddb, keys
from cancelflow.store.codec import decode
from cancelflow.usecases.views import RefundSummary


def read(order_id: str, customer_id: str) -> tuple[Order, list[ddb.Item], list[ddb.Item]]:
    """(order, history entries in time order, requests); another customer's order is not found."""
    items = list(ddb.query_all(None, "pk = :p", {":p": keys.order_pk(order_id)}))
    raw = next((i for i in items if i["sk"] == keys.ORDER), None)
    if raw is None or raw.get("customer_id") != customer_id:
        raise DomainError("ORDER_NOT_FOUND", {"order_id": order_id})
    history = [i for i in items if i["sk"].startswith("HIST#")]
    reqs = [i for i in items if i["sk"].startswith("REQ#")]
    return decode(Order, raw), history, reqs


def refunds(history: list[ddb.Item]) -> list[RefundSummary]:
    ids = list(
        dict.fromkeys(
            str(h["detail"]["refund_id"])
            for h in history
            if isinstance(h.get("detail"), dict) and h["detail"].get("refund_id")
        )
    )
    if not ids:
        return []
    found = ddb.batch_get([(keys.refund_pk(r), "REFUND") for r in ids])
    out = [found[(keys.refund_pk(r), "REFUND")] for r in ids if (keys.refund_pk(r), "REFUND") in found]
    return [RefundSummary.model_validate(r) for r in out]
