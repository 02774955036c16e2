"""The current request's id, language and caller (set by the handler wrapper per invocation).

Context variables rather than globals so a local runtime serving requests on threads cannot
mix two requests up.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from cancelflow.errors import DomainError
from cancelflow.http.identity import Caller


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    lang: str  # "zh-CN" or "en"
    route_key: str
    caller: Caller | None
    lambda_context: Any = None


_current: ContextVar[RequestContext | None] = ContextVar("cancelflow_request", default=None)


def negotiate_language(header: str | None) -> str:
    """``Accept-Language`` -> "en" or "zh-CN" (the default), honouring q-values."""
    best, best_q = "zh-CN", -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = "en" if tag.startswith("en") else "zh-CN" if tag.startswith("zh") else None
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def header(event: Mapping[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    if not isinstance(headers, Mapping):
        return None
    name = name.lower()
    for k, v in headers.items():
        if isinstance(k, str) and k.lower() == name:
            return str(v)
    return None


def begin(
    event: Mapping[str, Any], caller: Caller | None, route_key: str = "", lambda_context: Any = None
) -> RequestContext:
    rc = event.get("requestContext") or {}
    rid = rc.get("requestId") if isinstance(rc, Mapping) else None
    ctx = RequestContext(
        request_id=rid if isinstance(rid, str) and rid else str(uuid.uuid4()),
        lang=negotiate_language(header(event, "accept-language")),
        route_key=route_key or str(event.get("routeKey") or ""),
        caller=caller,
        lambda_context=lambda_context,
    )
    _current.set(ctx)
    return ctx


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:  # called outside a request: nobody is signed in
        return RequestContext(request_id=str(uuid.uuid4()), lang="zh-CN", route_key="", caller=None)
    return ctx


def caller() -> Caller:
    """The authorised caller of this request (the wrapper already checked the route's roles)."""
    c = current().caller
    if c is None:
        raise DomainError("UNAUTHENTICATED")
    return c


def lang() -> str:
    return current().lang
