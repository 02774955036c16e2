"""The local gateway (local/gateway.py, what ``make dev`` serves) in-process, in front of the real
handlers, for the tests that speak HTTP to the API (tests/api/test_schemathesis.py): the same
routing, JWT check, v2 event (local/apigw.py) and answer as the local runtime, with tokens from
an issuer of its own for the callers of tests/api/world.py. ``GET /openapi.json`` serves the
document generated from the handlers now, not the committed one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from infra.openapi import merged
from local.apigw import parse_result
from local.auth import MAX_TTL, Issuer
from local.gateway import build_app
from local.lambdas import Functions
from tests.api.world import claims_for

ISSUER = Issuer(issuer="https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_inprocess")

# (route key, caller's groups, status) of every answer a function gave: for tests, and the
# summary tests/api/conftest.py prints at the end of a run. (The gateway's own 401s for a
# missing or bad token never reach a function, so they are not counted.)
SEEN: Counter[tuple[str, str, int]] = Counter()


def token_for(who: str) -> str:
    """A bearer token for one of the world's callers ("owner", "reviewer", ...): its sub and
    groups, signed by the gateway's issuer."""
    claims = claims_for(who)
    assert claims is not None, f"{who} has no token"
    token, _ = ISSUER.mint(claims["sub"], list(claims["cognito:groups"]), MAX_TTL)
    return token


def _caller(event: dict[str, Any]) -> str:
    authorizer = event["requestContext"].get("authorizer")
    if authorizer is None:  # a public route (a provider's callback): no authorizer, no claims
        return "no-authorizer"
    claims = authorizer["jwt"]["claims"]
    groups = str(claims.get("cognito:groups") or "").strip("[]").split()  # "[a b]", as API Gateway
    return ",".join(groups) or "no-role"


class _Counted:
    """The real functions (local.lambdas.Functions), each answer counted in SEEN."""

    def __init__(self) -> None:
        self.functions = Functions()

    def invoke(self, name: str, event: dict[str, Any], timeout_seconds: int = 30) -> Any:
        return self.invoke_timed(name, event, timeout_seconds)[0]

    def invoke_timed(
        self, name: str, event: dict[str, Any], timeout_seconds: int = 30
    ) -> tuple[Any, float, float]:
        out = self.functions.invoke_timed(name, event, timeout_seconds)
        SEEN[(event["routeKey"], _caller(event), parse_result(out[0])[0])] += 1
        return out


def make_app() -> Starlette:
    return build_app(
        ISSUER,
        _Counted(),
        [],
        "http://localhost",
        console_dir=Path("/nonexistent"),  # the API only
        document=lambda _: merged(),
    )
