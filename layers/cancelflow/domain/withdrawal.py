"""Withdrawing a request before its decision, as the options answer offers it (docs/domain.md,
"Withdrawal"): beside the five actions, exactly while a request holds the order. Carrying it
out: ``cancel/withdraw_request.py``."""

from __future__ import annotations

from dataclasses import dataclass

from cancelflow.domain.models import Order
from cancelflow.errors import ErrorCode, message

# What withdrawing says, in zh-CN and en: its name, and what it does when allowed.
TITLE = ("撤回申请", "Withdraw the request")
EFFECT = (
    "撤回后审核终止,订单恢复正常处理,此申请不计入你的取消记录",
    "The review ends, the order goes on as before, and the request does not count against you",
)


@dataclass(frozen=True)
class WithdrawOption:
    """Withdrawing the request that holds the order: POST .../cancellations/{request_id}/withdraw."""

    allowed: bool
    title: str  # what the client labels it with (Accept-Language)
    request_id: str | None = None  # the pending request to withdraw
    code: ErrorCode | None = None  # why not, machine-readable
    message: str | None = None  # what it does, or why not (Accept-Language)


def option(order: Order, lang: str) -> WithdrawOption:
    """Offered exactly while a request holds the order: a held order's request is pending (the
    hold is set with the request and lifted by its decision or its withdrawal)."""
    en = lang.lower().startswith("en")
    title = TITLE[1 if en else 0]
    if order.open_request_id is None or order.abort_requested_at is not None:
        # a stop whose abort fulfilment is answering is settled by that answer alone
        # (docs/domain.md, "Stop delivery")
        code = ErrorCode.REQUEST_NOT_PENDING if order.open_request_id is None else ErrorCode.ABORT_PENDING
        return WithdrawOption(
            allowed=False,
            title=title,
            request_id=order.open_request_id,
            code=code,
            message=message(code, lang),
        )
    return WithdrawOption(
        allowed=True, title=title, request_id=order.open_request_id, message=EFFECT[1 if en else 0]
    )
