"""What falls due when: the sparse indexes the sweeps read, one page at a time.

``by_due`` holds an item only while something about it can fall due (an unpaid order, a delivered
one until its completion, a refund inside its SLA, a request under review), spread over
``due_shards`` partitions
(``DUE#<KIND>#nn``) so no index partition takes every write (docs/data-model.md). A reader asks
each shard for ``due_at <= now``: the items read are the due items, plus at most one empty page
per shard. ``by_status`` serves the same way for items waiting in a status by time (refunds
whose next attempt is due). Each reader decodes what it reads into its entity's Struct; how a
run pages through the partitions, and what it does with each item, is ``cancelflow.sweeps.due``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from cancelflow.clock import iso
from cancelflow.deferred import lazy
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys
from cancelflow.store.keys import COMPLETION, EXPIRY, REFUND, REVIEW
from cancelflow.store.schema import GSI_DUE, GSI_STATUS

if TYPE_CHECKING:
    from cancelflow.domain.models import Order
    from cancelflow.store import refunds, requests, threads
    from cancelflow.store.orders import reads
else:
    # The entities' modules (and the domain rules they bring: policy, calendar, risk) are
    # imported when a reader first decodes an item, or (``refunds``, ``threads``) when a run
    # names their constants. A sweep run every minute usually finds nothing due, and then
    # pays only for its queries: about 15 ms less of a schedule's cold start.
    refunds = lazy("cancelflow.store.refunds")
    requests = lazy("cancelflow.store.requests")
    threads = lazy("cancelflow.store.threads")
    reads = lazy("cancelflow.store.orders.reads")


T = TypeVar("T")
Start = dict[str, Any] | None  # where a partition's next page starts: opaque, pass it back


class Reader[T](msgspec.Struct, frozen=True):
    """One sparse index range, over its partitions (in the order a run should serve them)."""

    index: str
    key_condition: str  # with ":p" for the partition
    values: dict[str, Any]
    partitions: list[str]
    decode: Callable[[ddb.Item], T]

    def page(self, partition: str, limit: int, start: Start) -> tuple[list[T], Start]:
        """Up to ``limit`` items of one partition from ``start``, decoded; where the next page
        starts (None: the partition is read)."""
        items, last = ddb.query(
            self.index, self.key_condition, {":p": partition, **self.values}, limit=limit, start=start
        )
        return [self.decode(i) for i in items], last


def _rotated(partitions: list[str], now: datetime) -> list[str]:
    """Start each run (a minute apart) at another partition: with a budget smaller than the
    number of partitions, the first ones would otherwise always be served first."""
    k = int(now.timestamp() // 60) % max(1, len(partitions))
    return partitions[k:] + partitions[:k]


def _due[T](kind: str, now: datetime, decode: Callable[[ddb.Item], T]) -> Reader[T]:
    parts = _rotated([keys.due_pk(kind, n) for n in range(get_settings().due_shards)], now)
    return Reader(GSI_DUE, "due_pk = :p AND due_at <= :now", {":now": iso(now)}, parts, decode)


def expiring_orders(now: datetime) -> Reader[Order]:
    """Unpaid orders past their payment deadline (as the index copy has them: a hint)."""
    return _due(EXPIRY, now, lambda item: reads.of_item(item))


def completing_orders(now: datetime) -> Reader[Order]:
    """Delivered orders whose confirmation window has ended (as the index copy has them: a
    hint; ``orders.complete_due`` writes conditionally)."""
    return _due(COMPLETION, now, lambda item: reads.of_item(item))


def overdue_refunds(now: datetime) -> Reader[refunds.Refund]:
    """Refunds past their SLA and not yet flagged (the index copy)."""
    return _due(REFUND, now, lambda item: refunds.decode(item))


def due_reviews(now: datetime) -> Reader[requests.Request]:
    """Requests whose review (or whose customer's answer) is due (the index copy)."""
    return _due(REVIEW, now, lambda item: requests.of_item(item))


def due_threads(now: datetime) -> Reader[threads.Thread]:
    """Conversations whose answer from support is overdue (the index copy: a hint)."""
    return _due(threads.THREAD, now, lambda item: threads.decode(item))


def _waiting[T](
    kind: str, statuses: tuple[str, ...], before: datetime, decode: Callable[[ddb.Item], T]
) -> Reader[T]:
    n = get_settings().status_shards
    parts = _rotated([keys.status_pk(kind, st, i) for st in statuses for i in range(n)], before)
    # "~" sorts after every id character, so "<time>#~" bounds every key stamped at <time>.
    return Reader(GSI_STATUS, "status_pk = :p AND status_sk <= :b", {":b": f"{iso(before)}#~"}, parts, decode)


def refunds_waiting(statuses: tuple[str, ...], before: datetime) -> Reader[refunds.Refund]:
    """Refunds in ``statuses`` whose next attempt time is at or before ``before``."""
    return _waiting("REFUND", statuses, before, lambda item: refunds.decode(item))
