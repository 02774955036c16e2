"""A bank's refund API: JSON with an ``X-Signature`` header, accepted and settled after
``bank_settle_days`` business days (CST, the policy's holidays), RETURNED for a closed account."""

from __future__ import annotations

from typing import Any

from cancelflow.refunds import signing
from starlette.requests import Request

from local.provider_sim.books import Answer, Sim, submit_async

ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "error_5xx": (503, {"code": "UNAVAILABLE"}),
    "insufficient_balance": (402, {"code": "INSUFFICIENT_FUNDS"}),
    "unknown_result": (500, {"code": "INTERNAL"}),
    "query_error": (503, {"code": "UNAVAILABLE"}),
    "not_found": (404, {"code": "NOT_FOUND"}),
    "bad_signature": (401, {"code": "BAD_SIGNATURE"}),
}


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
    return submit_async(sim, "bank_card", (no, trade, amount), ERRORS, lambda rec: (202, view(rec)))
