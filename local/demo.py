"""Demo data: a catalogue with card-key stock, the people who use the system, and orders in
every state, made through the same lifecycle operations and use cases the API calls.

Orders are created with past business times (the clock is the one clock), so an order can be
"paid 30 minutes ago" and land in review rather than being auto-approved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cancelflow import clock
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.reasons import Reason
from cancelflow.errors import DomainError
from cancelflow.store import customers, orders, payments, stock

from local.provider_sim import tell_trade

log = logging.getLogger("cancelflow.local.demo")


@dataclass(frozen=True)
class DemoUser:
    sub: str
    groups: tuple[str, ...]
    name: str  # for people choosing whom to sign in as (console, banner)


USERS: tuple[DemoUser, ...] = (
    DemoUser("cust-lilei", ("customer",), "李雷 Li Lei (customer)"),
    DemoUser("cust-hanmeimei", ("customer",), "韩梅梅 Han Meimei (customer)"),
    DemoUser("cust-risky", ("customer",), "高风险 Gao Feng (customer, flagged high-risk)"),
    DemoUser("rev-wang", ("reviewer",), "王审核 Wang (reviewer)"),
    DemoUser("rev-zhao", ("reviewer",), "赵审核 Zhao (reviewer)"),
    DemoUser("senior-chen", ("reviewer", "senior_reviewer"), "陈主管 Chen (senior reviewer)"),
    DemoUser("support-liu", ("support",), "刘客服 Liu (support)"),
    DemoUser("platform-orders", ("platform",), "order/payment/fulfilment services (platform)"),
)

PRODUCTS: tuple[tuple[str, ProductType, int, str, str, int], ...] = (
    # id, type, price (fen), zh, en, keys in stock
    ("p-game-100", ProductType.GAME_CARD, 10000, "游戏点卡 100 元", "Game card 100 CNY", 40),
    ("p-license-pro", ProductType.SOFTWARE_LICENSE, 29900, "专业版软件授权", "Pro licence", 25),
    ("p-topup-50", ProductType.MOBILE_TOPUP, 5000, "话费充值 50 元", "Mobile top-up 50 CNY", 0),
)

# A valid 1x1 PNG: evidence for the demo appeal (the bucket check reads type and size).
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def add_stock(product_id: str, n: int, start: int = 0) -> int:
    return stock.add_keys(
        product_id,
        ((f"{product_id}-k{i:05d}", f"CODE-{product_id}-{i:05d}") for i in range(start, start + n)),
    )


def _paid(customer: str, product: str, at: datetime, channel: Channel, pay_after: int = 2) -> str:
    o = orders.create_order(customer, product, 1, at)
    payments.confirm_payment(
        o.order_id, f"pay-{o.order_id}", o.amount, channel, at + timedelta(minutes=pay_after)
    )
    tell_trade(f"pay-{o.order_id}", o.amount)  # the simulated provider took this payment
    return o.order_id


def _scenarios(now: datetime, evidence_key: Callable[[str], str]) -> list[tuple[str, Callable[[], str]]]:
    m = timedelta(minutes=1)
    li, han, risky = "cust-lilei", "cust-hanmeimei", "cust-risky"
    game, lic, topup = "p-game-100", "p-license-pro", "p-topup-50"

    def pending() -> str:
        return orders.create_order(li, game, 1, now - 2 * m).order_id

    def paid_in_window() -> str:
        return _paid(li, lic, now - 3 * m, Channel.WECHAT_PAY, pay_after=1)

    def paid_out_of_window() -> str:
        return _paid(han, game, now - 60 * m, Channel.BANK_CARD)

    def under_review() -> str:
        oid = _paid(li, game, now - 40 * m, Channel.ALIPAY)
        submit_cancellation.submit(
            li, oid, Submission(action=Action.REQUEST, reason_code=Reason.DUPLICATE_ORDER), now
        )
        return oid

    def high_risk_review() -> str:
        oid = _paid(risky, lic, now - 4 * m, Channel.ALIPAY, pay_after=1)
        submit_cancellation.submit(
            risky, oid, Submission(action=Action.REQUEST, reason_code=Reason.CHANGED_MIND), now
        )
        return oid

    def delivering() -> str:
        oid = _paid(han, lic, now - 30 * m, Channel.ALIPAY)
        orders.start_delivery(oid, now - 18 * m)  # paid 10 min before: cooling-off
        return oid

    def stop_delivery() -> str:
        oid = _paid(li, topup, now - 30 * m, Channel.WECHAT_PAY)
        orders.start_delivery(oid, now - 18 * m)
        submit_cancellation.submit(
            li, oid, Submission(action=Action.STOP_DELIVERY, reason_code=Reason.WRONG_INFO), now - m
        )
        return oid

    def delivered() -> str:
        oid = _paid(li, game, now - 5 * 60 * m, Channel.ALIPAY)
        orders.start_delivery(oid, now - 288 * m)
        orders.complete_delivery(oid, now - 287 * m)
        return oid

    def appealed() -> str:
        oid = _paid(han, game, now - 3 * 60 * m, Channel.WECHAT_PAY)
        orders.start_delivery(oid, now - 168 * m)
        orders.complete_delivery(oid, now - 167 * m)
        sub = Submission(
            action=Action.APPEAL,
            reason_code=Reason.INVALID_KEY,
            description="卡密显示已被使用,无法充值 / the key says it was already used",
            evidence=(evidence_key(oid),),
            amount=5000,
        )
        submit_cancellation.submit(han, oid, sub, now - 5 * m)
        return oid

    def completed() -> str:
        oid = _paid(li, topup, now - 4 * 24 * 60 * m, Channel.BANK_CARD)
        orders.start_delivery(oid, now - (4 * 24 * 60 - 12) * m)
        orders.complete_delivery(oid, now - (4 * 24 * 60 - 13) * m)
        orders.complete_order(oid, now - 24 * 60 * m)
        return oid

    def self_cancelled() -> str:
        # Li Lei's: Han Meimei's orders stay under the 5 the risk rule needs to judge, so her
        # appeal (2 requests of her 4 orders) is an ordinary reviewer's, not a strict review
        o = orders.create_order(li, game, 2, now - 8 * m)
        submit_cancellation.submit(li, o.order_id, Submission(action=Action.SELF_CANCEL), now - 7 * m)
        return o.order_id

    def expired() -> str:
        o = orders.create_order(li, lic, 1, now - 90 * m)
        orders.expire_order(o, now - 70 * m)
        return o.order_id

    def auto_refunded() -> str:
        oid = _paid(han, lic, now - 6 * m, Channel.ALIPAY, pay_after=1)
        submit_cancellation.submit(
            han, oid, Submission(action=Action.REQUEST, reason_code=Reason.PRICE_ISSUE), now - 4 * m
        )
        return oid

    return [
        ("pending_payment", pending),
        ("paid (auto-approval window open)", paid_in_window),
        ("paid (window closed)", paid_out_of_window),
        ("paid, cancel request under review", under_review),
        ("paid, high-risk customer under review", high_risk_review),
        ("delivering", delivering),
        ("delivering, stop-delivery: fulfilment asked to abort", stop_delivery),
        ("delivered", delivered),
        ("delivered, appeal under review", appealed),
        ("completed", completed),
        ("cancelled by the customer", self_cancelled),
        ("cancelled by the system (payment timeout)", expired),
        ("cancelled, auto-approved refund", auto_refunded),
    ]


def seed(put_evidence: Callable[[str, bytes], None] | None = None) -> dict[str, str]:
    """Create the catalogue, flag the high-risk customer and make one order per scenario.
    Returns scenario -> order id; a scenario the rules refuse is logged and skipped."""
    for pid, ptype, price, zh, en, n in PRODUCTS:
        stock.put_product(pid, ptype, price, zh, en)
        if n:
            add_stock(pid, n)
    customers.set_flag("cust-risky", True)
    now = clock.now()

    def evidence_key(order_id: str) -> str:
        key = f"evidence/{order_id}/demo-screenshot.png"
        if put_evidence is not None:
            put_evidence(key, PNG_1X1)
        return key

    made: dict[str, str] = {}
    for name, make in _scenarios(now, evidence_key):
        try:
            made[name] = make()
        except DomainError as e:
            log.warning("demo order %r not made: %s %s", name, e.code, e.details)
    return made
