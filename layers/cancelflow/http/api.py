"""``Api``: a Powertools HTTP API resolver (payload 2.0, validation on) with what every API
function of cancelflow needs around it (see ``cancelflow.http`` for an example).

- Each route declares its roles, its success status and the error codes it can answer (its
  success model is its return annotation); the OpenAPI document lists exactly those (plus
  what every route can answer).
- The caller is checked against the route's roles *before* validation, so a request without
  an identity never learns anything about its input.
- Every POST takes an optional ``Idempotency-Key`` header and runs through
  ``cancelflow.http.idempotency``.
- The Lambda entry point never lets an exception or a stack trace out.
- A route is *declared* at import and *registered* (its annotations resolved, its models made,
  Powertools told) when a request first matches it, or when the whole table is read (infra, the
  OpenAPI document, the tests): a cold start registers the one route it serves. Its success
  model is its return annotation, so declaring it names no model class.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import logging
import re
import threading
import time
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec
from pydantic import BaseModel

from cancelflow import snapstart, telemetry
from cancelflow.errors import Code, DomainError, ErrorCode, code_of
from cancelflow.http import context, identity
from cancelflow.http import errors as http_errors
from cancelflow.http.docs import responses, summary_and_description
from cancelflow.http.endpoint import answering
from cancelflow.http.implied import header_params, implied_codes

log = logging.getLogger("cancelflow.http")

snapstart.register()  # what a restored snapshot must redo (prod's API functions run SnapStart)

_PARAM = re.compile(r"\{(\w+)\}")

# Powertools keeps the current event on a class attribute shared by every resolver
# (BaseRouter.current_event), so two requests resolved at once in one process (the local
# runtime serves on threads) would read each other's event. Lambda runs one request per
# process, where this lock is never contended.
_RESOLVE_LOCK = threading.Lock()


class RouteSpec(msgspec.Struct, frozen=True):
    """One route as registered: what infra, the OpenAPI document and the tests read."""

    method: str
    path: str  # API Gateway syntax, /v1/orders/{order_id}
    roles: tuple[str, ...]
    status: int
    model: type | None  # the success answer: the return annotation (a model or an API dataclass)
    body: type[BaseModel] | None  # the request body's model, if the route takes one
    error_codes: tuple[ErrorCode, ...]  # every code it can answer: its own and the implied ones
    # No JWT: a caller that cannot hold one (a payment provider's callback), authenticated by
    # what it sends (the provider's signature) in the route itself.
    public: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


class _Declared(msgspec.Struct, frozen=True):
    """A route as its decorator declared it, until it is registered (``Api.spec``)."""

    method: str
    path: str
    register: Callable[[], RouteSpec]


@functools.cache
def _path_regex(path: str) -> re.Pattern[str]:
    """Compiled when first matched, not at import: a cold start pays for none (API Gateway's
    routeKey names the route), the local gateway for each path once."""
    return re.compile("^" + _PARAM.sub("[^/]+", path) + "$")  # paths are plain [a-z0-9/_-]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _check_request(spec: RouteSpec, event: Mapping[str, Any]) -> None:
    """What Powertools would take in a confusing way: bodies are JSON (a form or multipart body
    would be parsed into something that merely fails validation), and every query parameter
    has a name."""
    ctype = (context.header(event, "content-type") or "").strip().lower()
    if spec.method == "POST" and event.get("body") and ctype and not ctype.startswith(http_errors.JSON):
        raise DomainError(ErrorCode.MALFORMED_BODY, {"field": "body", "expected": http_errors.JSON})
    # A query parameter without a name (``?=x``) is malformed, not a parameter to ignore.
    if "" in (event.get("queryStringParameters") or {}):
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "query", "reason": "unnamed parameter"})


class Api:
    def __init__(self, name: str) -> None:
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

        self.name = name
        # UTF-8 JSON: Chinese messages readable on the wire, not \u-escaped.
        self.app = APIGatewayHttpResolver(
            enable_validation=True,
            serializer=functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"), default=str),
            json_body_deserializer=http_errors.request_body,
        )
        self._declared: dict[str, _Declared] = {}  # in declaration order
        self._registered: dict[str, RouteSpec] = {}
        self._lock = threading.Lock()  # the local runtime serves requests on threads
        http_errors.install(self.app)
        snapstart.before_snapshot(self.register_all)  # SnapStart: every route in the snapshot

    # ------------------------------------------------------------------ routes

    def route(
        self,
        method: str,
        path: str,
        *,
        roles: tuple[str, ...],
        status: int = 200,
        errors: Iterable[Code] = (),
        summary: str | None = None,
        aws: bool = True,
        public: bool = False,
        own_errors: dict[int, type[BaseModel]] | None = None,
        html: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare ``fn`` for ``method path`` (path in API Gateway syntax); it is registered
        when first needed (``spec``).

        ``fn`` takes its path/query parameters and body model as Powertools validates them and
        returns its return annotation's model (or a dict of it: the annotation is the documented
        success answer), answered with ``status``; ``errors`` are the catalogue codes
        it may answer with (raised as ``DomainError``); ``aws=False`` for a route that calls no
        AWS service (so cannot be throttled). ``public=True`` (with ``roles=()``): no JWT is
        asked for, and ``fn`` returns its own Powertools ``Response`` (a provider's callback
        is answered in the provider's dialect, not the API's: ``own_errors`` documents those
        refusals, status -> body model). ``html=True`` (a GET): ``fn`` returns a page's HTML,
        answered as ``text/html`` (its errors stay the API's JSON).
        """
        if public and roles:
            raise ValueError(f"{path}: a public route has no roles")
        method = method.upper()
        error_codes = tuple(code_of(code) for code in errors)  # an unknown code: KeyError

        def declare(fn: Callable[..., Any]) -> Callable[..., Any]:
            key = f"{method} {path}"
            if key in self._declared:
                raise ValueError(f"route {key} registered twice")
            self._declared[key] = _Declared(method, path, functools.partial(register, fn))
            return fn

        def register(fn: Callable[..., Any]) -> RouteSpec:
            from aws_lambda_powertools.event_handler.openapi.params import Body

            hints = typing.get_type_hints(fn, include_extras=True)
            returned = hints.get("return")  # documented if a model or an API dataclass (not a page's str)
            model = returned if _is_model(returned) or dataclasses.is_dataclass(returned) else None
            sig = inspect.signature(fn)
            params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
            body = next((p.annotation for p in params if _is_model(p.annotation)), None)
            has_body = body is not None or any(
                isinstance(m, Body) for p in params for m in getattr(p.annotation, "__metadata__", ())
            )
            extra = header_params(method, public)
            implied = implied_codes(method, roles, has_body, public)
            if aws:
                implied.append(ErrorCode.RATE_LIMITED)

            spec = RouteSpec(
                method=method,
                path=path,
                roles=roles,
                status=status,
                model=model,
                body=body,
                error_codes=tuple(dict.fromkeys([*error_codes, *implied])),
                public=public,
            )

            endpoint = answering(fn, method, status, public=public, html=html)
            endpoint.__signature__ = sig.replace(  # type: ignore[attr-defined]
                parameters=[*params, *extra], return_annotation=inspect.Signature.empty
            )
            first_sentence, description = summary_and_description(fn.__doc__)
            self.app.route(
                _PARAM.sub(r"<\1>", path),
                method,
                summary=summary or first_sentence,
                description=description,
                responses=responses(method, status, model, spec.error_codes, own_errors, html=html),
                tags=[self.name],
                operation_id=fn.__name__,
            )(endpoint)
            return spec

        return declare

    def get(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **kw)

    # ------------------------------------------------------------------ the Lambda entry point

    def spec(self, key: str) -> RouteSpec:
        """The route ``key`` (``GET /v1/orders/{order_id}``) as registered, registering it first
        if no request or reader has yet: its models are made, Powertools routes to it."""
        spec = self._registered.get(key)
        if spec is None:
            with self._lock:
                spec = self._registered.get(key)
                if spec is None:
                    spec = self._registered[key] = self._declared[key].register()
        return spec

    @property
    def registered(self) -> tuple[str, ...]:
        """The keys of the routes registered so far (a cold start: the one it served)."""
        return tuple(self._registered)

    def register_all(self) -> None:
        """Register every route not registered yet (before a SnapStart snapshot, so restored
        environments do not each redo it: ``cancelflow.snapstart``)."""
        for key in self._declared:
            self.spec(key)

    @property
    def routes(self) -> dict[str, RouteSpec]:
        """Every route, registered, in declaration order (what infra, the document and the
        tests read; a request registers only its own)."""
        return {key: self.spec(key) for key in self._declared}

    def match(self, event: Mapping[str, Any]) -> RouteSpec | None:
        key = str(event.get("routeKey") or "")
        if key not in self._declared:  # no route's key ($default, a hand-made event): the path decides
            http = (event.get("requestContext") or {}).get("http") or {}
            method = str(http.get("method") or "").upper()
            path = str(event.get("rawPath") or http.get("path") or "")
            same = (k for k, d in self._declared.items() if d.method == method)
            key = next((k for k in same if _path_regex(self._declared[k].path).match(path)), "")
        return self.spec(key) if key else None

    def handler(self, event: dict[str, Any], lambda_context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        telemetry.logger.thread_safe_remove_keys(["correlation_id"])  # never the last request's
        result = self._answer(event, lambda_context)
        ctx = context.current()
        log.info(
            "answered",
            extra={
                "route": ctx.route_key,
                "status": result.get("statusCode"),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    def _answer(self, event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        caller = identity.caller_from(event)
        spec: RouteSpec | None = None
        try:
            try:
                spec = self.match(event)  # a route's first request registers it, which can fail
            finally:
                # Either way its log lines (the layer's loggers' too) and answer carry this
                # request's id (a context variable: the local runtime serves on threads).
                ctx = context.begin(event, caller, spec.key if spec else "", lambda_context)
                telemetry.logger.thread_safe_append_keys(correlation_id=ctx.request_id)
            if spec is not None and not spec.public:
                identity.authorize(caller, spec.roles)
                _check_request(spec, event)
            with _RESOLVE_LOCK:
                result: dict[str, Any] = self.app.resolve(event, lambda_context)
            return result
        except DomainError as e:
            return http_errors.raw_error(e.code, e.details)
        except Exception:  # the resolver's own failures: still the one format, no trace
            log.exception("unhandled error (request %s)", context.current().request_id)
            return http_errors.raw_error(ErrorCode.INTERNAL)

    def openapi(self) -> dict[str, Any]:
        self.routes  # noqa: B018  (every route registered, so Powertools documents them all)
        schema: dict[str, Any] = self.app.get_openapi_schema(title=f"cancelflow {self.name}").model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        return schema
