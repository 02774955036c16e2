"""The HTTP layer every API function shares (cancel, platform, review, refund).

A function builds its routes on ``Api`` and exports ``handler``::

    from pydantic import ConfigDict

    from cancelflow.http import context
    from cancelflow.http.api import Api
    from cancelflow.http.fields import FreeText, Model, StrictBool
    from cancelflow.http.params import TaskIdPath
    from cancelflow.http.identity import REVIEWERS

    api = Api("review")          # one per function; ``handler`` is its Lambda entry point


    class DecisionIn(Model):                        # built on first use (a cold start pays less)
        model_config = ConfigDict(extra="forbid")   # no unknown fields
        approve: StrictBool                         # JSON true/false only (http.fields)
        note: FreeText | None = None                # text a person writes


    @api.post(
        "/v1/reviews/{task_id}/decision",          # API Gateway syntax; the one declaration of
        roles=REVIEWERS,                            # the route (infra.topology reads it); 401 / 403
        status=200, model=DecisionOut,              # the success answer, for the OpenAPI document
        errors=("TASK_NOT_FOUND", "LEASE_NOT_HELD"),  # catalogue codes this route can answer
    )
    def decide(task_id: TaskIdPath, body: DecisionIn) -> DecisionOut:
        who = context.caller()                      # Caller(sub, groups); context.lang(): zh-CN|en
        return usecase.decide(who.sub, task_id, ...)  # raise DomainError(code) for any refusal


    handler = api.handler

What ``Api`` does around each route: the caller from the JWT claims (``cognito:groups`` as
a list or a flattened string), the one error format for every failure (``http.errors``),
``Idempotency-Key`` on every POST (``http.idempotency``: same key + body replays, another
body is 409), ``Accept-Language`` and the request id, the body parsed by ``http.body`` (a
JSON object, nesting limited), the route's documented responses (success + every status its
error codes map to), and one JSON log line per answer through Powertools' Logger
(``cancelflow.telemetry``) whose ``correlation_id`` is the answer's X-Request-Id.
``python -m infra.openapi`` (``make openapi``) merges every API function's document into
``docs/openapi.json``; the layer itself only registers routes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def _resolvers_on_demand() -> None:
    """Powertools' ``event_handler/__init__`` imports every resolver it has (AppSync with
    asyncio, AppSync Events, Bedrock Agents, VPC Lattice, the local HTTP resolver): about 35 ms
    and 65 modules of an API function's cold start (``make bench ONLY=coldstart``), for one
    resolver. So the package is registered here without running its ``__init__``: its
    submodules import as usual, a name it re-exports from ``api_gateway`` (``Response``, which
    Powertools' own modules import from the package) comes from there, and any other name runs
    the real ``__init__`` once and is taken from it. The same code runs in the tests, the local
    runtime and Lambda; ``tests/unit/test_import_weight.py`` holds the property."""
    name = "aws_lambda_powertools.event_handler"
    if name in sys.modules:  # imported before this package (the tests' tools): nothing to save
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    package = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str) -> object:  # a module's __getattr__ (PEP 562): names not yet set
        if attr.startswith("__") or importlib.util.find_spec(f"{name}.{attr}") is not None:
            raise AttributeError(attr)  # a submodule (`from package import content_types`): imported
        api_gateway = importlib.import_module(f"{name}.api_gateway")
        if attr in _FROM_API_GATEWAY:
            return getattr(api_gateway, attr)
        spec.loader.exec_module(package)  # type: ignore[union-attr]  # (checked above)
        try:
            return package.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = package
    parent: ModuleType = importlib.import_module("aws_lambda_powertools")
    parent.event_handler = package  # type: ignore[attr-defined]  # as the import system would


# What the package's __init__ re-exports from api_gateway.
_FROM_API_GATEWAY = frozenset(
    {
        "ALBResolver",
        "APIGatewayHttpResolver",
        "ApiGatewayResolver",
        "APIGatewayRestResolver",
        "CORSConfig",
        "Response",
    }
)

_resolvers_on_demand()
