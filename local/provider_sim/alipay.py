"""Alipay's gateway as Alipay plays it: ``alipay.trade.refund`` and
``alipay.trade.fastpay.refund.query`` (GET query or POST form, ``biz_content`` JSON). The
request's ``RSA2`` sign is verified with the app's registered public key (in certificate mode
``app_cert_sn`` and ``alipay_root_cert_sn`` must name the app's certificate and the root), else
40002 ``isv.invalid-signature``; every answer is ``{"<method>_response": {...}, "sign": ...}``
signed over the node's exact text with the Alipay key (plus ``alipay_cert_sn`` in certificate
mode). Synchronous: the money moves at once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from cancelflow.clock import parse
from cancelflow.refunds import signing
from starlette.responses import Response

from local.provider_sim.books import Answer, Sim
from local.provider_sim.keys import MERCHANT_IDS

CST = timezone(timedelta(hours=8))
MAX_SKEW = timedelta(minutes=15)
FAILED = {"code": "40004", "msg": "Business Failed"}
FAILED_AUTH = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _cst(at: str | None) -> str | None:
    return parse(at).astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if at else None


def refused(params: dict[str, str], sim: Sim) -> dict[str, Any] | None:
    """Alipay's answer to a request it does not accept (app, signature, certificates, time)."""
    keys = sim.keys
    bad = {"code": "40002", "msg": "Invalid Arguments"}
    if params.get("app_id") != MERCHANT_IDS["alipay"]:
        return bad | {"sub_code": "isv.invalid-app-id", "sub_msg": "无效的AppID参数"}
    if params.get("sign_type") != "RSA2":
        return bad | {"sub_code": "isv.invalid-signature-type", "sub_msg": "无效的签名类型"}
    if "app_cert_sn" in params and (
        params["app_cert_sn"] != keys.app_cert_sn
        or params.get("alipay_root_cert_sn") != keys.alipay_root_cert_sn
    ):
        return bad | {"sub_code": "isv.cert-sn-not-match", "sub_msg": "证书序列号不匹配"}
    if not signing.rsa_verify(
        keys.merchant["alipay"].public_pem, signing.alipay_content(params), params.get("sign", "")
    ):
        return bad | {"sub_code": "isv.invalid-signature", "sub_msg": "验签出错"}
    try:
        sent = datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST)
    except ValueError:
        sent = None
    if sent is None or abs(datetime.now(CST) - sent) > MAX_SKEW:
        return bad | {"sub_code": "isv.invalid-timestamp", "sub_msg": "非法的时间戳参数"}
    return None


def respond(
    sim: Sim, params: dict[str, str], result: tuple[int, dict[str, Any]], *, forged: bool = False
) -> Response:
    """The gateway's answer: the node's text signed as it is sent (``forged``: with a key Alipay
    does not hold, still naming Alipay's certificate)."""
    status, node = result
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    key = sim.keys.forger if forged else sim.keys.provider["alipay"]
    sign = signing.rsa_sign(key.private_pem, text)
    name = params.get("method", "").replace(".", "_") + "_response"
    body = f'{{"{name}":{text},"sign":"{sign}"'
    if "app_cert_sn" in params:
        body += f',"alipay_cert_sn":"{sim.keys.alipay_cert_sn}"'
    return Response((body + "}").encode(), status, media_type="text/html;charset=utf-8")


def answer(sim: Sim, params: dict[str, str]) -> Answer:
    """None: answer after a timeout (the client has gone)."""
    method = params.get("method", "")
    no_good = refused(params, sim)
    if no_good is not None:
        return 200, no_good
    biz = json.loads(params.get("biz_content") or "{}")
    trade, no = str(biz.get("out_trade_no", "")), str(biz.get("out_request_no", ""))
    if method == "alipay.trade.fastpay.refund.query":
        return _query(sim, biz, trade, no)
    if method != "alipay.trade.refund":
        return 200, {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method"}
    amount = round(float(biz.get("refund_amount", "0")) * 100)
    rec = sim.refunds.get(no)
    ok = {"code": "10000", "msg": "Success", "out_trade_no": trade, "trade_no": f"ali{trade}"[:64]}
    if rec and rec["paid"]:  # the same out_request_no again: success, but no money moves
        sim.log(no, "submit:repeat")
        return 200, ok | {"fund_change": "N", "refund_fee": yuan(sim.trade_refunded.get(trade, 0))}
    fault = sim.draw("timeout", "error_5xx", "unknown_result", "insufficient_balance")
    sim.log(no, f"submit:{fault or 'ok'}")
    if fault == "error_5xx":
        return 200, {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "aop.unknow-error"}
    if fault == "insufficient_balance":
        return 200, FAILED | {"sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH", "sub_msg": "卖家余额不足"}
    total = sim.trades.get(trade)  # every trade the customer paid (POST /admin/trades)
    if total is None:
        return 200, FAILED | {"sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}
    if sim.closed(trade):
        sim.new_record("alipay", no, trade, amount)["status"] = "CLOSED_ACCOUNT"
        return 200, FAILED | {"sub_code": "ACQ.CUSTOMER_VALIDATE_ERROR", "sub_msg": "账户已注销或者被冻结"}
    if sim.trade_refunded.get(trade, 0) + amount > total:
        return 200, FAILED | {"sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "sub_msg": "退款金额超限"}
    rec = rec or sim.new_record("alipay", no, trade, amount)
    if fault == "timeout" and sim.rng.random() < 0.5:
        return None  # timed out before acting
    sim.pay(rec)
    rec["status"] = "REFUND_SUCCESS"
    if fault == "timeout":
        return None  # acted, answer lost
    if fault == "unknown_result":
        return 200, FAILED | {"sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统错误"}
    return 200, ok | {
        "fund_change": "Y",
        "refund_fee": yuan(sim.trade_refunded.get(trade, 0)),
        "gmt_refund_pay": _cst(rec.get("paid_at")),
        "buyer_logon_id": "159****5620",
    }


def forgery(sim: Sim, params: dict[str, str]) -> Response | None:
    """The ``bad_signature`` fault (books.forgery), drawn for this request: None, else an answer
    Alipay never gave, so nothing is recorded or paid: "paid" (``fund_change = Y``, or
    ``REFUND_SUCCESS`` to a query, signed with a key Alipay does not hold) or "refused" (an
    unsigned ``error_response`` 40002, which must not stop the refund either)."""
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        biz = {}
    trade, no = str(biz.get("out_trade_no", "")), str(biz.get("out_request_no", ""))
    query = params.get("method") == "alipay.trade.fastpay.refund.query"
    what = sim.forgery(no, "query" if query else "submit")
    if what is None:
        return None
    if what == "refused":
        refusal = json.dumps(
            {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}
        )
        return Response(f'{{"error_response":{refusal}}}'.encode(), 200, media_type="text/html;charset=utf-8")
    rec = sim.refunds.get(no) or {}
    node = {"code": "10000", "msg": "Success", "out_trade_no": trade, "trade_no": f"ali{trade}"[:64]}
    if query:
        node |= {"out_request_no": no, "refund_status": "REFUND_SUCCESS"}
        if rec:
            node["refund_amount"] = yuan(rec["amount"])
    else:
        node |= {"fund_change": "Y", "refund_fee": str(biz.get("refund_amount", "0"))}
    return respond(sim, params, (200, node), forged=True)


def _query(sim: Sim, biz: dict[str, Any], trade: str, no: str) -> Answer:
    if sim.draw("query_error"):
        sim.log(no, "query:5xx")
        return 200, {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error"}
    rec = sim.refunds.get(no)
    sim.log(no, f"query:{'paid' if rec and rec['paid'] else 'none'}")
    node: dict[str, Any] = {"code": "10000", "msg": "Success", "out_trade_no": trade, "out_request_no": no}
    if not (rec and rec["paid"]):
        return 200, node
    node |= {
        "trade_no": f"ali{trade}"[:64],
        "refund_status": "REFUND_SUCCESS",
        "refund_amount": yuan(rec["amount"]),
        "total_amount": yuan(sim.trades.get(trade, 0)),
    }
    if "gmt_refund_pay" in (biz.get("query_options") or []):
        node["gmt_refund_pay"] = _cst(rec.get("paid_at"))
    return 200, node
