"""Messages between steps (documented in docs/messages.md). Versioned; consumers accept
only versions they know and send the rest to the dead-letter queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

import msgspec
from msgspec import Meta

from cancelflow.domain.options import Action
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
