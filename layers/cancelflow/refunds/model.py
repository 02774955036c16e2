"""What a provider can answer about a refund, and which states the refund step acts from.

The refund itself (``Refund``, ``RefundStatus``) is defined once, in ``cancelflow.store.refunds``;
``RefundStatus`` is re-exported here for the modules that import it from here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from cancelflow.store.refunds import RefundStatus

__all__ = ["CLAIMABLE", "RETRYABLE", "Outcome", "ProviderResult", "RefundStatus"]

# States the worker may claim from (processing only once its lease has run out).
CLAIMABLE = frozenset({RefundStatus.PENDING, RefundStatus.FAILED, RefundStatus.PROCESSING})
# States support may hand back to the worker.
RETRYABLE = frozenset({RefundStatus.FAILED, RefundStatus.NEEDS_ATTENTION, RefundStatus.NEEDS_CUSTOMER_ACTION})


class Outcome(StrEnum):
    """What a provider call told us, already mapped from each provider's vocabulary."""

    SUCCEEDED = "succeeded"  # the money has moved (or the ledger is credited)
    PENDING = "pending"  # accepted, result comes later (callback or poll)
    NOT_FOUND = "not_found"  # query: the provider never took this refund number
    UNKNOWN = "unknown"  # timeout, 5xx, unknown result: may or may not have been taken
    RETRYABLE = "retryable"  # refused without paying (merchant balance, rate limit): try later
    ACCOUNT_CLOSED = "account_closed"  # destination cannot receive: the customer must act
    FINAL_FAILURE = "final_failure"  # refused for good (e.g. closed by the provider): a person looks


class ProviderResult(msgspec.Struct, frozen=True):
    """What a payment provider answered about one refund."""

    outcome: Outcome
    provider_status: str | None = None  # the provider's own word, kept for support
    provider_ref: str | None = None  # the provider's id of the refund
    error: str | None = None  # the provider's error code, never a credential
    # when the money moves: the acquirer's expected settlement while pending; with SUCCEEDED,
    # when it moved, in the provider's word (Alipay gmt_refund_pay, WeChat success_time, the
    # acquirer's settle_at), which the refund keeps as ``settled_at`` for disputes
    settle_at: datetime | None = None
