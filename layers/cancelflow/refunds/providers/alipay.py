"""Alipay: ``alipay.trade.refund`` and ``alipay.trade.fastpay.refund.query`` through the gateway.

Semantics followed (Alipay open platform docs): one gateway URL, form parameters with a JSON
``biz_content``; ``out_trade_no`` names the original trade and ``out_request_no`` the refund,
so partial refunds of one trade each carry their own number and repeating a number never
refunds twice. Refunds answer synchronously; ``fund_change = N`` or a system error means
"ask the query API". The query answers ``refund_status = REFUND_SUCCESS`` when the money
moved, and no status when the request was not received or did not succeed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cancelflow.domain.calendar import to_cst
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest
from cancelflow.settings import get_settings

# Business error sub-codes and what they mean for us. Anything else refused is final.
_SUB_CODES: dict[str, Outcome] = {
    "ACQ.SYSTEM_ERROR": Outcome.UNKNOWN,  # "retry with the same out_request_no after a query"
    "ACQ.SELLER_BALANCE_NOT_ENOUGH": Outcome.RETRYABLE,
    "ACQ.REFUND_FREQUENCY_LIMITED": Outcome.RETRYABLE,
    "ACQ.BUYER_ACCOUNT_CLOSED": Outcome.ACCOUNT_CLOSED,
}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Alipay:
    name = "alipay"

    def _call(self, method: str, biz: dict[str, Any], now: datetime) -> tuple[int, dict[str, Any] | None]:
        s = get_settings()
        creds = credentials.credentials(self.name)
        params = {
            "app_id": creds.merchant_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "HMAC-SHA256",
            "timestamp": to_cst(now).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, separators=(",", ":"), ensure_ascii=False),
        }
        params["sign"] = signing.sign(creds.key.get_secret_value(), signing.alipay_content(params))
        status, body = http.request(
            "POST",
            f"{s.provider_base_url}/alipay/gateway.do",
            body=urlencode(params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            timeout=s.provider_timeout_seconds,
        )
        node = body.get(method.replace(".", "_") + "_response") if isinstance(body, dict) else None
        return status, node if isinstance(node, dict) else None

    def _biz(self, req: RefundRequest) -> dict[str, Any]:
        return {"out_trade_no": req.payment_id or req.order_id, "out_request_no": req.refund_no}

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        biz = self._biz(req) | {"refund_amount": yuan(req.amount), "refund_reason": req.reason}
        try:
            status, r = self._call("alipay.trade.refund", biz, now)
        except http.Unreachable as e:
            return ProviderResult(Outcome.UNKNOWN, error=str(e))
        if r is None or status >= 500:
            return ProviderResult(Outcome.UNKNOWN, error=f"http_{status}")
        code, sub = str(r.get("code")), str(r.get("sub_code", ""))
        if code == "10000":
            # fund_change N: this number was refunded before, or not yet: only the query knows.
            outcome = Outcome.SUCCEEDED if r.get("fund_change") == "Y" else Outcome.UNKNOWN
            return ProviderResult(
                outcome, provider_status=f"fund_change={r.get('fund_change')}", provider_ref=r.get("trade_no")
            )
        if code == "20000":  # service unavailable: unknown result
            return ProviderResult(Outcome.UNKNOWN, error=sub or code)
        return ProviderResult(_SUB_CODES.get(sub, Outcome.FINAL_FAILURE), error=sub or code)

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        try:
            status, r = self._call("alipay.trade.fastpay.refund.query", self._biz(req), now)
        except http.Unreachable as e:
            return ProviderResult(Outcome.UNKNOWN, error=str(e))
        if r is None or status >= 500 or str(r.get("code")) != "10000":
            return ProviderResult(Outcome.UNKNOWN, error=str((r or {}).get("sub_code", f"http_{status}")))
        if r.get("refund_status") == "REFUND_SUCCESS":
            return ProviderResult(
                Outcome.SUCCEEDED, provider_status="REFUND_SUCCESS", provider_ref=r.get("trade_no")
            )
        return ProviderResult(Outcome.NOT_FOUND, provider_status="none")

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        return now + timedelta(seconds=30)  # Alipay answers synchronously; a rare pending is short

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise InvalidNotification("alipay refunds answer synchronously; no refund callbacks")
