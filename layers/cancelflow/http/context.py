"""The current request's id, language and caller (set by the handler wrapper per invocation).

Context variables rather than globals so a local runtime serving requests on threads cannot
mix two requests up.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import msgspec

from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http.identity import Caller


class RequestContext(msgspec.Struct, frozen=True):
    """The request being served: its id, language, route and caller."""

    request_id: str
    lang: str  # "zh-CN" or "en"
    route_key: str
    caller: Caller | None
    lambda_context: Any = None


_current: ContextVar[RequestContext | None] = ContextVar("cancelflow_request", default=None)


OFFERED = ("zh-CN", "en")  # the default first
DEFAULT = OFFERED[0]

# RFC 9110 12.5.4: language-range (RFC 4647) [ OWS ";" OWS "q=" qvalue ]; q is 0 to 1 with at
# most three decimals. An entry that does not parse is ignored, as if it were not there.
#
# Why not babel (measured for issue 14): its ``negotiate_locale`` takes an already ordered list,
# so the weights, ``q=0`` refusals and ``*`` below would stay here anyway; it answers None for
# ``zh-TW`` against ``zh_CN`` (it falls back to the bare primary subtag only when that is
# offered), so it would need an alias table too; and it costs 15-24 ms to import (a third of the
# layer's 60 ms cold-start budget) and 36 MB installed, 11 MB zipped: more than the whole
# layer's 10 MB budget (bench/bench_infra.py), nearly all of it locale data this never reads.
# What it would replace is the one primary-subtag comparison in ``negotiate_language``.
_RANGE = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def _entries(header: str) -> list[tuple[str, float]]:
    """(lower-case range, weight) in header order, malformed entries left out."""
    out = []
    for part in header.split(","):
        tag, *params = (p.strip(" \t") for p in part.split(";"))
        tag = tag.lower()
        q: float | None = 1.0
        for param in params:
            if param[:2].lower() == "q=":
                q = float(param[2:]) if _QVALUE.fullmatch(param[2:]) else None
        if q is not None and _RANGE.fullmatch(tag):
            out.append((tag, q))
    return out


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def negotiate_language(header: str | None) -> str:
    """``Accept-Language`` -> one of ``OFFERED`` ("zh-CN", the default, or "en").

    RFC 4647 lookup, honouring weights: ranges are tried from the highest weight down (header
    order between equals); a range picks the offered language of the same primary subtag
    (``en-US`` and ``en`` pick "en", ``zh-TW`` picks "zh-CN"), ``*`` picks the default. A weight
    of 0 means "not acceptable": ``en;q=0`` refuses "en" (``en-GB;q=0`` refuses only a variant
    not offered), ``*;q=0`` refuses whatever no other range asks for. A refused language is
    never chosen while another is not refused; when both are, the default."""
    entries = _entries(header or "")
    wanted = [(tag, q) for tag, q in entries if q > 0]
    refused = {o for o in OFFERED for tag, q in entries if q == 0 and tag in (o.lower(), _primary(o))}
    if any(tag == "*" and q == 0 for tag, q in entries):
        asked = {o for o in OFFERED for tag, _ in wanted if tag == "*" or _primary(tag) == _primary(o)}
        refused |= set(OFFERED) - asked
    for tag, _ in sorted(wanted, key=lambda e: -e[1]):  # stable: header order between equals
        for offer in OFFERED:
            if offer not in refused and (tag == "*" or _primary(tag) == _primary(offer)):
                return offer
    return next((o for o in OFFERED if o not in refused), DEFAULT)


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
        raise DomainError(ErrorCode.UNAUTHENTICATED)
    return c


def lang() -> str:
    return current().lang
