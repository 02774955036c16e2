"""Quarantine at the store (docs/domain.md, "Quarantine"; the rule is ``domain/quarantine.py``):
the key write a cancellation sends for an order that reached delivering (instead of
``stock.release_op``), support's decision on a quarantined key (released to stock or voided,
with its history entry, one transaction), and support's list.

Quarantined keys sit in the sparse by-status index (``STOCK#quarantined#nn``, sharded by key
id), sorted by when they were quarantined, so support lists them oldest first without a scan;
a decision takes a key out of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, history, keys, stock
from cancelflow.store.codec import decode
from cancelflow.store.schema import GSI_STATUS


def quarantine_partition(key_id: str) -> str:
    """The by-status index partition a key sits in while quarantined (sharded by key id)."""
    return keys.status_pk("STOCK", stock.QUARANTINED.value, keys.shard(key_id, get_settings().status_shards))


def quarantine_op(product_id: str, key_id: str, order_id: str, now: datetime) -> dict[str, Any]:
    """What a cancellation writes instead of ``release_op`` for an order that reached
    delivering: the key stays out of stock, naming the order, listed for support since ``now``."""
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(product_id), keys.stock_key_sk(key_id)),
            "UpdateExpression": "SET #s = :q, quarantined_at = :t, status_pk = :qp, status_sk = :qs",
            "ConditionExpression": "#s = :r AND order_id = :o",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":r": stock.RESERVED,
                    ":q": stock.QUARANTINED,
                    ":o": order_id,
                    ":t": iso(now),
                    ":qp": quarantine_partition(key_id),
                    ":qs": f"{iso(now)}#{product_id}#{key_id}",
                }
            ),
        }
    }


def get_key(product_id: str, key_id: str) -> stock.StockKey | None:
    item = ddb.get(keys.product_pk(product_id), keys.stock_key_sk(key_id))
    return decode(stock.StockKey, item) if item is not None else None


def _settle_op(key: stock.StockKey, since: datetime, to: stock.KeyStatus, now: datetime) -> dict[str, Any]:
    """The key's own write out of quarantine, conditional on it being quarantined still, from
    the same order and since the same moment (so a key released, sold, cancelled and quarantined
    again meanwhile is not decided on the older read)."""
    vals: dict[str, Any] = {":q": stock.QUARANTINED, ":to": to, ":o": key.order_id, ":qa": iso(since)}
    if to is stock.AVAILABLE:
        attrs = stock.available_attrs(key.product_id, key.key_id)
        expr = (
            "SET #s = :to, stock_pk = :sp, stock_sk = :ss"
            " REMOVE order_id, quarantined_at, status_pk, status_sk"
        )
        vals |= {":sp": attrs["stock_pk"], ":ss": attrs["stock_sk"]}
    else:
        expr = "SET #s = :to, voided_at = :t REMOVE status_pk, status_sk"
        vals[":t"] = iso(now)
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(key.product_id), keys.stock_key_sk(key.key_id)),
            "UpdateExpression": expr,
            "ConditionExpression": "#s = :q AND order_id = :o AND quarantined_at = :qa",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(vals),
            # a refusal says what the key became (released or voided by someone first)
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def settle(
    product_id: str, key_id: str, to: stock.KeyStatus, *, now: datetime, actor_id: str, reason: str
) -> stock.StockKey:
    """Take a quarantined key out of quarantine: ``available`` (released to stock) or ``voided``,
    with an entry in the history of the order it came from (support, who, why), in one
    transaction. KEY_NOT_FOUND for no such key; KEY_NOT_QUARANTINED (with the status found)
    when it is not quarantined, also when another decision on it was first; CONFLICT while
    another transaction holds it."""
    if to not in (stock.AVAILABLE, stock.VOIDED):
        raise ValueError(f"a quarantined key is released or voided, not made {to}")
    key = get_key(product_id, key_id)
    if key is None:
        raise DomainError(ErrorCode.KEY_NOT_FOUND, {"product_id": product_id, "key_id": key_id})
    if key.status is not stock.QUARANTINED or key.order_id is None or key.quarantined_at is None:
        raise DomainError(ErrorCode.KEY_NOT_QUARANTINED, {"key_id": key_id, "status": key.status.value})
    event = history.HistoryEvent.KEY_RELEASED if to is stock.AVAILABLE else history.HistoryEvent.KEY_VOIDED
    entry = history.entry_put(
        key.order_id,
        at=now,
        # unique per key and quarantine; that only one decision is kept is the key's condition
        suffix=f"key-{key_id}-{iso(key.quarantined_at)}",
        event=event,
        actor="support",
        actor_id=actor_id,
        reason=reason,
        detail={"product_id": product_id, "key_id": key_id, "to": to.value},
    )
    try:
        ddb.transact([_settle_op(key, key.quarantined_at, to, now), entry])
    except ddb.TransactionFailed as e:
        if e.reasons[:1] == ["ConditionalCheckFailed"]:
            old = e.items[0]
            status = str(old["status"]) if old is not None else None
            raise DomainError(ErrorCode.KEY_NOT_QUARANTINED, {"key_id": key_id, "status": status}) from e
        if any(r in ddb.LOST_RACE for r in e.reasons):
            raise DomainError(ErrorCode.CONFLICT, {"key_id": key_id}) from e
        raise
    if to is stock.AVAILABLE:
        return msgspec.structs.replace(key, status=stock.AVAILABLE, order_id=None, quarantined_at=None)
    return msgspec.structs.replace(key, status=stock.VOIDED, voided_at=now)


def quarantined(cursor: str | None, limit: int, caller: str) -> tuple[list[stock.StockKey], str | None]:
    """One page of quarantined keys: partition by partition of the by-status index, oldest first
    within each; the cursor is only good for this caller and this list (``codec.decode_cursor``)."""
    parts = tuple(
        keys.status_pk("STOCK", stock.QUARANTINED.value, n) for n in range(get_settings().status_shards)
    )
    scope = codec.CursorScope("stock/quarantine", caller, GSI_STATUS, parts)
    pos = codec.decode_cursor(scope, cursor)
    p, start = pos.part, pos.start
    out: list[stock.StockKey] = []
    while p < len(parts) and len(out) < limit:
        items, last = ddb.query(
            GSI_STATUS, "status_pk = :p", {":p": parts[p]}, limit=limit - len(out), start=start
        )
        out += [decode(stock.StockKey, i) for i in items]
        if last:
            start = last
        else:
            p, start = p + 1, None
    return out, (codec.encode_cursor(scope, start, p) if p < len(parts) else None)
