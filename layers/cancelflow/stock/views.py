"""Card keys and stock counts as support sees them over HTTP: ids, states, orders and times,
never a key's secret code."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field

from cancelflow.cancel.views import cst_of
from cancelflow.domain.calendar import CST_DESCRIPTION
from cancelflow.http.fields import Model
from cancelflow.store.stock import KeyStatus, StockKey


class StockKeyOut(Model):
    product_id: str
    key_id: str
    status: KeyStatus
    order_id: str | None = Field(
        default=None, description="quarantined or voided: the cancelled order it came from"
    )
    quarantined_at: datetime | None = Field(default=None, description="since when it is quarantined")
    quarantined_at_cst: str | None = Field(default=None, description=CST_DESCRIPTION)
    voided_at: datetime | None = None

    @classmethod
    def of(cls, key: StockKey) -> Self:
        return cls(
            product_id=key.product_id,
            key_id=key.key_id,
            status=key.status,
            order_id=key.order_id,
            quarantined_at=key.quarantined_at,
            quarantined_at_cst=cst_of(key.quarantined_at),
            voided_at=key.voided_at,
        )


class QuarantinePage(Model):
    """One page of a list, in the shape every list of the API has."""

    items: list[StockKeyOut]
    next_cursor: str | None = Field(
        default=None, description="pass as ?cursor= for the next page (opaque; none: the last page)"
    )


class StockCounts(Model):
    """A product's keys by status: every key is exactly one of these."""

    available: int
    reserved: int
    quarantined: int = Field(description="out of stock until support releases or voids them")
    delivered: int
    voided: int


class StockOut(Model):
    product_id: str
    stock: StockCounts
