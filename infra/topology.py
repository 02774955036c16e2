"""What runs where: functions, routes, consumers, schedules. Read by the CDK constructs AND by
the local runtime, so the deployed API and the local one cannot drift (tests/infra checks it).

Handlers are ``functions/<folder>/<module>.handler``; the folder is the Lambda asset.

Routes are declared once, where they are handled: each ``@api.get``/``@api.post`` in
``functions/<folder>/api.py`` names its method, path and roles (the role tuples are
``cancelflow.http.identity``'s). ``ROUTES`` is read from those resolvers (a function whose
module is ``api`` serves every route its resolver registers), so API Gateway's routes, the
local gateway's, the handlers' role checks and the OpenAPI document (``infra.openapi``) are
one list and adding a route is one decorated function. ``ROUTES`` is computed on first use:
it imports the four API handlers (about half a second), which the schedules, queues and
everything else here do not need.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cancelflow.http.api import Api


@dataclass(frozen=True)
class Function:
    name: str  # logical name, also the CDK construct id
    folder: str  # functions/<folder> is the asset
    module: str  # handler = f"{module}.handler"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("cancel_api", "cancel", "api"),
        Function("platform_api", "platform", "api"),
        Function("review_api", "review", "api"),
        Function("review_intake", "review", "intake"),
        Function("refund_api", "refund", "api"),
        Function("refund_worker", "refund", "worker"),
        Function("expire_orders", "schedules", "expire_orders"),
        Function("complete_orders", "schedules", "complete_orders"),
        Function("flag_refunds", "schedules", "flag_refunds"),
        Function("flag_reviews", "schedules", "flag_reviews"),
        Function("event_publisher", "events", "publisher"),
    )
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: {order_id}
    function: str
    roles: tuple[str, ...]  # cognito:groups allowed; () = any signed-in user
    public: bool = False  # no JWT authorizer: a provider's callback, checked by its signature


def api_functions() -> list[tuple[Function, ModuleType]]:
    """(function, its imported handler module) of every API function, in ``FUNCTIONS`` order."""
    return [
        (f, importlib.import_module(f"functions.{f.folder}.{f.module}"))
        for f in FUNCTIONS.values()
        if f.module == "api"
    ]


def resolver(module: ModuleType) -> Api:
    """The ``Api`` an API handler module builds its routes on (its ``api``)."""
    from cancelflow.http.api import Api

    api = getattr(module, "api", None)
    if not isinstance(api, Api):
        raise TypeError(f"{module.__name__} has no cancelflow.http.api.Api named api")
    return api


@functools.cache
def _routes() -> tuple[Route, ...]:
    out = [
        Route(spec.method, spec.path, f.name, spec.roles, spec.public)
        for f, module in api_functions()
        for spec in resolver(module).routes.values()
    ]
    seen: dict[str, str] = {}
    for r in out:
        key = f"{r.method} {r.path}"
        if key in seen:
            raise ValueError(f"{key} is registered by {seen[key]} and {r.function}")
        seen[key] = r.function
    return tuple(out)


# ROUTES: every route of every API function (``_routes``), computed when first read.
ROUTES: tuple[Route, ...]

if not TYPE_CHECKING:  # (so mypy still flags a misspelt name in this module)

    def __getattr__(name: str) -> Any:
        if name == "ROUTES":
            return _routes()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Cors:
    """What a browser on another origin may do with the API, for the HTTP API's preflight in the
    CDK and the local gateway alike (docs/deploy.md, "Web clients"). The origins are
    configuration (``cors_origins`` in cdk.json); these are not."""

    methods: tuple[str, ...] = ("GET", "POST")  # every route is one of the two
    allow_headers: tuple[str, ...] = ("Authorization", "Content-Type", "Idempotency-Key", "Accept-Language")
    # what a page may read from an answer: the id support asks for, and whether a POST was a replay
    expose_headers: tuple[str, ...] = ("X-Request-Id", "Idempotency-Replayed")
    max_age_seconds: int = 3600


CORS = Cors()


@dataclass(frozen=True)
class QueueConsumer:
    queue: str  # key of cancelflow.store.schema.QUEUES
    function: str


CONSUMERS: tuple[QueueConsumer, ...] = (
    QueueConsumer("review", "review_intake"),
    QueueConsumer("refund", "refund_worker"),
)

# The table's change stream feeds the outbox publisher (docs/events.md).
STREAM_CONSUMERS: tuple[str, ...] = ("event_publisher",)


@dataclass(frozen=True)
class Schedule:
    function: str
    rate_minutes: int  # EventBridge rate(N minutes); overridable per environment in cdk.json


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("expire_orders", 1),
    Schedule("complete_orders", 1),
    Schedule("flag_refunds", 5),
    Schedule("flag_reviews", 1),
)
