"""The acquirer's refund API on the contract in docs/refunds.md ("Bank card: the acquirer
contract"): requests signed SHA256withRSA by the merchant (``X-Merchant-Id/-Timestamp/-Nonce/
-Serial/-Signature`` over ``METHOD\\nPATH\\nTS\\nNONCE\\nBODY\\n``, refused with 401
``BAD_SIGNATURE``), answers and callbacks signed by the acquirer over ``TS\\nNONCE\\nBODY\\n``.
Accepted, then settled after ``bank_settle_days`` business days (CST, the policy's holidays),
RETURNED for a closed account."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from cancelflow.clock import iso
from cancelflow.refunds import signing
from starlette.requests import Request
from starlette.responses import Response

from local.provider_sim.books import Answer, Sim, submit_async
from local.provider_sim.keys import MERCHANT_IDS

MAX_SKEW = 300
ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "error_5xx": (503, {"code": "UNAVAILABLE"}),
    "insufficient_balance": (402, {"code": "INSUFFICIENT_FUNDS"}),
    "unknown_result": (500, {"code": "INTERNAL"}),
    "query_error": (503, {"code": "UNAVAILABLE"}),
    "not_found": (404, {"code": "NOT_FOUND"}),
    "bad_signature": (401, {"code": "BAD_SIGNATURE"}),
}


def auth_ok(sim: Sim, request: Request, body: str) -> bool:
    h = request.headers
    merchant = sim.keys.merchant["bank_card"]
    ts = h.get("x-timestamp", "")
    if (
        h.get("x-merchant-id") != MERCHANT_IDS["bank_card"]
        or h.get("x-serial") != merchant.serial
        or not ts.isdigit()
        or abs(time.time() - int(ts)) > MAX_SKEW
    ):
        return False
    msg = signing.wechat_message(request.method, request.url.path, ts, h.get("x-nonce", ""), body)
    return signing.rsa_verify(merchant.public_pem, msg, h.get("x-signature", ""))


def signed_headers(sim: Sim, body: str, *, forged: bool = False) -> dict[str, str]:
    """The acquirer's signature headers; ``forged``: under its serial, another key's."""
    acquirer = sim.keys.provider["bank_card"]
    ts, nonce = str(int(time.time())), secrets.token_hex(16)
    key = sim.keys.forger if forged else acquirer
    return {
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Serial": acquirer.serial,
        "X-Signature": signing.rsa_sign(key.private_pem, signing.wechat_message(ts, nonce, body)),
    }


def respond(sim: Sim, status: int, doc: dict[str, Any], *, forged: bool = False) -> Response:
    body = json.dumps(doc, separators=(",", ":"))
    # the contract: 401 BAD_SIGNATURE is the one answer the acquirer does not sign
    headers = {} if status == 401 else signed_headers(sim, body, forged=forged)
    return Response(body.encode(), status, headers, media_type="application/json")


def forged(sim: Sim, no: str, request: dict[str, Any] | None) -> Response:
    """The ``bad_signature`` fault: "SETTLED" for this refund, which the acquirer never said."""
    rec = sim.refunds.get(no) or {}
    fake = {
        "refund_no": no,
        "trade": str((request or {}).get("original_payment_id") or rec.get("trade", "")),
        "status": "SETTLED",
        "settle_at": iso(sim.now()),
        "amount": int((request or {}).get("amount") or rec.get("amount", 0)),
    }
    return respond(sim, 202 if request is not None else 200, view(sim, fake), forged=True)


def view(sim: Sim, rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_no": rec["refund_no"],
        "original_payment_id": rec["trade"],
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
        return 202, view(sim, rec)
    total = sim.trades.get(trade)  # every payment the customer made (POST /admin/trades)
    if total is None or amount <= 0 or sim.trade_refunded.get(trade, 0) + amount > total:
        sim.log(no, "submit:invalid")
        return 400, {"code": "INVALID"}
    return submit_async(sim, "bank_card", (no, trade, amount), ERRORS, lambda rec: (202, view(sim, rec)))


def callback(sim: Sim, rec: dict[str, Any], status: str, forged: bool = False) -> tuple[dict[str, str], str]:
    body = json.dumps(
        {"notification_id": secrets.token_hex(8), **view(sim, rec), "status": status}, separators=(",", ":")
    )
    return signed_headers(sim, body, forged=forged), body
