"""WeChat Pay v3 refunds: JSON with an ``Authorization`` signature, accepted as PROCESSING and
settled later (``wechat_settle_seconds``), the result pushed as a signed callback."""

from __future__ import annotations

from typing import Any

from cancelflow.refunds import signing
from starlette.requests import Request

from local.provider_sim.books import Answer, Sim, submit_async

_SYSTEM_ERROR = (500, {"code": "SYSTEM_ERROR", "message": "system error"})
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "error_5xx": _SYSTEM_ERROR,
    "insufficient_balance": (403, {"code": "NOT_ENOUGH", "message": "merchant balance not enough"}),
    "unknown_result": _SYSTEM_ERROR,
    "query_error": (500, {"code": "SYSTEM_ERROR"}),
    "not_found": (404, {"code": "RESOURCE_NOT_EXISTS", "message": "no such refund"}),
    "bad_signature": (401, {"code": "SIGN_ERROR", "message": "signature"}),
}


def auth_ok(sim: Sim, request: Request, body: str) -> bool:
    auth = request.headers.get("authorization", "")
    scheme, _, rest = auth.partition(" ")
    parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
    parts = {k.strip(): v.strip().strip('"') for k, v in parts.items()}
    creds = sim.creds["wechat_pay"]
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    msg = signing.wechat_message(
        request.method, path, parts.get("timestamp", ""), parts.get("nonce_str", ""), body
    )
    return (
        scheme == "WECHATPAY2-SHA256-HMAC"
        and parts.get("mchid") == creds["merchant_id"]
        and signing.verify(creds["key"], msg, parts.get("signature", ""))
    )


def view(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_id": f"wx{rec['refund_no']}",
        "out_refund_no": rec["refund_no"],
        "out_trade_no": rec["trade"],
        "status": rec["status"],
        "create_time": rec["created_at"],
        "amount": {"refund": rec["amount"], "currency": "CNY"},
    }


def submit(sim: Sim, doc: dict[str, Any]) -> Answer:
    no, trade = str(doc.get("out_refund_no", "")), str(doc.get("out_trade_no", ""))
    amount = doc.get("amount") or {}
    refund, total = int(amount.get("refund", 0)), int(amount.get("total", 0))
    rec = sim.refunds.get(no)
    if rec is not None:
        if rec["status"] == "ABNORMAL" and not sim.closed(trade):
            sim.start_async(rec)  # the account was fixed: the same number goes through now
        sim.log(no, "submit:repeat")
        return 200, view(rec)
    if refund <= 0 or (total and sim.trade_refunded.get(trade, 0) + refund > total):
        sim.log(no, "submit:invalid")
        return 400, {"code": "INVALID_REQUEST", "message": "refund exceeds the trade's refundable amount"}
    return submit_async(sim, "wechat_pay", (no, trade, refund), ERRORS, lambda rec: (200, view(rec)))
