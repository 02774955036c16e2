"""A refund as the refund step sees it, and what a provider can answer about one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cancelflow.domain.products import Channel


class RefundStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retried with backoff
    NEEDS_ATTENTION = "needs_attention"  # manual: support retries or settles it
    NEEDS_CUSTOMER_ACTION = "needs_customer_action"  # e.g. destination account closed


# States the worker may claim from (processing only once its lease has run out).
CLAIMABLE = frozenset({RefundStatus.PENDING, RefundStatus.FAILED, RefundStatus.PROCESSING})
# States support may hand back to the worker.
RETRYABLE = frozenset({RefundStatus.FAILED, RefundStatus.NEEDS_ATTENTION, RefundStatus.NEEDS_CUSTOMER_ACTION})


class Refund(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    refund_id: str
    refund_no: str  # the provider's idempotency key, fixed at creation
    order_id: str
    customer_id: str
    payment_id: str | None = None
    paid_amount: int = 0
    amount: int = Field(ge=1)
    currency: str = "CNY"
    channel: Channel
    reason: str
    status: RefundStatus
    version: int = Field(ge=1)
    attempts: int = 0  # claims so far
    failures: int = 0  # consecutive failed attempts (backoff and needs_attention count these)
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    lease_until: datetime | None = None
    sla_due_at: datetime
    overdue: bool = False
    provider_status: str | None = None  # last word of the provider ("accepted", "SUCCESS", ...)
    # The provider accepted it and the result is to come: polls only query, so they need no claim.
    awaiting_provider: bool = False
    polls: int = 0  # queries while awaiting (the poll interval grows with them)
    provider_ref: str | None = None
    last_error: str | None = None
    succeeded_at: datetime | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Refund:
        return cls.model_validate(item)


class Outcome(StrEnum):
    """What a provider call told us, already mapped from each provider's vocabulary."""

    SUCCEEDED = "succeeded"  # the money has moved (or the ledger is credited)
    PENDING = "pending"  # accepted, result comes later (callback or poll)
    NOT_FOUND = "not_found"  # query: the provider never took this refund number
    UNKNOWN = "unknown"  # timeout, 5xx, unknown result: may or may not have been taken
    RETRYABLE = "retryable"  # refused without paying (merchant balance, rate limit): try later
    ACCOUNT_CLOSED = "account_closed"  # destination cannot receive: the customer must act
    FINAL_FAILURE = "final_failure"  # refused for good (e.g. closed by the provider): a person looks


@dataclass(frozen=True)
class ProviderResult:
    outcome: Outcome
    provider_status: str | None = None  # the provider's own word, kept for support
    provider_ref: str | None = None  # the provider's id of the refund
    error: str | None = None  # the provider's error code, never a credential
    settle_at: datetime | None = None  # bank card: expected settlement
