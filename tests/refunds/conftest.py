"""Refund fixtures: the simulated provider on loopback (one per session, reset per test),
embedded AWS, and helpers that create paid orders owing refunds through the real store code."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from cancelflow.store.codec import decode
from cancelflow.store.refunds import Refund

from tests.conftest import NOW


class Clock:
    """Business time for the simulator (the worker gets ``now`` passed explicitly)."""

    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> datetime:
        return self.t


SIM_CLOCK = Clock()


@pytest.fixture(scope="session")
def sim_url() -> Iterator[str]:
    from local import provider_sim

    url, stop = provider_sim.start(0, now=SIM_CLOCK)
    yield url
    stop()


class SimAdmin:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)

    def reset(self, **config: Any) -> None:
        self.http.post("/admin/reset", json=config).raise_for_status()

    def config(self, **change: Any) -> None:
        self.http.post("/admin/config", json=change).raise_for_status()

    def refunds(self) -> dict[str, Any]:
        return dict(self.http.get("/admin/refunds").json())

    def payouts(self) -> dict[str, Any]:
        return dict(self.http.get("/admin/payouts").json())

    def callbacks(self) -> list[dict[str, Any]]:
        return list(self.http.post("/admin/callbacks").json()["callbacks"])

    def trade(self, trade: str, total: int) -> None:
        """The customer paid ``trade``: the provider knows it (refunds on unknown trades fail)."""
        self.http.post("/admin/trades", json={"trade": trade, "total": total}).raise_for_status()

    def set_account(self, trade: str, closed: bool) -> None:
        self.http.post("/admin/accounts", json={"trade": trade, "closed": closed}).raise_for_status()


@pytest.fixture
def sim(sim_url: str, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[SimAdmin]:
    """A clean simulator and handlers configured to talk to it (short client timeout)."""
    from cancelflow.refunds import credentials
    from cancelflow.settings import reset_settings

    from local.provider_sim import DEFAULT_CREDENTIALS

    monkeypatch.setenv("CANCELFLOW_PROVIDER_BASE_URL", sim_url)
    monkeypatch.setenv("CANCELFLOW_PROVIDER_CREDENTIALS", json.dumps(DEFAULT_CREDENTIALS))
    monkeypatch.setenv("CANCELFLOW_PROVIDER_TIMEOUT_SECONDS", "2")
    reset_settings()
    credentials.forget()
    SIM_CLOCK.t = NOW
    admin = SimAdmin(sim_url)
    admin.reset(seed=7, timeout_seconds=2.5)
    PAID_AT[:] = [admin]  # the orders paid below are trades this simulator took
    yield admin
    PAID_AT.clear()
    credentials.forget()


def _order_item(
    oid: str, customer_id: str, amount: int, channel: str, product_type: str = "mobile_topup"
) -> dict[str, Any]:
    from cancelflow.store import keys

    return {
        "pk": keys.order_pk(oid),
        "sk": keys.ORDER,
        "type": "order",
        "order_id": oid,
        "customer_id": customer_id,
        "product_id": f"p-{product_type}",
        "product_type": product_type,
        "quantity": 1,
        "amount": amount,
        "currency": "CNY",
        "status": "paid",
        "version": 2,
        "created_at": "2026-11-27T01:59:00.000Z",
        "payment_deadline": "2026-11-27T02:14:00.000Z",
        "paid_at": "2026-11-27T02:00:00.000Z",
        "payment_id": f"pay-{oid}",
        "payment_channel": channel,
        "paid_amount": amount,
        "refunded_amount": 0,
    }


# DynamoDB requests of a refund's first attempt through the worker, per channel (claim, record
# the answer, its history entry; a balance refund also writes the ledger credit): asserted in
# test_worker.py, printed next to the measured figure by ``make bench ONLY=refunds``.
REQUEST_FLOOR = {"alipay": 3, "wechat_pay": 3, "bank_card": 3, "balance": 4}

# The simulator the paid orders' trades are registered with while a ``sim`` fixture runs (a
# real provider knows every trade it took; the simulator refuses refunds on any other).
PAID_AT: list[SimAdmin] = []


def _took(trade: str, total: int) -> None:
    for admin in PAID_AT:
        admin.trade(trade, total)


def paid_order(
    customer_id: str,
    amount: int,
    channel: str,
    *,
    order_id: str | None = None,
    product_type: str = "mobile_topup",
    now: datetime = NOW,
) -> str:
    """A paid order item as confirm_payment leaves it (one Put: the chaos test needs speed)."""
    from cancelflow import aws
    from cancelflow.store import ddb
    from cancelflow.store.codec import new_id

    oid = order_id or new_id("o")
    item = _order_item(oid, customer_id, amount, channel, product_type)
    aws.dynamodb().put_item(TableName=ddb.table(), Item=ddb.to_item(item))
    _took(item["payment_id"], amount)
    return oid


def owe_refund(order_id: str, amount: int, *, refund_to: str = "original", now: datetime = NOW) -> str:
    """What an approved appeal or after-sales request does: raise the order's refunded amount
    (conditional on its version) and create the refund, in one transaction."""
    from cancelflow.domain.products import RefundTo
    from cancelflow.store import ddb, keys, orders, refunds

    order = orders.require_order(order_id)
    refunds.check_refundable(order, amount)
    refund_id, put = refunds.create(
        order, amount=amount, refund_to=RefundTo(refund_to), reason="after_sales", source="reviewer", now=now
    )
    update = {
        "Update": {
            "Key": ddb.key(keys.order_pk(order_id), keys.ORDER),
            "UpdateExpression": "SET refunded_amount = :r, version = :n",
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": ddb.values(
                {":r": order.refunded_amount + amount, ":n": order.version + 1, ":v": order.version}
            ),
        }
    }
    ddb.transact([update, put])
    return refund_id


def deliver(
    admin: SimAdmin, now: datetime, pick: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = list
) -> list[tuple[Refund, bool]]:
    """Hand the simulator's ready callbacks to the notify use case, as the platform route would:
    (the refund after each callback, whether it changed it). Its forged ones (``bad_signature``)
    must be refused for their signature: they are counted in FORGED_REFUSED, not returned."""
    from cancelflow.errors import DomainError
    from cancelflow.refunds import notify

    out = []
    for cb in pick(admin.callbacks()):
        try:
            applied = notify.handle("rf_" + cb["refund_no"][2:], cb["headers"], cb["body"].encode(), now)
        except DomainError as e:
            # the simulator's forgeries (the bad_signature fault) are refused for their signature;
            # anything else refused is a defect
            if not (cb.get("forged") and e.code == "NOTIFICATION_INVALID"):
                raise
            assert e.details == {"reason": "signature"}, e.details
            FORGED_REFUSED.append(cb["refund_no"])
            continue
        assert not cb.get("forged"), f"a forged callback was applied: {cb['refund_no']}"
        out.append(applied)
    return out


FORGED_REFUSED: list[str] = []  # refund numbers whose forged callbacks deliver() saw refused


def paid_order_owing(
    customer_id: str,
    amount: int,
    channel: str,
    parts: list[int],
    refund_to: str = "original",
    *,
    twice: bool = False,
) -> tuple[str, list[Refund]]:
    """A paid order and the refunds it owes, written in ONE transaction (the chaos test makes a
    thousand): the order with refunded_amount raised, and each refund from store.refunds.create.
    ``twice``: paid by two trades of ``amount`` (a duplicate payment), each refunded in full by
    its own refund, with its own trade's total (``parts`` is then ignored)."""
    from cancelflow.domain.models import Order
    from cancelflow.domain.products import RefundTo
    from cancelflow.store import ddb
    from cancelflow.store import refunds as store
    from cancelflow.store.codec import new_id

    assert sum(parts) <= amount
    oid = new_id("o")
    item = _order_item(oid, customer_id, amount, channel) | {"refunded_amount": sum(parts)}
    paid = [item["payment_id"]] + ([f"{item['payment_id']}-2"] if twice else [])
    if twice:
        parts = [amount, amount]
        item |= {"paid_amount": 2 * amount, "refunded_amount": 2 * amount}
        trade = {"channel": channel, "amount": amount, "refunded": amount}
        item["trades"] = [trade | {"payment_id": p} for p in paid]
    order = decode(Order, item | {"refunded_amount": 0})
    ops: list[dict[str, Any]] = [{"Put": {"Item": ddb.to_item(item)}}]
    refunds = []
    for n, part in enumerate(parts):
        _, put = store.create(
            order,
            amount=part,
            refund_to=RefundTo(refund_to),
            reason="after_sales",
            source="reviewer",
            now=NOW,
            trade=order.trades[n] if twice else None,
        )
        ops.append(put)
        refunds.append(store.decode(ddb.from_item(put["Put"]["Item"])))
    ddb.transact(ops)
    for p in paid:
        _took(p, amount)
    return oid, refunds


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)
