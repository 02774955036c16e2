"""The append-only history of an order: one item per change, never updated or deleted.

It is also the outbox: each entry names its ``event`` and the stream publisher turns entries
into domain events (docs/events.md), so a state change and its event are one write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.store import ddb, keys
from cancelflow.store.codec import plain


def history_sk(at: datetime, suffix: str) -> str:
    """Time-ordered; ``suffix`` makes it unique (``v000003`` for order versions)."""
    return f"HIST#{iso(at)}#{suffix}"


def entry_put(
    order_id: str,
    *,
    at: datetime,
    suffix: str,
    event: str,
    actor: str,
    actor_id: str,
    reason: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Put that only succeeds once for this entry (so a replay cannot append twice)."""
    sk = history_sk(at, suffix)
    return {
        "Put": {
            "Item": ddb.to_item(
                {
                    "pk": keys.order_pk(order_id),
                    "sk": sk,
                    "type": "history",
                    "order_id": order_id,
                    "entry_id": f"{order_id}:{sk}",
                    "at": iso(at),
                    "event": event,
                    "actor": actor,
                    "actor_id": actor_id,
                    "reason": reason,
                    "from_status": from_status,
                    "to_status": to_status,
                    "detail": plain(detail or {}),
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def timeline(order_id: str) -> list[ddb.Item]:
    return ddb.partition(keys.order_pk(order_id), "HIST#")
