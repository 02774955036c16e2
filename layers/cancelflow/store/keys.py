"""Key shapes of the single table (docs/data-model.md is the prose for these)."""

from __future__ import annotations

import zlib
from datetime import date

ORDER = "ORDER"
PRODUCT = "PRODUCT"
PROFILE = "PROFILE"


def shard(identifier: str, shards: int) -> int:
    """A stable shard for an id (crc32, so every process agrees)."""
    return zlib.crc32(identifier.encode()) % shards


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def history_sk(seq: int) -> str:
    return f"HIST#{seq:06d}"


def request_sk(request_id: str) -> str:
    return f"REQ#{request_id}"


def product_pk(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def stock_key_sk(key_id: str) -> str:
    return f"KEY#{key_id}"


def stock_pk(product_id: str, shard_no: int) -> str:
    return f"AVAIL#{product_id}#{shard_no:02d}"


def customer_pk(customer_id: str) -> str:
    return f"CUSTOMER#{customer_id}"


def inbox_pk(customer_id: str) -> str:
    """A customer's inbox (store/inbox.py): apart from CUSTOMER#, so the publisher, which writes
    notices, may be allowed these partitions and no other (infra/access.py)."""
    return f"INBOX#{customer_id}"


def day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def payment_pk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


def refund_pk(refund_id: str) -> str:
    return f"REFUND#{refund_id}"


def task_pk(task_id: str) -> str:
    return f"TASK#{task_id}"


# The sparse due index's kinds: what each writer files an item under and each sweep's reader
# asks for (store.due); conversations file theirs under store.threads.THREAD.
EXPIRY = "EXPIRY"  # unpaid orders, by their payment deadline
COMPLETION = "COMPLETION"  # delivered orders, by their confirmation window's end
REFUND = "REFUND"  # refunds, by their SLA
REVIEW = "REVIEW"  # requests, by their review's (or the customer's answer's) due time


def due_pk(kind: str, shard_no: int) -> str:
    """Sparse due-time index partitions: ``DUE#EXPIRY#03`` etc. (the kinds above, THREAD)."""
    return f"DUE#{kind}#{shard_no:02d}"


def status_pk(kind: str, status: str, shard_no: int | None = None) -> str:
    return f"{kind}#{status}" if shard_no is None else f"{kind}#{status}#{shard_no:02d}"
