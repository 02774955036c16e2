"""The local HTTP API: what API Gateway does in front of the handlers, on starlette + uvicorn.

Routes come from ``infra.topology.ROUTES`` (the table the CDK builds the HTTP API from). For a
route the gateway verifies the JWT as the HTTP API's JWT authorizer would (401 otherwise),
builds the payload-2.0 event with ``local.apigw``, invokes the real handler in-process and
turns its answer into the response. Roles are the handlers' business, as in the cloud, where
the authorizer only authenticates. Beside the API, on the same origin: the OpenAPI document,
the console's static files, the issuer's JWKS, and the local-only ``/local/*`` routes.

The one gateway emulator: ``make dev`` serves it on uvicorn, and the tests that speak HTTP to
the handlers in-process (schemathesis, tests/api/in_process.py) send their requests through it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from cancelflow.errors import ErrorCode, message
from cancelflow.http.context import negotiate_language
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.routing import Route as HttpRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.topology import CORS, ROUTES, Route
from local import apigw
from local.auth import Issuer, Unauthorized
from local.lambdas import ROOT, Invoker
from local.provider_sim.app import tell_trade

log = logging.getLogger("cancelflow.local.gateway")


def request_id_of(request: Request) -> str:
    """The id ``RequestIds`` gave this request (every answer carries it)."""
    state = request.scope.setdefault("state", {})
    return str(state.setdefault("request_id", apigw.new_request_id()))


def error_response(
    status: int,
    code: ErrorCode,
    request: Request,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> JSONResponse:
    """The API's one error format, for the answers the gateway itself gives; the request id is
    the request's own unless one is given, in the body and in both headers."""
    lang = negotiate_language(request.headers.get("accept-language"))
    rid = request_id or request_id_of(request)
    body = {
        "error": {
            "code": code,
            "message": message(code, lang),
            "request_id": rid,
            "details": details or {},
        }
    }
    return JSONResponse(body, status_code=status, headers={"apigw-requestid": rid, "x-request-id": rid})


class RequestIds:
    """Gives each request its API Gateway request id (the handlers' event carries the same
    one) and puts it on every answer as ``apigw-requestid`` and ``X-Request-Id``, whoever made
    the answer: a function, the gateway's own 401/404/413/500, a static file."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = apigw.new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name in ("apigw-requestid", "x-request-id"):
                    if name not in headers:
                        headers[name] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)


def too_large(request: Request) -> JSONResponse:
    return error_response(
        413, ErrorCode.PAYLOAD_TOO_LARGE, request, details={"max_bytes": apigw.MAX_PAYLOAD_BYTES}
    )


def declared_too_large(request: Request) -> bool:
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > apigw.MAX_PAYLOAD_BYTES


async def read_body(request: Request) -> bytes | None:
    """The body, or None as soon as it passes API Gateway's limit: a chunked body (no
    Content-Length) is counted while it streams, so an endless one is never held in memory."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > apigw.MAX_PAYLOAD_BYTES:
            return None
    return bytes(data)


def _timing(total: float, own: float, handler: float) -> str:
    """Server-Timing in ms: the gateway's own work (token check, building the event, building
    the response), the handler itself, and waiting (for a worker thread and for the function,
    which takes one event at a time: the rest)."""
    wait = total - own - handler
    return f"gateway;dur={own * 1000:.3f}, handler;dur={handler * 1000:.3f}, queue;dur={wait * 1000:.3f}"


def source_ip(request: Request) -> str:
    """The caller's address, always an IP as in API Gateway's event (an in-process test
    client names itself ``testclient``)."""
    host = request.client.host if request.client else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return "127.0.0.1"


def api_endpoint(
    route: Route, issuer: Issuer, functions: Invoker
) -> Callable[[Request], Awaitable[Response]]:
    route_key = f"{route.method} {route.path}"

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        rid = request_id_of(request)
        if declared_too_large(request):  # like API Gateway: before the token, without reading
            return too_large(request)
        claims: Any = None  # a public route has no authorizer: the function sees no claims
        try:
            if not route.public:
                claims = issuer.verify(request.headers.get("authorization"))
        except Unauthorized as e:
            return error_response(401, ErrorCode.UNAUTHENTICATED, request, details={"reason": str(e)})
        body = await read_body(request)
        if body is None:
            return too_large(request)
        event = apigw.build_event(
            route.method,
            request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
            route_key,
            {k: str(v) for k, v in request.path_params.items()},
            headers=request.headers.items(),
            query=request.query_params.multi_items(),
            body=body or None,
            claims=claims,
            request_id=rid,
            source_ip=source_ip(request),
        )
        before = time.perf_counter() - started
        try:
            result, _, handler_time = await run_in_threadpool(functions.invoke_timed, route.function, event)
        except Exception:
            # API Gateway answers a crashed Lambda with a bare 500; the trace stays in the log.
            log.error("%s raised:\n%s", route.function, traceback.format_exc())
            return error_response(500, ErrorCode.INTERNAL, request)
        back = time.perf_counter()
        status, headers, data = apigw.parse_result(result)
        if route_key == PAYMENT_ROUTE and 200 <= status < 300 and body:
            await run_in_threadpool(_payment_seen, body)
        headers.pop("content-length", None)
        headers.setdefault("apigw-requestid", rid)
        end = time.perf_counter()
        headers["server-timing"] = _timing(end - started, before + (end - back), handler_time)
        return Response(data, status_code=status, headers=headers)

    return endpoint


# The payment service's notification. Locally the simulated providers play that service, so each
# payment recorded here is a trade they took (refunds on any other trade are refused there).
PAYMENT_ROUTE = "POST /v1/platform/payments"


def _payment_seen(body: bytes) -> None:
    doc = json.loads(body)
    tell_trade(str(doc["payment_id"]), int(doc["amount"]))


def api_routes(issuer: Issuer, functions: Invoker) -> list[BaseRoute]:
    # Starlette's {name} matches one path segment, as API Gateway's {name} does.
    return [
        HttpRoute(r.path, api_endpoint(r, issuer, functions), methods=[r.method], name=f"{r.method} {r.path}")
        for r in ROUTES
    ]


def openapi_document(base_url: str) -> dict[str, Any]:
    """The committed document (docs/openapi.json), else one generated from the handlers."""
    committed = ROOT / "docs" / "openapi.json"
    if committed.is_file():
        doc: dict[str, Any] = json.loads(committed.read_text("utf-8"))
    else:
        from infra.openapi import merged

        doc = merged()
    return {**doc, "servers": [{"url": base_url, "description": "local runtime"}]}


def cors(origins: Sequence[str]) -> list[Middleware]:
    """The HTTP API's CORS (``infra.topology.CORS``, origins from configuration), inside
    ``RequestIds`` so a preflight's answer carries its request id too; none without origins,
    as the CDK makes no preflight then."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(CORS.methods),
            allow_headers=list(CORS.allow_headers),
            expose_headers=list(CORS.expose_headers),
            max_age=CORS.max_age_seconds,
        )
    ]


def build_app(
    issuer: Issuer,
    functions: Invoker,
    local_routes: list[BaseRoute],
    base_url: str,
    console_dir: Path = ROOT / "console",
    web_dir: Path = ROOT / "web",
    document: Callable[[str], dict[str, Any]] = openapi_document,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """``document(base_url)`` is what ``/openapi.json`` serves (tests: the one generated now);
    a page from one of ``cors_origins`` may call the API as the HTTP API's CORS lets it."""

    async def openapi(request: Request) -> Response:
        doc = await run_in_threadpool(document, base_url)
        return JSONResponse(doc)

    async def jwks(request: Request) -> Response:
        return JSONResponse(issuer.jwks())

    async def discovery(request: Request) -> Response:
        return JSONResponse(issuer.openid_configuration())

    async def root(request: Request) -> Response:
        if (console_dir / "index.html").is_file():
            return RedirectResponse("/console/", status_code=302)
        return JSONResponse(
            {"api": base_url, "openapi": f"{base_url}/openapi.json", "local": f"{base_url}/local/status"}
        )

    routes: list[BaseRoute] = [
        *api_routes(issuer, functions),
        *local_routes,
        HttpRoute("/openapi.json", openapi, methods=["GET"]),
        HttpRoute("/.well-known/jwks.json", jwks, methods=["GET"]),
        HttpRoute("/.well-known/openid-configuration", discovery, methods=["GET"]),
        HttpRoute("/", root, methods=["GET"]),
    ]
    if console_dir.is_dir():
        routes.append(Mount("/console", app=StaticFiles(directory=console_dir, html=True), name="console"))
    if (web_dir / "index.html").is_file():
        # the customer page, with the client library it imports (web/node_modules: `make web`)
        routes.append(Mount("/web", app=StaticFiles(directory=web_dir, html=True), name="web"))

    async def not_found(request: Request, exc: Exception) -> Response:
        # API Gateway has no "method not allowed": an unknown method+path is no route at all.
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status in (404, 405):
            return error_response(404, ErrorCode.NOT_FOUND, request, details={"path": request.url.path})
        return error_response(
            status, ErrorCode.VALIDATION_FAILED if status < 500 else ErrorCode.INTERNAL, request
        )

    async def crashed(request: Request, exc: Exception) -> Response:
        # A fault of the gateway itself (a function's is answered in api_endpoint): no trace out.
        log.error("gateway error:\n%s", "".join(traceback.format_exception(exc)))
        return error_response(500, ErrorCode.INTERNAL, request)

    return Starlette(
        routes=routes,
        middleware=[Middleware(RequestIds), *cors(cors_origins)],
        exception_handlers={HTTPException: not_found, Exception: crashed},
    )
