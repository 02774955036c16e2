"""The publisher's second duty: the customer's notice for a history entry that must be told
(``inbox.notices``), stored in their inbox and announced as ``customer.notified`` so the
platform can relay it (docs/events.md). A notice is keyed by its entry, so a record delivered
again stores nothing new and announces the same ``event_id``."""

from __future__ import annotations

import logging

from cancelflow.clock import iso
from cancelflow.events.catalogue import CustomerNotified
from cancelflow.events.outbox import DomainEvent
from cancelflow.inbox import texts
from cancelflow.inbox.notices import kind_of, made
from cancelflow.store import inbox as store
from cancelflow.store.history import Entry

log = logging.getLogger(__name__)


class Customers:
    """Whose order each entry is, read once per order per batch (a batch is mostly few orders)."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}

    def of(self, order_id: str) -> str | None:
        if order_id not in self._known:
            self._known[order_id] = store.customer_of(order_id)
        return self._known[order_id]


def notify(entry: Entry, customers: Customers) -> DomainEvent | None:
    """Store the entry's notice, if it makes one, and the event that announces it. Raises when
    the store fails (the record is retried)."""
    kind = kind_of(entry)
    if kind is None:
        return None  # (no read for entries that tell nobody)
    customer_id = customers.of(entry.order_id)
    if customer_id is None:
        log.error("no order %s for the notice of %s", entry.order_id, entry.entry_id)
        return None
    notice = made(entry, customer_id, kind)
    store.put(notice)
    title_zh, body_zh = texts.text(notice, "zh-CN")
    title_en, body_en = texts.text(notice, "en")
    detail = CustomerNotified(
        event_id=notice.notice_id,
        occurred_at=iso(entry.at),
        order_id=entry.order_id,
        actor=entry.actor,
        actor_id=entry.actor_id,
        reason=entry.reason,
        customer_id=customer_id,
        notice_id=notice.notice_id,
        kind=notice.kind.value,
        request_id=notice.request_id,
        refund_id=notice.refund_id,
        title_zh=title_zh,
        body_zh=body_zh,
        title_en=title_en,
        body_en=body_en,
    )
    return DomainEvent("customer.notified", detail)
