"""The OpenAPI document: generated from the handlers, committed, and in step with the routes."""

from __future__ import annotations

import json
from pathlib import Path

from cancelflow.errors import CATALOGUE
from cancelflow.http.openapi import api_modules, merged, render

from infra.topology import ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_document_matches_the_code() -> None:
    """GIVEN docs/openapi.json WHEN generated again from the handlers THEN identical
    (run `make openapi` after changing a route or a model)."""
    assert DOC.read_text(encoding="utf-8") == render(), "docs/openapi.json is stale: run `make openapi`"


def test_handlers_and_topology_agree_on_routes_and_roles() -> None:
    """GIVEN infra/topology.py (what API Gateway routes, and to which function) WHEN compared
    with the routes the handlers register THEN same method, path, function and roles."""
    registered = {}
    for name, module in api_modules():
        api = getattr(module, "api", None)
        if api is None or not hasattr(api, "routes"):
            continue
        for spec in api.routes.values():
            registered[spec.key] = (name, tuple(sorted(spec.roles)))
    expected = {
        f"{r.method} {r.path}": (r.function, tuple(sorted(r.roles)))
        for r in ROUTES
        if r.function in {n for n, _ in api_modules()}
    }
    assert registered == expected


def test_every_error_status_documented_is_one_the_route_can_answer() -> None:
    """GIVEN the document WHEN each response is read THEN success has its model, and each error
    status lists catalogue codes that map to exactly that status, in the one error format."""
    doc = merged()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, resp in op["responses"].items():
                if int(status) < 400:
                    continue
                codes = resp["description"].removeprefix("error: ").split(", ")
                assert all(CATALOGUE[c][0] == int(status) for c in codes), (method, path, status)
                schema = resp["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    error = doc["components"]["schemas"]["ErrorInfo"]
    assert set(error["required"]) == {"code", "message", "request_id"}
    json.dumps(doc)  # serialisable


def _literal_codes(*modules: str) -> set[str]:
    import importlib
    import inspect
    import re

    src = "".join(inspect.getsource(importlib.import_module(m)) for m in modules)
    return {c for c in re.findall(r'"([A-Z][A-Z_]+)"', src) if c in CATALOGUE}


def test_routes_document_the_codes_their_use_cases_raise() -> None:
    """GIVEN the codes written in the modules a route calls WHEN compared with what the route
    documents THEN none is missing (a new refusal must be added to the route's errors)."""
    import functions.cancel.api as cancel

    routes = cancel.api.routes
    submit = set(routes["POST /v1/orders/{order_id}/cancellations"].error_codes)
    assert (
        _literal_codes(
            "cancelflow.domain.options",
            "cancelflow.domain.reasons",
            "cancelflow.store.refund_records",
            "cancelflow.evidence",
        )
        <= submit
    )
    appeal = set(routes["POST /v1/orders/{order_id}/cancellations/{request_id}/appeal"].error_codes)
    assert _literal_codes("cancelflow.usecases.appeal_rejection", "cancelflow.evidence") <= appeal
    answer = set(routes["POST /v1/orders/{order_id}/cancellations/{request_id}/answer"].error_codes)
    assert _literal_codes("cancelflow.usecases.answer_question", "cancelflow.evidence") <= answer


def test_every_documented_code_is_raised_somewhere_the_handler_reaches() -> None:
    """GIVEN each API function's routes WHEN their documented codes are looked up in the
    cancelflow modules that function loads THEN each is written there (no invented status)."""
    import sys

    import cancelflow.usecases.answer_question  # imported lazily by the answer route
    import cancelflow.usecases.appeal_rejection  # noqa: F401  imported lazily by the appeal route

    for _, module in api_modules():
        api = getattr(module, "api", None)
        if api is None or not hasattr(api, "routes"):
            continue
        # (the catalogue itself names every code, so it does not count)
        reachable = _literal_codes(
            *(m for m in sys.modules if m.startswith("cancelflow.") and m != "cancelflow.errors")
        )
        for spec in api.routes.values():
            assert set(spec.error_codes) <= reachable, (spec.key, set(spec.error_codes) - reachable)
