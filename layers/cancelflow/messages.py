"""Messages between steps (documented in docs/messages.md). Versioned; consumers accept
only versions they know and send the rest to the dead-letter queue. ``consume`` is the queue
consumers' side: one SQS event, record by record, answered with Lambda's partial batch response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, Self

import msgspec
from msgspec import Meta

# (the enum's own module: domain.options would load every eligibility rule with it)
from cancelflow.domain.actions import Action
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason
from cancelflow.store.codec import checked


class _Message(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    def to_json(self) -> str:
        """Checked before it leaves: a message its consumer would refuse fails at the sender."""
        return msgspec.json.encode(checked(self)).decode()

    @classmethod
    def from_json(cls, body: str | bytes) -> Self:
        """Raises ``msgspec.ValidationError`` (a ``ValueError``) for a body that does not fit."""
        return msgspec.json.decode(body, type=cls)


class ReviewMessage(_Message, frozen=True, kw_only=True):
    """Cancel step -> review queue: one request that needs a person."""

    schema_version: Literal[1] = 1
    kind: Literal["cancellation", "rejection_appeal"] = "cancellation"
    request_id: str
    order_id: str
    customer_id: str
    action: Action
    reason_code: Reason
    description: str | None = None
    evidence: tuple[str, ...] = ()
    refund_to: RefundTo = RefundTo.ORIGINAL
    requested_amount: Annotated[int, Meta(ge=1)] | None = None  # partial (appeal/after-sales)
    order_amount: Annotated[int, Meta(ge=0)]
    refundable: Annotated[int, Meta(ge=0)]
    submitted_at: datetime
    rejected_by: str | None = None  # for appeals against a rejection: who may not decide


class RefundMessage(_Message, frozen=True, kw_only=True):
    """Anyone who creates a refund -> refund queue: please execute this refund."""

    schema_version: Literal[1] = 1
    refund_id: str


log = logging.getLogger(__name__)


def consume(event: Mapping[str, Any], handle: Callable[[str], object]) -> dict[str, list[dict[str, str]]]:
    """``handle(body)`` for each record of an SQS event; the answer names every record whose
    handling raised, so SQS retries those alone (and dead-letters them after ``maxReceiveCount``)
    while the rest are deleted. A batch that failed whole is answered the same way: raising
    would count as an error of the function and say nothing about which records to retry.

    (Powertools' BatchProcessor does the same, but it loads asyncio and the data classes of
    every event source it supports, a sixth of a queue consumer's cold start.)"""
    failed: list[dict[str, str]] = []
    for record in event.get("Records") or ():
        try:
            handle(record["body"])
        except Exception:
            log.exception("message %s failed", record.get("messageId"))
            failed.append({"itemIdentifier": str(record.get("messageId"))})
    return {"batchItemFailures": failed}
