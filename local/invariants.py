"""The invariants (docs/domain.md, "Invariants"), checked over a whole table: the one checker
the lifecycle, property and race tests, the end-to-end session and the load bench all use.

Read-only: one paginated scan. ``check`` returns the violations per invariant (empty lists
when all hold), so a caller can print counts or assert emptiness.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cancelflow.domain.products import KEYED_TYPES
from cancelflow.store.ddb import from_item

KEYED = {t.value for t in KEYED_TYPES}
HOLDS_RESERVED = {"pending_payment", "paid", "delivering"}
HOLDS_DELIVERED = {"delivered", "completed"}


def scan(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items += [from_item(it) for it in page["Items"]]
    return items


def check(items: list[dict[str, Any]]) -> dict[str, list[str]]:
    orders = {i["order_id"]: i for i in items if i.get("type") == "order"}
    keys = [i for i in items if i.get("type") == "stock_key"]
    refunds = [i for i in items if i.get("type") == "refund"]
    history: dict[str, set[int]] = defaultdict(set)
    for h in items:
        if h.get("type") == "history" and "#v" in h["sk"]:
            history[h["order_id"]].add(int(h["sk"].rsplit("#v", 1)[1]))

    out: dict[str, list[str]] = {
        "stock conserved (each key exactly one of available, reserved, quarantined, delivered, voided; "
        "for the right order)": [],
        "never both delivered and cancelled": [],
        "refunded <= paid, refunds add up to the order's refunded amount": [],
        "refunded <= paid per trade, each refund on one trade of its order with that trade's total": [],
        "every state change in the history": [],
    }
    stock, never_both, money, per_trade, hist = out.values()

    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for k in keys:
        st, oid = k.get("status"), k.get("order_id")
        if st == "available":
            if oid:
                stock.append(f"{k['key_id']}: available but tied to {oid}")
            if "stock_pk" not in k:
                stock.append(f"{k['key_id']}: available but not in the stock index")
            if "status_pk" in k:
                stock.append(f"{k['key_id']}: available but still in the quarantine list")
            continue
        if st not in ("reserved", "quarantined", "delivered", "voided"):
            stock.append(f"{k['key_id']}: status {st!r}")
            continue
        if "stock_pk" in k:  # the stock index holds available keys only
            stock.append(f"{k['key_id']}: {st} but still in the stock index")
        if ("status_pk" in k) != (st == "quarantined"):  # support's list holds quarantined keys only
            stock.append(
                f"{k['key_id']}: {st} but {'not ' if st == 'quarantined' else ''}in the quarantine list"
            )
        if st in ("quarantined", "voided"):
            # out of stock for good or until support decides: from an order cancelled after it
            # reached delivering, and held by no order; voided also from one support cancelled
            # with restock "void" (docs/domain.md, "Support's tools")
            o = orders.get(str(oid))
            by_support = st == "voided" and o is not None and o.get("cancelled_by") == "support"
            if o is None or o["status"] != "cancelled" or not (o.get("delivery_started_at") or by_support):
                found = o["status"] if o else "unknown"
                stock.append(f"{k['key_id']}: {st} from order {oid} ({found}), not one cancelled in delivery")
            continue
        o = orders.get(str(oid))
        if o is None:
            stock.append(f"{k['key_id']}: {st} for unknown order {oid}")
            continue
        held[str(oid)].append(k)
        want = HOLDS_RESERVED if st == "reserved" else HOLDS_DELIVERED
        if o["status"] not in want:
            stock.append(f"{k['key_id']}: {st} but order {oid} is {o['status']}")
    listed: dict[str, int] = defaultdict(int)  # a key on two live orders would be sold twice
    for o in orders.values():
        if o["status"] != "cancelled":
            for key_id in o.get("key_ids") or []:
                listed[key_id] += 1
    stock += [f"{key_id}: listed by {n} live orders" for key_id, n in listed.items() if n > 1]
    for oid, o in orders.items():
        if o.get("product_type") not in KEYED:
            continue
        mine = {k["key_id"] for k in held.get(oid, [])}
        if o["status"] == "cancelled":
            if mine:
                stock.append(f"order {oid} cancelled but still holds {sorted(mine)}")
        elif mine != set(o.get("key_ids") or []):
            stock.append(f"order {oid} lists {o.get('key_ids')} but holds {sorted(mine)}")

    refunded_by_order: dict[str, int] = defaultdict(int)
    refunds_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in refunds:
        refunded_by_order[r["order_id"]] += int(r["amount"])
        refunds_of[r["order_id"]].append(r)
    for oid, o in orders.items():
        if o["status"] == "cancelled" and o.get("delivered_at"):
            never_both.append(f"order {oid} is cancelled after delivery")
        paid, refunded = int(o.get("paid_amount", 0)), int(o.get("refunded_amount", 0))
        if not 0 <= refunded <= paid:
            money.append(f"order {oid}: refunded {refunded}, paid {paid}")
        if refunded_by_order.get(oid, 0) != refunded:
            money.append(f"order {oid}: refund records sum {refunded_by_order.get(oid, 0)} != {refunded}")
        per_trade += _trade_books(o, refunds_of.get(oid, []))
        missing = set(range(1, int(o["version"]) + 1)) - history.get(oid, set())
        if missing:
            hist.append(f"order {oid}: no history entry for versions {sorted(missing)}")
    return out


def trades_of(o: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's trades as stored; an order stored without them reads as one trade holding
    all it was paid and refunded (``domain.models.Order``'s fallback, the same rule)."""
    if o.get("trades"):
        return list(o["trades"])
    paid = int(o.get("paid_amount", 0))
    if paid <= 0:
        return []
    pid = o.get("payment_id") or o["order_id"]
    return [{"payment_id": pid, "amount": paid, "refunded": int(o.get("refunded_amount", 0))}]


def _trade_books(o: dict[str, Any], refunds: list[dict[str, Any]]) -> list[str]:
    """Per trade: 0 <= refunded <= its amount, its refunds add up to its refunded amount and each
    carries its total; the trades add up to the order's paid and refunded amounts."""
    oid, out = o["order_id"], []
    trades = {str(t["payment_id"]): t for t in trades_of(o)}
    on: dict[str, int] = defaultdict(int)
    for r in refunds:
        pid = str(r.get("payment_id") or o.get("payment_id") or oid)
        t = trades.get(pid)
        if t is None:
            out.append(f"refund {r['refund_id']}: on {pid}, not a trade of order {oid}")
            continue
        on[pid] += int(r["amount"])
        if int(r.get("paid_amount", 0)) != int(t["amount"]):
            out.append(
                f"refund {r['refund_id']}: total {r.get('paid_amount')} != trade {pid}'s {t['amount']}"
            )
    for pid, t in trades.items():
        amount, refunded = int(t["amount"]), int(t.get("refunded", 0))
        if not 0 <= refunded <= amount or on.get(pid, 0) > amount:
            out.append(
                f"order {oid}, trade {pid}: refunded {refunded} (records {on.get(pid, 0)}), paid {amount}"
            )
        if on.get(pid, 0) != refunded:
            out.append(f"order {oid}, trade {pid}: refund records sum {on.get(pid, 0)} != {refunded}")
    paid = sum(int(t["amount"]) for t in trades.values())
    refunded = sum(int(t.get("refunded", 0)) for t in trades.values())
    if (paid, refunded) != (int(o.get("paid_amount", 0)), int(o.get("refunded_amount", 0))):
        out.append(f"order {oid}: trades sum to paid {paid}, refunded {refunded}; the order says otherwise")
    return out


def summary(items: list[dict[str, Any]]) -> dict[str, int]:
    by_type: dict[str, int] = defaultdict(int)
    for i in items:
        by_type[str(i.get("type"))] += 1
    return dict(by_type)
