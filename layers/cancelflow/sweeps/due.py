"""Reading what falls due, and nothing else, bounded per run.

The sparse ``by_due`` index holds an item only while something about it can fall due
(an unpaid order, a refund inside its SLA, a request under review), spread over
``due_shards`` partitions (``DUE#<KIND>#nn``) so no index partition takes every write
(ARCHITECTURE.md, "Planning for internet scale"). A sweep queries each shard with
``due_at <= now``: the items read are the due items, plus at most one empty page per shard.

Shards are read in fair slices (``budget / shards`` each, then what is left to the shards
that had more), so a flash sale filling one shard cannot starve the others. Nothing is
remembered between runs: an item acted on leaves the range (its due attributes are removed
or moved on), so the next run starts at the top again and finds exactly what is left.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cancelflow.clock import iso
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys
from cancelflow.store.schema import GSI_DUE, GSI_STATUS

EXPIRY, REFUND, REVIEW = "EXPIRY", "REFUND", "REVIEW"


@dataclass
class Tally:
    """What one run did: index reads and what came of each item (for logs, metrics, bench)."""

    requests: int = 0  # index queries made
    items_read: int = 0  # items those queries returned
    done: int = 0  # acted on by this run
    lost: int = 0  # another run (or the owner) changed it first: skipped, not lost
    skipped: int = 0  # read but nothing to do (e.g. no longer due once re-read)
    failed: int = 0  # could not be acted on (logged); stays due for the next run
    exhausted: bool = False  # True when the budget ran out before the index did
    ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "ids"}


def _rotated(partitions: list[str], now: datetime) -> list[str]:
    """Start each run (a minute apart) at another partition: with a budget smaller than the
    number of partitions, the first ones would otherwise always be served first."""
    k = int(now.timestamp() // 60) % max(1, len(partitions))
    return partitions[k:] + partitions[:k]


def _slices(
    partitions: list[str], key_condition: str, vals: dict[str, Any], index: str, budget: int, tally: Tally
) -> Iterator[ddb.Item]:
    quota = max(1, math.ceil(budget / max(1, len(partitions))))
    starts: dict[str, dict[str, Any] | None] = {p: None for p in partitions}
    open_ = list(partitions)
    left = budget
    while open_ and left > 0:
        for part in list(open_):
            items, last = ddb.query(
                index, key_condition, {":p": part, **vals}, limit=min(quota, left), start=starts[part]
            )
            tally.requests += 1
            tally.items_read += len(items)
            left -= len(items)
            yield from items
            if last is None:
                open_.remove(part)
            else:
                starts[part] = last
            if left <= 0:
                break
    tally.exhausted = bool(open_)


def due(kind: str, now: datetime, tally: Tally, budget: int | None = None) -> Iterator[ddb.Item]:
    """Items of ``kind`` whose ``due_at`` has come, at most ``budget`` (settings.sweep_max_items)."""
    s = get_settings()
    parts = _rotated([keys.due_pk(kind, n) for n in range(s.due_shards)], now)
    yield from _slices(
        parts,
        "due_pk = :p AND due_at <= :now",
        {":now": iso(now)},
        GSI_DUE,
        budget or s.sweep_max_items,
        tally,
    )


def waiting(
    kind: str, statuses: tuple[str, ...], before: datetime, tally: Tally, budget: int | None = None
) -> Iterator[ddb.Item]:
    """Items in the sparse by-status index (``<KIND>#<status>#nn``) whose sort key
    (``<time>#<id>``) is at or before ``before``: e.g. refunds whose next attempt is due."""
    s = get_settings()
    parts = _rotated([keys.status_pk(kind, st, n) for st in statuses for n in range(s.status_shards)], before)
    # "~" sorts after every id character, so "<time>#~" bounds every key stamped at <time>.
    bound = f"{iso(before)}#~"
    yield from _slices(
        parts,
        "status_pk = :p AND status_sk <= :b",
        {":b": bound},
        GSI_STATUS,
        budget or s.sweep_max_items,
        tally,
    )
