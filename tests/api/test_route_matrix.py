"""Every route (its committed sample event in events/) x every kind of caller.

The samples are real API Gateway v2 events against the fixed world of tests/api/world.py; here
only their claims change: the rightful caller, another customer, a reviewer, and no claims at
all (API Gateway's authorizer answers 401 in the cloud; the handler must never trust a
missing claim either).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.api.conftest import invoke
from tests.api.world import SAMPLES, Sample, claims_for, load_event, sample_event


def _with_claims(event: dict[str, Any], who: str) -> dict[str, Any]:
    e = copy.deepcopy(event)
    claims = claims_for(who)
    if claims is None:
        e["requestContext"].pop("authorizer", None)
    else:
        e["requestContext"]["authorizer"]["jwt"]["claims"] = {
            k: (f"[{' '.join(v)}]" if isinstance(v, list) else str(v)) for k, v in claims.items()
        }
    return e


def _expected(s: Sample, who: str) -> int:
    if who == "nobody":
        return 401
    if who == s.who:
        return s.status
    if s.who == "platform":
        return 403  # customers and reviewers are not the platform
    if who == "reviewer":
        return 200 if s.route == "/v1/policies" else 403
    # another customer: their own (empty) list and the policies; anyone else's order is "not found"
    return 200 if s.route in ("/v1/policies", "/v1/orders") else 404


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_route_by_caller(world: dict[str, str], sample: Sample) -> None:
    """GIVEN the world WHEN a sample request is sent by no one, a reviewer, another customer and
    then its rightful caller THEN the expected status each time; every refusal is in the error
    format. (Each sample changes a different order, so one world serves them all.)"""
    event = load_event(sample.name)
    for who in ("nobody", "reviewer", "other", sample.who):
        resp = invoke(_with_claims(event, who))
        assert resp.status == _expected(sample, who), (who, resp.raw)
        if resp.status >= 400:
            err = resp.json["error"]
            assert set(err) == {"code", "message", "request_id", "details"}
            assert err["request_id"] == event["requestContext"]["requestId"]
        if who == "other" and sample.route == "/v1/orders":
            assert resp.json["items"] == []


def test_sample_events_are_current() -> None:
    """GIVEN the committed events/api-*.json WHEN regenerated THEN identical (python -m tests.api.world)."""
    for s in SAMPLES:
        assert load_event(s.name) == sample_event(s), f"events/api-{s.name}.json is stale"


def test_groups_claim_as_flattened_string_or_list() -> None:
    """GIVEN cognito:groups as a JSON list instead of API Gateway's flattened string THEN the same."""
    event = load_event("cancel-get-policies")
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = ["customer"]
    assert invoke(event).status == 200
