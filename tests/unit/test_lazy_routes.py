"""An API function registers a route, and imports what only that route names, when a request
first matches it (``cancelflow.http.api``, ``cancelflow.deferred.lazy``): a cold start pays for
the route it serves, not for the function's other 26. No timing here (``make bench
ONLY=coldstart`` prints it): these assert the property the figure rests on."""

from __future__ import annotations

import ast
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cancelflow.deferred import lazy

from infra.topology import ROUTES
from tests.unit.test_import_weight import run_probe

ROOT = Path(__file__).resolve().parents[2]

# What each API function binds with lazy() and its cheapest route does not need.
NOT_FOR_ONE_ORDER = [
    "cancelflow.cancel.api_models",
    "cancelflow.cancel.customer_flag",
    "cancelflow.cancel.dispute_record",
    "cancelflow.cancel.inbox",
    "cancelflow.cancel.timeline",
    "cancelflow.cancel.conversation_views",
    "cancelflow.domain.policy_prose",
]

# Each API function and a route of it: what the function binds with lazy() and that route does
# not need (written out here, so the list is this test's claim, not read from the code it tests).
ONE_ROUTE = {
    "cancel": ("GET", "/v1/orders/{order_id}", NOT_FOR_ONE_ORDER),
    "review": ("GET", "/v1/reviews", ["cancelflow.review.decisions"]),
    "refund": (
        "GET",
        "/v1/refunds",
        [
            "cancelflow.cancel.views",
            "cancelflow.refunds.api_models",
            "cancelflow.refunds.notify",
            "cancelflow.stock.quarantine",
            "cancelflow.stock.views",
            "cancelflow.support.lost_payment",
            "cancelflow.support.staff_cancel",
        ],
    ),
    "platform": ("GET", "/v1/platform/orders/{order_id}", []),
}

# A fresh interpreter: import the function, answer one request (no JWT: a 401, so no AWS is
# needed, but the route is matched and registered first), report what is registered and loaded.
_PROBE = """
import json, sys
import functions.{function}.api as f
before = f.api.registered
event = {{"version": "2.0", "routeKey": "{method} {route}", "rawPath": "{path}", "headers": {{}},
          "requestContext": {{"http": {{"method": "{method}", "path": "{path}"}}, "requestId": "r1"}}}}
status = f.api.handler(event)["statusCode"]
lazy = [n for n in {names!r} if type(sys.modules.get(n)).__name__ == "_LazyModule"]
print(json.dumps({{"before": before, "after": f.api.registered, "status": status, "still_lazy": lazy}}))
"""


@pytest.mark.parametrize("function", sorted(ONE_ROUTE))
def test_a_cold_start_registers_and_imports_only_the_route_it_serves(function: str) -> None:
    method, route, not_needed = ONE_ROUTE[function]
    path = route.replace("{order_id}", "o_" + "0" * 20)
    code = _PROBE.format(function=function, method=method, route=route, path=path, names=not_needed)
    out = json.loads(run_probe(code).strip().splitlines()[-1])  # (after the answer's JSON log line)
    assert out["before"] == []  # importing the function registers nothing
    assert out["status"] == 401
    assert out["after"] == [f"{method} {route}"]  # of the function's several (declared_routes)
    assert len(declared_routes(function)) > 1
    assert out["still_lazy"] == not_needed  # none of them imported for this route


def declared_routes(function: str) -> list[str]:
    """The routes of ``functions/<function>/api.py`` in the order its source declares them,
    read from its decorators (``@api.get("/v1/...")``) with ``ast``, not from the Api object
    the tests below check."""
    tree = ast.parse((ROOT / "functions" / function / "api.py").read_text(encoding="utf-8"))
    return [
        f"{deco.func.attr.upper()} {deco.args[0].value}"
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        for deco in node.decorator_list
        if isinstance(deco, ast.Call)
        and isinstance(deco.func, ast.Attribute)
        and isinstance(deco.func.value, ast.Name)
        and deco.func.value.id == "api"
        and deco.args
        and isinstance(deco.args[0], ast.Constant)
    ]


@pytest.mark.parametrize("function", sorted(ONE_ROUTE))
def test_reading_the_table_registers_every_route_in_declaration_order(function: str) -> None:
    """GIVEN a fresh interpreter WHEN infra reads the route table THEN every route the module's
    source declares is registered, in that order, and the table infra builds from says the same;
    the modules the routes' annotations name are loaded by then (those only a route's body uses
    wait for that route to run)."""
    _, _, lazy_ones = ONE_ROUTE[function]
    code = (
        f"import json, sys, functions.{function}.api as f\n"
        "keys = list(f.api.routes)\n"
        f"lazy = [n for n in {lazy_ones!r} if type(sys.modules.get(n)).__name__ == '_LazyModule']\n"
        "print(json.dumps({'keys': keys, 'registered': f.api.registered, 'lazy': lazy}))"
    )
    out = json.loads(run_probe(code))
    declared = declared_routes(function)
    assert out["keys"] == declared == out["registered"]
    assert [f"{r.method} {r.path}" for r in ROUTES if r.function == f"{function}_api"] == declared
    assert out["lazy"] == BODY_ONLY.get(function, [])


# What the refund function binds lazily for its routes' bodies alone (no annotation names them).
BODY_ONLY = {
    "refund": [
        "cancelflow.refunds.notify",
        "cancelflow.stock.quarantine",
        "cancelflow.support.lost_payment",
        "cancelflow.support.staff_cancel",
    ]
}


def test_no_two_routes_of_a_function_can_match_one_request() -> None:
    """Powertools tries the routes in the order they were registered, which is now the order
    requests first came in: so no path may match two routes of one function and method."""
    for a, b in itertools.combinations(ROUTES, 2):
        if a.function != b.function or a.method != b.method:
            continue
        sa, sb = a.path.strip("/").split("/"), b.path.strip("/").split("/")
        both = len(sa) == len(sb) and all(x == y or "{" in x or "{" in y for x, y in zip(sa, sb, strict=True))
        assert not both, f"{a.method} {a.path} and {b.path} can match the same path"


def test_a_lazy_module_runs_when_first_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cf_lazy_probe.py").write_text(
        "import os\nos.environ['CF_LAZY_PROBE'] = 'ran'\nVALUE = 42\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CF_LAZY_PROBE", raising=False)
    try:
        module = lazy("cf_lazy_probe")
        assert "CF_LAZY_PROBE" not in os.environ  # bound, not run
        assert lazy("cf_lazy_probe") is module  # bound once
        assert module.VALUE == 42
        assert os.environ["CF_LAZY_PROBE"] == "ran"
    finally:
        sys.modules.pop("cf_lazy_probe", None)


def test_an_imported_module_is_returned_as_it_is_and_a_misspelt_one_fails_at_once() -> None:
    assert lazy("json") is json
    with pytest.raises(ModuleNotFoundError):
        lazy("cancelflow.cancel.no_such_module")


def test_a_route_that_fails_to_register_answers_with_its_own_request_id() -> None:
    """GIVEN a route whose annotations cannot be resolved (registered on its first request now,
    not at import) WHEN it is requested after another request THEN the 500 carries this
    request's id, not the last one's."""
    from cancelflow.http.api import Api

    from local.apigw import build_event

    api = Api("probe-broken")

    @api.get("/v1/fine", roles=(), public=True, aws=False)
    def fine() -> dict[str, str]:
        return {"ok": "yes"}

    @api.get("/v1/broken", roles=(), public=True, aws=False)
    def broken() -> NoSuchModel:  # type: ignore[name-defined]  # noqa: F821
        raise AssertionError("never called")

    def event(path: str, request_id: str) -> dict[str, Any]:
        built: dict[str, Any] = build_event("GET", path, f"GET {path}")
        built["requestContext"]["requestId"] = request_id
        return built

    assert api.handler(event("/v1/fine", "req-fine"))["statusCode"] == 200
    answer = api.handler(event("/v1/broken", "req-broken"))
    assert answer["statusCode"] == 500
    assert answer["headers"]["X-Request-Id"] == "req-broken"
