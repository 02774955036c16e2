"""schemathesis over every route and every role, in-process through the local gateway
(tests/api/in_process.py), with every check it has (``--checks all``: server errors, status
codes, content types, headers and bodies against the document, positive data accepted,
negative data rejected, missing headers, ignored auth...; only ``unsupported_method`` is off,
see CHECKS) on positive and negative data, seeded.

- As each route's own roles: the examples, coverage and fuzzing phases.
- As every other role: fuzzing only, and nothing but 401/403 may come back (authorization is
  checked before validation, so no input gets anything else).

The world is tests/api/world.py plus a task under review and a refund, and half of the
well-formed ids generated for a path are swapped for the world's, so the deep paths run, not
only 404s. The counts (cases per route and role, statuses) are printed at the end of the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest
import schemathesis
from cancelflow.http.params import EXTERNAL_ID_PATTERN
from cancelflow.store.codec import ID_PATTERN
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from infra.topology import ROUTES
from tests.api.in_process import SEEN, make_app, token_for
from tests.api.world import DELIVERED, OWNER, PENDING, REJECTED_REQUEST
from tests.conftest import NOW

# role (a cognito group) -> the world's caller (tests/api/world.py) whose token is sent
ROLES = {
    "customer": "owner",
    "reviewer": "reviewer",
    "senior_reviewer": "senior",
    "support": "support",
    "platform": "platform",
}
TOKENS = {role: token_for(who) for role, who in ROLES.items()}
app = make_app()

# Every check, with three settings of our own:
# - Positive data may still be refused by a rule the schema cannot state (a reason that does
#   not fit the order's state, a checklist for an approval): a 422 with a domain code the
#   route documents. A 422 from request validation itself is never allowed for positive data
#   (checked in the test).
# - ``unsupported_method`` expects 405 for a method the document does not list on a path;
#   API Gateway's HTTP API has no 405: a method without a route is no route at all, 404, and
#   never reaches a function (the local gateway does the same, tests/local/test_gateway.py).
# - The provider callback route takes the provider's signed body, which the document cannot
#   describe: a generated request never verifies, so 400 NOTIFICATION_INVALID is a right
#   answer to positive data there too (see _send).
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
CHECKS = {
    "positive_data_acceptance": {"expected-statuses": ACCEPTED},
    "unsupported_method": {"enabled": False},
}
CONFIG = SchemathesisConfig.from_dict({"checks": CHECKS})
FUZZ_ONLY = SchemathesisConfig.from_dict(
    {"checks": CHECKS, "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
)
NOTIFY = "POST /v1/platform/refunds/{refund_id}/notify"
# The providers' own callback route: no token; a generated callback never verifies, so FAIL (400)
# in the provider's dialect is the right answer to positive data there.
PROVIDER_NOTIFY = "POST /v1/providers/{channel}/refunds/notify"
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
others_schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=FUZZ_ONLY)

# Ids in the world, by path parameter (filled in by the fixture below).
KNOWN: dict[str, list[str]] = {"order_id": [PENDING, DELIVERED], "request_id": [REJECTED_REQUEST]}


def _swap_ids(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    # Half the time aim at the world's real ids, so the deep paths run, not only 404s.
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
    product = out.get("product_id")  # the platform's ids: the world's product, half the time
    if isinstance(product, str) and re.fullmatch(EXTERNAL_ID_PATTERN, product) and len(product) % 2 == 0:
        out["product_id"] = "p-game_card"
    return out


EXTERNAL_ID = r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}"


def _swap_body_ids(context: Any, body: Any) -> Any:
    # The same in bodies: a platform order for the world's product and customer, a payment
    # for one of its orders. Only well-formed values, and half the time, as for paths.
    if not isinstance(body, dict):
        return body
    out = dict(body)
    known = {"order_id": KNOWN["order_id"], "product_id": ["p-game_card"], "customer_id": [OWNER]}
    for name, ids in known.items():
        value = out.get(name)
        if isinstance(value, str) and re.fullmatch(EXTERNAL_ID, value) and len(value) % 2 == 0:
            out[name] = ids[len(value) % len(ids)]
    return out


for s in (schema, others_schema):
    s.hook("map_path_parameters")(_swap_ids)
    s.hook("map_body")(_swap_body_ids)


def allowed(role: str) -> list[str]:
    """The routes (schemathesis names, "GET /v1/orders") this role may call."""
    return [f"{r.method} {r.path}" for r in ROUTES if not r.roles or role in r.roles]


def refused(role: str) -> list[str]:
    return [f"{r.method} {r.path}" for r in ROUTES if r.roles and role not in r.roles]


@pytest.fixture(scope="module", autouse=True)
def _world(world: dict[str, str]) -> None:
    """One world for every generated request (they may change it: all answers are
    documented), with a task under review and a refund besides the world's orders."""
    from cancelflow.cancel import submit_cancellation
    from cancelflow.domain.options import Action, Submission
    from cancelflow.domain.products import Channel
    from cancelflow.domain.reasons import Reason
    from cancelflow.review import tasks
    from cancelflow.store import orders, payments

    from functions.review.intake import handler as intake
    from tests.review.conftest import drain, sqs_event

    def paid(minutes_ago: int) -> str:
        o = orders.create_order(OWNER, "p-game_card", 1, NOW - timedelta(minutes=minutes_ago + 1))
        payments.confirm_payment(
            o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, NOW - timedelta(minutes=minutes_ago)
        )
        return o.order_id

    request = Submission(action=Action.REQUEST, reason_code=Reason.CHANGED_MIND)
    reviewed = paid(60)  # outside the 10-minute window: to review
    under_review = submit_cancellation.submit(OWNER, reviewed, request, NOW)
    intake(sqs_event(drain(world["CANCELFLOW_REVIEW_QUEUE_URL"])), None)
    refunded = paid(1)  # inside the window: approved at once, refunded
    refund = submit_cancellation.submit(OWNER, refunded, request, NOW)
    assert refund.refund_id is not None
    KNOWN["order_id"] += [reviewed, refunded]
    KNOWN["request_id"].append(under_review.request_id)
    KNOWN["task_id"] = [tasks.task_id_for(under_review.request_id, "cancellation")]
    KNOWN["refund_id"] = [refund.refund_id]


def _validation_refused_positive_data(case: Any, response: Any) -> None:
    """Positive data is never refused by request validation (a 422 whose details list the
    validation ``errors``): the document and the validation say the same. A rule beyond the
    schema (an unknown cursor, a reason that does not fit) answers without that list."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    error = response.json().get("error", {})
    assert not (error.get("code") == "VALIDATION_FAILED" and "errors" in error.get("details", {})), (
        f"valid data refused by validation: {case.operation.label} body={case.body!r} ({error})"
    )


def _send(case: Any, role: str) -> Any:
    # The caller's token always: where a case means the token to be missing (negative data
    # on Authorization), schemathesis leaves it out itself; ignored_auth tries without it.
    headers = {"Authorization": f"Bearer {TOKENS[role]}"}
    if case.operation.label == PROVIDER_NOTIFY:
        response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        if case.meta is not None and case.meta.generation.mode.is_positive:
            assert response.status_code == 400 and response.json()["code"] == "FAIL", response.status_code
        return response
    if case.operation.label != NOTIFY:
        return case.call_and_validate(headers=headers)  # every check schemathesis has (--checks all)
    # (Per-operation settings in schemathesis' config would do, but they switch off .include.)
    response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    if case.meta is not None and case.meta.generation.mode.is_positive:
        assert response.status_code in (200, 400, 401, 403, 404, 409, 429), response.status_code
    return response


def _as_own_role(role: str) -> Callable[..., None]:
    @pytest.mark.slow
    @schema.include(name=allowed(role)).parametrize()
    @seed(20261127)
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: Any) -> None:
        response = _send(case, role)
        _validation_refused_positive_data(case, response)

    test.__doc__ = f"""GIVEN any request the document allows, and many it does not WHEN sent as a
    {role} to a route a {role} may call THEN every schemathesis check passes (no 5xx; the
    documented status, content type, headers and body; valid data accepted, invalid refused)."""
    return cast(Callable[..., None], test)


def _as_other_role(role: str) -> Callable[..., None]:
    @pytest.mark.slow
    @others_schema.include(name=refused(role)).parametrize()
    @seed(20261128)
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: Any) -> None:
        response = _send(case, role)
        assert response.status_code in (401, 403), (role, case.operation.label, response.status_code)

    test.__doc__ = f"""GIVEN any request WHEN sent as a {role} to a route a {role} may not call
    THEN 403 (401 without the token), whatever the input, and every schemathesis check passes."""
    return cast(Callable[..., None], test)


for _role in ROLES:
    globals()[f"test_routes_conform_as_{_role}"] = _as_own_role(_role)
    if refused(_role):
        globals()[f"test_routes_refuse_{_role}"] = _as_other_role(_role)


@pytest.mark.slow
def test_fuzzing_reached_every_route_as_every_role() -> None:
    """GIVEN the runs above THEN every route was called as every role; as its own roles it
    answered refusals and also got past validation into its use case (not only 401/422)."""
    for route in ROUTES:
        key = f"{route.method} {route.path}"
        if route.public:
            statuses = {status for (k, who, status) in SEEN if k == key and who == "no-authorizer"}
            if route.method == "GET":  # an open read: anyone gets past validation into its use case
                assert 422 in statuses and statuses - {400, 401, 403, 422}, (key, statuses)
            else:  # a callback: the function sees no caller; nothing unsigned gets past verification
                assert 400 in statuses and statuses <= {400, 422}, (key, statuses)
            continue
        for role in ROLES:
            statuses = {status for (k, who, status) in SEEN if k == key and who == role}
            assert statuses, (key, role)
            if not route.roles or role in route.roles:
                assert statuses & {400, 422} and statuses - {400, 401, 403, 422}, (key, role, statuses)
            else:
                assert statuses <= {401, 403}, (key, role, statuses)
