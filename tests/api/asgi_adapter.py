"""A tiny ASGI app that plays API Gateway in front of the real handlers, in-process: each HTTP
request becomes the v2 event (local/apigw.py) with the claims of the caller its bearer token
names, and the handler's result becomes the HTTP response. ``GET /openapi.json`` serves the
generated document."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from cancelflow.http.openapi import merged
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.topology import FUNCTIONS, ROUTES
from local.apigw import build_event, match_route, parse_result
from local.lambdas import LambdaContext

# (route key, caller's groups or "anonymous", status) of every answer: for tests, and the
# summary tests/api/conftest.py prints at the end of a run
SEEN: Counter[tuple[str, str, int]] = Counter()


def make_app(callers: Mapping[str, Mapping[str, Any] | None]) -> ASGIApp:
    """``callers``: bearer token -> the claims the authorizer would verify for it. Any other
    token, or none, reaches the handler without claims (in the cloud: the authorizer's 401)."""

    async def openapi(_: Request) -> Response:
        return JSONResponse(merged())

    async def gateway(request: Request) -> Response:
        found = match_route(ROUTES, request.method, request.url.path)
        route_key = f"{found[0].method} {found[0].path}" if found else "$default"
        function = FUNCTIONS[found[0].function if found else "cancel_api"]
        handler = importlib.import_module(f"functions.{function.folder}.{function.module}").handler
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        claims = callers.get(token) if token else None
        event = build_event(
            request.method,
            request.url.path,
            route_key,
            found[1] if found else None,
            list(request.headers.items()),
            list(request.query_params.multi_items()),
            await request.body() or None,
            claims,
        )
        status, headers, body = parse_result(handler(event, LambdaContext(function.name)))
        caller = ",".join(claims.get("cognito:groups") or ["no-role"]) if claims else "anonymous"
        SEEN[(route_key, caller, status)] += 1
        return Response(body, status_code=status, headers=headers)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Every path reaches the gateway, as in API Gateway (a router's path pattern would not
        # match a path with a newline in it, and answer in its own format).
        assert scope["type"] == "http"
        request = Request(scope, receive)
        response = await (openapi if request.url.path == "/openapi.json" else gateway)(request)
        await response(scope, receive, send)

    return app
