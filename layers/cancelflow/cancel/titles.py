"""The title a customer reads for each step of their order's timeline, in zh-CN and en: the one
table. Keyed by history event; a review decision also has one title per outcome."""

from __future__ import annotations

from cancelflow.store.history import HistoryEvent

E = HistoryEvent

# event (or "event:outcome") -> (zh-CN, en)
TITLES: dict[str, tuple[str, str]] = {
    E.ORDER_CREATED: ("订单已创建", "Order placed"),
    E.ORDER_PAID: ("已付款", "Payment received"),
    E.ORDER_CANCELLED: ("订单已取消", "Order cancelled"),
    E.ORDER_EXPIRED: ("超时未付款,订单已取消", "Not paid in time; the order is cancelled"),
    E.ORDER_COMPLETED: ("订单已完成", "Order completed"),
    E.DELIVERY_STARTED: ("开始发货", "Delivery started"),
    E.DELIVERY_COMPLETED: ("已发货", "Delivered"),
    E.DELIVERY_FAILED: ("发货失败,订单待重新处理", "Delivery failed; the order waits to be delivered again"),
    E.DELIVERY_ABORT_REQUESTED: (
        "已通知发货方停止发货,等待其答复",
        "Fulfilment was asked to stop the delivery",
    ),
    E.PAYMENT_LATE_REFUNDED: (
        "一笔付款未能入账,已全额退回",
        "A payment could not be applied; it is refunded in full",
    ),
    E.CANCELLATION_REQUESTED: ("已提交取消申请", "Cancellation requested"),
    E.CANCELLATION_APPEALED: ("已对驳回提出申诉", "Appeal against the rejection submitted"),
    E.REQUEST_WITHDRAWN: (
        "你已撤回申请,订单恢复正常处理",
        "You withdrew your request; the order goes on as before",
    ),
    E.REVIEW_TASK_CREATED: ("等待审核", "Waiting for review"),
    E.REVIEW_CLAIMED: ("审核员已开始处理", "A reviewer is looking at your request"),
    E.REVIEW_DECIDED: ("审核已完成", "Review decided"),
    f"{E.REVIEW_DECIDED}:approved": ("审核通过", "Request approved"),
    f"{E.REVIEW_DECIDED}:rejected": ("审核未通过", "Request rejected"),
    E.REVIEW_NEED_INFO: ("审核员需要你补充信息", "The reviewer needs more information from you"),
    E.REVIEW_INFO_SUPPLIED: ("已补充信息,继续审核", "Information supplied; the review goes on"),
    E.REVIEW_CONVERTED_TO_APPEAL: (
        "商品已在审核期间发货,申请转为申诉",
        "Delivered during the review; your request goes on as an appeal",
    ),
    E.REVIEW_ESCALATED: ("审核已超时,已升级处理", "The review is overdue; a senior reviewer takes it"),
    E.REFUND_PROCESSING: ("退款处理中", "Refund in progress"),
    E.REFUND_ACCEPTED: ("退款已受理", "Refund accepted by the payment provider"),
    E.REFUND_SUCCEEDED: ("退款成功", "Refund completed"),
    E.REFUND_FAILED: ("退款暂未成功,将自动重试", "The refund did not go through yet; it will be retried"),
    E.REFUND_NEEDS_ATTENTION: ("退款需要客服处理", "The refund needs support's attention"),
    E.REFUND_NEEDS_CUSTOMER_ACTION: (
        "退款无法到账,请在订单中选择处理方式",
        "The refund cannot reach your account; choose what to do in the order",
    ),
    E.REFUND_RETRY_REQUESTED: ("客服已重新发起退款", "Support retried the refund"),
    E.REFUND_OVERDUE: ("退款超时,已通知客服", "The refund is late; support has been told"),
    E.REFUND_DESTINATION_FIXED: (
        "你已选择新的退款方式,退款已重新发起",
        "You chose how to receive it; the refund is on its way again",
    ),
    E.REFUND_MANUAL_RECORDED: ("客服已通过其他方式退款", "Support refunded it by another way"),
    E.REFUND_CHASED: ("已催办退款,客服优先处理", "You chased the refund; support takes it first"),
    E.SUPPORT_REPLIED: ("客服已回复你的留言", "Support answered your message"),
    E.SUPPORT_ANSWER_OVERDUE: ("客服回复超时,已升级处理", "Support's answer is late; a team lead takes it"),
    # support's decisions on quarantined keys (titled for staff views; the customer's timeline
    # leaves them out: cancel.timeline)
    E.KEY_RELEASED: ("客服已将隔离的卡密放回库存", "Support released a quarantined card key to stock"),
    E.KEY_VOIDED: ("客服已作废隔离的卡密", "Support voided a quarantined card key"),
}


def title(event: HistoryEvent, outcome: str | None, lang: str) -> str:
    """The title of one entry in ``lang`` ("en", else zh-CN); a review decision's says its outcome."""
    zh, en = TITLES.get(f"{event}:{outcome}") or TITLES[event]
    return en if lang.lower().startswith("en") else zh
