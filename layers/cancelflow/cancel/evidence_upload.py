"""A customer asks for a short-lived upload of one evidence image for their order.
Integrations: DynamoDB (the order, to check it is theirs), S3 (presign: no request)."""

from __future__ import annotations

from datetime import datetime

from cancelflow import evidence
from cancelflow.settings import get_settings
from cancelflow.store import orders


def start_upload(customer_id: str, order_id: str, content_type: str, now: datetime) -> evidence.Upload:
    order = orders.require_order(order_id, customer_id)  # another customer's order: not found
    rules = get_settings().policies.for_order(order).evidence
    return evidence.presign_upload(customer_id, order_id, content_type, rules, now)
