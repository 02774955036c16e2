"""The refund API's own request bodies and answers (``functions/refund/api.py``): the ones no
use case returns itself (those are in ``refunds.views``, ``stock.views``, ``cancel.views``).

A module of its own so that the API function imports it when a route that names one of them is
first registered (``cancelflow.deferred.lazy``), not at every cold start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from cancelflow.cancel.views import PlatformOrderOut
from cancelflow.domain.products import Channel
from cancelflow.domain.quarantine import MAX_REASON
from cancelflow.domain.support import MAX_NOTE, Restock, StaffCancelReason
from cancelflow.http.fields import ExternalId, Fen, FreeText, Model
from cancelflow.http.params import REFUND_ID_PATTERN
from cancelflow.refunds.views import RefundOut

# A reference as the outside payment names it (a bank transfer's serial, a provider order number).
REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$"


class SwitchIn(Model):
    model_config = ConfigDict(extra="forbid")
    consent: str = Field(
        pattern=REFERENCE, description="where the customer's agreement is recorded (a ticket, a call id)"
    )
    note: FreeText = Field(min_length=1, max_length=500)


class ManualRefundIn(Model):
    model_config = ConfigDict(extra="forbid")
    amount: Fen = Field(description="fen paid outside the system")
    channel: Literal[Channel.ALIPAY, Channel.WECHAT_PAY, Channel.BANK_CARD] = Field(
        description="how the money went (a balance credit goes through the ledger, never here)"
    )
    reference: str = Field(
        pattern=REFERENCE, description="the outside payment's reference: one record per reference"
    )
    note: FreeText = Field(min_length=1, max_length=500)
    replaces_refund_id: str | None = Field(
        default=None,
        pattern=REFUND_ID_PATTERN,
        description="the open refund (needs_attention, needs_customer_action, failed) it pays instead",
    )


class ManualRefundOut(Model):
    order_id: str
    replayed: bool = Field(description="true: this reference was recorded before; nothing changed")
    refunds: list[RefundOut]


class SettleIn(Model):
    model_config = ConfigDict(extra="forbid")
    reason: FreeText = Field(
        min_length=1, max_length=MAX_REASON, description="why: kept with who decided in the order's history"
    )


class LostPaymentIn(Model):
    model_config = ConfigDict(extra="forbid")
    payment_id: ExternalId = Field(description="the provider's trade reference")
    amount: Fen = Field(description="fen, a JSON integer")
    channel: Channel
    note: FreeText = Field(
        min_length=1, max_length=MAX_NOTE, description="what support checked: kept in the order's history"
    )


class StaffCancelIn(Model):
    model_config = ConfigDict(extra="forbid")
    reason: StaffCancelReason
    note: FreeText = Field(min_length=1, max_length=MAX_NOTE, description="why: kept in the order's history")
    restock: Restock = Field(
        description="stock: keys back on sale (quarantined if delivery started); void: never sold again"
    )


class StaffCancelOut(Model):
    model_config = ConfigDict(frozen=True)
    order: PlatformOrderOut
    refund_ids: list[str] = Field(description="the refunds of a paid order, in full; none if unpaid")
