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

import ast
import importlib
import importlib.util
import sys


def _defer_init(name: str) -> None:
    """Register package ``name`` without running its ``__init__``, which imports every one of its
    modules so as to re-export their classes. Its submodules import as usual; a name the
    ``__init__`` re-exports (``from .x import A``, read from its source on first need) imports only
    its own submodule; any other name runs the real ``__init__`` once and is taken from it. The
    same code runs in the tests, the local runtime and Lambda; nothing of the package is changed.
    Skipped when the package is already imported (the tests' tools may have)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.origin is None:
        return
    package = importlib.util.module_from_spec(spec)
    origin, loader = spec.origin, spec.loader
    exports: dict[str, str] = {}

    def __getattr__(attr: str) -> object:  # a module's __getattr__ (PEP 562): names not yet set
        if attr.startswith("__") and attr != "__all__":  # (__all__, for `import *`: the real one)
            raise AttributeError(attr)
        if not exports:
            with open(origin, encoding="utf-8") as f:
                for node in ast.parse(f.read()).body:
                    if isinstance(node, ast.ImportFrom) and node.module:
                        where = f"{name}.{node.module}" if node.level else node.module
                        exports.update({alias.asname or alias.name: where for alias in node.names})
        if attr in exports:  # bound as the __init__ binds it (over a submodule of the same name)
            value = getattr(importlib.import_module(exports[attr]), attr)
            setattr(package, attr, value)
            return value
        if importlib.util.find_spec(f"{name}.{attr}") is not None:
            raise AttributeError(attr)  # a submodule (`from package import x`): the import system's
        loader.exec_module(package)
        try:
            return package.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    setattr(importlib.import_module(parent), child, package)  # as the import system would


# Powertools' event_handler/__init__ imports every resolver it has (AppSync with asyncio, AppSync
# Events, Bedrock Agents, VPC Lattice, the local HTTP one), and utilities/data_classes/__init__
# every event source's classes (Kinesis Firehose brings zipfile and tempfile, ...): 40 to 45 ms
# and 94 modules of an API function's cold start (make bench ONLY=coldstart) for one resolver
# and one event class. tests/unit/test_import_weight.py holds the property.
_defer_init("aws_lambda_powertools.event_handler")
_defer_init("aws_lambda_powertools.utilities.data_classes")
