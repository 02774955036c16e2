"""An API function registers a route, and imports what only that route names, when a request
first matches it (``cancelflow.http.api``, ``cancelflow.deferred.lazy``): a cold start pays for
the route it serves, not for the function's other 26. No timing here (``make bench
ONLY=coldstart`` prints it): these assert the property the figure rests on."""

from __future__ import annotations

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

# A fresh interpreter: import the cancel function, answer one request (no JWT: a 401, so no AWS
# is needed, but the route is matched and registered first), report what is loaded.
_PROBE = """
import json, sys
import functions.cancel.api as f
before = f.api.registered
event = {{"version": "2.0", "routeKey": "GET /v1/orders/{{order_id}}", "rawPath": "/v1/orders/o_{hex}",
          "headers": {{}}, "pathParameters": {{"order_id": "o_{hex}"}},
          "requestContext": {{"http": {{"method": "GET", "path": "/v1/orders/o_{hex}"}}, "requestId": "r1"}}}}
status = f.api.handler(event)["statusCode"]
lazy = [n for n in {names!r} if type(sys.modules.get(n)).__name__ == "_LazyModule"]
print(json.dumps({{"before": before, "after": f.api.registered, "status": status, "still_lazy": lazy}}))
"""


def test_a_cold_start_registers_and_imports_only_the_route_it_serves() -> None:
    printed = run_probe(_PROBE.format(hex="0" * 20, names=NOT_FOR_ONE_ORDER))
    out = json.loads(printed.strip().splitlines()[-1])  # (after the answer's JSON log line)
    assert out["before"] == []  # importing the function registers nothing
    assert out["status"] == 401
    assert out["after"] == ["GET /v1/orders/{order_id}"]
    assert out["still_lazy"] == NOT_FOR_ONE_ORDER  # none of them imported for this route


def test_reading_the_table_registers_every_route_in_declaration_order() -> None:
    """GIVEN a fresh interpreter WHEN infra reads the route table THEN every declared route is
    registered, in the order the module declares them, and its annotations' modules loaded."""
    code = (
        "import json, sys, functions.cancel.api as f\n"
        "keys = list(f.api.routes)\n"
        f"lazy = [n for n in {NOT_FOR_ONE_ORDER!r} if type(sys.modules.get(n)).__name__ == '_LazyModule']\n"
        "print(json.dumps({'keys': keys, 'registered': f.api.registered, 'lazy': lazy}))"
    )
    out = json.loads(run_probe(code))
    declared = [f"{r.method} {r.path}" for r in ROUTES if r.function == "cancel_api"]
    assert out["keys"] == declared == out["registered"]
    assert out["lazy"] == []


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
