"""Buckets: private, TLS-only, encrypted, logged; evidence CORS and expiry; console behind
CloudFront with origin access control and security headers."""

from __future__ import annotations

from infra.config import cdk_json_context
from tests.infra import tpl


def test_every_bucket_is_private_encrypted_and_tls_only(synth):
    """GIVEN both environments THEN every bucket blocks public access, is encrypted, and its
    bucket policy denies any request without TLS."""
    for template in synth.templates.values():
        policies = tpl.resources(template, "AWS::S3::BucketPolicy").values()
        for lid, bucket in tpl.resources(template, "AWS::S3::Bucket").items():
            p = bucket["Properties"]
            assert p["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }, lid
            assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"], lid
            (policy,) = [x for x in policies if x["Properties"]["Bucket"] == {"Ref": lid}]
            assert any(
                s["Effect"] == "Deny"
                and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
                and s["Principal"] == {"AWS": "*"}
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
            ), lid


def test_evidence_and_console_buckets_log_access(dev):
    """GIVEN the access-logs bucket THEN the evidence and console buckets log into it."""
    logs_id, _ = tpl.only(dev, "AWS::S3::Bucket", "AccessLogs")
    for name in ("Evidence", "Console"):
        _, bucket = tpl.only(dev, "AWS::S3::Bucket", name)
        assert bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


def test_evidence_bucket_accepts_browser_posts_and_expires(dev, prod):
    """GIVEN presigned POST uploads THEN CORS allows POST and evidence expires per environment."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        _, bucket = tpl.only(template, "AWS::S3::Bucket", "Evidence")
        p = bucket["Properties"]
        assert [r["AllowedMethods"] for r in p["CorsConfiguration"]["CorsRules"]] == [["POST"]]
        expiring = [r for r in p["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
        assert [(r["Prefix"], r["ExpirationInDays"]) for r in expiring] == [
            ("evidence/", ctx[env]["evidence_expiry_days"])
        ]


def test_console_is_served_through_cloudfront_with_oac_and_security_headers(dev):
    """GIVEN the console bucket THEN CloudFront reads it through origin access control, redirects
    to HTTPS and adds HSTS, CSP, frame and content-type headers."""
    _, dist = tpl.only(dev, "AWS::CloudFront::Distribution")
    conf = dist["Properties"]["DistributionConfig"]
    (origin,) = conf["Origins"]
    oac_id, _ = tpl.only(dev, "AWS::CloudFront::OriginAccessControl")
    assert tpl.refs(origin["OriginAccessControlId"]) == {oac_id}
    behavior = conf["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    policy_id, policy = tpl.only(dev, "AWS::CloudFront::ResponseHeadersPolicy")
    assert tpl.refs(behavior["ResponseHeadersPolicyId"]) == {policy_id}
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert "frame-ancestors 'none'" in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    assert conf["Logging"]["Bucket"]


def test_console_deploys_with_this_stacks_config(dev):
    """GIVEN console/ has files THEN a BucketDeployment uploads it plus a generated config.js whose
    deploy-time values are this stack's API endpoint and console app client."""
    from infra.console_hosting import console_files_exist

    deployments = tpl.resources(dev, "Custom::CDKBucketDeployment")
    if not console_files_exist():
        assert deployments == {}
        return
    ((_, deployment),) = deployments.items()
    p = deployment["Properties"]
    assert len(p["SourceObjectKeys"]) == 2
    api_id, _ = tpl.only(dev, "AWS::ApiGatewayV2::Api")
    (client_id,) = [k for k in tpl.resources(dev, "AWS::Cognito::UserPoolClient") if "Console" in k]
    assert {api_id, client_id} <= tpl.refs(p["SourceMarkers"])
    console_id, _ = tpl.only(dev, "AWS::S3::Bucket", "Console")
    assert p["DestinationBucketName"] == {"Ref": console_id}


def test_evidence_is_versioned_and_replaced_versions_expire(dev, prod):
    """GIVEN evidence a refund decision rests on THEN an image overwritten or deleted is kept
    NONCURRENT_DAYS more, then goes with its delete marker: evidence still expires."""
    from infra.evidence import NONCURRENT_DAYS

    for template in (dev, prod):
        _, bucket = tpl.only(template, "AWS::S3::Bucket", "Evidence")
        p = bucket["Properties"]
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}
        rules = p["LifecycleConfiguration"]["Rules"]
        kept = [r["NoncurrentVersionExpiration"] for r in rules if "NoncurrentVersionExpiration" in r]
        assert kept == [{"NoncurrentDays": NONCURRENT_DAYS}]
        assert [r for r in rules if r.get("ExpiredObjectDeleteMarker") is True and "Prefix" not in r]


def test_console_distribution_takes_the_configured_web_acl():
    """GIVEN cdk.json console_web_acl_arn THEN the console's distribution is behind that web ACL;
    empty (both environments today), behind none."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.config import EnvConfig
    from infra.console_hosting import ConsoleHosting
    from infra.log_bucket import AccessLogs

    acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/console/0123"
    for arn in (acl, ""):
        stack = cdk.Stack(cdk.App(), "Console")
        cfg = EnvConfig(name="test", console_web_acl_arn=arn)
        ConsoleHosting(stack, "Console", cfg=cfg, access_logs=AccessLogs(stack, "Logs", cfg=cfg).bucket)
        (dist,) = Template.from_stack(stack).find_resources("AWS::CloudFront::Distribution").values()
        assert dist["Properties"]["DistributionConfig"].get("WebACLId") == (arn or None)


def test_the_http_api_lets_configured_pages_read_the_request_id_and_replay_headers(dev, prod):
    """GIVEN the environments' cors_origins (and the hosted console) THEN the HTTP API's preflight
    allows exactly those origins and exposes X-Request-Id and Idempotency-Replayed to them."""
    from infra.topology import CORS

    for template in (dev, prod):
        _, api = tpl.only(template, "AWS::ApiGatewayV2::Api")
        cors = api["Properties"]["CorsConfiguration"]
        assert cors["ExposeHeaders"] == list(CORS.expose_headers)
        assert set(cors["AllowHeaders"]) == set(CORS.allow_headers)
        assert sorted(cors["AllowMethods"]) == ["GET", "POST"]
        assert cors["AllowOrigins"], "an API with a preflight names its origins"
    _, dev_api = tpl.only(dev, "AWS::ApiGatewayV2::Api")
    assert "http://localhost:8000" in dev_api["Properties"]["CorsConfiguration"]["AllowOrigins"]
