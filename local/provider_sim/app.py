"""The simulator over HTTP (Starlette on uvicorn in a thread): the providers' routes, the
``/admin`` routes tests and ``make bench`` use, and the callback pusher of the local runtime."""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from cancelflow import clock
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from local.provider_sim import alipay, bank, callbacks, keys, wechat
from local.provider_sim.books import Answer, Sim


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _lag(sim: Sim) -> None:
    await asyncio.sleep(float(sim.config["timeout_seconds"]))


def _look_up(sim: Sim, api: ModuleType, no: str) -> Answer:
    if sim.draw("query_error"):
        sim.log(no, "query:5xx")
        return api.ERRORS["query_error"]  # type: ignore[no-any-return]
    rec = sim.refunds.get(no)
    sim.log(no, f"query:{rec['status'] if rec else 'none'}")
    return api.ERRORS["not_found"] if rec is None else (200, api.view(sim, rec))


def _forgery(sim: Sim, api: ModuleType, no: str, request: dict[str, Any] | None) -> Response | None:
    """The ``bad_signature`` fault at an asynchronous provider (books.forgery): its forged "paid"
    answer (``api.forged``), or its unauthenticated refusal, which it sends unsigned."""
    what = sim.forgery(no, "submit" if request is not None else "query")
    if what == "refused":
        return api.respond(sim, *api.ERRORS["bad_signature"])  # type: ignore[no-any-return]
    return api.forged(sim, no, request) if what == "paid" else None


def _refund_no(doc: dict[str, Any]) -> str:
    return str(doc.get("out_refund_no") or doc.get("refund_no") or "")  # WeChat's, the acquirer's


def build_app(sim: Sim) -> Starlette:
    async def late(response: Response | None) -> Response:
        """None: the provider acted (or not) and answers after the client has given up."""
        if response is None:
            await _lag(sim)
            return _json({"code": "TIMEOUT"}, 504)
        return response

    async def alipay_gateway(request: Request) -> Response:
        # Alipay takes the parameters in the query (the SDKs' GET) or as a form (POST).
        params = dict(parse_qsl(request.url.query)) | dict(parse_qsl((await request.body()).decode()))
        with sim.lock:
            sim.settle_due()
            forged = alipay.forgery(sim, params)  # someone between us and Alipay answers instead
            if forged is not None:
                return forged
            result = alipay.answer(sim, params)
            response = None if result is None else alipay.respond(sim, params, result)
        return await late(response)

    def refunds(api: ModuleType) -> Callable[[Request], Awaitable[Response]]:
        """POST a refund to an asynchronous provider (``api``: the wechat or bank module)."""

        async def submit(request: Request) -> Response:
            body = (await request.body()).decode()
            with sim.lock:
                doc = json.loads(body or "{}")
                forged = _forgery(sim, api, _refund_no(doc), doc)  # someone between us and it answers
                if forged is not None:
                    return forged
                if not api.auth_ok(sim, request, body):
                    return api.respond(sim, *api.ERRORS["bad_signature"])  # type: ignore[no-any-return]
                sim.settle_due()
                result = api.submit(sim, doc)
                response = None if result is None else api.respond(sim, *result)
            return await late(response)

        return submit

    def query(api: ModuleType) -> Callable[[Request], Awaitable[Response]]:
        """GET one refund by number from an asynchronous provider."""

        async def look_up(request: Request) -> Response:
            with sim.lock:
                forged = _forgery(sim, api, request.path_params["no"], None)
                if forged is not None:
                    return forged
                if not api.auth_ok(sim, request, ""):
                    return api.respond(sim, *api.ERRORS["bad_signature"])  # type: ignore[no-any-return]
                sim.settle_due()
                result = _look_up(sim, api, request.path_params["no"])
                response = None if result is None else api.respond(sim, *result)
            return await late(response)

        return look_up

    async def wechat_abnormal(request: Request) -> Response:
        """WeChat's 发起异常退款 for an ABNORMAL refund (wechat.abnormal)."""
        body = (await request.body()).decode()
        with sim.lock:
            if not wechat.auth_ok(sim, request, body):
                return wechat.respond(sim, *wechat.ERRORS["bad_signature"])
            sim.settle_due()
            serial = request.headers.get("wechatpay-serial", "")
            result = wechat.abnormal(sim, request.path_params["refund_id"], json.loads(body or "{}"), serial)
            return wechat.respond(sim, *result) if result is not None else _json({"code": "TIMEOUT"}, 504)

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
            books = {"refunds": sim.refunds, "calls": sim.calls, "trades": sim.trades}
            return _json(books | {"closed": sim.trade_closed})

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
            return _json({"callbacks": [callbacks.signed(sim, cb) for cb in sim.ready_callbacks()]})

    async def admin_trades(request: Request) -> Response:
        """``{"trade": "...", "total": 5000}``: a trade's amount, as its payment made it (WeChat's
        ``amount.total`` must equal it; no provider refunds more than it)."""
        doc = await request.json()
        with sim.lock:
            sim.trades[str(doc["trade"])] = int(doc["total"])
            return _json({"trade": doc["trade"], "total": sim.trades[str(doc["trade"])]})

    async def admin_accounts(request: Request) -> Response:
        """``{"trade": "...", "closed": false}``: the customer fixed (or lost) the account."""
        doc = await request.json()
        with sim.lock:
            sim.trade_closed[str(doc["trade"])] = bool(doc.get("closed", False))
            return _json({"trade": doc["trade"], "closed": sim.trade_closed[str(doc["trade"])]})

    return Starlette(
        routes=[
            Route("/alipay/gateway.do", alipay_gateway, methods=["GET", "POST"]),
            Route("/v3/refund/domestic/refunds", refunds(wechat), methods=["POST"]),
            Route("/v3/refund/domestic/refunds/{no}", query(wechat), methods=["GET"]),
            Route(
                "/v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund",
                wechat_abnormal,
                methods=["POST"],
            ),
            Route("/bank/v1/refunds", refunds(bank), methods=["POST"]),
            Route("/bank/v1/refunds/{no}", query(bank), methods=["GET"]),
            Route("/admin/config", admin_config, methods=["GET", "POST"]),
            Route("/admin/reset", admin_reset, methods=["POST"]),
            Route("/admin/refunds", admin_refunds, methods=["GET"]),
            Route("/admin/payouts", admin_payouts, methods=["GET"]),
            Route("/admin/callbacks", admin_callbacks, methods=["POST"]),
            Route("/admin/accounts", admin_accounts, methods=["POST"]),
            Route("/admin/trades", admin_trades, methods=["POST"]),
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
            ready = [callbacks.signed(sim, cb) for cb in sim.ready_callbacks()]
            targets = [str(sim.refunds[cb["refund_no"]].get("notify_url") or url) for cb in ready]
            extra = dict(sim.config["notify_headers"])
        for cb, target in zip(ready, targets, strict=True):
            req = urllib.request.Request(
                target.replace("{provider}", cb["provider"]),
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


def credentials_json(sim_keys: keys.SimKeys | None = None, notify_url: str = "") -> str:
    """The runtime's credentials for this process's simulator (one object per provider)."""
    return json.dumps((sim_keys or keys.current()).credentials(notify_url=notify_url))


def tell_trade(trade: str, total: int, base_url: str | None = None) -> None:
    """A customer paid ``trade`` (``total`` fen): the simulated providers know it from now on, as
    a real provider knows every trade it took, and refuse refunds on any other. The local runtime
    calls this for each payment it records (gateway, demo); no-op without a simulator."""
    base = base_url if base_url is not None else os.environ.get("CANCELFLOW_PROVIDER_BASE_URL", "")
    if not base.startswith("http://"):
        return  # not the simulator (production and sandboxes learn trades from real payments)
    req = urllib.request.Request(
        base.rstrip("/") + "/admin/trades",
        data=json.dumps({"trade": trade, "total": total}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as answer:
        answer.read()


def start(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    now: Callable[[], datetime] = clock.now,
    sim_keys: keys.SimKeys | None = None,
    **config: Any,
) -> tuple[str, Callable[[], None]]:
    """Run the simulator in a thread; (base URL, stop). Its RSA keys and certificates are this
    process's (keys.current(), made on first use); handlers in this process get the merchant's
    side through ``CANCELFLOW_PROVIDER_CREDENTIALS`` unless credentials are configured already
    (the same hand-over as before the real protocols)."""
    import uvicorn

    from local.serve import serve_in_thread

    made = sim_keys or keys.current()
    os.environ.setdefault(
        "CANCELFLOW_PROVIDER_CREDENTIALS", credentials_json(made, str(config.get("notify_url") or ""))
    )
    sim = Sim(now, made)
    sim.reset(**config)
    server_config = uvicorn.Config(
        build_app(sim), host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server, stop_server = serve_in_thread(server_config, "provider-sim", start_timeout=10)
    bound = server.servers[0].sockets[0].getsockname()[1]
    halt = threading.Event()
    pusher = threading.Thread(target=_pusher, args=(sim, halt), name="provider-sim-notify", daemon=True)
    pusher.start()

    def stop() -> None:
        halt.set()
        stop_server()
        pusher.join(timeout=5)

    return f"http://{host}:{bound}", stop
