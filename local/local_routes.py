"""Local-only helper routes under ``/local/`` (never part of the deployed API; docs/local-runtime.md).

- ``POST /local/token`` ``{"sub", "groups", "expires_in"?}`` -> ``{"token", "expires_at"}``
- ``POST /local/products`` create a product and/or add N card keys to it
- ``GET  /local/products/{product_id}`` the product with its stock by status
- ``POST /local/clock`` ``{"advance_seconds": N}`` moves business time, then runs every schedule once
- ``GET  /local/clock`` business time and its offset from the wall clock
- ``GET  /local/users`` the demo users (for the console's local sign-in and for scripts)
- ``GET  /local/status`` pollers, stream, ticker and queue depths (for scripts waiting on work)

They are unauthenticated: the runtime listens on loopback only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from cancelflow import clock
from cancelflow.domain.products import ProductType
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.store import stock
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from local import demo
from local.apigw import new_request_id
from local.auth import MAX_TTL, Issuer
from local.gateway import error_response
from local.ticker import Ticker


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sub: str = Field(min_length=1, max_length=128)
    groups: list[str] = Field(default_factory=lambda: ["customer"], max_length=10)
    # negative: an already expired token, so clients can test their 401 handling
    expires_in: int = Field(default=3600, ge=-86400, le=MAX_TTL)


class ProductRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    product_type: ProductType | None = None
    price: int | None = Field(default=None, ge=1, le=100_000_000)
    name_zh: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    keys: int = Field(default=0, ge=0, le=5000)


class ClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advance_seconds: float = Field(gt=0, le=400 * 24 * 3600)


def stock_counts(product_id: str) -> dict[str, int]:
    return stock.counts(product_id)  # every status, quarantined and voided included


def product_view(product_id: str) -> dict[str, Any]:
    p = stock.get_product(product_id)
    if p is None:
        raise DomainError(ErrorCode.PRODUCT_NOT_FOUND, {"product_id": product_id})
    return {
        "product_id": product_id,
        "product_type": str(p.product_type),
        "price": p.price,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "stock": stock_counts(product_id) if p.product_type != ProductType.MOBILE_TOPUP else None,
    }


def put_product(req: ProductRequest) -> dict[str, Any]:
    pid = req.product_id or f"p-{uuid.uuid4().hex[:12]}"
    if req.product_type is not None:
        if req.price is None:
            raise DomainError(
                ErrorCode.VALIDATION_FAILED, {"field": "price", "why": "required with product_type"}
            )
        name = f"{req.product_type.value} {pid}"
        stock.put_product(pid, req.product_type, req.price, req.name_zh or name, req.name_en or name)
    elif stock.get_product(pid) is None:
        raise DomainError(ErrorCode.PRODUCT_NOT_FOUND, {"product_id": pid})
    if req.keys:
        product = stock.get_product(pid)
        if product is not None and product.product_type == ProductType.MOBILE_TOPUP:
            raise DomainError(
                ErrorCode.VALIDATION_FAILED, {"field": "keys", "why": "top-ups have no key stock"}
            )
        tag = uuid.uuid4().hex[:8]
        stock.add_keys(pid, ((f"{pid}-{tag}-{i:05d}", f"CODE-{tag}-{i:05d}") for i in range(req.keys)))
    return {**product_view(pid), "keys_added": req.keys}


def clock_view() -> dict[str, Any]:
    return {"now": clock.iso(clock.now()), "offset_seconds": clock.offset().total_seconds()}


def routes(issuer: Issuer, ticker: Ticker, status: Callable[[], dict[str, Any]]) -> list[BaseRoute]:
    async def parse(request: Request, model: type[BaseModel]) -> Any:
        try:
            return model.model_validate_json(await request.body() or b"{}")
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(x) for x in first["loc"])
            raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": field, "why": first["msg"]}) from e

    def answering(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                return JSONResponse(await fn(request))
            except DomainError as e:
                return error_response(e.status, e.code, request, new_request_id(), e.details)

        return endpoint

    async def token(request: Request) -> dict[str, Any]:
        req = await parse(request, TokenRequest)
        tok, exp = issuer.mint(req.sub, req.groups, req.expires_in)
        return {"token": tok, "expires_at": exp, "sub": req.sub, "groups": req.groups}

    async def products(request: Request) -> dict[str, Any]:
        req = await parse(request, ProductRequest)
        return await run_in_threadpool(put_product, req)

    async def product(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(product_view, request.path_params["product_id"])

    async def get_clock(request: Request) -> dict[str, Any]:
        return clock_view()

    async def move_clock(request: Request) -> dict[str, Any]:
        req = await parse(request, ClockRequest)
        clock.advance(timedelta(seconds=req.advance_seconds))
        # The schedules see the new time at once, so the deadline just passed is acted on now.
        ticked = await run_in_threadpool(ticker.tick_now)
        return {**clock_view(), "ticked": ticked}

    async def users(request: Request) -> dict[str, Any]:
        return {"users": [{"sub": u.sub, "groups": list(u.groups), "name": u.name} for u in demo.USERS]}

    async def get_status(request: Request) -> dict[str, Any]:
        return await run_in_threadpool(status)

    return [
        Route("/local/token", answering(token), methods=["POST"]),
        Route("/local/products", answering(products), methods=["POST"]),
        Route("/local/products/{product_id}", answering(product), methods=["GET"]),
        Route("/local/clock", answering(get_clock), methods=["GET"]),
        Route("/local/clock", answering(move_clock), methods=["POST"]),
        Route("/local/users", answering(users), methods=["GET"]),
        Route("/local/status", answering(get_status), methods=["GET"]),
    ]
