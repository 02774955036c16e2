"""The HTTP API: exactly topology.ROUTES, each on its function behind the Cognito JWT authorizer;
stage throttling and access logs; the user pool's groups and clients."""

from __future__ import annotations

from infra import topology
from infra.api_auth import GROUPS
from infra.config import cdk_json_context
from tests.infra import tpl


def _routes(template):
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in tpl.resources(template, "AWS::ApiGatewayV2::Route").values()
    }


def test_template_routes_are_the_local_runtime_routes(dev):
    """GIVEN the local runtime's gateway route table THEN the deployed API has the same set of
    routes (both come from topology.ROUTES)."""
    from local.gateway import api_routes

    local = {route.name for route in api_routes(None, None)}  # type: ignore[arg-type]
    assert set(_routes(dev)) == local == {f"{r.method} {r.path}" for r in topology.ROUTES}


def test_each_route_reaches_its_function(dev):
    """GIVEN a route THEN its integration invokes the function topology names."""
    ids = tpl.function_ids(dev)
    for route in topology.ROUTES:
        target = _routes(dev)[f"{route.method} {route.path}"]["Target"]
        (integration,) = tpl.refs(target)
        uri = dev["Resources"][integration]["Properties"]["IntegrationUri"]
        assert tpl.refs(uri) == {ids[route.function]}, route


def test_every_non_public_route_has_the_jwt_authorizer(synth):
    """GIVEN both environments THEN no route but the listed public ones is reachable without a
    token verified by the Cognito authorizer (issuer = the pool, audience = its clients)."""
    for template in synth.templates.values():
        auth_id, auth = tpl.only(template, "AWS::ApiGatewayV2::Authorizer")
        jwt = auth["Properties"]["JwtConfiguration"]
        pool_id, _ = tpl.only(template, "AWS::Cognito::UserPool")
        assert tpl.refs(jwt["Issuer"]) == {pool_id}
        assert tpl.refs(jwt["Audience"]) == set(tpl.resources(template, "AWS::Cognito::UserPoolClient"))
        public = {f"{r.method} {r.path}" for r in topology.ROUTES if r.public}
        # the only ones: a provider's signed callback, and the readable policy shown before buying
        assert public == {
            "POST /v1/providers/{channel}/refunds/notify",
            "GET /v1/products/{product_id}/cancellation-policy",
        }
        for key, route in _routes(template).items():
            if key in public:
                assert route.get("AuthorizationType", "NONE") == "NONE", key
                continue
            assert route["AuthorizationType"] == "JWT", key
            assert route["AuthorizerId"] == {"Ref": auth_id}, key


def test_stage_throttles_and_logs_per_environment(dev, prod):
    """GIVEN cdk.json THEN the stage throttles at the env's rate/burst and writes JSON access logs."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        _, stage = tpl.only(template, "AWS::ApiGatewayV2::Stage")
        p = stage["Properties"]
        assert p["DefaultRouteSettings"]["ThrottlingRateLimit"] == ctx[env]["api_throttle_rate"]
        assert p["DefaultRouteSettings"]["ThrottlingBurstLimit"] == ctx[env]["api_throttle_burst"]
        assert "$context.requestId" in p["AccessLogSettings"]["Format"]
        (group,) = tpl.refs(p["AccessLogSettings"]["DestinationArn"])
        assert template["Resources"][group]["Properties"]["RetentionInDays"] == ctx[env]["log_retention_days"]


def test_user_pool_groups_are_the_roles(dev):
    """GIVEN the roles of cancelflow/http/identity.py THEN the pool has exactly those groups
    (cognito:groups claim)."""
    names = {g["Properties"]["GroupName"] for g in tpl.resources(dev, "AWS::Cognito::UserPoolGroup").values()}
    assert names == set(GROUPS)
    assert {r for route in topology.ROUTES for r in route.roles} <= names


def test_console_client_is_public_with_code_flow_and_others_have_no_redirects(dev):
    """GIVEN the browser console THEN its client has no secret and only the authorization-code
    flow (PKCE); the app and platform clients have no OAuth redirect flows at all."""
    clients = {k: v["Properties"] for k, v in tpl.resources(dev, "AWS::Cognito::UserPoolClient").items()}
    (console,) = [c for k, c in clients.items() if "Console" in k]
    assert console["GenerateSecret"] is False
    assert console["AllowedOAuthFlows"] == ["code"]
    for k, c in clients.items():
        if "Console" not in k:
            assert "implicit" not in c.get("AllowedOAuthFlows", []), k
            assert not c.get("AllowedOAuthFlowsUserPoolClient"), k


def test_prod_user_pool_has_threat_protection(dev, prod):
    """GIVEN cdk.json (prod: Plus feature plan) THEN prod enforces threat protection, dev does not."""
    _, prod_pool = tpl.only(prod, "AWS::Cognito::UserPool")
    assert prod_pool["Properties"]["UserPoolTier"] == "PLUS"
    assert prod_pool["Properties"]["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    _, dev_pool = tpl.only(dev, "AWS::Cognito::UserPool")
    assert dev_pool["Properties"]["UserPoolTier"] == "ESSENTIALS"
