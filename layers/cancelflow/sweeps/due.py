"""Working through what falls due, bounded per run. What is due, and how it is read and
decoded, is the store's (``cancelflow.store.due``: the sparse ``by_due`` and ``by_status``
indexes, one partition per shard); this module only decides how much of it a run takes.

A run is bounded twice: by items (``sweep_max_items``) and by time (the Lambda's remaining
time less a margin, given by the handler). Shards are worked in parallel
(``sweep_workers`` threads, each paging through one shard at a time in slices of
``budget / shards``), so a flash sale drains at many times one thread's rate and one full
shard cannot take the whole budget; each run starts at another shard. Nothing is remembered
between runs: an item acted on leaves the range (its due attributes are removed or moved
on), so the next run starts at the top again and finds exactly what is left.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import msgspec

from cancelflow.settings import get_settings
from cancelflow.store.due import Reader, Start

__all__ = ["Budget", "Reader", "Tally", "run", "stop_time"]

T = TypeVar("T")


class Tally(msgspec.Struct):
    """What one run did: index reads and what came of each item (for logs, metrics, bench).
    Counted under a lock: shards are worked by several threads."""

    requests: int = 0  # index queries made
    items_read: int = 0  # items those queries returned
    done: int = 0  # acted on by this run
    lost: int = 0  # lost its race: another run (or the owner) changed it first; done elsewhere
    contended: int = 0  # still due after every attempt was refused: stays due for the next run
    skipped: int = 0  # read but nothing to do (e.g. no longer due once re-read)
    failed: int = 0  # could not be acted on (logged); stays due for the next run
    exhausted: bool = False  # the budget (items or time) ran out before the index did
    ids: list[str] = msgspec.field(default_factory=list)  # what this run acted on
    _lock: threading.Lock = msgspec.field(default_factory=threading.Lock)

    def add(self, what: str, n: int = 1, ident: str | None = None) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + n)
            if ident is not None:
                self.ids.append(ident)

    def summary(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__struct_fields__ if k not in ("ids", "_lock")}


class Budget(msgspec.Struct):
    """Items left to read this run, and the monotonic time after which no page is started.

    A page's items are taken before it is read and what it did not use is given back once it
    is (``settle``). A worker that finds nothing left while pages of other workers are still in
    flight waits for them to settle instead of ending its shard: what they give back is still
    this run's to read. (Ending there stopped a run with its budget unspent and a shard's tail
    unread; two overlapping runs could both stop so, leaving that tail to the next run.)"""

    left: int
    stop_at: float | None = None
    held: int = 0  # taken by pages in flight, not yet settled
    waiting: int = 0  # workers waiting for those pages to settle
    _cond: threading.Condition = msgspec.field(default_factory=threading.Condition)

    def take(self, n: int) -> int:
        """Up to ``n`` items for the next page; 0 once the budget is spent (nothing left and
        nothing in flight) or the time is up."""
        with self._cond:
            while True:
                wait = None if self.stop_at is None else self.stop_at - time.monotonic()
                if wait is not None and wait <= 0:
                    return 0
                if self.left > 0:
                    k = min(n, self.left)
                    self.left -= k
                    self.held += k
                    return k
                if self.held == 0:
                    return 0
                self.waiting += 1
                try:
                    self._cond.wait(wait)
                finally:
                    self.waiting -= 1

    def settle(self, taken: int, used: int) -> None:
        """A page that took ``taken`` items was read and returned ``used``: the rest is back."""
        with self._cond:
            self.held -= taken
            self.left += taken - used
            self._cond.notify_all()


def run[T](
    reader: Reader[T],
    act: Callable[[T], None],
    tally: Tally,
    budget: int | None = None,
    stop_at: float | None = None,
) -> Tally:
    """Page through every partition (in parallel), handing each item to ``act``, until the
    index is read or the budget (items, time) is spent."""
    s = get_settings()
    left = Budget(budget or s.sweep_max_items, stop_at)
    page = max(1, math.ceil(left.left / max(1, len(reader.partitions))))

    def drain(part: str) -> None:
        start: Start = None
        while True:
            want = left.take(page)
            if want == 0:
                tally.exhausted = True  # items (or time) left over for the next run
                return
            try:
                items, last = reader.page(part, want, start)
            except BaseException:
                left.settle(want, 0)  # nothing read: what it took is back (no worker waits forever)
                raise
            left.settle(want, len(items))
            tally.add("requests")
            tally.add("items_read", len(items))
            for item in items:
                act(item)
            if last is None:
                return
            start = last

    workers = min(s.sweep_workers, len(reader.partitions))
    if workers <= 1:
        for part in reader.partitions:
            drain(part)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
            for f in [pool.submit(drain, p) for p in reader.partitions]:
                f.result()  # re-raise what a worker raised
    return tally


MARGIN_SECONDS = 10.0  # time kept for finishing the items in hand and flushing metrics


def stop_time(context: Any, margin: float = MARGIN_SECONDS) -> float | None:
    """The monotonic time after which a run starts no new page: the Lambda's remaining time
    less a margin, so a run ends by itself instead of timing out with work half reported."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = float(remaining()) / 1000
    return time.monotonic() + seconds - min(margin, seconds / 5)  # short timeouts keep 80 %
