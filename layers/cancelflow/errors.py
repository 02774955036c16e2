"""Domain errors: one stable machine code each, an HTTP status, and messages in zh-CN and en.

Every failure the API can answer with is listed here, once. The HTTP layer maps a
``DomainError`` to ``{"error": {"code", "message", "request_id", "details"}}``.
"""

from __future__ import annotations

from typing import Any

# code -> (http status, zh-CN message, en message)
CATALOGUE: dict[str, tuple[int, str, str]] = {
    # input
    "VALIDATION_FAILED": (422, "请求参数不正确", "The request is not valid"),
    "MALFORMED_BODY": (400, "请求体不是有效的 JSON", "The request body is not valid JSON"),
    "PAYLOAD_TOO_LARGE": (413, "请求体过大(上限 10 MB)", "The request body is too large (10 MB at most)"),
    "INVALID_QUANTITY": (422, "数量必须是正整数", "Quantity must be a positive whole number"),
    "REASON_NOT_ALLOWED": (422, "该操作不接受此原因", "This reason is not accepted for this action"),
    "DESCRIPTION_REQUIRED": (
        422,
        "选择“其他”时请用至少 10 个字说明原因:发生了什么、何时、希望如何处理",
        "With 'other', describe the reason in at least 10 characters: what happened, when, what you want",
    ),
    "EVIDENCE_REQUIRED": (422, "此原因需要上传凭证(截图)", "This reason needs evidence (a screenshot)"),
    "EVIDENCE_INVALID": (
        422,
        "凭证无效:请先上传 PNG/JPEG/WebP 图片(≤5 MB,最多 5 张)",
        "Evidence is invalid: upload PNG/JPEG/WebP images first (≤ 5 MB, at most 5)",
    ),
    "AMOUNT_INVALID": (422, "退款金额无效", "The refund amount is not valid"),
    "AMOUNT_NOT_ALLOWED": (422, "此操作不能指定部分金额", "This action does not take a partial amount"),
    "CHECKLIST_INCOMPLETE": (
        422,
        "批准前须完成三项核查:订单状态、凭证、退款路径",
        "Approval needs all three checks: order status, evidence, refund path",
    ),
    # existence and permission
    "UNAUTHENTICATED": (401, "请先登录", "Sign in first"),
    "FORBIDDEN": (403, "无权执行此操作", "You are not allowed to do this"),
    "NOT_FOUND": (404, "未找到", "Not found"),
    "ORDER_NOT_FOUND": (404, "订单不存在", "Order not found"),
    "PRODUCT_NOT_FOUND": (404, "商品不存在", "Product not found"),
    "REQUEST_NOT_FOUND": (404, "取消申请不存在", "Cancellation request not found"),
    "TASK_NOT_FOUND": (404, "审核任务不存在", "Review task not found"),
    "REFUND_NOT_FOUND": (404, "退款不存在", "Refund not found"),
    # state (lost races and wrong states are 409: the state found is in details)
    "OUT_OF_STOCK": (409, "库存不足", "Not enough stock"),
    "ORDER_NOT_CANCELLABLE": (409, "订单当前状态不允许此操作", "The order's state does not allow this"),
    "ORDER_EXPIRED": (
        409,
        "订单已超过支付时限,已自动取消",
        "The payment deadline passed; the order is cancelled",
    ),
    "ORDER_HELD": (
        409,
        "订单有待审核的取消申请,暂停发货",
        "A cancellation request is under review; delivery is on hold",
    ),
    # why an action is not available now (the same codes answer options and refused POSTs)
    "ORDER_CANCELLED": (409, "订单已取消", "The order is already cancelled"),
    "ALREADY_PAID": (409, "订单已支付,请改为申请取消", "The order is paid; request a cancellation instead"),
    "NOT_PAID": (409, "订单未支付,可直接取消", "The order is not paid; cancel it directly"),
    "ORDER_DELIVERING": (
        409,
        "订单正在发货,不能直接取消;可申请拦截发货",
        "The order is being delivered; request to stop the delivery instead",
    ),
    "NOT_DELIVERING": (409, "订单不在发货中", "The order is not being delivered"),
    "ALREADY_DELIVERED": (
        409,
        "商品已发货,不能取消;如有问题请申诉或申请售后",
        "Delivered goods cannot be cancelled; appeal or ask for after-sales instead",
    ),
    "NOT_DELIVERED": (409, "订单尚未发货,不能申诉", "The order is not delivered; there is nothing to appeal"),
    "APPEALS_DISABLED": (
        409,
        "此类商品发货后不支持申诉",
        "This product type takes no appeals after delivery",
    ),
    "APPEAL_WINDOW_CLOSED": (
        409,
        "申诉期已过,请申请售后",
        "The appeal window has closed; ask for after-sales",
    ),
    "NOT_COMPLETED": (409, "订单尚未完成", "The order is not completed yet"),
    "AFTER_SALES_WINDOW_CLOSED": (409, "售后期已过", "The after-sales window has closed"),
    "CANCELLATION_IN_PROGRESS": (409, "已有处理中的申请", "A request for this order is already in progress"),
    "CONFLICT": (
        409,
        "订单已被其他操作更新,请刷新后重试",
        "The order changed meanwhile; refresh and try again",
    ),
    "IDEMPOTENCY_KEY_REUSED": (
        409,
        "相同的幂等键用于了不同的请求",
        "This Idempotency-Key was used for a different request",
    ),
    "REQUEST_IN_PROGRESS": (409, "相同的请求正在处理中", "The same request is still being processed"),
    "APPEAL_NOT_ALLOWED": (409, "此申请不能再申诉", "This request cannot be appealed"),
    "INFO_REQUESTED": (
        409,
        "审核员正在等待你补充信息,请回答问题而不是申诉",
        "A reviewer is waiting for more information: answer the question instead of appealing",
    ),
    "NO_OPEN_QUESTION": (409, "此申请没有待回答的问题", "This request has no open question to answer"),
    # after a rejection the way on is its appeal (details: appeal_request_id), not the same ask anew
    "REQUEST_REJECTED_APPEAL_INSTEAD": (
        409,
        "此申请已被驳回,不能重新提交;如有异议请对驳回提出申诉",
        "This request was rejected and cannot be made again; appeal the rejection instead",
    ),
    "REQUEST_REJECTED_FINAL": (
        409,
        "此申请已被驳回,申诉也已处理,不能重新提交",
        "This request was rejected and its appeal decided; it cannot be made again",
    ),
    "NOTHING_TO_REFUND": (409, "没有可退金额", "Nothing is left to refund"),
    "LEASE_NOT_HELD": (409, "你未持有此任务或领取已过期", "You do not hold this task, or your claim expired"),
    "TASK_ALREADY_DECIDED": (409, "此任务已被处理", "This task was already decided"),
    "NO_TASK_AVAILABLE": (404, "暂无待领取的任务", "No task is waiting"),
    "REFUND_NOT_RETRYABLE": (409, "此退款当前不能重试", "This refund cannot be retried now"),
    "NOTIFICATION_INVALID": (400, "退款回调验签失败或内容无效", "The refund callback does not verify"),
    "PAYMENT_CONFLICT": (
        409,
        "支付单号已记录过不同的订单、金额或渠道",
        "This payment id was already recorded with another order, amount or channel",
    ),
    # platform
    "RATE_LIMITED": (429, "请求过于频繁,请稍后再试", "Too many requests; try again shortly"),
    "INTERNAL": (500, "服务暂时不可用,请稍后再试", "The service is unavailable; try again shortly"),
    "UPSTREAM_UNAVAILABLE": (503, "依赖服务暂不可用,请稍后再试", "A dependency is unavailable; try again"),
}


class DomainError(Exception):
    """A failure with a stable code. ``details`` carries machine-readable context."""

    def __init__(self, code: str, details: dict[str, Any] | None = None) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code}")
        super().__init__(code)
        self.code = code
        self.details: dict[str, Any] = details or {}

    @property
    def status(self) -> int:
        return CATALOGUE[self.code][0]

    def message(self, lang: str = "zh-CN") -> str:
        return message(self.code, lang)


def message(code: str, lang: str = "zh-CN") -> str:
    _, zh, en = CATALOGUE[code]
    return en if lang.lower().startswith("en") else zh
