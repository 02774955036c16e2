"""A product's cancellation policy as a customer reads it before buying ("what if I cancel"),
in zh-CN or en (docs/domain.md, "Products and policies", readable). Pure, and built from the
policy's values only, which the rules read too, so a changed window changes the text. The risk
thresholds are never part of it: customers must not see them."""

from __future__ import annotations

from dataclasses import dataclass

from cancelflow.domain.policy import CancellationPolicy, RefundSla
from cancelflow.domain.products import KEYED_TYPES, Channel, ProductType
from cancelflow.domain.states import OrderStatus


@dataclass(frozen=True)
class StateRules:
    """The rules of one order state, in the reader's language."""

    state: OrderStatus
    title: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class RefundTime:
    """How long a refund to one channel takes, in the reader's language."""

    channel: Channel
    name: str
    text: str


@dataclass(frozen=True)
class ReadablePolicy:
    """A product type's policy as a customer reads it."""

    product_type: ProductType
    lang: str  # zh-CN or en
    states: tuple[StateRules, ...]
    review: tuple[str, ...]
    refund_times: tuple[RefundTime, ...]


@dataclass(frozen=True)
class ProductPolicy:
    """One product's readable policy (``cancel/product_policy.py`` reads the product)."""

    product_id: str
    name: str
    price: int  # fen, per unit
    policy_version: str  # an order placed now records it, and is judged by it for life
    policy: ReadablePolicy


def _en(lang: str) -> bool:
    return lang.lower().startswith("en")


def _minutes(n: int, en: bool) -> str:
    if n and n % 60 == 0:
        hours = n // 60
        return (f"{hours} hour" + ("s" if hours != 1 else "")) if en else f"{hours} 小时"
    return (f"{n} minute" + ("s" if n != 1 else "")) if en else f"{n} 分钟"


def _hours(n: int, en: bool) -> str:
    if n % 24 == 0:
        days = n // 24
        return (f"{days} day" + ("s" if days != 1 else "")) if en else f"{days} 天"
    return _minutes(n * 60, en)


def yuan(fen: int) -> str:
    return f"¥{fen // 100}.{fen % 100:02d}"


CHANNEL_NAMES = {
    Channel.ALIPAY: ("支付宝", "Alipay"),
    Channel.WECHAT_PAY: ("微信支付", "WeChat Pay"),
    Channel.BANK_CARD: ("银行卡", "bank card"),
    Channel.BALANCE: ("账户余额", "account balance"),
}

TITLES = {
    OrderStatus.PENDING_PAYMENT: ("未付款", "Not yet paid"),
    OrderStatus.PAID: ("已付款,未发货", "Paid, not yet delivered"),
    OrderStatus.DELIVERING: ("发货中", "Being delivered"),
    OrderStatus.DELIVERED: ("已发货", "Delivered"),
    OrderStatus.COMPLETED: ("已完成", "Completed"),
    OrderStatus.CANCELLED: ("已取消", "Cancelled"),
}


def _refund_time(sla: RefundSla, en: bool) -> str:
    if sla.sla_business_days is not None:
        latest = f"{sla.sla_business_days} business days" if en else f"{sla.sla_business_days} 个工作日"
    else:
        latest = _minutes(sla.sla_minutes or 0, en)
    if sla.expected_business_days is not None:
        usual = (
            f"within {sla.expected_business_days} business day"
            if en
            else f" {sla.expected_business_days} 个工作日内"
        )
        usual += "s" if en and sla.expected_business_days != 1 else ""
    elif sla.expected_minutes:
        usual = (
            f"within {_minutes(sla.expected_minutes, en)}"
            if en
            else f" {_minutes(sla.expected_minutes, en)}内"
        )
    else:
        usual = "at once" if en else "即时到账"
    if en:
        return f"Usually {usual}; at the latest {latest} after the refund starts."
    return f"通常{usual},最迟在退款发起后 {latest}内到账。"


def _pending(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    timeout = _minutes(p.payment_timeout_minutes, en)
    if en:
        return (
            "You may cancel at any time before paying, at once and at no cost.",
            f"An order not paid within {timeout} expires by itself.",
        )
    return ("付款前可随时取消,立即生效,不收取任何费用。", f"下单后 {timeout}内未付款,订单自动关闭。")


def _paid(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    window, review = _minutes(p.auto_approve_minutes, en), _minutes(p.review_decision_minutes, en)
    cooling = _minutes(int(p.cooling_off.total_seconds() // 60), en)
    instant = p.auto_approve_minutes > 0 and p.auto_approve_max_amount > 0
    age = p.auto_approve_min_account_days
    cooled = p.cooling_off.total_seconds() > 0
    if en:
        out = [f"Delivery starts no sooner than {cooling} after payment, so you can change your mind."]
        out = out if cooled else []
        if instant:
            who = f" from an account at least {age} days old" if age else ""
            out.append(
                f"A cancellation within {window} of paying, for an order up to "
                f"{yuan(p.auto_approve_max_amount)}{who}, is approved at once and refunded the way you "
                "paid."
            )
        out.append(f"Otherwise a reviewer decides your request within {review}.")
        return tuple(out)
    out = [f"付款后至少 {cooling}才开始发货,这段时间内您可以改变主意。"] if cooled else []
    if instant:
        who = f"且账户注册满 {age} 天" if age else ""
        out.append(
            f"付款后 {window}内申请取消、订单金额不超过 {yuan(p.auto_approve_max_amount)} {who}的,"
            "立即通过并原路退款。"
        )
    out.append(f"其他情况由审核员在 {review}内处理您的申请。")
    return tuple(out)


def _delivering(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    answer = _minutes(p.abort_answer_minutes, en)
    topup = p.product_type is ProductType.MOBILE_TOPUP
    if en:
        out = [
            "You may ask to stop the delivery. We ask the supplier to stop it; the supplier answers "
            f"within {answer}.",
            "If it is stopped, the order is cancelled and refunded in full at once.",
            "If it was delivered anyway, your request is reviewed as an appeal.",
        ]
        if topup:
            out.append("Credit the operator has already added to the phone cannot be taken back.")
        return tuple(out)
    out = [
        f"可以申请停止发货。我们会请供货方停止,供货方在 {answer}内答复。",
        "停止成功的,订单取消并立即全额退款。",
        "若已发货完成,您的申请将按申诉审核。",
    ]
    if topup:
        out.append("运营商已到账的话费无法撤回。")
    return tuple(out)


def _delivered(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    window = _hours(p.confirmation_window_hours, en)
    goods = "the card key" if en and p.product_type in KEYED_TYPES else ("the credit" if en else "")
    proof = p.evidence.required_for_appeal
    if not p.appeal_after_delivery:
        return (
            ("Delivered goods cannot be cancelled or appealed.",)
            if en
            else ("已发货的商品不能取消,也不能申诉。",)
        )
    if en:
        shot = " with at least one screenshot" if proof else ""
        return (
            "Delivered goods cannot simply be cancelled: their value has moved to you.",
            f"If {goods} does not work, you may appeal within {window} of delivery{shot}; a reviewer "
            "decides.",
        )
    shot = ",并附至少一张截图" if proof else ""
    what = "卡密" if p.product_type in KEYED_TYPES else "话费"
    return (
        "已发货的商品价值已交付,不能直接取消。",
        f"若{what}无效或未到账,可在发货后 {window}内申诉{shot},由审核员处理。",
    )


def _completed(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    days = p.after_sales_days
    if not days:
        return ("A completed order cannot be refunded.",) if en else ("已完成的订单不能退款。",)
    if en:
        return (
            f"For {days} days after completion you may ask for an after-sales refund, full or "
            "partial; a reviewer decides.",
        )
    return (f"订单完成后 {days} 天内可申请售后退款(全部或部分),由审核员处理。",)


def _review(p: CancellationPolicy, en: bool) -> tuple[str, ...]:
    first, decide = _minutes(p.review_first_response_minutes, en), _minutes(p.review_decision_minutes, en)
    info, start = _hours(p.review_need_info_hours, en), _minutes(p.refund_start_minutes, en)
    if en:
        return (
            f"A reviewer decides within {decide}; an urgent request (stopping a delivery, goods "
            f"that do not work) is first answered within {first}.",
            f"If the reviewer asks you for more information, you have {info} to answer.",
            "A rejected request may be appealed once; a senior reviewer who did not reject it decides.",
            f"An approved refund starts within {start}, to the way you paid, or to your balance if "
            "you asked.",
        )
    return (
        f"审核员在 {decide}内作出决定;紧急申请(停止发货、商品无效)在 {first}内首次响应。",
        f"审核员要求补充信息时,您有 {info}的时间答复。",
        "申请被拒绝后可申诉一次,由未参与拒绝的高级审核员处理。",
        f"退款批准后 {start}内发起,原路退回,或按您的选择退至账户余额。",
    )


_STATES = {
    OrderStatus.PENDING_PAYMENT: _pending,
    OrderStatus.PAID: _paid,
    OrderStatus.DELIVERING: _delivering,
    OrderStatus.DELIVERED: _delivered,
    OrderStatus.COMPLETED: _completed,
}


def readable(policy: CancellationPolicy, lang: str) -> ReadablePolicy:
    """``policy`` in ``lang`` (zh-CN unless it asks for en)."""
    en = _en(lang)
    states = [StateRules(s, TITLES[s][en], rules(policy, en)) for s, rules in _STATES.items()]
    done = ("Nothing more to do; a refund under way goes on." if en else "无需再操作,进行中的退款照常到账。",)
    states.append(StateRules(OrderStatus.CANCELLED, TITLES[OrderStatus.CANCELLED][en], done))
    times = tuple(
        RefundTime(ch, CHANNEL_NAMES[ch][en], _refund_time(sla, en)) for ch, sla in policy.refund_sla.items()
    )
    return ReadablePolicy(
        policy.product_type, "en" if en else "zh-CN", tuple(states), _review(policy, en), times
    )
