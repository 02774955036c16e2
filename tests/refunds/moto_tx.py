"""A faster rollback for moto's in-process TransactWriteItems (tests and benches only).

moto 5 backs up every table a transaction touches with ``copy.deepcopy`` before applying it,
so each transaction costs O(items in the table): a run of thousands of refunds on one table
becomes quadratic. This keeps moto's own transaction code and semantics (conditions, all or
nothing, cancellation reasons) but backs up only the items the transaction names, and puts
exactly those back when it is cancelled. Single-threaded use only (it swaps a module global).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def item_level_rollback() -> Iterator[None]:
    import moto.dynamodb.models as mm
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = mm.DynamoDBBackend.transact_write_items

    class _CopyButNotTables:
        @staticmethod
        def deepcopy(x: Any, memo: Any = None) -> Any:
            return x if isinstance(x, Table) else copy.deepcopy(x, memo)

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, Any, Any, Any]] = []
        for it in transact_items:
            op_type, op = next(iter(it.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op["Item"] if op_type == "Put" else op["Key"]
            hk = DynamoType(key[table.hash_key_attr])
            rk = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hk, rk)
            saved.append((table, hk, rk, copy.deepcopy(current)))
        setattr(mm, "copy", _CopyButNotTables)  # noqa: B010  (swapped for this call only)
        try:
            original(self, transact_items)
        except Exception:
            for table, hk, rk, item in reversed(saved):
                bucket = table.items[hk] if rk is not None else table.items
                slot = rk if rk is not None else hk
                if item is None:
                    bucket.pop(slot, None)
                else:
                    bucket[slot] = item
            raise
        finally:
            setattr(mm, "copy", copy)  # noqa: B010

    mm.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    try:
        yield
    finally:
        mm.DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
