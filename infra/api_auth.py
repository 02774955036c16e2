"""API and auth: the Cognito user pool (groups = the roles of cancelflow/http/identity.py), its
app clients, and the HTTP API with every route of topology.ROUTES on its function behind the JWT authorizer.

API Gateway checks the signature, issuer, audience and expiry; the handlers check the role from
``cognito:groups`` (topology.ROUTES says which), so a route never trusts a missing claim.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import topology
from infra.config import EnvConfig
from infra.functions import retention

GROUPS = ("customer", "reviewer", "senior_reviewer", "support", "platform")
# Routes reachable without a token: those declared ``public`` where they are handled (the
# providers' refund callbacks, authenticated by the provider's signature in the function).

# One JSON line per request: enough to trace a complaint to a Lambda request id.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "sub": "$context.authorizer.claims.sub",
}


class ApiAuth(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        cfg: EnvConfig,
        functions: Mapping[str, lambda_.IFunction],  # each API function's target (infra.functions)
        console_url: str | None,
    ) -> None:
        super().__init__(scope, cid)
        removal = cfg.removal_policy
        plus = cfg.auth_feature_plan == "plus"
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # customers are provisioned by the platform, staff by admins
            sign_in_aliases=cognito.SignInAliases(email=True, username=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan.PLUS if plus else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
            if plus
            else None,
            deletion_protection=cfg.deletion_protection,
            removal_policy=removal,
        )
        for group in GROUPS:
            self.user_pool.add_group(group, group_name=group, description=f"cancelflow role {group}")
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=cfg.auth_domain_prefix)
        )
        callbacks = list(cfg.console_callback_urls) + ([console_url] if console_url else [])
        self.console_client = self.user_pool.add_client(
            "ConsoleClient",
            # A browser app cannot keep a secret: authorization code with PKCE.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=callbacks or ["http://localhost:8000/console/"],
                logout_urls=callbacks or ["http://localhost:8000/console/"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        self.app_client = self.user_pool.add_client(
            "AppClient",  # the mobile and web apps of customers (public clients, SRP sign-in)
            generate_secret=False,
            disable_o_auth=True,  # the apps sign in with SRP; no hosted-UI redirect flows
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.platform_client = self.user_pool.add_client(
            "PlatformClient",  # server-side callers in the platform group (order intake, payments)
            generate_secret=True,
            disable_o_auth=True,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        clients = [self.console_client, self.app_client, self.platform_client]
        region = Stack.of(self).region
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "CognitoJwt",
            f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}",
            jwt_audience=[c.user_pool_client_id for c in clients],
            authorizer_name="cognito-jwt",
        )

        origins = list(cfg.cors_origins) + ([console_url] if console_url else [])
        self.api = apigw.HttpApi(
            self,
            "HttpApi",
            description=f"cancelflow {cfg.name}",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=origins,
                allow_methods=[apigw.CorsHttpMethod(m) for m in topology.CORS.methods],
                allow_headers=list(topology.CORS.allow_headers),
                expose_headers=list(topology.CORS.expose_headers),
                max_age=Duration.seconds(topology.CORS.max_age_seconds),
            )
            if origins
            else None,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(cfg.log_retention_days), removal_policy=removal
        )
        self.stage = self.api.add_stage(
            "Stage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=cfg.api_throttle_rate, burst_limit=cfg.api_throttle_burst
            ),
            access_log_settings=_AccessLogSettings(self.access_logs),
            detailed_metrics_enabled=False,
        )
        self.integrations = {
            name: integrations.HttpLambdaIntegration(f"{name}Integration", functions[name])
            for name in sorted({r.function for r in topology.ROUTES})
        }
        for route in topology.ROUTES:
            self.api.add_routes(
                path=route.path,
                methods=[apigw.HttpMethod(route.method)],
                integration=self.integrations[route.function],
                authorizer=None if route.public else self.authorizer,
            )
        CfnOutput(self, "ApiUrl", value=self.api.api_endpoint)
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "ConsoleClientId", value=self.console_client.user_pool_client_id)
        CfnOutput(self, "AuthDomain", value=self.domain.base_url())


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")))
