"""WeChat Pay API v3 refunds as WeChat plays them: every request's ``Authorization``
(WECHATPAY2-SHA256-RSA2048 under the merchant's registered certificate, a fresh timestamp)
verified or refused with 401 ``SIGN_ERROR``; every answer signed with the platform key
(``Wechatpay-Timestamp/-Nonce/-Serial/-Signature``); ``amount.total`` checked against the
trade; refunds accepted as PROCESSING and settled later (``wechat_settle_seconds``); results
pushed as callbacks with the ``resource`` encrypted (AEAD_AES_256_GCM, the APIv3 key)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from datetime import timedelta, timezone
from typing import Any

from cancelflow.clock import iso, parse
from cancelflow.refunds import signing
from starlette.requests import Request
from starlette.responses import Response

from local.provider_sim.books import Answer, Sim, submit_async
from local.provider_sim.keys import MERCHANT_IDS

MAX_SKEW = 300
CST = timezone(timedelta(hours=8))
_SYSTEM_ERROR = (500, {"code": "SYSTEM_ERROR", "message": "系统超时"})
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "error_5xx": _SYSTEM_ERROR,
    "insufficient_balance": (403, {"code": "NOT_ENOUGH", "message": "余额不足"}),
    "unknown_result": _SYSTEM_ERROR,
    "query_error": _SYSTEM_ERROR,
    "not_found": (404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}),
    "bad_signature": (401, {"code": "SIGN_ERROR", "message": "签名错误"}),
}
EVENTS = {"SUCCESS": ("REFUND.SUCCESS", "退款成功"), "ABNORMAL": ("REFUND.ABNORMAL", "退款异常")}


def auth_ok(sim: Sim, request: Request, body: str) -> bool:
    scheme, parts = signing.parse_authorization(request.headers.get("authorization", ""))
    merchant = sim.keys.merchant["wechat_pay"]
    ts = parts.get("timestamp", "")
    if (
        scheme != signing.WECHAT_SCHEME
        or parts.get("mchid") != MERCHANT_IDS["wechat_pay"]
        or parts.get("serial_no") != merchant.serial
        or not ts.isdigit()
        or abs(time.time() - int(ts)) > MAX_SKEW
    ):
        return False
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    msg = signing.wechat_message(request.method, path, ts, parts.get("nonce_str", ""), body)
    return signing.rsa_verify(merchant.cert_pem, msg, parts.get("signature", ""))


def signed_headers(sim: Sim, body: str, *, forged: bool = False) -> dict[str, str]:
    """WeChat's signature headers; ``forged``: under the platform's serial, another key's."""
    platform = sim.keys.provider["wechat_pay"]
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    key = sim.keys.forger if forged else platform
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": platform.serial,
        "Wechatpay-Signature": signing.rsa_sign(key.private_pem, signing.wechat_message(ts, nonce, body)),
        "Wechatpay-Signature-Type": signing.WECHAT_SCHEME,
        "Request-ID": uuid.uuid4().hex,
    }


def respond(sim: Sim, status: int, doc: dict[str, Any], *, forged: bool = False) -> Response:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # A request WeChat could not authenticate gets 401 SIGN_ERROR unsigned (its SDKs verify only
    # 2xx answers); every other answer is signed.
    headers = {"Request-ID": uuid.uuid4().hex} if status == 401 else signed_headers(sim, body, forged=forged)
    return Response(body.encode(), status, headers, media_type="application/json")


def forged(sim: Sim, no: str, request: dict[str, Any] | None) -> Response:
    """The ``bad_signature`` fault: "SUCCESS" for this refund (the amount as asked, or as the
    books know it), which WeChat never said: nothing is recorded or paid."""
    rec = sim.refunds.get(no)
    amount = (request or {}).get("amount") or {}
    trade = str((request or {}).get("out_trade_no") or (rec or {}).get("trade", ""))
    refund = int(amount.get("refund", 0)) or int((rec or {}).get("amount", 0))
    at = iso(sim.now())
    fake = {
        "refund_no": no,
        "trade": trade,
        "amount": refund,
        "status": "SUCCESS",
        "created_at": at,
        "paid_at": at,
    }
    return respond(sim, 200, view(sim, fake), forged=True)


def view(sim: Sim, rec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "refund_id": f"wx{rec['refund_no']}",
        "out_refund_no": rec["refund_no"],
        "transaction_id": "42" + hashlib.sha256(rec["trade"].encode()).hexdigest()[:26],
        "out_trade_no": rec["trade"],
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "status": rec["status"],
        "create_time": rec["created_at"],
        "funds_account": "AVAILABLE",
        "amount": {
            "total": sim.trades.get(rec["trade"], 0),
            "refund": rec["amount"],
            "payer_total": sim.trades.get(rec["trade"], 0),
            "payer_refund": rec["amount"],
            "currency": "CNY",
        },
    }
    if rec["status"] == "SUCCESS" and rec.get("paid_at"):
        # RFC 3339 in Beijing time, as WeChat writes it (2018-06-08T10:34:56+08:00)
        out["success_time"] = parse(rec["paid_at"]).astimezone(CST).isoformat(timespec="seconds")
    return out


def submit(sim: Sim, doc: dict[str, Any]) -> Answer:
    no, trade = str(doc.get("out_refund_no", "")), str(doc.get("out_trade_no", ""))
    amount = doc.get("amount") or {}
    refund, total = int(amount.get("refund", 0)), int(amount.get("total", 0))
    rec = sim.refunds.get(no)
    if rec is not None:
        # the same number again is this refund as it stands, ABNORMAL included: WeChat pays an
        # abnormal refund only through apply-abnormal-refund (abnormal() below)
        sim.log(no, "submit:repeat")
        return 200, view(sim, rec)
    known = sim.trades.get(trade)  # every trade the customer paid (POST /admin/trades)
    if known is None:
        sim.log(no, "submit:no_trade")
        return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
    if total != known:
        sim.log(no, "submit:invalid_total")
        return 400, {
            "code": "INVALID_REQUEST",
            "message": "订单金额与实际不符 (amount.total is not the trade's)",
        }
    if refund <= 0 or sim.trade_refunded.get(trade, 0) + refund > total:
        sim.log(no, "submit:invalid")
        return 400, {"code": "INVALID_REQUEST", "message": "申请退款金额超过订单可退金额"}
    answer = submit_async(sim, "wechat_pay", (no, trade, refund), ERRORS, lambda rec: (200, view(sim, rec)))
    if no in sim.refunds and doc.get("notify_url"):
        # WeChat sends the refund's result to the notify_url the request named (a fixed URL:
        # it may carry no parameters), else to the merchant's configured one.
        sim.refunds[no]["notify_url"] = str(doc["notify_url"])
    return answer


def abnormal(sim: Sim, refund_id: str, doc: dict[str, Any], serial: str) -> Answer:
    """发起异常退款: an ABNORMAL refund paid to the buyer's new debit card (USER_BANK_CARD; its
    number and name encrypted with the platform key named in ``Wechatpay-Serial``), accepted as
    PROCESSING and settled like a refund. MERCHANT_BANK_CARD is refused here: nothing of ours
    asks for it."""
    no = str(doc.get("out_refund_no", ""))
    rec = sim.refunds.get(no)
    if rec is None or f"wx{no}" != refund_id:
        return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
    if rec["status"] != "ABNORMAL":
        return 400, {"code": "INVALID_REQUEST", "message": "退款单状态不是退款异常"}
    platform = sim.keys.provider["wechat_pay"]
    if doc.get("type") != "USER_BANK_CARD" or not doc.get("bank_type") or serial != platform.serial:
        return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
    try:
        account = signing.rsa_decrypt(platform.private_pem, str(doc.get("bank_account", "")))
        signing.rsa_decrypt(platform.private_pem, str(doc.get("real_name", "")))
    except ValueError:
        return 400, {"code": "PARAM_ERROR", "message": "敏感信息解密失败"}
    sim.log(no, "abnormal:user_bank_card")
    rec["new_card"] = f"{doc['bank_type']}:{account[-4:]}"  # paid there, whatever the old account
    sim.start_async(rec)
    return 200, view(sim, rec)


def callback(sim: Sim, rec: dict[str, Any], status: str, forged: bool = False) -> tuple[dict[str, str], str]:
    """(headers, body) of the refund result callback, its resource encrypted; ``forged``: signed
    with a key WeChat does not hold (the resource sealed with the real APIv3 key all the same,
    so only the signature tells)."""
    event, summary = EVENTS.get(status, ("REFUND.CLOSED", "退款关闭"))
    inner = {k: v for k, v in view(sim, rec).items() if k not in ("status", "create_time", "funds_account")}
    inner |= {"mchid": MERCHANT_IDS["wechat_pay"], "refund_status": status}
    if status == "SUCCESS" and "success_time" not in inner:  # a forged one: "paid" just now
        inner["success_time"] = sim.now().astimezone(CST).isoformat(timespec="seconds")
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat's
    resource = {
        "original_type": "refund",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": signing.aes_gcm_encrypt(
            sim.keys.apiv3_key, nonce, "refund", json.dumps(inner, ensure_ascii=False)
        ),
        "associated_data": "refund",
        "nonce": nonce,
    }
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": sim.now().astimezone(CST).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": event,
            "summary": summary,
            "resource": resource,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return signed_headers(sim, body, forged=forged), body
