"""The roles in infra/topology.py are the ones the handlers enforce (the gateway only
authenticates, as API Gateway's JWT authorizer does)."""

from __future__ import annotations

import re

import pytest

from infra.topology import ROUTES, Route
from tests.e2e.conftest import Api

GROUPS = ("customer", "reviewer", "senior_reviewer", "support", "platform")


def _path(route: Route) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)[0]}_{'0' * 20}", route.path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_only_the_topologys_roles_get_past_the_handlers_role_check(api: Api, route: Route) -> None:
    """GIVEN a token for each group WHEN the route is called
    THEN groups outside the topology's roles get 403 and the others do not (nor 401 or 5xx)."""
    allowed = set(route.roles) or set(GROUPS)
    for group in GROUPS:
        r = api.call(
            route.method, _path(route), (f"roles-{group}", group), {} if route.method == "POST" else None
        )
        assert r.status_code < 500, (group, r.text)
        if group in allowed:
            assert r.status_code not in (401, 403), (group, r.text)
        else:
            api.error(r, 403, "FORBIDDEN")
