"""Products and their stock: one item per card key, status ``available``, ``reserved``,
``quarantined``, ``delivered`` or ``voided`` (docs/domain.md, "Quarantine"). Available keys sit
in a sparse, sharded index so a reservation reads a few candidates and claims them with
conditional updates (no counter item to contend on). Keys into and out of quarantine are
``store.quarantine``'s writes.

``Product`` and ``StockKey`` are the items as written and as read. Their keys, ``type`` and the
stock index attributes (``stock_pk``, ``stock_sk``: present while a key is available) are added
here when writing and ignored when decoding.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from cancelflow import aws
from cancelflow.clock import iso
from cancelflow.domain.products import ProductType
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings
from cancelflow.store import ddb, keys
from cancelflow.store.codec import decode
from cancelflow.store.schema import GSI_STOCK


class KeyStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"  # for ``order_id``, until it is paid and delivered or cancelled
    DELIVERED = "delivered"  # to ``order_id``: never back to stock
    # from ``order_id``, cancelled after it reached delivering, until support releases or voids it
    QUARANTINED = "quarantined"
    VOIDED = "voided"  # by support, out of quarantine: never sold again


AVAILABLE, RESERVED, DELIVERED = KeyStatus.AVAILABLE, KeyStatus.RESERVED, KeyStatus.DELIVERED
QUARANTINED, VOIDED = KeyStatus.QUARANTINED, KeyStatus.VOIDED


class Product(msgspec.Struct, frozen=True, kw_only=True):
    product_id: str
    product_type: ProductType
    price: Annotated[int, Meta(ge=0)]  # fen, per unit
    name_zh: str
    name_en: str


class StockKey(msgspec.Struct, frozen=True, kw_only=True):
    """One card key of a product's stock."""

    product_id: str
    key_id: str
    code: str  # the secret shown to the customer once delivered
    status: KeyStatus
    order_id: str | None = None  # the order it is reserved for, delivered to or quarantined from
    quarantined_at: datetime | None = None  # while quarantined (and kept once voided)
    voided_at: datetime | None = None


def put_product(product_id: str, product_type: ProductType, price: int, name_zh: str, name_en: str) -> None:
    product = Product(
        product_id=product_id, product_type=product_type, price=price, name_zh=name_zh, name_en=name_en
    )
    aws.dynamodb().put_item(
        TableName=ddb.table(),
        Item=ddb.to_item(
            {
                "pk": keys.product_pk(product_id),
                "sk": keys.PRODUCT,
                "type": "product",
                **msgspec.to_builtins(product),
            }
        ),
    )
    forget_products()  # this process sees its own change at once (the local runtime, tests)


def get_product(product_id: str) -> Product | None:
    item = ddb.get(keys.product_pk(product_id), keys.PRODUCT, consistent=False)
    return decode(Product, item) if item is not None else None


# Products for order creation, per process, for PRODUCT_TTL_SECONDS: a warm function creating
# orders does not read the catalogue item (price, type) for each one. A price or type change
# therefore reaches new orders within a minute; until then a warm function may create an order
# at the old price. Such an order is consistent in itself: its amount is fixed when it is
# created, and its payment (which must match it) and refunds follow that amount. The order's
# transaction deliberately does not re-check the product: a condition on the product item in
# every order's transaction would make it one item that every concurrent order of the product
# contends on, which the sharded stock index exists to avoid. A missing product is not cached
# (a new one is orderable at once). The cache belongs to the DynamoDB client it was filled
# through: a new client (``reset_settings``, every test stack) starts it empty.
PRODUCT_TTL_SECONDS = 60.0


class _ProductCache:
    def __init__(self) -> None:
        self.client: object | None = None  # the client the entries were read through
        self.entries: dict[str, tuple[float, Product]] = {}  # product id -> (monotonic time, product)


_cache = _ProductCache()


def product_for_order(product_id: str) -> Product | None:
    """The product as ``get_product`` reads it, at most PRODUCT_TTL_SECONDS old."""
    client = aws.dynamodb()
    if _cache.client is not client:
        forget_products()
        _cache.client = client
    now = time.monotonic()
    hit = _cache.entries.get(product_id)
    if hit is not None and now - hit[0] < PRODUCT_TTL_SECONDS:
        return hit[1]
    product = get_product(product_id)
    if product is None:
        _cache.entries.pop(product_id, None)
    else:
        _cache.entries[product_id] = (now, product)
    return product


def forget_products() -> None:
    """Empty the product cache: the next order creation reads each product again."""
    _cache.client = None
    _cache.entries.clear()


def index_partition(product_id: str, key_id: str) -> str:
    """The stock index partition a key sits in while available (its shard of the product)."""
    return keys.stock_pk(product_id, keys.shard(key_id, get_settings().stock_shards))


def available_attrs(product_id: str, key_id: str) -> dict[str, str]:
    return {"stock_pk": index_partition(product_id, key_id), "stock_sk": key_id}


def add_keys(product_id: str, codes: Iterable[tuple[str, str]]) -> int:
    """Add (key_id, secret code) pairs as available keys; returns how many were written.

    Each Put is conditional on the key id being new, so re-adding an id can never turn a
    reserved or delivered key back into an available one (stock stays conserved); a clash
    is CONFLICT and that chunk of up to 100 keys is written not at all."""
    n = 0
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        try:
            ddb.transact(chunk)
        except ddb.TransactionFailed as e:
            raise DomainError(
                ErrorCode.CONFLICT, {"product_id": product_id, "reason": "key id exists"}
            ) from e
        chunk.clear()

    for key_id, code in codes:
        key = StockKey(product_id=product_id, key_id=key_id, code=code, status=KeyStatus.AVAILABLE)
        item = {
            "pk": keys.product_pk(product_id),
            "sk": keys.stock_key_sk(key_id),
            "type": "stock_key",
            **msgspec.to_builtins(key),
            **available_attrs(product_id, key_id),
        }
        chunk.append({"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}})
        n += 1
        if len(chunk) == 100:  # TransactWriteItems' limit
            flush()
    if chunk:
        flush()
    return n


def candidates(product_id: str, quantity: int, order_id: str, exclude: set[str]) -> list[str]:
    """Some available key ids, starting at the order's shard and moving on when one runs dry."""
    shards = get_settings().stock_shards
    first = keys.shard(order_id, shards)
    want = quantity * 3 + 2  # spare candidates: a racing order may take some first
    found: list[str] = []
    for i in range(shards):
        sk = keys.stock_pk(product_id, (first + i) % shards)
        items, _ = ddb.query(GSI_STOCK, "stock_pk = :p", {":p": sk}, limit=want)
        found += [it["key_id"] for it in items if it["key_id"] not in exclude]
        if len(found) >= want:
            break
    random.shuffle(found)  # two orders reading the same shard rarely pick the same keys
    return found[: max(quantity, min(len(found), quantity * 2))]


def reserve_op(product_id: str, key_id: str, order_id: str) -> dict[str, Any]:
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(product_id), keys.stock_key_sk(key_id)),
            "UpdateExpression": "SET #s = :r, order_id = :o REMOVE stock_pk, stock_sk",
            "ConditionExpression": "#s = :a",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values({":r": RESERVED, ":a": AVAILABLE, ":o": order_id}),
        }
    }


def release_op(product_id: str, key_id: str, order_id: str) -> dict[str, Any]:
    attrs = available_attrs(product_id, key_id)
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(product_id), keys.stock_key_sk(key_id)),
            "UpdateExpression": "SET #s = :a, stock_pk = :sp, stock_sk = :ss REMOVE order_id",
            "ConditionExpression": "#s = :r AND order_id = :o",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {
                    ":r": RESERVED,
                    ":a": AVAILABLE,
                    ":o": order_id,
                    ":sp": attrs["stock_pk"],
                    ":ss": attrs["stock_sk"],
                }
            ),
        }
    }


def void_op(product_id: str, key_id: str, order_id: str, now: datetime) -> dict[str, Any]:
    """A reserved key voided with its order's cancellation (support's staff cancel with restock
    ``void``: a key a fraudster or a failed supplier may have seen is never sold again); it keeps
    the order it came from."""
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(product_id), keys.stock_key_sk(key_id)),
            "UpdateExpression": "SET #s = :v, voided_at = :t",
            "ConditionExpression": "#s = :r AND order_id = :o",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values(
                {":r": RESERVED, ":v": VOIDED, ":o": order_id, ":t": iso(now)}
            ),
        }
    }


def deliver_op(product_id: str, key_id: str, order_id: str) -> dict[str, Any]:
    return {
        "Update": {
            "Key": ddb.key(keys.product_pk(product_id), keys.stock_key_sk(key_id)),
            "UpdateExpression": "SET #s = :d",
            "ConditionExpression": "#s = :r AND order_id = :o",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": ddb.values({":r": RESERVED, ":d": DELIVERED, ":o": order_id}),
        }
    }


def product_keys(product_id: str) -> list[StockKey]:
    """Every key of a product (admin, tests and invariant checks; not a customer path)."""
    return [decode(StockKey, item) for item in ddb.partition(keys.product_pk(product_id), "KEY#")]


def counts(product_id: str) -> dict[str, int]:
    """How many keys of the product are in each status (every status, zero included)."""
    out = {s.value: 0 for s in KeyStatus}
    for k in product_keys(product_id):
        out[k.status.value] += 1
    return out
