"""Alipay open platform (gateway API): ``alipay.trade.refund`` and
``alipay.trade.fastpay.refund.query``.

One gateway URL (sandbox or production: ``base_url`` in the secret), form parameters with a
JSON ``biz_content``, signed ``RSA2`` (SHA256withRSA with the app private key over the sorted
non-empty parameters but ``sign``). Public-key mode by default; certificate mode when the
secret has ``app_cert_sn`` and ``alipay_root_cert_sn`` (the answer then names the Alipay
certificate that signed it, ``alipay_cert_sn``).

Every answer is verified over the exact text of its ``<method>_response`` node against the
Alipay public key (by ``alipay_cert_sn``, or every configured key while one rotates) before it
is believed: an answer that does not verify is UNKNOWN (query later), never a success or a
refusal. ``out_trade_no`` names the trade refunded and ``out_request_no`` the refund, so
repeating a number never refunds twice. ``fund_change = Y`` means money moved; ``N`` or a
system error means "ask the query API", which answers ``refund_status = REFUND_SUCCESS`` (and,
asked with ``query_options = [gmt_refund_pay]``, when) once it did, and no status otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from cancelflow.refunds import credentials, signing
from cancelflow.refunds.credentials import ProviderCredentials
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.answers import ALIPAY_GATEWAY, ALIPAY_QUERY, ALIPAY_REFUND, refused
from cancelflow.refunds.providers.base import InvalidNotification, Notification, RefundRequest, Resubmits
from cancelflow.settings import get_settings

GATEWAYS = {
    "production": "https://openapi.alipay.com/gateway.do",
    "sandbox": "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
}
SIM_PATH = "/alipay/gateway.do"  # under CANCELFLOW_PROVIDER_BASE_URL (the simulator)
# The gateway's refusal of a request it could not authenticate (app id, our signature), often
# sent unsigned as ``error_response``. Never believed unsigned (nothing is), only named in the
# error (``answer_unsigned_isv.invalid-signature``) so support sees "our credentials".
UNSIGNED_REFUSAL = "40002"
CST = timezone(timedelta(hours=8))  # Alipay's timestamps are Beijing time


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen(amount: Any) -> int | None:
    try:
        d = Decimal(str(amount)) * 100
    except InvalidOperation:
        return None
    return int(d) if d == d.to_integral_value() else None


def _cst(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).astimezone(UTC)
    except ValueError:
        return None


def gateway(creds: ProviderCredentials) -> str:
    if creds.base_url:
        return GATEWAYS.get(creds.base_url, creds.base_url)
    base = get_settings().provider_base_url
    return base.rstrip("/") + SIM_PATH if base else GATEWAYS["production"]


class Alipay(Resubmits):
    name = "alipay"

    def params(self, creds: ProviderCredentials, method: str, biz: dict[str, Any]) -> dict[str, str]:
        """The signed request parameters."""
        params = {
            "app_id": creds.merchant_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            # Transport time (wall clock, Beijing), not business time: the gateway checks it.
            "timestamp": datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, separators=(",", ":"), ensure_ascii=False),
        }
        if creds.app_cert_sn:
            params |= {"app_cert_sn": creds.app_cert_sn, "alipay_root_cert_sn": creds.alipay_root_cert_sn}
        params["sign"] = signing.rsa_sign(
            creds.private_key.get_secret_value(), signing.alipay_content(params)
        )
        return params

    def _call(self, method: str, biz: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """(the verified answer node, "") or (None, why it is not to be believed)."""
        s = get_settings()
        creds = credentials.credentials(self.name)
        try:
            a = http.request(
                "POST",
                gateway(creds),
                body=urlencode(self.params(creds, method, biz)).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
                timeout=s.provider_timeout_seconds,
            )
        except http.Unreachable as e:
            return None, str(e)
        if a.status != 200:
            return None, f"http_{a.status}"
        found = signing.alipay_node(a.text, method.replace(".", "_") + "_response") if a.json() else None
        if found is None:  # (a.json() first: the depth-limited parser refuses hostile nesting)
            return None, "answer_shape"
        text, node, sign, cert_sn = found
        if sign:
            if not self._signed_by_alipay(creds, text, sign, cert_sn):
                return None, "answer_signature"
        else:  # may be anyone's: query again, never act on it
            named = str(node.get("code")) == UNSIGNED_REFUSAL
            return None, "answer_unsigned" + (f"_{node.get('sub_code') or UNSIGNED_REFUSAL}" if named else "")
        return node, ""

    def _signed_by_alipay(self, creds: ProviderCredentials, text: str, sign: str, cert_sn: str) -> bool:
        # Alipay's SDKs verify the node's text and, failing that, the text with JSON's optional
        # escape "\/" undone: a gateway may send "\/" where Alipay signed "/".
        texts = [text] + ([text.replace("\\/", "/")] if "\\/" in text else [])
        for c in (creds, None):
            c = c or credentials.refreshed(self.name)  # a key we do not have yet: re-read the secret once
            keys = [k for k in [c.provider_key(cert_sn)] if k] if cert_sn else list(c.provider_keys.values())
            if any(signing.rsa_verify(k, t, sign) for k in keys for t in texts):
                return True
        return False

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        biz = {
            "out_trade_no": req.trade_no,
            "out_request_no": req.refund_no,
            "refund_amount": yuan(req.amount),
            "refund_reason": req.reason,
        }
        r, why = self._call("alipay.trade.refund", biz)
        if r is None:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        code, sub = str(r.get("code")), str(r.get("sub_code") or "")
        if code == "10000":
            if r.get("out_trade_no", req.trade_no) != req.trade_no:
                return ProviderResult(Outcome.UNKNOWN, error="answer_mismatch")
            # fund_change N: this number was refunded before, or not yet: only the query knows.
            moved = r.get("fund_change") == "Y"
            return ProviderResult(
                Outcome.SUCCEEDED if moved else Outcome.UNKNOWN,
                provider_status=f"fund_change={r.get('fund_change')}",
                provider_ref=r.get("trade_no"),
                settle_at=_cst(r.get("gmt_refund_pay")) if moved else None,
            )
        if code == "40004":
            return ProviderResult(refused(ALIPAY_REFUND, sub), error=sub or code)
        return ProviderResult(
            refused(ALIPAY_GATEWAY, code, 500 if code.startswith("2") else 400), error=sub or code
        )

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        biz = {
            "out_trade_no": req.trade_no,
            "out_request_no": req.refund_no,
            "query_options": ["gmt_refund_pay"],  # the refund's time in the answer
        }
        r, why = self._call("alipay.trade.fastpay.refund.query", biz)
        if r is None:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        code, sub = str(r.get("code")), str(r.get("sub_code") or "")
        if code != "10000":
            return ProviderResult(ALIPAY_QUERY.get(sub, Outcome.UNKNOWN), error=sub or code)
        if r.get("refund_status") != "REFUND_SUCCESS":
            return ProviderResult(Outcome.NOT_FOUND, provider_status="none")  # not received, or not paid
        if (
            # both must be stated: a success that does not name this refund is not its success
            r.get("out_request_no") != req.refund_no or fen(r.get("refund_amount")) != req.amount
        ):
            return ProviderResult(Outcome.UNKNOWN, error="answer_mismatch")
        return ProviderResult(
            Outcome.SUCCEEDED,
            provider_status="REFUND_SUCCESS",
            provider_ref=r.get("trade_no"),
            settle_at=_cst(r.get("gmt_refund_pay")),  # when the money moved, Alipay's word
        )

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        return now + timedelta(seconds=30)  # Alipay answers synchronously; a rare pending is short

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        raise InvalidNotification("alipay refunds answer synchronously; no refund callbacks")
