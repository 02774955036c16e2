"""Alipay's ``alipay.trade.refund`` and ``alipay.trade.fastpay.refund.query`` (one gateway,
form-encoded, ``sign`` over the sorted parameters): synchronous, the money moves at once."""

from __future__ import annotations

import json

from cancelflow.refunds import signing

from local.provider_sim.books import Answer, Sim


def answer(sim: Sim, params: dict[str, str]) -> Answer:
    """None: answer after a timeout (the client has gone)."""
    method = params.get("method", "")
    node = method.replace(".", "_") + "_response"
    creds = sim.creds["alipay"]
    if params.get("app_id") != creds["merchant_id"] or not signing.verify(
        creds["key"], signing.alipay_content(params), params.get("sign", "")
    ):
        return 200, {node: {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}}
    biz = json.loads(params.get("biz_content") or "{}")
    trade, no = str(biz.get("out_trade_no", "")), str(biz.get("out_request_no", ""))
    if method == "alipay.trade.fastpay.refund.query":
        if sim.draw("query_error"):
            sim.log(no, "query:5xx")
            return 500, {}
        rec = sim.refunds.get(no)
        sim.log(no, f"query:{'paid' if rec and rec['paid'] else 'none'}")
        if rec and rec["paid"]:
            return 200, {
                node: {
                    "code": "10000",
                    "msg": "Success",
                    "out_trade_no": trade,
                    "out_request_no": no,
                    "refund_status": "REFUND_SUCCESS",
                    "refund_amount": biz.get("refund_amount"),
                    "trade_no": f"ali{no}",
                }
            }
        return 200, {node: {"code": "10000", "msg": "Success", "out_trade_no": trade, "out_request_no": no}}
    if method != "alipay.trade.refund":
        return 200, {node: {"code": "40004", "sub_code": "isv.invalid-method"}}
    amount = round(float(biz.get("refund_amount", "0")) * 100)
    rec = sim.refunds.get(no)
    if rec and rec["paid"]:  # the same out_request_no again: success, but no money moves
        sim.log(no, "submit:repeat")
        return 200, {
            node: {
                "code": "10000",
                "msg": "Success",
                "fund_change": "N",
                "trade_no": f"ali{no}",
                "refund_fee": biz.get("refund_amount"),
            }
        }
    fault = sim.draw("timeout", "error_5xx", "unknown_result", "insufficient_balance")
    sim.log(no, f"submit:{fault or 'ok'}")
    if fault == "error_5xx":
        return 200, {
            node: {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "aop.unknow-error"}
        }
    if fault == "insufficient_balance":
        return 200, {
            node: {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH"}
        }
    if sim.closed(trade):
        sim.new_record("alipay", no, trade, amount)["status"] = "CLOSED_ACCOUNT"
        return 200, {
            node: {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.BUYER_ACCOUNT_CLOSED"}
        }
    rec = rec or sim.new_record("alipay", no, trade, amount)
    if fault == "timeout" and sim.rng.random() < 0.5:
        return None  # timed out before acting
    sim.pay(rec)
    rec["status"] = "REFUND_SUCCESS"
    if fault == "timeout":
        return None  # acted, answer lost
    if fault == "unknown_result":
        return 200, {node: {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.SYSTEM_ERROR"}}
    return 200, {
        node: {
            "code": "10000",
            "msg": "Success",
            "fund_change": "Y",
            "trade_no": f"ali{no}",
            "out_trade_no": trade,
            "refund_fee": biz.get("refund_amount"),
        }
    }
