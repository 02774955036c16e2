"""Messages between steps (documented in docs/messages.md). Versioned; consumers accept
only versions they know and send the rest to the dead-letter queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cancelflow.domain.options import Action
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import Reason


class ReviewMessage(BaseModel):
    """Cancel step -> review queue: one request that needs a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)
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
    requested_amount: int | None = Field(default=None, ge=1)  # partial (appeal/after-sales)
    order_amount: int = Field(ge=0)
    refundable: int = Field(ge=0)
    submitted_at: datetime
    rejected_by: str | None = None  # for appeals against a rejection: who may not decide


class RefundMessage(BaseModel):
    """Anyone who creates a refund -> refund queue: please execute this refund."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1] = 1
    refund_id: str
