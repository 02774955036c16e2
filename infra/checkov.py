"""checkov, the second opinion on the templates (tests/infra/test_checkov.py runs it over every
environment's template), and THE list of its findings we skip, each with the reason. An Aspect
writes each skip into its resource's template metadata (``Metadata.checkov.skip``, where checkov
reads it), so every other finding fails the suite. The reasons are also in docs/deploy.md,
"What checkov flags and why"; what the skip relies on is checked on the template (``holds``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import jsii
from aws_cdk import CfnResource, IAspect, Stack
from constructs import IConstruct

from infra.config import EnvConfig

# CDK's own BucketDeployment handler (a stack-level singleton): library code we configure.
BUCKET_DEPLOYMENT = "Custom::CDKBucketDeployment*"
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY$")

Props = dict[str, Any]


def _always(_resource: CfnResource, _cfg: EnvConfig) -> bool:
    return True


def _unreserved(resource: CfnResource, _cfg: EnvConfig) -> bool:
    return getattr(resource, "reserved_concurrent_executions", None) is None


def _no_web_acl(_resource: CfnResource, cfg: EnvConfig) -> bool:
    return not cfg.console_web_acl_arn


def _sse_sqs(props: Props) -> bool:
    return props.get("SqsManagedSseEnabled") is True


def _retention_set(props: Props) -> bool:
    return isinstance(props.get("RetentionInDays"), int)


def _no_secret_in_environment(props: Props) -> bool:
    names = props.get("Environment", {}).get("Variables", {})
    return not [n for n in names if _SECRET_NAME.search(n) and not n.endswith("_ARN")]


def _default_certificate(props: Props) -> bool:
    viewer = props["DistributionConfig"].get("ViewerCertificate")
    return viewer is None or viewer.get("CloudFrontDefaultCertificate") is True


@dataclass(frozen=True)
class Skip:
    check: str  # checkov's id, e.g. "CKV_AWS_27"
    rtype: str  # the CloudFormation type it applies to
    path: str  # glob over construct paths relative to the stack (an L1's trailing /Resource dropped)
    reason: str
    when: Callable[[CfnResource, EnvConfig], bool] = _always  # decided at synth, per resource
    holds: Callable[[Props], bool] | None = None  # what the reason relies on, read off the template


_FN = "AWS::Lambda::Function"
_API = "Functions/*_api/Function"
_SWEEPS = ("expire_orders", "complete_orders", "flag_refunds", "flag_reviews")

SKIPS: tuple[Skip, ...] = (
    # --- encryption at rest where an AWS-managed key does the job
    Skip(
        "CKV_AWS_27",
        "AWS::SQS::Queue",
        "*",
        "encrypted at rest with SSE-SQS (SqsManagedSseEnabled); checkov only counts a KMS key. A KMS "
        "key would have to admit EventBridge and Lambda, which send to these queues and dead-letter "
        "targets, and costs KMS requests per message, for no stronger protection at rest",
        holds=_sse_sqs,
    ),
    Skip(
        "CKV_AWS_158",
        "AWS::Logs::LogGroup",
        "*",
        "CloudWatch Logs encrypts every log group at rest; these logs carry ids, statuses, source IPs "
        "and timings, never secrets or card data, and expire (log_retention_days). A customer key "
        "adds $1/month, a key policy for the logs service and a KMS call per write, for control "
        "IAM on logs:GetLogEvents already gives",
        holds=_retention_set,
    ),
    Skip(
        "CKV_AWS_173",
        _FN,
        "*",
        "the environment holds resource names, shard counts and Powertools settings, no secret (the "
        "provider keys are read from Secrets Manager at run time); Lambda encrypts it at rest with "
        "its AWS-managed key",
        holds=_no_secret_in_environment,
    ),
    # --- network
    Skip(
        "CKV_AWS_117",
        _FN,
        "*",
        "the functions reach only AWS APIs (TLS, IAM-signed) and the payment providers' public HTTPS "
        "APIs: nothing lives in a VPC. A VPC needs a NAT gateway (about $32/month per AZ plus data) "
        "or endpoints, and adds no control IAM does not already give",
    ),
    # --- dead-letter queues: only asynchronous invocations have one (the sweeps do)
    Skip(
        "CKV_AWS_116",
        _FN,
        _API,
        "invoked synchronously by API Gateway: the caller gets the error, there is no event to keep",
    ),
    Skip(
        "CKV_AWS_116",
        _FN,
        "Functions/review_intake/Function",
        "invoked by the SQS event source: failed messages go to the review queue's DLQ (redrive policy)",
    ),
    Skip(
        "CKV_AWS_116",
        _FN,
        "Functions/refund_worker/Function",
        "invoked by the SQS event source: failed messages go to the refund queue's DLQ (redrive policy)",
    ),
    Skip(
        "CKV_AWS_116",
        _FN,
        "Functions/event_publisher/Function",
        "invoked by the table-stream event source, whose on-failure destination is the publisher DLQ",
    ),
    # --- concurrency: where a function has no reservation, what bounds it instead
    Skip(
        "CKV_AWS_115",
        _FN,
        _API,
        "API functions scale with traffic; the API stage's throttle (api_throttle_rate/burst) is the "
        "limit, and a reservation would cap the API below it and take capacity from the account",
        when=_unreserved,
    ),
    *(
        Skip(
            "CKV_AWS_115",
            _FN,
            f"Functions/{name}/Function",
            "the SQS event source's MaximumConcurrency (store/schema.QUEUES) caps its invocations; "
            "prod also reserves that much (cdk.json), dev nothing: a new account's concurrency "
            "quota may be 10, and Lambda keeps 100 unreserved",
            when=_unreserved,
        )
        for name in ("review_intake", "refund_worker")
    ),
    Skip(
        "CKV_AWS_115",
        _FN,
        "Functions/event_publisher/Function",
        "one batch per table-stream shard at a time (parallelization factor 1): the stream bounds it",
        when=_unreserved,
    ),
    *(
        Skip(
            "CKV_AWS_115",
            _FN,
            f"Functions/{name}/Function",
            "one run per schedule tick, and runs that overlap act once (conditional writes); "
            "reserved where cdk.json says so (prod), not in dev, whose account may have a "
            "concurrency quota of 10 (Lambda keeps 100 unreserved)",
            when=_unreserved,
        )
        for name in _SWEEPS
    ),
    # --- buckets
    Skip(
        "CKV_AWS_21",
        "AWS::S3::Bucket",
        "Console/Bucket",
        "rebuilt from console/ (in git) on every deploy, pruned: git is its version history",
    ),
    Skip(
        "CKV_AWS_21",
        "AWS::S3::Bucket",
        "AccessLogs/Bucket",
        "log objects are written once under new keys by the log-delivery services and expire "
        "(access_log_expiry_days); versions would only keep deleted logs longer",
    ),
    Skip(
        "CKV_AWS_18",
        "AWS::S3::Bucket",
        "AccessLogs/Bucket",
        "this is the access-logs bucket: logging its own access into itself would never end",
    ),
    # --- the console's CloudFront distribution
    Skip(
        "CKV_AWS_174",
        "AWS::CloudFront::Distribution",
        "Console/Distribution",
        "the default *.cloudfront.net certificate, with which CloudFront ignores the minimum "
        "protocol; TLSv1.2_2021 is configured and applies once a custom domain with an ACM "
        "certificate is used (as cdk-nag CFR4)",
        holds=_default_certificate,
    ),
    Skip(
        "CKV_AWS_68",
        "AWS::CloudFront::Distribution",
        "Console/Distribution",
        "a static console with nothing server-side behind CloudFront (the data is behind the API's "
        "JWT authorizer; HTTP APIs take no WAF); a web ACL costs $5/month + $1 per rule + $0.60 "
        "per million requests: set console_web_acl_arn in cdk.json to attach one",
        when=_no_web_acl,
    ),
    # --- CDK's BucketDeployment handler (uploads console/): library code
    Skip(
        "CKV_AWS_111",
        "AWS::IAM::Policy",
        f"{BUCKET_DEPLOYMENT}/ServiceRole/DefaultPolicy",
        "CDK's BucketDeployment handler: object writes on the console bucket and "
        "cloudfront:CreateInvalidation, which takes no resource ARN (cdk-nag IAM5 acknowledgements)",
    ),
    Skip(
        "CKV_AWS_115",
        _FN,
        BUCKET_DEPLOYMENT,
        "CDK's BucketDeployment handler: runs once per deploy",
        when=_unreserved,
    ),
    Skip(
        "CKV_AWS_116",
        _FN,
        BUCKET_DEPLOYMENT,
        "CDK's BucketDeployment handler: a CloudFormation custom resource, failures fail the deploy",
    ),
)


def relative_path(resource: IConstruct) -> str:
    """The construct path under its stack, without an L1's trailing ``/Resource``."""
    stack = Stack.of(resource)
    path = resource.node.path[len(stack.node.path) + 1 :]
    return path.removesuffix("/Resource")


def skips_for(resource: CfnResource, cfg: EnvConfig) -> list[Skip]:
    path = relative_path(resource)
    return [
        s
        for s in SKIPS
        if s.rtype == resource.cfn_resource_type and fnmatchcase(path, s.path) and s.when(resource, cfg)
    ]


@jsii.implements(IAspect)
class CheckovSkips:
    """Writes each resource's skips (check id and reason) into its template metadata."""

    def __init__(self, cfg: EnvConfig) -> None:
        self.cfg = cfg

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource):
            found = skips_for(node, self.cfg)
            if found:
                node.add_metadata("checkov", {"skip": [{"id": s.check, "comment": s.reason} for s in found]})


def by_reason() -> dict[tuple[str, str], Skip]:
    """(check id, reason) -> its skip: how a skip read back from a template is traced to this table."""
    return {(s.check, s.reason): s for s in SKIPS}
