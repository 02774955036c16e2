"""moto as a faithful (and fast enough) DynamoDB for sweep tests and the sweep bench.

Two things moto 5 in-process does differently from the service, fixed here for the service's
guarantees, not for our code's benefit:
1. It checks a condition and writes in Python without a lock, so threads can interleave
   between the two, and a read can copy an item while another thread updates it in place;
   DynamoDB applies every write atomically. Requests are serialised here (the same
   reasoning as tests/review/conftest.py).
2. ``TransactWriteItems`` deep-copies every table it touches to roll back on failure: a
   transaction costs O(table size) (1.7 s at 5,000 items here), which makes 500-order overlap
   tests and a 50,000-order bench impossible. Here the rollback keeps only the items the
   transaction names (and the stream records it appended), which is what a rollback needs.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOCK = threading.RLock()


class _TablesAsIs:
    """Stands in for ``copy`` inside moto's backend module: tables are not copied (the
    wrapper below snapshots the named items instead); anything else is copied as before."""

    @staticmethod
    def deepcopy(x: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return x if isinstance(x, Table) else copy.deepcopy(x, memo)


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[Callable[[], None]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    undo: list[Callable[[], None]] = []
    shards: dict[str, Any] = {}
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        source = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in source:
            continue
        h = DynamoType(source[table.hash_key_attr])
        r = DynamoType(source[table.range_key_attr]) if table.range_key_attr in source else None
        old = copy.deepcopy(table.items.get(h, {}).get(r) if r is not None else table.items.get(h))

        def restore(table: Any = table, h: Any = h, r: Any = r, old: Any = old) -> None:
            if r is None:
                if old is None:
                    table.items.pop(h, None)
                else:
                    table.items[h] = old
            elif old is None:
                table.items[h].pop(r, None)
            else:
                table.items[h][r] = old

        undo.append(restore)
        if table.stream_shard is not None:
            shards[table.name] = table.stream_shard
    for shard in shards.values():

        def truncate(shard: Any = shard, n: int = len(shard.items)) -> None:
            del shard.items[n:]  # drop the stream records of writes that were rolled back

        undo.append(truncate)
    return undo


@contextmanager
def faithful_moto() -> Iterator[None]:
    """Patch moto's DynamoDB backend for the duration (use inside or around ``mock_aws``)."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend

    saved = {
        n: getattr(DynamoDBBackend, n)
        for n in ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "batch_get_item")
    }
    original_tx = DynamoDBBackend.transact_write_items

    def locked(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def run(self: Any, *a: Any, **kw: Any) -> Any:
            with LOCK:
                return f(self, *a, **kw)

        return run

    @functools.wraps(original_tx)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with LOCK:
            undo = _snapshot(self, transact_items)
            try:
                original_tx(self, transact_items)
            except Exception:
                for step in reversed(undo):
                    step()
                raise

    models_copy = models.copy  # type: ignore[attr-defined]
    try:
        for n, f in saved.items():
            setattr(DynamoDBBackend, n, locked(f))
        DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
        models.copy = _TablesAsIs  # type: ignore[attr-defined,assignment]
        yield
    finally:
        for n, f in saved.items():
            setattr(DynamoDBBackend, n, f)
        DynamoDBBackend.transact_write_items = original_tx  # type: ignore[method-assign]
        models.copy = models_copy  # type: ignore[attr-defined]
