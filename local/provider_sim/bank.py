"""A bank's refund API: JSON with an ``X-Signature`` header, accepted and settled after
``bank_settle_days`` business days (CST, the policy's holidays), RETURNED for a closed account."""

from __future__ import annotations

from typing import Any

from cancelflow.refunds import signing
from starlette.requests import Request

from local.provider_sim.books import Answer, Sim


def auth_ok(sim: Sim, request: Request, body: str) -> bool:
    creds = sim.creds["bank_card"]
    msg = signing.wechat_message(
        request.method, request.url.path, request.headers.get("x-timestamp", ""), body
    )
    return request.headers.get("x-merchant-id") == creds["merchant_id"] and signing.verify(
        creds["key"], msg, request.headers.get("x-signature", "")
    )


def view(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_no": rec["refund_no"],
        "status": rec["status"],
        "settle_at": rec["settle_at"],
        "bank_ref": f"bk{rec['refund_no']}",
        "amount": rec["amount"],
    }


def submit(sim: Sim, doc: dict[str, Any]) -> Answer:
    no, trade, amount = (
        str(doc.get("refund_no", "")),
        str(doc.get("original_payment_id", "")),
        int(doc.get("amount", 0)),
    )
    rec = sim.refunds.get(no)
    if rec is not None:
        if rec["status"] == "RETURNED" and not sim.closed(trade):
            sim.start_async(rec)
        sim.log(no, "submit:repeat")
        return 202, view(rec)
    fault = sim.draw("timeout", "error_5xx", "unknown_result", "insufficient_balance")
    sim.log(no, f"submit:{fault or 'ok'}")
    if fault == "error_5xx":
        return 503, {"code": "UNAVAILABLE"}
    if fault == "insufficient_balance":
        return 402, {"code": "INSUFFICIENT_FUNDS"}
    if fault == "timeout" and sim.rng.random() < 0.5:
        return None
    rec = sim.new_record("bank_card", no, trade, amount)
    sim.start_async(rec)
    if fault == "timeout":
        return None
    if fault == "unknown_result":
        return 500, {"code": "INTERNAL"}
    return 202, view(rec)
