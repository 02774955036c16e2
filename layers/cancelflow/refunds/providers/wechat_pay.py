"""WeChat Pay API v3 domestic refunds.

Semantics followed (pay.weixin.qq.com API v3 docs): ``POST /v3/refund/domestic/refunds`` with
``out_trade_no``, ``out_refund_no`` (the idempotency key) and ``amount.refund/total/currency``;
the refund is asynchronous: the answer's ``status`` is ``PROCESSING`` (usually), ``SUCCESS``,
``CLOSED`` or ``ABNORMAL``; ``GET /v3/refund/domestic/refunds/{out_refund_no}`` reads it back
(404 ``RESOURCE_NOT_EXISTS`` if never taken); results are also pushed as signed notifications
(``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED``) that may arrive several times.
Requests carry an ``Authorization`` header over ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``;
callbacks are verified over ``TS\\nNONCE\\nBODY\\n`` from the ``Wechatpay-*`` headers.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cancelflow.http import body as json_body
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import answers, http
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest
from cancelflow.settings import get_settings

PATH = "/v3/refund/domestic/refunds"
SCHEME = "WECHATPAY2-SHA256-HMAC"  # the real scheme is WECHATPAY2-SHA256-RSA2048

STATUSES: dict[str, Outcome] = {
    "SUCCESS": Outcome.SUCCEEDED,
    "PROCESSING": Outcome.PENDING,
    "ABNORMAL": Outcome.ACCOUNT_CLOSED,  # the buyer's card/account cannot receive it
    "CLOSED": Outcome.FINAL_FAILURE,
}
_ERRORS: dict[str, Outcome] = {
    "NOT_ENOUGH": Outcome.RETRYABLE,  # merchant balance
    "FREQUENCY_LIMITED": Outcome.RETRYABLE,
    "SYSTEM_ERROR": Outcome.UNKNOWN,
}


def _result(body: dict[str, Any]) -> ProviderResult:
    st = str(body.get("status") or body.get("refund_status") or "")
    if st not in STATUSES:
        return ProviderResult(Outcome.UNKNOWN, error=f"status_{st or 'missing'}")
    return ProviderResult(STATUSES[st], provider_status=st, provider_ref=body.get("refund_id"))


class WechatPay:
    name = "wechat_pay"

    def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> tuple[int, Any]:
        s = get_settings()
        creds = credentials.credentials(self.name)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) if payload else ""
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        sig = signing.sign(
            creds.key.get_secret_value(), signing.wechat_message(method, path, ts, nonce, body)
        )
        auth = (
            f'{SCHEME} mchid="{creds.merchant_id}",nonce_str="{nonce}",signature="{sig}",'
            f'timestamp="{ts}",serial_no="{creds.serial_no}"'
        )
        return http.request(
            method,
            s.provider_base_url + path,
            body=body.encode() if body else None,
            headers={"Authorization": auth, "Accept": "application/json", "Content-Type": "application/json"},
            timeout=s.provider_timeout_seconds,
        )

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        payload = {
            "out_trade_no": req.payment_id or req.order_id,
            "out_refund_no": req.refund_no,
            "reason": req.reason,
            "amount": {"refund": req.amount, "total": req.paid_amount, "currency": req.currency},
        }
        return answers.submitted(lambda: self._call("POST", PATH, payload), (200,), _result, _ERRORS)

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        return answers.queried(
            lambda: self._call("GET", f"{PATH}/{req.refund_no}", None),
            _result,
            ProviderResult(Outcome.NOT_FOUND, provider_status="RESOURCE_NOT_EXISTS"),
        )

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        return now + timedelta(minutes=1)

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        h = {k.lower(): v for k, v in headers.items()}
        ts, nonce, sig = (
            h.get("wechatpay-timestamp", ""),
            h.get("wechatpay-nonce", ""),
            h.get("wechatpay-signature", ""),
        )
        answers.authenticate(
            self.name, ts, signing.wechat_message(ts, nonce, body.decode("utf-8", "replace")), sig
        )
        try:
            doc = json_body.loads_object(body)  # depth-limited, an object: whoever signed it
            resource = doc["resource"]
            refund_no = str(resource["out_refund_no"])
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidNotification("shape") from e
        return Notification(refund_no, _result(resource))
