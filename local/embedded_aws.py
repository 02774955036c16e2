"""moto's server mode, made safe for a runtime that serves many requests at once.

Three things about moto 5 matter once handlers, pollers and schedules call it concurrently:

1. Its DynamoDB backend is not thread-safe (a query iterating a table while another request
   writes it can fail), and ``TransactWriteItems`` rolls back by restoring a copy of the whole
   table taken before the transaction, which would silently undo another request's write made
   in between. DynamoDB requests are therefore served one at a time (a lock around them in the
   WSGI app); SQS, S3 and the rest stay concurrent (an SQS long poll must not stall a write).
2. That copy of the whole table is a ``deepcopy`` per transaction: about 75 ms at 500 items and
   2 s at 3,000 here, so the runtime slowed down as its table grew. ``transact_write_items`` is
   replaced by DynamoDB's own semantics without the copy: every condition is evaluated against
   the state before the transaction (an item may appear once, so this is what the service
   does); if any fails nothing is written and the reasons are reported per item; otherwise
   the writes are applied, with a copy of just the touched items to undo a write that fails
   validation half-way (and the stream records it produced).
3. Every query (by partition key or on an index) sorts the whole table first (``all_items``):
   queries get the candidate items instead (``_fast_query``), same results, same order.

The local runtime's process takes the replacements for good (``patch_transactions``); tests
and benches running moto in-process (``mock_aws``) take all three for a block with
``faithful_dynamodb()``, where a lock around the backend's entry points does the middleware's job.
Those entry points hand back a copy of the item they read or wrote: moto renders the answer
outside the backend (a ``BatchGetItem`` describes each item after ``get_item`` returned), and the
stored item itself would be updated in place meanwhile by another thread's write (seen as a
``RuntimeError`` from a batch read of a risk counter racing its increment).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SerialDynamoDB:
    """WSGI middleware: DynamoDB (and DynamoDB Streams) requests one at a time."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith("DynamoDB"):
            with self.lock:
                # materialise the body inside the lock: the work happens while it is produced
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class EmbeddedAws(ThreadedMotoServer):
    """``ThreadedMotoServer`` with the DynamoDB lock, and a failed bind reported, not hung on."""

    def __init__(self, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.error: BaseException | None = None

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        try:
            app = _SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
        except BaseException as e:
            self.error = e
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        super().start()
        if self.error is not None:
            raise self.error


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDBBackend.transact_write_items without the whole-table copy (see the module doc)."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    plan: list[tuple[str, dict[str, Any], Any, dict[str, Any]]] = []  # (op type, op, table, key)
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table = self.get_table(op["TableName"])
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        marker = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if marker in seen:
            raise MultipleTransactionsException()
        seen.add(marker)
        plan.append((op_type, op, table, key))
        current = self.get_item(op["TableName"], key)
        cond = op.get("ConditionExpression")
        if cond is not None and not get_filter_expression(
            cond, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        ).expr(current):
            old = (
                current.to_json()["Attributes"]
                if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
                else None
            )
            errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # All conditions hold: apply. Undo information: the touched items and each stream's length.
    backups = [(table, key, copy.deepcopy(self.get_item(op["TableName"], key))) for _, op, table, key in plan]
    streams = {id(t): (t, len(t.stream_shard.items)) for _, _, t, _ in plan if t.stream_shard is not None}
    try:
        for op_type, op, _table, key in plan:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(
                    op["TableName"],
                    op["Item"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values
                )
            elif op_type == "Update":
                self.update_item(
                    op["TableName"],
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
    except Exception:
        for table, key, before in reversed(backups):
            h, r = self.get_keys_value(table, key)
            if before is None:
                (table.items[h].pop(r, None) if r is not None else table.items.pop(h, None))
            elif r is not None:
                table.items[h][r] = before
            else:
                table.items[h] = before
        for table, length in streams.values():
            del table.stream_shard.items[length:]
        raise


def _fast_query(original: Callable[..., Any]) -> Callable[..., Any]:
    """Table.query that hands moto only the candidate items instead of ``all_items()``.

    moto's query filters ``all_items()``, which sorts every item of the table, on every query
    (the table's own partition key included). The candidates are the same items, in the same
    order: for a table query, the partition's items; for an index query on one partition-key
    value, the items with that value; moto then filters, sorts and pages them as before.
    """

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions") or []
        candidates: list[Any] | None = None
        if not index_name and hash_key is not None:
            bucket = self.items.get(hash_key)  # a defaultdict: .get does not create
            candidates = [] if bucket is None else list(bucket.values()) if self.range_key_attr else [bucket]
        elif index_name and len(conditions) == 1:
            attr, value = conditions[0]
            every = (i for b in self.items.values() for i in (b.values() if self.range_key_attr else [b]))
            candidates = [i for i in every if (v := i.attrs.get(attr)) is not None and v == value]
        if candidates is None:
            return original(self, hash_key, *args, **kwargs)
        candidates.sort(key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        self.all_items = lambda: candidates  # shadows the method for this call (under the lock)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query.candidates_first = True  # type: ignore[attr-defined]  # (so it is never wrapped twice)
    return query


def _replacements() -> list[tuple[type, str, Any]]:
    """(owner, attribute, replacement) for the lean transaction and the candidate query."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    out: list[tuple[type, str, Any]] = [(DynamoDBBackend, "transact_write_items", _transact_write_items)]
    if not getattr(Table.query, "candidates_first", False):
        out.append((Table, "query", _fast_query(Table.query)))
    return out


_patched = False


def patch_transactions() -> None:
    """Both replacements (module doc), for good: the local runtime's process."""
    global _patched
    if _patched:
        return
    for owner, name, replacement in _replacements():
        setattr(owner, name, replacement)
    _patched = True


# In-process moto has no WSGI app to put the lock in: the backend's entry points take it instead
# (re-entrant: the lean transaction calls get_item/put_item/... itself).
_LOCK = threading.RLock()
_ENTRY_POINTS = (
    "get_item",
    "batch_get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_get_items",
    "transact_write_items",
)


# These return the stored Item itself (moto's query and scan already copy theirs).
_RETURN_STORED = frozenset({"get_item", "put_item", "update_item"})


def _serialised(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    def run(self: Any, *a: Any, **kw: Any) -> Any:
        with _LOCK:
            out = f(self, *a, **kw)
            # a copy taken under the lock: the caller reads it after the lock is released
            return copy.deepcopy(out) if name in _RETURN_STORED else out

    return run


@contextmanager
def faithful_dynamodb() -> Iterator[None]:
    """moto in-process (``mock_aws``) as the service behaves, for the block: DynamoDB requests one
    at a time, lean transactions and candidate queries (module doc). Tests and benches use it."""
    from moto.dynamodb.models import DynamoDBBackend

    changes = _replacements()
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in changes]
    saved += [(DynamoDBBackend, n, getattr(DynamoDBBackend, n)) for n in _ENTRY_POINTS]
    try:
        for owner, name, replacement in changes:
            setattr(owner, name, replacement)
        for n in _ENTRY_POINTS:
            setattr(DynamoDBBackend, n, _serialised(n, getattr(DynamoDBBackend, n)))
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)
