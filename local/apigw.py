"""What API Gateway (HTTP API, payload format 2.0, JWT authorizer) does around a Lambda, as
pure functions: build the event a request becomes, and turn the handler's result back into
an HTTP response. The local runtime's gateway and the tests both use these, so the handlers
see exactly the event shape they get in the cloud.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, unquote, urlencode

# Content types API Gateway passes as text; anything else arrives base64-encoded.
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/problem+json",
)

# The HTTP API's payload quota ("10 MB", not adjustable): a larger body never reaches a Lambda.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]
QueryInput = Mapping[str, str | list[str]] | Iterable[tuple[str, str]]


def _pairs(values: Any) -> list[tuple[str, str]]:
    if values is None:
        return []
    if isinstance(values, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in values.items():
            out += [(k, str(x)) for x in v] if isinstance(v, list | tuple) else [(k, str(v))]
        return out
    return [(str(k), str(v)) for k, v in values]


def claims_value(v: Any) -> str:
    """JWT authorizer claims reach the Lambda as strings; a list claim looks like ``[a b]``."""
    if isinstance(v, list | tuple):
        return "[" + " ".join(str(x) for x in v) + "]"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def new_request_id() -> str:
    """Shaped like API Gateway's request ids."""
    return base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")


def build_event(
    method: str,
    raw_path: str,
    route_key: str | None = None,
    path_params: Mapping[str, str] | None = None,
    headers: HeaderInput | None = None,
    query: QueryInput | None = None,
    body: bytes | str | None = None,
    claims: Mapping[str, Any] | None = None,
    *,
    request_id: str | None = None,
    source_ip: str = "203.0.113.10",
    api_id: str = "local",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The API Gateway v2 event for one request. ``route_key`` is ``"POST /v1/x/{id}"`` (or
    ``"$default"``); ``claims`` are what the JWT authorizer verified (None: no authorizer
    context at all, as for an unauthenticated route)."""
    method = method.upper()
    hdrs: dict[str, str] = {}
    cookies: list[str] = []
    for k, v in _pairs(headers):
        name = k.lower()
        if name == "cookie":
            cookies += [c.strip() for c in v.split(";") if c.strip()]
            continue
        hdrs[name] = f"{hdrs[name]},{v}" if name in hdrs else v  # repeated headers: comma-joined
    pairs = _pairs(query)
    qsp: dict[str, str] = {}
    for k, v in pairs:
        qsp[k] = f"{qsp[k]},{v}" if k in qsp else v
    raw_body: bytes | None = body.encode() if isinstance(body, str) else body
    text_body, b64 = None, False
    if raw_body is not None:
        ctype = hdrs.get("content-type", "").lower()
        textual = (not ctype) or ctype.startswith(_TEXT_TYPES)
        try:
            text_body = raw_body.decode("utf-8") if textual else None
        except UnicodeDecodeError:
            text_body = None
        if text_body is None:
            text_body, b64 = base64.b64encode(raw_body).decode(), True
        hdrs.setdefault("content-length", str(len(raw_body)))
    t = now or datetime.now(UTC)
    hdrs.setdefault("host", f"{api_id}.execute-api.localhost")
    hdrs.setdefault("user-agent", "cancelflow-local")
    hdrs.setdefault("x-forwarded-for", source_ip)
    hdrs.setdefault("x-forwarded-proto", "https")
    rid = request_id or new_request_id()
    hdrs.setdefault("x-amzn-trace-id", f"Root=1-{int(t.timestamp()):08x}-{uuid.uuid4().hex[:24]}")
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": api_id,
        "domainName": hdrs["host"],
        "domainPrefix": api_id,
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": hdrs["user-agent"],
        },
        "requestId": rid,
        "routeKey": route_key or "$default",
        "stage": "$default",
        "time": t.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(t.timestamp() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {
            "jwt": {
                "claims": {k: claims_value(v) for k, v in claims.items()},
                "scopes": None,
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or "$default",
        "rawPath": raw_path,
        "rawQueryString": urlencode(pairs, quote_via=quote),
        "headers": hdrs,
        "requestContext": request_context,
        "isBase64Encoded": b64,
    }
    if cookies:
        event["cookies"] = cookies
    if qsp:
        event["queryStringParameters"] = qsp
    if path_params:
        event["pathParameters"] = dict(path_params)
    if text_body is not None:
        event["body"] = text_body
    return event


def customer_claims(sub: str, groups: Iterable[str] = ("customer",), **extra: Any) -> dict[str, Any]:
    """Claims shaped like a Cognito ID token's (what the local issuer also puts in its JWTs)."""
    now = int(time.time())
    return {
        "sub": sub,
        "cognito:groups": list(groups),
        "cognito:username": sub,
        "iss": "https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_local",
        "aud": "cancelflow-local",
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        **extra,
    }


def parse_result(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A Lambda's answer to API Gateway (v2) as (status, headers, body bytes).

    A result without ``statusCode`` is, as in API Gateway, a 200 JSON document."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return 200, {"content-type": "application/json"}, body.encode()
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for k, vs in (result.get("multiValueHeaders") or {}).items():
        headers[str(k).lower()] = ",".join(str(v) for v in vs)
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    cookies = result.get("cookies") or []
    if cookies:
        headers["set-cookie"] = ", ".join(cookies)
    return int(result["statusCode"]), headers, data


class RouteLike(Protocol):
    method: str
    path: str


R = TypeVar("R", bound=RouteLike)


def match_route[R: RouteLike](
    routes: Iterable[R], method: str, raw_path: str
) -> tuple[R, dict[str, str]] | None:
    """The route (API Gateway syntax, ``/v1/orders/{order_id}``) a request reaches, with its path
    parameters, as API Gateway matches it: literal segments before ``{params}``."""
    parts = raw_path.rstrip("/").split("/") if raw_path != "/" else [""]
    best: tuple[int, R, dict[str, str]] | None = None
    for route in routes:
        if route.method.upper() != method.upper():
            continue
        rparts = route.path.rstrip("/").split("/")
        if len(rparts) != len(parts):
            continue
        params: dict[str, str] = {}
        literal = 0
        for rp, p in zip(rparts, parts, strict=True):
            if rp.startswith("{") and rp.endswith("}"):
                if not p:
                    break
                params[rp[1:-1]] = unquote(p)
            elif rp == p:
                literal += 1
            else:
                break
        else:
            if best is None or literal > best[0]:
                best = (literal, route, params)
    return (best[1], best[2]) if best else None
