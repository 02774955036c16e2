"""cdk-nag v3 (AwsSolutions and Serverless packs) on every synth, and THE list of acknowledged
findings, each with the construct it applies to and the reason it is acceptable here. Any other
finding fails the synth (ValidationFailed)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from infra.config import EnvConfig

# CDK's own BucketDeployment handler (a singleton at stack level) is library code we configure,
# not write: its role and runtime are CDK's choice.
BUCKET_DEPLOYMENT = "Custom::CDKBucketDeployment*"


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(), ServerlessChecks())


@dataclass(frozen=True)
class Ack:
    path: str  # glob over construct paths relative to the stack
    rule: str  # the prefixed id synth prints, e.g. "AwsSolutions::AwsSolutions-L1"
    reason: str
    when: str = "always"  # "always", or a condition on the environment (see _applies)


def _aws(rule: str) -> str:
    return f"AwsSolutions::AwsSolutions-{rule}"


def _sls(rule: str) -> str:
    return f"Serverless::Serverless-{rule}"


# The CDK knows a newer Python runtime than the one the functions pin (infra/build_layer.LAMBDA_PYTHON).
PINNED_PYTHON = (
    "python3.13 is the version the suite runs on and the layer's bytecode is built for; "
    "3.14 is not on these machines"
)

ACKNOWLEDGED: tuple[Ack, ...] = (
    # --- API
    Ack(
        "Api/HttpApi/POST--v1--providers--{channel}--refunds--notify/Resource",
        _aws("APIG4"),
        "a payment provider's refund callback: the provider holds no Cognito token; the function "
        "verifies the provider's RSA signature (and WeChat's encryption) before anything is read, "
        "and answers a forged or unknown callback FAIL without a change (docs/refunds.md)",
    ),
    Ack(
        "Api/HttpApi/GET--v1--products--{product_id}--cancellation-policy/Resource",
        _aws("APIG4"),
        "a product's cancellation policy as prose, read before buying by anyone, signed in or not: "
        "a read of public rules only (no order, customer or risk data), under the stage throttle "
        '(docs/domain.md, "Products and policies")',
    ),
    # --- Lambda
    Ack("Functions/*/Function", _aws("L1"), PINNED_PYTHON),
    Ack("Functions/*/Function", _sls("LambdaLatestVersion"), PINNED_PYTHON),
    Ack(
        "Functions/*/Function",
        _sls("LambdaTracing"),
        "X-Ray is off unless cdk.json sets tracing=true: the Powertools Tracer adds ~100 ms of "
        'import to every cold start (docs/stack-notes.md, "Cold start and the Powertools Tracer"); '
        "logs carry the request ids instead",
        when="no_tracing",
    ),
    Ack(
        "Functions/*/Role/DefaultPolicy",
        _aws("IAM5[Resource::*]"),
        "with tracing on, xray:PutTraceSegments/PutTelemetryRecords take no resource ARN (X-Ray "
        "documents Resource * for them); actions stay explicit",
        when="tracing",
    ),
    Ack(
        "Functions/*_api/Function",
        _sls("LambdaDLQ"),
        "invoked synchronously by API Gateway: the caller gets the error, there is no async event to keep",
    ),
    Ack(
        "Functions/review_intake/Function",
        _sls("LambdaDLQ"),
        "invoked by the SQS event source mapping: failed messages go to the review queue's DLQ",
    ),
    Ack(
        "Functions/refund_worker/Function",
        _sls("LambdaDLQ"),
        "invoked by the SQS event source mapping: failed messages go to the refund queue's DLQ",
    ),
    Ack(
        "Functions/event_publisher/Function",
        _sls("LambdaDLQ"),
        "invoked by the stream event source mapping, whose on-failure destination is the publisher DLQ",
    ),
    Ack(
        "Functions/*/Function/SqsEventSource*",
        _sls("LambdaEventSourceMappingDestination"),
        "SQS event source mappings take no on-failure destination; the queue's redrive policy "
        "moves a message to its DLQ after maxReceiveCount",
    ),
    # --- queues
    Ack(
        "*/Dlq",
        _sls("SQSRedrivePolicy"),
        "this queue is itself a dead-letter queue; a DLQ of a DLQ would only hide messages",
    ),
    Ack(
        "SchedulesEvents/*Dlq",
        _sls("SQSRedrivePolicy"),
        "this queue is itself a dead-letter target (EventBridge targets, async invokes, stream failures)",
    ),
    Ack(
        "SchedulesEvents/*Dlq",
        _aws("SQS3"),
        "this queue is itself a dead-letter target (EventBridge targets, async invokes, stream failures)",
    ),
    # --- IAM
    Ack(
        "Functions/*/Role/DefaultPolicy",
        _aws("IAM5[Resource::<EvidenceBucketC67FF768.Arn>/evidence/*]"),
        "object-level S3 rights need an object ARN pattern; it is narrowed to the evidence/ prefix",
    ),
    # --- secrets
    Ack(
        "Refunds/ProviderCredentials/*",
        _aws("SMG4"),
        "each provider's keys are issued by its merchant portal; rotation is a manual runbook step "
        "that needs no deploy (docs/deploy.md, 'Provider credentials'), a rotation Lambda cannot mint them",
    ),
    # --- Cognito
    Ack(
        "Api/UserPool",
        _aws("COG2"),
        "MFA is optional so platform-provisioned customer accounts can sign in; staff enrol TOTP",
    ),
    Ack(
        "Api/UserPool",
        _aws("COG8"),
        "the Plus feature plan (threat protection) is priced per active user; enable it with "
        "cdk.json auth_feature_plan=plus where the budget allows",
        when="essentials",
    ),
    # --- CloudFront
    Ack(
        "Console/Distribution",
        _aws("CFR1"),
        "reviewers and support work from several countries; access is controlled by sign-in",
    ),
    Ack(
        "Console/Distribution",
        _aws("CFR2"),
        "a static console with no server-side logic behind CloudFront; the API has its own throttling",
    ),
    Ack(
        "Console/Distribution",
        _aws("CFR4"),
        "the default *.cloudfront.net certificate allows TLSv1; a custom domain with an ACM "
        "certificate (TLSv1.2_2021 is already configured) lifts this",
    ),
    # --- CDK's BucketDeployment handler (uploads console/)
    Ack(
        BUCKET_DEPLOYMENT,
        _aws("IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"),
        "CDK's BucketDeployment handler role (library code) logs through the basic execution policy",
    ),
    *(
        Ack(BUCKET_DEPLOYMENT, _aws(f"IAM5[{grant}]"), "CDK's BucketDeployment handler syncs whole prefixes")
        for grant in (
            "Action::s3:GetObject*",
            "Action::s3:GetBucket*",
            "Action::s3:List*",
            "Action::s3:DeleteObject*",
            "Action::s3:Abort*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{region}/*",
            "Resource::<ConsoleBucket86B6957C.Arn>/*",
            "Resource::*",  # cloudfront:CreateInvalidation takes no resource ARN
        )
    ),
    Ack(BUCKET_DEPLOYMENT, _aws("L1"), "CDK's BucketDeployment handler pins its runtime"),
    Ack(BUCKET_DEPLOYMENT, _sls("LambdaLatestVersion"), "CDK's BucketDeployment handler pins its runtime"),
    Ack(BUCKET_DEPLOYMENT, _sls("LambdaDLQ"), "a CloudFormation custom resource: failures fail the deploy"),
    Ack(BUCKET_DEPLOYMENT, _sls("LambdaTracing"), "runs once per deploy; CloudFormation reports its errors"),
)


def _applies(ack: Ack, cfg: EnvConfig) -> bool:
    return {
        "always": True,
        "no_tracing": not cfg.tracing,
        "tracing": cfg.tracing,
        "essentials": cfg.auth_feature_plan != "plus",
    }[ack.when]


def acknowledge(stack: Stack, cfg: EnvConfig) -> list[tuple[Ack, str]]:
    """Attach each acknowledgement to the constructs its path matches (and so their children);
    returns (acknowledgement, construct path) pairs so tests can spot stale entries."""
    base = len(stack.node.path) + 1
    nodes = [(c.node.path[base:], c) for c in stack.node.find_all() if c is not stack]
    applied = []
    for ack in ACKNOWLEDGED:
        if not _applies(ack, cfg):
            continue
        for path, construct in nodes:
            if fnmatchcase(path, ack.path):
                rule = ack.rule.replace("{region}", cfg.region)
                Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=ack.reason))
                applied.append((ack, path))
    return applied
