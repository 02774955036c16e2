"""The OpenAPI document: generated from the handlers, committed, and in step with the routes."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from cancelflow.errors import CATALOGUE

from infra.openapi import merged, render
from infra.topology import ROUTES, api_functions

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def api_modules() -> list[tuple[str, ModuleType]]:
    return [(f.name, module) for f, module in api_functions()]


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


def test_the_document_has_exactly_the_topologys_routes() -> None:
    """GIVEN infra/topology.py's routes (what API Gateway and the local gateway serve) WHEN
    compared with the document's operations THEN the same method and path pairs, none twice."""
    documented = [f"{method.upper()} {path}" for path, ops in merged()["paths"].items() for method in ops]
    assert len(documented) == len(set(documented))
    assert set(documented) == {f"{r.method} {r.path}" for r in ROUTES}
    assert len(ROUTES) == len({(r.method, r.path) for r in ROUTES})


def test_every_api_function_serves_routes_and_only_api_functions_do() -> None:
    """GIVEN infra/topology.py's functions THEN each API function's resolver registers at least
    one route, and every route is served by an API function (the rest take no HTTP)."""
    api = {name for name, _ in api_modules()}
    assert api == {r.function for r in ROUTES}
    for _, module in api_modules():
        assert module.api.routes


def test_every_error_status_documented_is_one_the_route_can_answer() -> None:
    """GIVEN the document WHEN each response is read THEN success has its model, and each error
    status lists catalogue codes that map to exactly that status, in the one error format."""
    doc = merged()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, resp in op["responses"].items():
                if int(status) < 400:
                    continue
                if resp["description"] == "refused in the caller's dialect":
                    # a provider's callback route answers FAIL as the provider documents it
                    assert path.startswith("/v1/providers/"), (method, path, status)
                    ref = resp["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/ProviderRefusal"
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

    def source(name: str) -> str:
        """A module's source, or one function's (``module:function``) where a module holds the
        rules of two routes (domain/appeals.py: delivered-order appeals, rejection appeals)."""
        module, _, attr = name.partition(":")
        found = importlib.import_module(module)
        return inspect.getsource(getattr(found, attr) if attr else found)

    src = "".join(source(m) for m in modules)
    # a code written as a literal ("ORDER_NOT_FOUND") or as the enum (ErrorCode.ORDER_NOT_FOUND)
    found = re.findall(r'"([A-Z][A-Z_]+)"|ErrorCode\.([A-Z][A-Z_]+)\b', src)
    return {c for pair in found for c in pair if c in CATALOGUE}


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
            "cancelflow.domain.after_sales",
            "cancelflow.domain.appeals:not_allowed_code",
            "cancelflow.domain.appeals:after_rejection",
            "cancelflow.domain.appeals:appeal_instead",
            "cancelflow.store.refunds.records",
            "cancelflow.evidence",
        )
        <= submit
    )
    appeal = set(routes["POST /v1/orders/{order_id}/cancellations/{request_id}/appeal"].error_codes)
    assert (
        _literal_codes(
            "cancelflow.cancel.appeal_rejection",
            "cancelflow.domain.appeals:check_rejection_appeal",
            "cancelflow.evidence",
        )
        <= appeal
    )
    answer = set(routes["POST /v1/orders/{order_id}/cancellations/{request_id}/answer"].error_codes)
    assert _literal_codes("cancelflow.cancel.answer_question", "cancelflow.evidence") <= answer
    withdraw = set(routes["POST /v1/orders/{order_id}/cancellations/{request_id}/withdraw"].error_codes)
    assert _literal_codes("cancelflow.cancel.withdraw_request") <= withdraw


def test_every_documented_code_is_raised_somewhere_the_handler_reaches() -> None:
    """GIVEN each API function's routes WHEN their documented codes are looked up in the
    cancelflow modules that function loads THEN each is written there (no invented status)."""
    import sys

    import cancelflow.cancel.answer_question  # imported lazily by the answer route
    import cancelflow.cancel.appeal_rejection  # imported lazily by the appeal route
    import cancelflow.cancel.chase_refund  # imported lazily by the chase route
    import cancelflow.cancel.fix_refund  # imported lazily by the fix and new-card routes
    import cancelflow.cancel.withdraw_request
    import cancelflow.refunds.manual  # noqa: F401  imported lazily by the manual-refund route

    for _, module in api_modules():
        api = getattr(module, "api", None)
        if api is None or not hasattr(api, "routes"):
            continue
        # (the catalogue and the codes' enum name every code, so they do not count)
        catalogue = {"cancelflow.errors", "cancelflow.error_codes"}
        reachable = _literal_codes(
            *(m for m in sys.modules if m.startswith("cancelflow.") and m not in catalogue)
        )
        for spec in api.routes.values():
            assert set(spec.error_codes) <= reachable, (spec.key, set(spec.error_codes) - reachable)
