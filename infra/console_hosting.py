"""Console hosting: a private bucket served through CloudFront with origin access control and
security headers; console/ is uploaded by BucketDeployment when it exists (no Docker needed)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.buckets import private_bucket
from infra.config import ROOT, EnvConfig

CONSOLE_DIR = ROOT / "console"

# The console only talks to the API (execute-api) and Cognito's hosted sign-in.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https://*.amazonaws.com",
        "connect-src 'self' https://*.amazonaws.com https://*.amazoncognito.com",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self' https://*.amazoncognito.com",
        "object-src 'none'",
    )
)


def console_files_exist() -> bool:
    return CONSOLE_DIR.is_dir() and any(p.is_file() for p in CONSOLE_DIR.rglob("*"))


class ConsoleHosting(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig, access_logs: s3.IBucket) -> None:
        super().__init__(scope, cid)
        self.bucket = private_bucket(
            self,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="console/",
            removal_policy=RemovalPolicy.DESTROY,  # rebuilt from console/ on every deploy
            auto_delete_objects=False,
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="cancelflow console security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"cancelflow console ({cfg.name})",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,  # includes Asia edges
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="cloudfront/",
            web_acl_id=cfg.console_web_acl_arn or None,
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        CfnOutput(self, "ConsoleUrl", value=self.url)

    def deploy(self, config: dict[str, Any]) -> s3deploy.BucketDeployment | None:
        """Upload console/ plus a generated config.js with this stack's values (API URL, Cognito
        domain and client: tokens resolved at deploy time); the later source wins over the local
        config.js (docs/console.md, "Deployment"). Nothing to deploy until console/ has files."""
        if not console_files_exist():
            return None
        script = f"window.CANCELFLOW_CONFIG = {json.dumps(config, ensure_ascii=False)};\n"
        return s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=[
                s3deploy.Source.asset(str(CONSOLE_DIR), exclude=["__pycache__", "*.pyc"]),
                s3deploy.Source.data("config.js", script),
            ],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
        )
