"""WeChat Pay API v3 domestic refunds (pay.weixin.qq.com: 申请退款, 查询单笔退款, 退款结果通知).

``POST /v3/refund/domestic/refunds`` with ``out_trade_no`` (the trade refunded),
``out_refund_no`` (our idempotency key) and ``amount.refund/total/currency`` (``total`` is that
trade's amount); ``GET /v3/refund/domestic/refunds/{out_refund_no}`` reads it back (404
``RESOURCE_NOT_EXISTS``: never taken). The refund is asynchronous: ``PROCESSING`` (usually),
``SUCCESS``, ``CLOSED`` or ``ABNORMAL``; results are also pushed as callbacks
(``REFUND.SUCCESS/ABNORMAL/CLOSED``) that may come several times.

Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048`` (SHA256withRSA with the
merchant key over ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``). Every answer and callback is verified
(providers/verify.py) before it is believed: an answer that does not verify, or does not name
this refund and amount, is UNKNOWN (the worker queries later), never a success. A callback's
``resource`` is decrypted (AEAD_AES_256_GCM, the APIv3 key) before use.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cancelflow.http import body as json_body
from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import http, verify
from cancelflow.refunds.providers.answers import WECHAT_ERRORS, WECHAT_STATUS, refused
from cancelflow.refunds.providers.base import InvalidNotification, NewCard, Notification, RefundRequest
from cancelflow.settings import get_settings

HOST = "https://api.mch.weixin.qq.com"
PATH = "/v3/refund/domestic/refunds"
EVENTS = {"REFUND.SUCCESS": "SUCCESS", "REFUND.ABNORMAL": "ABNORMAL", "REFUND.CLOSED": "CLOSED"}


def _fen(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _when(value: Any) -> datetime | None:
    """WeChat's RFC 3339 time (``success_time``: when the refund reached the buyer)."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return at.astimezone(UTC) if at is not None and at.tzinfo is not None else None  # no zone: unsure


def _status(st: str, ref: Any, success_time: Any = None) -> ProviderResult:
    if st not in WECHAT_STATUS:
        return ProviderResult(Outcome.UNKNOWN, error=f"status_{st or 'missing'}")
    return ProviderResult(
        WECHAT_STATUS[st],
        provider_status=st,
        provider_ref=ref if isinstance(ref, str) else None,
        settle_at=_when(success_time) if st == "SUCCESS" else None,
    )


def _read(doc: dict[str, Any], req: RefundRequest) -> ProviderResult:
    """A verified refund record, believed only if it is this refund, this amount, this trade."""
    got = doc.get("amount")
    amount: dict[str, Any] = got if isinstance(got, dict) else {}
    if (
        doc.get("out_refund_no") != req.refund_no
        or _fen(amount.get("refund")) != req.amount
        or doc.get("out_trade_no", req.trade_no) != req.trade_no
    ):
        return ProviderResult(Outcome.UNKNOWN, error="answer_mismatch")
    return _status(str(doc.get("status") or ""), doc.get("refund_id"), doc.get("success_time"))


def _encryption_key(keys: Mapping[str, str]) -> tuple[str, str]:
    """(serial, PEM) to encrypt with: the WeChat Pay public key (``PUB_KEY_ID_...``, WeChat's
    recommendation) when configured, else the valid platform certificate that lasts longest (the
    newest, while two live), as the SDKs choose; never an expired one."""
    live = {s: until for s, pem in keys.items() if (until := signing.valid_until(pem)) is not None}
    if not live:
        raise credentials.CredentialsMissing("wechat_pay: no valid provider key to encrypt with")
    serial = max(live, key=lambda s: (s.startswith("PUB_KEY_ID_"), live[s]))
    return serial, keys[serial]


class WechatPay:
    name = "wechat_pay"

    def _call(
        self, method: str, path: str, payload: dict[str, Any] | None, extra: Mapping[str, str] | None = None
    ) -> http.Answer:
        s = get_settings()
        creds = credentials.credentials(self.name)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) if payload is not None else ""
        ts, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        auth = signing.wechat_authorization(
            creds.merchant_id,
            creds.serial_no,
            creds.private_key.get_secret_value(),
            method,
            path,
            body,
            ts,
            nonce,
        )
        # In WeChat Pay public-key mode every request names the key (as the SDKs send it), so
        # WeChat signs its answers with that key rather than the platform certificate.
        pub = sorted(k for k in creds.provider_keys if k.startswith("PUB_KEY_ID_"))
        extra = {"Wechatpay-Serial": pub[-1], **(extra or {})} if pub else extra
        return http.request(
            method,
            (creds.base_url or s.provider_base_url or HOST).rstrip("/") + path,
            body=body.encode() if body else None,
            headers={
                "Authorization": auth,
                "Accept": "application/json",
                "Content-Type": "application/json",
                **(extra or {}),
            },
            timeout=s.provider_timeout_seconds,
        )

    def _answer(
        self, call: tuple[str, str, dict[str, Any] | None], extra: Mapping[str, str] | None = None
    ) -> tuple[http.Answer | None, Any, str]:
        """(answer, its verified JSON, why it is not to be believed: "" when it is)."""
        try:
            a = self._call(*call, extra)
        except http.Unreachable as e:
            return None, None, str(e)
        doc, err = verify.believed(self.name, verify.wechat_headers(a.headers), a)
        return a, doc, err

    def submit(self, req: RefundRequest, now: datetime) -> ProviderResult:
        payload: dict[str, Any] = {
            "out_trade_no": req.trade_no,
            "out_refund_no": req.refund_no,
            "reason": req.reason,
            "amount": {"refund": req.amount, "total": req.paid_amount, "currency": req.currency},
        }
        notify_url = credentials.credentials(self.name).notify_url
        if notify_url:
            payload["notify_url"] = notify_url
        return self._refund_answer(req, self._answer(("POST", PATH, payload)))

    def _refund_answer(self, req: RefundRequest, got: tuple[http.Answer | None, Any, str]) -> ProviderResult:
        a, doc, why = got
        if a is None or why:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        if 200 <= a.status < 300:
            return _read(doc, req)
        code = str(doc.get("code")) if isinstance(doc, dict) else f"http_{a.status}"
        return ProviderResult(refused(WECHAT_ERRORS, code, a.status), error=code)

    def resume(
        self, req: RefundRequest, now: datetime, found: ProviderResult, card: NewCard | None = None
    ) -> ProviderResult:
        """An ABNORMAL refund (the buyer's card closed or frozen) is not paid by asking again
        under its number: WeChat's way is 发起异常退款, ``POST .../{refund_id}/apply-abnormal-
        refund`` with ``type = USER_BANK_CARD`` and the buyer's new debit card, its number and
        name encrypted with the WeChat Pay key named in ``Wechatpay-Serial``. Without a card
        there is nothing to ask: the refund keeps waiting for the customer (``needs_new_card``).
        (``MERCHANT_BANK_CARD`` would pay the merchant, not the customer: never used here.)"""
        if found.outcome is not Outcome.ACCOUNT_CLOSED or not found.provider_ref:
            return found
        if card is None:
            return ProviderResult(Outcome.ACCOUNT_CLOSED, provider_status="ABNORMAL", error="needs_new_card")
        serial, key = _encryption_key(credentials.credentials(self.name).provider_keys)
        payload = {
            "out_refund_no": req.refund_no,
            "type": "USER_BANK_CARD",
            "bank_type": card.bank_type,
            "bank_account": signing.rsa_encrypt(key, card.account),
            "real_name": signing.rsa_encrypt(key, card.real_name),
        }
        call = ("POST", f"{PATH}/{found.provider_ref}/apply-abnormal-refund", payload)
        return self._refund_answer(req, self._answer(call, {"Wechatpay-Serial": serial}))

    def query(self, req: RefundRequest, now: datetime) -> ProviderResult:
        a, doc, why = self._answer(("GET", f"{PATH}/{req.refund_no}", None))
        if a is None or why:
            return ProviderResult(Outcome.UNKNOWN, error=why)
        if 200 <= a.status < 300:
            return _read(doc, req)
        code = str(doc.get("code")) if isinstance(doc, dict) else f"http_{a.status}"
        if a.status == 404 and code in ("RESOURCE_NOT_EXISTS", "http_404"):
            return ProviderResult(Outcome.NOT_FOUND, provider_status="RESOURCE_NOT_EXISTS")
        return ProviderResult(Outcome.UNKNOWN, error=code)

    def poll_at(self, req: RefundRequest, result: ProviderResult, now: datetime) -> datetime:
        return now + timedelta(minutes=1)  # WeChat: "query once a minute, slower after 5 minutes"

    def verify_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> Notification:
        bad = verify.problem(self.name, verify.wechat_headers(headers), body.decode("utf-8", "replace"))
        if bad:
            raise InvalidNotification(bad)
        creds = credentials.credentials(self.name)
        try:
            doc = json_body.loads_object(body)  # depth-limited, an object: whoever signed it
            res = doc["resource"]
            if doc.get("resource_type") != "encrypt-resource" or res.get("algorithm") != "AEAD_AES_256_GCM":
                raise InvalidNotification("resource_type")
            plain = signing.aes_gcm_decrypt(
                creds.apiv3_key.get_secret_value(),
                str(res["nonce"]),
                str(res.get("associated_data") or ""),
                str(res["ciphertext"]),
            )
            inner = json_body.loads_object(plain)
            refund_no, status = str(inner["out_refund_no"]), str(inner["refund_status"])
            amount = _fen(inner["amount"]["refund"])
        except signing.DecryptError as e:
            raise InvalidNotification("decrypt") from e
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise InvalidNotification("shape") from e
        if amount is None:
            raise InvalidNotification("shape")
        if inner.get("mchid", creds.merchant_id) != creds.merchant_id:
            raise InvalidNotification("mchid")
        if EVENTS.get(str(doc.get("event_type"))) != status:
            raise InvalidNotification("event_type")
        trade = inner.get("out_trade_no")
        return Notification(
            refund_no,
            _status(status, inner.get("refund_id"), inner.get("success_time")),
            amount=amount,
            trade_no=str(trade) if trade is not None else None,
        )
