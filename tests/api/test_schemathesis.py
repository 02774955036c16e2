"""schemathesis over every customer route, in-process (tests/api/asgi_adapter.py), with a
fixed seed: no server errors, no status code or body the document does not promise."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from cancelflow.store.codec import ID_PATTERN
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.asgi_adapter import SEEN, make_app
from tests.api.world import DELIVERED, PENDING, REJECTED_REQUEST, claims_for

app = make_app(claims_for("owner"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/v1/(orders|policies)")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
KNOWN = {"order_id": [PENDING, DELIVERED], "request_id": [REJECTED_REQUEST]}


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    # Half the time aim at the world's real orders, so the deep paths run, not only 404s.
    if not path_parameters:
        return path_parameters
    out = dict(path_parameters)
    for name, ids in KNOWN.items():
        value = out.get(name)
        # Only well-formed ids are swapped: a malformed one is negative data and must stay so.
        if isinstance(value, str) and re.fullmatch(ID_PATTERN, value) and value[-1:] in "02468ace":
            out[name] = ids[int(value[-1], 16) % len(ids)]
    if out.get("request_id") == REJECTED_REQUEST:
        out["order_id"] = DELIVERED  # the rejected request's own order
    return out


@pytest.fixture(scope="module", autouse=True)
def _world(world: dict[str, str]) -> None:
    """One world for every generated request (they may change it: all answers are documented)."""


@pytest.mark.slow
@schema.parametrize()
@seed(20261127)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
def test_customer_routes_conform(case: Any) -> None:
    """GIVEN any request the document allows (and some it does not) WHEN sent as the owner
    THEN never a 5xx, and the status, content type and body are the documented ones."""
    # A case whose headers are negative (e.g. Authorization left out) is sent as generated:
    # adding the token would turn it into valid data that "should have been rejected".
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = None if negative_headers else {"Authorization": "Bearer owner-token"}
    case.call_and_validate(checks=CHECKS, headers=headers)


@pytest.mark.slow
def test_fuzzing_reached_every_route() -> None:
    """GIVEN the run above THEN each customer route answered refusals and also got past
    authentication and validation into its use case (not only 401/422)."""
    routes = {key for key, _ in SEEN}
    for op in schema.get_all_operations():
        key = f"{op.ok().method.upper()} {op.ok().path}"
        assert key in routes, key
        statuses = {status for (k, status) in SEEN if k == key}
        assert statuses & {400, 422} and statuses - {400, 401, 403, 422}, (key, statuses)
