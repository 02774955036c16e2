"""Domain errors: one stable machine code each, an HTTP status, and messages in zh-CN and en.

Every failure the API can answer with is listed here, once: ``ErrorCode`` (in
``cancelflow.error_codes``, re-exported here) names it (so a misspelt code fails mypy, not a
request) and ``CATALOGUE`` gives each code its status and
messages (keyed by the enum; a code without an entry fails at import). The HTTP layer maps a
``DomainError`` to ``{"error": {"code", "message", "request_id", "details"}}``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from cancelflow.error_codes import ErrorCode

__all__ = ["CATALOGUE", "Code", "DomainError", "Entry", "ErrorCode", "code_of", "message", "status"]


class Entry(NamedTuple):
    status: int  # the HTTP status it answers with
    zh: str  # the message in zh-CN (the default language)
    en: str


# code -> (http status, zh-CN message, en message)
CATALOGUE: dict[ErrorCode, Entry] = {
    # input
    ErrorCode.VALIDATION_FAILED: Entry(422, "请求参数不正确", "The request is not valid"),
    ErrorCode.MALFORMED_BODY: Entry(400, "请求体不是有效的 JSON", "The request body is not valid JSON"),
    ErrorCode.PAYLOAD_TOO_LARGE: Entry(
        413, "请求体过大(上限 10 MB)", "The request body is too large (10 MB at most)"
    ),
    ErrorCode.INVALID_QUANTITY: Entry(422, "数量必须是正整数", "Quantity must be a positive whole number"),
    ErrorCode.REASON_NOT_ALLOWED: Entry(
        422, "该操作不接受此原因", "This reason is not accepted for this action"
    ),
    ErrorCode.DESCRIPTION_REQUIRED: Entry(
        422,
        "选择“其他”时请用至少 10 个字说明原因:发生了什么、何时、希望如何处理",
        "With 'other', describe the reason in at least 10 characters: what happened, when, what you want",
    ),
    ErrorCode.EVIDENCE_REQUIRED: Entry(
        422, "此原因需要上传凭证(截图)", "This reason needs evidence (a screenshot)"
    ),
    ErrorCode.EVIDENCE_INVALID: Entry(
        422,
        "凭证无效:请先上传 PNG/JPEG/WebP 图片(≤5 MB,最多 5 张)",
        "Evidence is invalid: upload PNG/JPEG/WebP images first (≤ 5 MB, at most 5)",
    ),
    ErrorCode.AMOUNT_INVALID: Entry(422, "退款金额无效", "The refund amount is not valid"),
    ErrorCode.AMOUNT_NOT_ALLOWED: Entry(
        422, "此操作不能指定部分金额", "This action does not take a partial amount"
    ),
    ErrorCode.CHECKLIST_INCOMPLETE: Entry(
        422,
        "批准前须完成三项核查:订单状态、凭证、退款路径",
        "Approval needs all three checks: order status, evidence, refund path",
    ),
    # existence and permission
    ErrorCode.UNAUTHENTICATED: Entry(401, "请先登录", "Sign in first"),
    ErrorCode.FORBIDDEN: Entry(403, "无权执行此操作", "You are not allowed to do this"),
    ErrorCode.NOT_FOUND: Entry(404, "未找到", "Not found"),
    ErrorCode.ORDER_NOT_FOUND: Entry(404, "订单不存在", "Order not found"),
    ErrorCode.PRODUCT_NOT_FOUND: Entry(404, "商品不存在", "Product not found"),
    ErrorCode.REQUEST_NOT_FOUND: Entry(404, "取消申请不存在", "Cancellation request not found"),
    ErrorCode.TASK_NOT_FOUND: Entry(404, "审核任务不存在", "Review task not found"),
    ErrorCode.DISPUTE_RECORD_NOT_FOUND: Entry(404, "争议记录不存在", "Dispute record not found"),
    ErrorCode.REFUND_NOT_FOUND: Entry(404, "退款不存在", "Refund not found"),
    ErrorCode.NOTICE_NOT_FOUND: Entry(404, "消息不存在", "Message not found"),
    ErrorCode.KEY_NOT_FOUND: Entry(404, "卡密不存在", "Card key not found"),
    # state (lost races and wrong states are 409: the state found is in details)
    ErrorCode.OUT_OF_STOCK: Entry(409, "库存不足", "Not enough stock"),
    ErrorCode.ORDER_NOT_CANCELLABLE: Entry(
        409, "订单当前状态不允许此操作", "The order's state does not allow this"
    ),
    ErrorCode.ORDER_EXPIRED: Entry(
        409,
        "订单已超过支付时限,已自动取消",
        "The payment deadline passed; the order is cancelled",
    ),
    ErrorCode.ORDER_HELD: Entry(
        409,
        "订单有待审核的取消申请,暂停发货",
        "A cancellation request is under review; delivery is on hold",
    ),
    # delivery may not start yet: the customer's self-service window after payment still runs
    ErrorCode.COOLING_OFF: Entry(
        409,
        "订单处于支付后冷静期,暂不能发货",
        "The order is in its cooling-off period after payment; delivery cannot start yet",
    ),
    # why an action is not available now (the same codes answer options and refused POSTs)
    ErrorCode.ORDER_CANCELLED: Entry(409, "订单已取消", "The order is already cancelled"),
    ErrorCode.ALREADY_PAID: Entry(
        409, "订单已支付,请改为申请取消", "The order is paid; request a cancellation instead"
    ),
    ErrorCode.NOT_PAID: Entry(409, "订单未支付,可直接取消", "The order is not paid; cancel it directly"),
    ErrorCode.ORDER_DELIVERING: Entry(
        409,
        "订单正在发货,不能直接取消;可申请拦截发货",
        "The order is being delivered; request to stop the delivery instead",
    ),
    ErrorCode.NOT_DELIVERING: Entry(409, "订单不在发货中", "The order is not being delivered"),
    ErrorCode.ALREADY_DELIVERED: Entry(
        409,
        "商品已发货,不能取消;如有问题请申诉或申请售后",
        "Delivered goods cannot be cancelled; appeal or ask for after-sales instead",
    ),
    ErrorCode.NOT_DELIVERED: Entry(
        409, "订单尚未发货,不能申诉", "The order is not delivered; there is nothing to appeal"
    ),
    ErrorCode.APPEALS_DISABLED: Entry(
        409,
        "此类商品发货后不支持申诉",
        "This product type takes no appeals after delivery",
    ),
    ErrorCode.APPEAL_WINDOW_CLOSED: Entry(
        409,
        "申诉期已过,请申请售后",
        "The appeal window has closed; ask for after-sales",
    ),
    ErrorCode.NOT_COMPLETED: Entry(409, "订单尚未完成", "The order is not completed yet"),
    ErrorCode.AFTER_SALES_WINDOW_CLOSED: Entry(409, "售后期已过", "The after-sales window has closed"),
    ErrorCode.CANCELLATION_IN_PROGRESS: Entry(
        409, "已有处理中的申请", "A request for this order is already in progress"
    ),
    ErrorCode.CONFLICT: Entry(
        409,
        "订单已被其他操作更新,请刷新后重试",
        "The order changed meanwhile; refresh and try again",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: Entry(
        409,
        "相同的幂等键用于了不同的请求",
        "This Idempotency-Key was used for a different request",
    ),
    ErrorCode.REQUEST_IN_PROGRESS: Entry(
        409, "相同的请求正在处理中", "The same request is still being processed"
    ),
    ErrorCode.APPEAL_NOT_ALLOWED: Entry(409, "此申请不能再申诉", "This request cannot be appealed"),
    ErrorCode.INFO_REQUESTED: Entry(
        409,
        "审核员正在等待你补充信息,请回答问题而不是申诉",
        "A reviewer is waiting for more information: answer the question instead of appealing",
    ),
    ErrorCode.NO_OPEN_QUESTION: Entry(
        409, "此申请没有待回答的问题", "This request has no open question to answer"
    ),
    # a withdrawal of a request that is no longer waiting for its decision (details: its status)
    ErrorCode.REQUEST_NOT_PENDING: Entry(
        409,
        "此申请已有结果或已撤回,不能撤回",
        "This request is already decided or withdrawn; there is nothing to withdraw",
    ),
    # a stop-delivery waits for fulfilment's answer (details: abort_requested_at): neither a
    # reviewer's decision nor a withdrawal can settle it (docs/domain.md, "Stop delivery")
    ErrorCode.ABORT_PENDING: Entry(
        409,
        "已通知发货方停止发货,正在等待其答复",
        "Fulfilment has been asked to stop the delivery; its answer settles the request",
    ),
    # fulfilment answered `aborted` for an order whose delivery nobody asked it to stop
    ErrorCode.ABORT_NOT_REQUESTED: Entry(
        409, "此订单没有待答复的停止发货请求", "No stop of this order's delivery is waiting for an answer"
    ),
    # a reviewer's next step on the task of a request its customer withdrew
    ErrorCode.REQUEST_WITHDRAWN: Entry(
        409, "顾客已撤回此申请,无需再处理", "The customer withdrew this request; nothing is left to decide"
    ),
    # after a rejection the way on is its appeal (details: appeal_request_id), not the same ask anew
    ErrorCode.REQUEST_REJECTED_APPEAL_INSTEAD: Entry(
        409,
        "此申请已被驳回,不能重新提交;如有异议请对驳回提出申诉",
        "This request was rejected and cannot be made again; appeal the rejection instead",
    ),
    ErrorCode.REQUEST_REJECTED_FINAL: Entry(
        409,
        "此申请已被驳回,申诉也已处理,不能重新提交",
        "This request was rejected and its appeal decided; it cannot be made again",
    ),
    ErrorCode.NOTHING_TO_REFUND: Entry(409, "没有可退金额", "Nothing is left to refund"),
    ErrorCode.LEASE_NOT_HELD: Entry(
        409, "你未持有此任务或领取已过期", "You do not hold this task, or your claim expired"
    ),
    ErrorCode.TASK_ALREADY_DECIDED: Entry(409, "此任务已被处理", "This task was already decided"),
    ErrorCode.NO_TASK_AVAILABLE: Entry(404, "暂无待领取的任务", "No task is waiting"),
    ErrorCode.REFUND_NOT_RETRYABLE: Entry(409, "此退款当前不能重试", "This refund cannot be retried now"),
    ErrorCode.REFUND_FIX_NOT_OFFERED: Entry(
        409, "此退款当前不能这样处理", "This refund cannot be fixed that way now (details: what is offered)"
    ),
    ErrorCode.REFUND_CHASE_NOT_ALLOWED: Entry(
        409, "此退款当前不能催办", "This refund cannot be chased now (details: from when it can)"
    ),
    ErrorCode.MANUAL_REFUND_REFUSED: Entry(
        409, "不能记录这笔线下退款", "This manual refund cannot be recorded (details: why)"
    ),
    ErrorCode.KEY_NOT_QUARANTINED: Entry(
        409,
        "此卡密不在隔离中,不能放回或作废",
        "This card key is not quarantined; it cannot be released or voided",
    ),
    ErrorCode.NOTIFICATION_INVALID: Entry(
        400, "退款回调验签失败或内容无效", "The refund callback does not verify"
    ),
    ErrorCode.PAYMENT_CONFLICT: Entry(
        409,
        "支付单号已记录过不同的订单、金额或渠道",
        "This payment id was already recorded with another order, amount or channel",
    ),
    # platform
    ErrorCode.RATE_LIMITED: Entry(429, "请求过于频繁,请稍后再试", "Too many requests; try again shortly"),
    ErrorCode.INTERNAL: Entry(
        500, "服务暂时不可用,请稍后再试", "The service is unavailable; try again shortly"
    ),
    ErrorCode.UPSTREAM_UNAVAILABLE: Entry(
        503, "依赖服务暂不可用,请稍后再试", "A dependency is unavailable; try again"
    ),
}
_missing = set(ErrorCode) - set(CATALOGUE)
if _missing:
    raise RuntimeError(f"error codes without a catalogue entry: {sorted(_missing)}")

# What a code argument may be: only an ErrorCode member, so a misspelt code fails mypy, not a
# request (``code_of`` still refuses an unknown string at run time, for untyped callers).
Code = ErrorCode


def code_of(code: Code) -> ErrorCode:
    """``code`` as an ``ErrorCode``; a string that names no code is a ``KeyError``."""
    try:
        return ErrorCode(code)
    except ValueError:
        raise KeyError(f"unknown error code {code}") from None


class DomainError(Exception):
    """A failure with a stable code. ``details`` carries machine-readable context."""

    def __init__(self, code: Code, details: dict[str, Any] | None = None) -> None:
        self.code = code_of(code)
        super().__init__(self.code.value)
        self.details: dict[str, Any] = details or {}

    @property
    def status(self) -> int:
        return CATALOGUE[self.code].status

    def message(self, lang: str = "zh-CN") -> str:
        return message(self.code, lang)


def message(code: Code, lang: str = "zh-CN") -> str:
    entry = CATALOGUE[code_of(code)]
    return entry.en if lang.lower().startswith("en") else entry.zh


def status(code: Code) -> int:
    """The HTTP status ``code`` answers with."""
    return CATALOGUE[code_of(code)].status
