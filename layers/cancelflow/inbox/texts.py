"""What a notice says, in zh-CN or en: one title and one sentence or two per kind, made from the
notice's facts when it is read (so a customer who switches language reads every message anew in
it, and a wording fixed here is fixed for every message already sent)."""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.calendar import to_cst
from cancelflow.domain.policy_prose import CHANNEL_NAMES, yuan
from cancelflow.domain.products import Channel
from cancelflow.inbox.notices import Notice, NoticeKind

K = NoticeKind

# kind -> ((zh title, zh body), (en title, en body)); bodies are str.format templates over the
# facts ``_facts`` names
TEXTS: dict[NoticeKind, tuple[tuple[str, str], tuple[str, str]]] = {
    K.CANCELLED_AT_ONCE: (
        ("订单已取消", "你的取消申请已自动通过。{refund_zh}"),
        ("Order cancelled", "Your cancellation was approved at once.{refund_en}"),
    ),
    K.UNDER_REVIEW: (
        ("申请审核中", "你的申请已进入人工审核,预计 {due_zh} 前给出结果。"),
        ("Your request is being reviewed", "A reviewer decides your request by {due_en}."),
    ),
    K.INFO_NEEDED: (
        (
            "审核员需要你补充信息",
            "审核员的问题:{question}。请在 {answer_by_zh} 前在订单中回复,逾期将按现有信息审核。",
        ),
        (
            "The reviewer needs more information",
            "The reviewer asks: {question}. Answer in the order before {answer_by_en}; after that "
            "the request is decided on what there is.",
        ),
    ),
    K.REQUEST_APPROVED: (
        ("申请已通过", "你的取消申请已审核通过。{refund_zh}"),
        ("Request approved", "Your cancellation request was approved.{refund_en}"),
    ),
    K.REQUEST_REJECTED: (
        ("申请未通过", "原因:{note}。如有异议,可在订单中提出申诉,由资深审核员复核。"),
        (
            "Request rejected",
            "Reason: {note}. If you disagree, appeal in the order: a senior reviewer looks again.",
        ),
    ),
    K.APPEAL_APPROVED: (
        ("申诉已通过", "你的申诉已通过。{refund_zh}"),
        ("Appeal upheld", "Your appeal was upheld.{refund_en}"),
    ),
    K.APPEAL_REJECTED: (
        ("申诉未通过", "原因:{note}。这是最终结果;如需帮助,请联系在线客服。"),
        ("Appeal rejected", "Reason: {note}. This decision is final; support can help with anything else."),
    ),
    K.CONVERTED_TO_APPEAL: (
        ("申请已转为申诉", "商品在审核期间已发货,你的申请转为申诉,由资深审核员处理。"),
        (
            "Your request goes on as an appeal",
            "The goods were delivered during the review, so a senior reviewer decides it as an appeal.",
        ),
    ),
    K.STOPPED_AND_CANCELLED: (
        ("已停止发货,订单已取消", "发货方已确认停止发货,订单已取消。{refund_zh}"),
        (
            "Delivery stopped, order cancelled",
            "Fulfilment stopped the delivery and the order is cancelled.{refund_en}",
        ),
    ),
    K.CANCELLED_BY_SUPPORT: (
        ("客服已取消订单", "客服已为你取消订单。{refund_zh}"),
        ("Order cancelled by support", "Support cancelled your order.{refund_en}"),
    ),
    K.ORDER_EXPIRED: (
        ("订单已超时取消", "订单未在付款期限内付款,已自动取消。"),
        ("Order cancelled: not paid in time", "The order was not paid by its deadline and is cancelled."),
    ),
    K.REFUND_STARTED: (
        ("退款处理中", "{amount_zh} 正在退回{channel_zh}。"),
        ("Refund on its way", "{amount_en} is being refunded to your {channel_en}."),
    ),
    K.REFUND_SUCCEEDED: (
        ("退款成功", "{amount_zh} 已退回{channel_zh}。{reference_zh}"),
        ("Refund completed", "{amount_en} is back in your {channel_en}.{reference_en}"),
    ),
    K.REFUND_OVERDUE: (
        ("退款超时", "{amount_zh} 的退款未能按时到账,客服已在处理。你也可以在订单中催办。"),
        (
            "Your refund is late",
            "The refund of {amount_en} is late; support is on it. You can also chase it in the order.",
        ),
    ),
    K.REFUND_NEEDS_ACTION: (
        ("退款无法到账,需要你处理", "{amount_zh} 无法退回{channel_zh}。请在订单中选择处理方式。"),
        (
            "Your refund needs you",
            "{amount_en} cannot reach your {channel_en}. Choose what to do in the order.",
        ),
    ),
    K.SUPPORT_REPLIED: (
        ("客服回复了你", "客服:{note}"),
        ("Support answered you", "Support: {note}"),
    ),
    K.LATE_PAYMENT_REFUNDED: (
        ("付款已全额退回", "一笔 {amount_zh} 的付款到达时订单已取消,已全额退回。"),
        (
            "Payment refunded",
            "A payment of {amount_en} arrived after the order was cancelled; it is refunded in full.",
        ),
    ),
}


def _when(t: datetime | None, en: bool) -> str:
    if t is None:
        return ""
    c = to_cst(t)
    return f"{c:%Y-%m-%d %H:%M} Beijing time" if en else f"{c:%Y-%m-%d %H:%M}(北京时间)"


def _channel(ch: str | None, en: bool) -> str:
    known = {c.value: c for c in Channel}
    names = CHANNEL_NAMES.get(known[ch]) if ch in known else None
    if names is None:
        return "original payment account" if en else "原支付账户"
    return names[1] if en else names[0]


def _facts(n: Notice) -> dict[str, str]:
    amount = yuan(n.amount) if n.amount is not None else ""
    refunded = bool(n.amount)  # (a decision names the amount; the refund's id is on refund_started)
    refund_zh = f" 退款 {amount} 已发起,到账后另行通知。" if refunded else ""
    refund_en = f" A refund of {amount} is started; you are told when it arrives." if refunded else ""
    return {
        "amount_zh": amount,
        "amount_en": amount,
        "channel_zh": _channel(n.channel, False),
        "channel_en": _channel(n.channel, True),
        "refund_zh": refund_zh,
        "refund_en": refund_en,
        "reference_zh": f"退款单号:{n.reference}。" if n.reference else "",
        "reference_en": f" Reference: {n.reference}." if n.reference else "",
        "due_zh": _when(n.decision_due, False),
        "due_en": _when(n.decision_due, True),
        "answer_by_zh": _when(n.answer_by, False),
        "answer_by_en": _when(n.answer_by, True),
        "question": n.question or "",
        "note": n.note or "",
    }


def text(n: Notice, lang: str) -> tuple[str, str]:
    """(title, body) of ``n`` in ``lang`` ("en", else zh-CN)."""
    zh, en = TEXTS[n.kind]
    title, body = en if lang.lower().startswith("en") else zh
    return title, body.format(**_facts(n))
