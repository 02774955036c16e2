"""A tiny ASGI app that plays API Gateway in front of the real handlers, in-process: each HTTP
request becomes the v2 event (local/apigw.py) with a fixed caller's claims, and the handler's
result becomes the HTTP response. ``GET /openapi.json`` serves the generated document."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from cancelflow.http.openapi import merged
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.topology import FUNCTIONS, ROUTES
from local.apigw import build_event, match_route, parse_result
from local.lambdas import LambdaContext

SEEN: Counter[tuple[str, int]] = Counter()  # (route key, status) of every answer, for tests


def make_app(claims: Mapping[str, Any] | None) -> Starlette:
    async def openapi(_: Request) -> Response:
        return JSONResponse(merged())

    async def gateway(request: Request) -> Response:
        found = match_route(ROUTES, request.method, request.url.path)
        route_key = f"{found[0].method} {found[0].path}" if found else "$default"
        function = FUNCTIONS[found[0].function if found else "cancel_api"]
        handler = importlib.import_module(f"functions.{function.folder}.{function.module}").handler
        event = build_event(
            request.method,
            request.url.path,
            route_key,
            found[1] if found else None,
            list(request.headers.items()),
            list(request.query_params.multi_items()),
            await request.body() or None,
            # The authorizer: claims only for a request that carries a bearer token (its
            # signature is the local issuer's business, local/auth.py; here any token will do).
            claims if request.headers.get("authorization", "").startswith("Bearer ") else None,
        )
        status, headers, body = parse_result(handler(event, LambdaContext(function.name)))
        SEEN[(route_key, status)] += 1
        return Response(body, status_code=status, headers=headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[Route("/openapi.json", openapi), Route("/{path:path}", gateway, methods=methods)]
    )
