"""The simulated payment provider: Alipay, WeChat Pay v3 and a bank's refund API over HTTP on
loopback, with switchable, seeded failure modes (docs/refunds.md, "The simulator").

It keeps its own books like a real provider: one refund record per refund number (its
idempotency key), and a payout list that the tests and ``make bench`` read back through
``GET /admin/payouts`` to prove that no refund number was ever paid twice.

Failure modes (``POST /admin/config``, rates 0..1 drawn from one seeded RNG):
``timeout`` (act, then answer after the client gave up), ``error_5xx`` (fail before acting),
``unknown_result`` (act, then answer 500 / SYSTEM_ERROR), ``insufficient_balance`` (refuse,
nothing paid), ``closed_account`` (per trade: the destination cannot receive),
``query_error`` (queries answer 500), ``duplicate_callbacks`` (each callback 2-3 times) and
``late_callbacks`` (held back one drain, so they arrive after the result was polled).

``start(port=0) -> (url, stop)`` runs it in a thread (uvicorn); ``python -m local.provider_sim``
runs it alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from cancelflow import clock
from cancelflow.clock import iso
from cancelflow.domain.calendar import add_business_days
from cancelflow.refunds import signing
from cancelflow.settings import get_settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The keys the simulator accepts; the local runtime gives the handlers the same JSON.
DEFAULT_CREDENTIALS: dict[str, dict[str, str]] = {
    "alipay": {"merchant_id": "2021000000000001", "key": "sim-alipay-key"},
    "wechat_pay": {"merchant_id": "1900000001", "key": "sim-wechat-key", "serial_no": "SIMSERIAL0001"},
    "bank_card": {"merchant_id": "BANK000001", "key": "sim-bank-key"},
}

DEFAULT_CONFIG: dict[str, Any] = {
    "seed": 1,
    "timeout": 0.0,
    "error_5xx": 0.0,
    "unknown_result": 0.0,
    "insufficient_balance": 0.0,
    "closed_account": 0.0,
    "query_error": 0.0,
    "duplicate_callbacks": 0.0,
    "late_callbacks": 0.0,
    "timeout_seconds": 1.0,  # longer than the client's timeout
    "wechat_settle_seconds": 0,  # WeChat refunds settle this long after acceptance (business time)
    "bank_settle_days": 1,  # business days (CST, policy holidays)
    "stalled": False,  # accept refunds but never settle them (an overdue refund)
    "notify_url": "",  # push callbacks here ("{refund_no}" is replaced), else only /admin/callbacks
    "notify_headers": {},  # e.g. a platform token for the local gateway
}


class Sim:
    """The provider's books. One lock; no await inside it."""

    def __init__(self, now: Callable[[], datetime], credentials: dict[str, dict[str, str]]) -> None:
        self.now = now
        self.creds = credentials
        self.lock = threading.Lock()
        self.reset()

    def reset(self, **config: Any) -> None:
        self.config = {**DEFAULT_CONFIG, **config}
        self.rng = random.Random(self.config["seed"])
        self.refunds: dict[str, dict[str, Any]] = {}
        self.payouts: list[dict[str, Any]] = []
        self.trade_refunded: dict[str, int] = {}
        self.trade_closed: dict[str, bool] = {}
        self.callbacks: list[dict[str, Any]] = []  # waiting to be delivered
        self.calls: dict[str, list[str]] = {}  # refund_no -> "submit:<answer>" / "query:<answer>"

    # ------------------------------------------------------------------ faults
    def draw(self, *modes: str) -> str | None:
        """At most one fault per call, in the order given."""
        r = self.rng.random()
        acc = 0.0
        for m in modes:
            acc += float(self.config[m])
            if r < acc:
                return m
        return None

    def closed(self, trade: str) -> bool:
        if trade not in self.trade_closed:
            self.trade_closed[trade] = self.rng.random() < float(self.config["closed_account"])
        return self.trade_closed[trade]

    def log(self, refund_no: str, entry: str) -> None:
        self.calls.setdefault(refund_no, []).append(entry)

    # ------------------------------------------------------------------ books
    def pay(self, rec: dict[str, Any]) -> None:
        """The money moves: once per refund number, whatever is asked."""
        if rec["paid"]:
            return
        rec["paid"] = True
        rec["paid_at"] = iso(self.now())
        self.trade_refunded[rec["trade"]] = self.trade_refunded.get(rec["trade"], 0) + rec["amount"]
        self.payouts.append(
            {
                "provider": rec["provider"],
                "refund_no": rec["refund_no"],
                "trade": rec["trade"],
                "amount": rec["amount"],
                "at": rec["paid_at"],
            }
        )

    def new_record(self, provider: str, refund_no: str, trade: str, amount: int) -> dict[str, Any]:
        rec = {
            "provider": provider,
            "refund_no": refund_no,
            "trade": trade,
            "amount": amount,
            "status": "PROCESSING",
            "paid": False,
            "created_at": iso(self.now()),
            "settle_at": None,
            "notified": False,
        }
        self.refunds[refund_no] = rec
        return rec

    def start_async(self, rec: dict[str, Any]) -> None:
        """Accepted for asynchronous settlement (WeChat, bank)."""
        now = self.now()
        if rec["provider"] == "bank_card":
            due = add_business_days(
                now, int(self.config["bank_settle_days"]), get_settings().policies.holidays
            )
            rec["status"] = "ACCEPTED"
        else:
            due = now + timedelta(seconds=float(self.config["wechat_settle_seconds"]))
            rec["status"] = "PROCESSING"
        rec["settle_at"] = iso(due)
        rec["notified"] = False

    def settle_due(self) -> None:
        if self.config["stalled"]:
            return
        now = iso(self.now())
        for rec in self.refunds.values():
            if (
                rec["settle_at"] is None
                or rec["settle_at"] > now
                or rec["status"] not in ("PROCESSING", "ACCEPTED")
            ):
                continue
            bank = rec["provider"] == "bank_card"
            if self.closed(rec["trade"]):
                rec["status"] = "RETURNED" if bank else "ABNORMAL"
            else:
                self.pay(rec)
                rec["status"] = "SETTLED" if bank else "SUCCESS"
            self.queue_callbacks(rec)

    def queue_callbacks(self, rec: dict[str, Any]) -> None:
        copies = 1 + (
            self.rng.randint(1, 2) if self.rng.random() < float(self.config["duplicate_callbacks"]) else 0
        )
        for _ in range(copies):
            late = self.rng.random() < float(self.config["late_callbacks"])
            self.callbacks.append(
                {
                    "refund_no": rec["refund_no"],
                    "provider": rec["provider"],
                    "status": rec["status"],
                    "hold": 1 if late else 0,
                }
            )

    def ready_callbacks(self) -> list[dict[str, Any]]:
        """Callbacks due now, signed now; late ones wait one more round."""
        out, keep = [], []
        for cb in self.callbacks:
            if cb["hold"] > 0:
                keep.append({**cb, "hold": cb["hold"] - 1})
            else:
                out.append(self.signed_callback(cb))
        self.callbacks = keep
        return out

    def signed_callback(self, cb: dict[str, Any]) -> dict[str, Any]:
        rec = self.refunds[cb["refund_no"]]
        ts = str(int(time.time()))
        if cb["provider"] == "wechat_pay":
            event = {"SUCCESS": "REFUND.SUCCESS", "ABNORMAL": "REFUND.ABNORMAL"}.get(
                cb["status"], "REFUND.CLOSED"
            )
            body = json.dumps(
                {
                    "id": secrets.token_hex(8),
                    "create_time": iso(self.now()),
                    "event_type": event,
                    "resource_type": "plain-resource",
                    "resource": {
                        "out_refund_no": rec["refund_no"],
                        "out_trade_no": rec["trade"],
                        "refund_status": cb["status"],
                        "refund_id": f"wx{rec['refund_no']}",
                        "amount": {"refund": rec["amount"]},
                    },
                },
                separators=(",", ":"),
            )
            nonce = secrets.token_hex(16)
            key = self.creds["wechat_pay"]["key"]
            headers = {
                "Wechatpay-Timestamp": ts,
                "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": signing.sign(key, signing.wechat_message(ts, nonce, body)),
                "Wechatpay-Serial": self.creds["wechat_pay"].get("serial_no", ""),
            }
        else:
            body = json.dumps(
                {
                    "notification_id": secrets.token_hex(8),
                    "refund_no": rec["refund_no"],
                    "status": cb["status"],
                    "bank_ref": f"bk{rec['refund_no']}",
                    "settle_at": rec["settle_at"],
                },
                separators=(",", ":"),
            )
            key = self.creds["bank_card"]["key"]
            headers = {"X-Timestamp": ts, "X-Signature": signing.sign(key, signing.wechat_message(ts, body))}
        return {"refund_no": rec["refund_no"], "provider": cb["provider"], "headers": headers, "body": body}


# ---------------------------------------------------------------------- HTTP


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _lag(sim: Sim) -> None:
    await asyncio.sleep(float(sim.config["timeout_seconds"]))


def _alipay(sim: Sim, params: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
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


def _wechat_auth_ok(sim: Sim, request: Request, body: str) -> bool:
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


def _wechat_view(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_id": f"wx{rec['refund_no']}",
        "out_refund_no": rec["refund_no"],
        "out_trade_no": rec["trade"],
        "status": rec["status"],
        "create_time": rec["created_at"],
        "amount": {"refund": rec["amount"], "currency": "CNY"},
    }


def _wechat_submit(sim: Sim, doc: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    no, trade = str(doc.get("out_refund_no", "")), str(doc.get("out_trade_no", ""))
    amount = doc.get("amount") or {}
    refund, total = int(amount.get("refund", 0)), int(amount.get("total", 0))
    rec = sim.refunds.get(no)
    if rec is not None:
        if rec["status"] == "ABNORMAL" and not sim.closed(trade):
            sim.start_async(rec)  # the account was fixed: the same number goes through now
        sim.log(no, "submit:repeat")
        return 200, _wechat_view(rec)
    if refund <= 0 or (total and sim.trade_refunded.get(trade, 0) + refund > total):
        sim.log(no, "submit:invalid")
        return 400, {"code": "INVALID_REQUEST", "message": "refund exceeds the trade's refundable amount"}
    fault = sim.draw("timeout", "error_5xx", "unknown_result", "insufficient_balance")
    sim.log(no, f"submit:{fault or 'ok'}")
    if fault == "error_5xx":
        return 500, {"code": "SYSTEM_ERROR", "message": "system error"}
    if fault == "insufficient_balance":
        return 403, {"code": "NOT_ENOUGH", "message": "merchant balance not enough"}
    if fault == "timeout" and sim.rng.random() < 0.5:
        return None
    rec = sim.new_record("wechat_pay", no, trade, refund)
    sim.start_async(rec)
    if fault == "timeout":
        return None
    if fault == "unknown_result":
        return 500, {"code": "SYSTEM_ERROR", "message": "system error"}
    return 200, _wechat_view(rec)


def _bank_auth_ok(sim: Sim, request: Request, body: str) -> bool:
    creds = sim.creds["bank_card"]
    msg = signing.wechat_message(
        request.method, request.url.path, request.headers.get("x-timestamp", ""), body
    )
    return request.headers.get("x-merchant-id") == creds["merchant_id"] and signing.verify(
        creds["key"], msg, request.headers.get("x-signature", "")
    )


def _bank_view(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "refund_no": rec["refund_no"],
        "status": rec["status"],
        "settle_at": rec["settle_at"],
        "bank_ref": f"bk{rec['refund_no']}",
        "amount": rec["amount"],
    }


def _bank_submit(sim: Sim, doc: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
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
        return 202, _bank_view(rec)
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
    return 202, _bank_view(rec)


def build_app(sim: Sim) -> Starlette:
    async def answer(result: tuple[int, dict[str, Any]] | None) -> Response:
        if result is None:
            await _lag(sim)
            return _json({"code": "TIMEOUT"}, 504)
        return _json(result[1], result[0])

    async def alipay(request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode()))
        with sim.lock:
            sim.settle_due()
            result = _alipay(sim, params)
        return await answer(result)

    async def wechat_refunds(request: Request) -> Response:
        body = (await request.body()).decode()
        if not _wechat_auth_ok(sim, request, body):
            return _json({"code": "SIGN_ERROR", "message": "signature"}, 401)
        with sim.lock:
            sim.settle_due()
            result = _wechat_submit(sim, json.loads(body or "{}"))
        return await answer(result)

    async def wechat_query(request: Request) -> Response:
        if not _wechat_auth_ok(sim, request, ""):
            return _json({"code": "SIGN_ERROR", "message": "signature"}, 401)
        no = request.path_params["no"]
        with sim.lock:
            sim.settle_due()
            if sim.draw("query_error"):
                sim.log(no, "query:5xx")
                return _json({"code": "SYSTEM_ERROR"}, 500)
            rec = sim.refunds.get(no)
            sim.log(no, f"query:{rec['status'] if rec else 'none'}")
            if rec is None:
                return _json({"code": "RESOURCE_NOT_EXISTS", "message": "no such refund"}, 404)
            return _json(_wechat_view(rec))

    async def bank_refunds(request: Request) -> Response:
        body = (await request.body()).decode()
        if not _bank_auth_ok(sim, request, body):
            return _json({"code": "BAD_SIGNATURE"}, 401)
        with sim.lock:
            sim.settle_due()
            result = _bank_submit(sim, json.loads(body or "{}"))
        return await answer(result)

    async def bank_query(request: Request) -> Response:
        if not _bank_auth_ok(sim, request, ""):
            return _json({"code": "BAD_SIGNATURE"}, 401)
        no = request.path_params["no"]
        with sim.lock:
            sim.settle_due()
            if sim.draw("query_error"):
                sim.log(no, "query:5xx")
                return _json({"code": "UNAVAILABLE"}, 503)
            rec = sim.refunds.get(no)
            sim.log(no, f"query:{rec['status'] if rec else 'none'}")
            if rec is None:
                return _json({"code": "NOT_FOUND"}, 404)
            return _json(_bank_view(rec))

    async def admin_config(request: Request) -> Response:
        with sim.lock:
            if request.method == "POST":
                change = await request.json()
                sim.config.update(change)
                if "seed" in change:
                    sim.rng = random.Random(change["seed"])
            return _json(sim.config)

    async def admin_reset(request: Request) -> Response:
        change = await request.json() if (await request.body()) else {}
        with sim.lock:
            sim.reset(**change)
            return _json(sim.config)

    async def admin_refunds(request: Request) -> Response:
        with sim.lock:
            sim.settle_due()
            return _json({"refunds": sim.refunds, "calls": sim.calls})

    async def admin_payouts(request: Request) -> Response:
        with sim.lock:
            sim.settle_due()
            counts: dict[str, int] = {}
            for p in sim.payouts:
                counts[p["refund_no"]] = counts.get(p["refund_no"], 0) + 1
            return _json({"payouts": sim.payouts, "max_per_refund_no": max(counts.values(), default=0)})

    async def admin_callbacks(request: Request) -> Response:
        """Deliver callbacks to the caller instead of pushing them (tests drive the order)."""
        with sim.lock:
            sim.settle_due()
            return _json({"callbacks": sim.ready_callbacks()})

    async def admin_accounts(request: Request) -> Response:
        """``{"trade": "...", "closed": false}``: the customer fixed (or lost) the account."""
        doc = await request.json()
        with sim.lock:
            sim.trade_closed[str(doc["trade"])] = bool(doc.get("closed", False))
            return _json({"trade": doc["trade"], "closed": sim.trade_closed[str(doc["trade"])]})

    return Starlette(
        routes=[
            Route("/alipay/gateway.do", alipay, methods=["POST"]),
            Route("/v3/refund/domestic/refunds", wechat_refunds, methods=["POST"]),
            Route("/v3/refund/domestic/refunds/{no}", wechat_query, methods=["GET"]),
            Route("/bank/v1/refunds", bank_refunds, methods=["POST"]),
            Route("/bank/v1/refunds/{no}", bank_query, methods=["GET"]),
            Route("/admin/config", admin_config, methods=["GET", "POST"]),
            Route("/admin/reset", admin_reset, methods=["POST"]),
            Route("/admin/refunds", admin_refunds, methods=["GET"]),
            Route("/admin/payouts", admin_payouts, methods=["GET"]),
            Route("/admin/callbacks", admin_callbacks, methods=["POST"]),
            Route("/admin/accounts", admin_accounts, methods=["POST"]),
        ]
    )


def _pusher(sim: Sim, stop: threading.Event) -> None:
    """Push mode (the local runtime): deliver callbacks to ``notify_url`` as a provider would,
    retrying a failed delivery on the next round like WeChat does."""
    while not stop.wait(0.5):
        with sim.lock:
            url = str(sim.config["notify_url"])
            if not url:
                continue
            sim.settle_due()
            ready = sim.ready_callbacks()
            extra = dict(sim.config["notify_headers"])
        for cb in ready:
            req = urllib.request.Request(
                url.replace("{refund_no}", cb["refund_no"]),
                data=cb["body"].encode(),
                method="POST",
                headers={"Content-Type": "application/json", **cb["headers"], **extra},
            )
            try:
                urllib.request.urlopen(req, timeout=5).close()
            except OSError:
                with sim.lock:  # not acknowledged: the provider sends it again later
                    sim.callbacks.append(
                        {
                            "refund_no": cb["refund_no"],
                            "provider": cb["provider"],
                            "status": sim.refunds[cb["refund_no"]]["status"],
                            "hold": 1,
                        }
                    )


def credentials_json(creds: dict[str, dict[str, str]] | None = None) -> str:
    return json.dumps(creds or DEFAULT_CREDENTIALS)


def start(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    now: Callable[[], datetime] = clock.now,
    credentials: dict[str, dict[str, str]] | None = None,
    **config: Any,
) -> tuple[str, Callable[[], None]]:
    """Run the simulator in a thread; (base URL, stop). Handlers in this process get its keys
    through ``CANCELFLOW_PROVIDER_CREDENTIALS`` unless credentials are configured already."""
    import uvicorn

    creds = credentials or DEFAULT_CREDENTIALS
    os.environ.setdefault("CANCELFLOW_PROVIDER_CREDENTIALS", credentials_json(creds))
    sim = Sim(now, creds)
    sim.reset(**config)
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(sim), host=host, port=port, log_level="warning", lifespan="off", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name="provider-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"provider simulator did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    halt = threading.Event()
    pusher = threading.Thread(target=_pusher, args=(sim, halt), name="provider-sim-notify", daemon=True)
    pusher.start()

    def stop() -> None:
        halt.set()
        server.should_exit = True
        thread.join(timeout=10)
        pusher.join(timeout=5)

    return f"http://{host}:{bound}", stop


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="the simulated payment provider")
    ap.add_argument("--port", type=int, default=8002)
    a = ap.parse_args()
    u, halt_sim = start(a.port)
    print(f"provider simulator on {u} (admin: {u}/admin/config)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        halt_sim()
