"""Sweep fixtures: request counting (moto is faithful in every ``aws`` fixture)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest


class Requests:
    """DynamoDB requests made through the shared client, and items each Query returned."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.query_items = 0
        # A sweep queries its shards from several threads: `+=` is a read and a write, and two
        # threads between them lose one count (CI once saw 17 of 20 items read).
        self._lock = threading.Lock()

    def __call__(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1
            if model.name == "Query":
                self.query_items += int(parsed.get("Count", 0))

    def reset(self) -> None:
        self.calls.clear()
        self.query_items = 0


@pytest.fixture
def ddb_requests(aws: dict[str, str]) -> Iterator[Requests]:
    from cancelflow import aws as clients

    counter = Requests()
    events = clients.dynamodb().meta.events
    events.register("after-call.dynamodb", counter)
    yield counter
    events.unregister("after-call.dynamodb", counter)
