"""Every Lambda function of topology.FUNCTIONS: one recipe (runtime, arm64, the shared layer, plus
the providers layer for the functions that sign, own role, own log group) and the IAM statements
that infra/access.py allows it, nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import access, build_layer, topology
from infra.config import EnvConfig
from infra.refunds import secret_ids

# Seconds. API functions answer inside API Gateway's 30 s; queue consumers stay well under their
# queue's visibility timeout (schema.QUEUES) so a slow batch is not redelivered while running.
TIMEOUTS = {
    "cancel_api": 10,
    "platform_api": 10,
    "review_api": 10,
    "refund_api": 10,
    "review_intake": 10,
    "refund_worker": 20,
    "expire_orders": 120,
    "complete_orders": 120,
    "flag_refunds": 120,
    "flag_reviews": 120,
    "event_publisher": 30,
}
# Python cold start (pydantic + Powertools imports) is CPU-bound: 512 MB buys a faster start.
MEMORY_MB = 512


# The Python the layer is built for (pydantic-core and msgspec are compiled per version).
RUNTIME: lambda_.Runtime = getattr(lambda_.Runtime, "PYTHON_" + build_layer.LAMBDA_PYTHON.replace(".", "_"))
_SCHEDULED = {s.function for s in topology.SCHEDULES}


@dataclass(frozen=True)
class Resources:
    """What the functions may be granted (built by the concern constructs)."""

    table: dynamodb.TableV2
    idempotency_table: dynamodb.TableV2
    queues: dict[str, sqs.Queue]
    evidence_bucket: s3.Bucket
    bus: events.EventBus
    provider_secrets: dict[str, secretsmanager.ISecret]  # provider name -> its credentials
    provider_key: kms.IKey


class LambdaFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        cfg: EnvConfig,
        resources: Resources,
        layer_dir: Path,
        providers_layer_dir: Path,
        async_dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, cid)
        self.async_dlq = async_dlq
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="cancelflow shared package and its runtime dependencies",
        )
        # cryptography in a layer of its own, mounted only by build_layer.PROVIDER_LAYER_FUNCTIONS
        # (infra/build_layer.py says why and which).
        self.providers_layer = lambda_.LayerVersion(
            self,
            "ProvidersLayer",
            code=lambda_.Code.from_asset(str(providers_layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="cryptography, for the payment providers' signatures (refund functions only)",
        )
        self.layers = {"shared": self.layer, "providers": self.providers_layer}
        self.functions: dict[str, lambda_.Function] = {}
        # What invokes each API function: the function, or with SnapStart the alias of the
        # version this deploy published (only versions restore from a snapshot; $LATEST never).
        self.api_targets: dict[str, lambda_.IFunction] = {}
        self.roles: dict[str, iam.Role] = {}
        api = {r.function for r in topology.ROUTES}
        for fn in topology.FUNCTIONS.values():
            function = self._function(fn, cfg, resources, snap_start=cfg.snap_start and fn.name in api)
            self.functions[fn.name] = function
            if fn.name in api:
                self.api_targets[fn.name] = (
                    lambda_.Alias(function, "Live", alias_name="live", version=function.current_version)
                    if cfg.snap_start
                    else function
                )

    def _function(
        self, fn: topology.Function, cfg: EnvConfig, res: Resources, *, snap_start: bool
    ) -> lambda_.Function:
        scope = Construct(self, fn.name)
        log_group = logs.LogGroup(
            scope,
            "Logs",
            retention=retention(cfg.log_retention_days),
            removal_policy=cfg.removal_policy,
        )
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"cancelflow {fn.name}: only what infra/access.py grants",
        )
        # Own log group and own statement instead of the AWSLambdaBasicExecutionRole managed policy.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        self.roles[fn.name] = role
        _grant(role, access.ACCESS[fn.name], res, decides=fn.name in access.DECIDERS)
        return lambda_.Function(
            scope,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"{fn.module}.handler",
            code=lambda_.Code.from_asset(str(build_layer.function_asset(fn.folder))),  # with bytecode
            layers=[self.layers[name] for name in build_layer.layers_for(fn.name)],
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            memory_size=MEMORY_MB,
            timeout=Duration.seconds(TIMEOUTS[fn.name]),
            tracing=lambda_.Tracing.ACTIVE if cfg.tracing else lambda_.Tracing.DISABLED,
            reserved_concurrent_executions=cfg.reserved_concurrency.get(fn.name),
            # Schedules invoke asynchronously: an event that still fails after Lambda's retries is kept.
            dead_letter_queue=self.async_dlq if fn.name in _SCHEDULED else None,
            environment=environment(fn.name, cfg, res),
            description=f"cancelflow {fn.name} ({fn.folder}/{fn.module}.py)",
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
        )


PYDANTIC_ENV = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}


def environment(name: str, cfg: EnvConfig, res: Resources) -> dict[str, str]:
    """The settings (cancelflow.settings._ENV names) this function needs, Powertools' and pydantic's."""
    grants = access.ACCESS[name]
    env = {
        "POWERTOOLS_SERVICE_NAME": "cancelflow",
        "POWERTOOLS_METRICS_NAMESPACE": "cancelflow",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "false" if cfg.tracing else "true",
        # pydantic looks for plugins (an entry_points scan of every distribution on sys.path)
        # when it builds its first validator, which Powertools does at import: about 8 ms of an
        # API function's cold start. We use none.
        **PYDANTIC_ENV,
        "CANCELFLOW_DUE_SHARDS": str(cfg.due_shards),
        "CANCELFLOW_STOCK_SHARDS": str(cfg.stock_shards),
        "CANCELFLOW_STATUS_SHARDS": str(cfg.status_shards),
    }
    if grants.table_read or grants.table_write:
        env["CANCELFLOW_TABLE"] = res.table.table_name
    if grants.idempotency:
        env["CANCELFLOW_IDEMPOTENCY_TABLE"] = res.idempotency_table.table_name
    for queue in sorted(set(grants.send) | set(access.consumes(name))):
        env[f"CANCELFLOW_{queue.upper()}_QUEUE_URL"] = res.queues[queue].queue_url
    if grants.evidence_put or grants.evidence_get:
        env["CANCELFLOW_EVIDENCE_BUCKET"] = res.evidence_bucket.bucket_name
    if grants.put_events:
        env["CANCELFLOW_EVENT_BUS"] = res.bus.event_bus_name
    if grants.provider_secret:
        env["CANCELFLOW_PROVIDER_SECRET_ARN"] = secret_ids(res.provider_secrets)
        if cfg.provider_base_url:
            env["CANCELFLOW_PROVIDER_BASE_URL"] = cfg.provider_base_url
    if name in _SCHEDULED:
        env["CANCELFLOW_SWEEP_MAX_ITEMS"] = str(cfg.sweep_max_items)
    return env


def _grant(role: iam.Role, grants: access.Access, res: Resources, *, decides: bool) -> None:
    table_arn = res.table.table_arn
    index_arns = [f"{table_arn}/index/{name}" for name in grants.indexes]
    if grants.table_read:
        role.add_to_policy(iam.PolicyStatement(actions=list(access.TABLE_READ), resources=[table_arn]))
        if index_arns:
            role.add_to_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=index_arns))
    if grants.table_write:
        only = list(grants.only_write_keys)
        limited = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": only}} if only else None
        role.add_to_policy(
            iam.PolicyStatement(actions=list(access.TABLE_WRITE), resources=[table_arn], conditions=limited)
        )
    if grants.deny_write_keys:
        role.add_to_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=list(access.TABLE_WRITE),
                resources=[table_arn],
                conditions={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": list(grants.deny_write_keys)}},
            )
        )
    if grants.table_write and not decides:
        role.add_to_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
                resources=[table_arn],
                conditions={
                    "ForAnyValue:StringEquals": {"dynamodb:Attributes": list(access.DECISION_ATTRIBUTES)}
                },
            )
        )
    if grants.idempotency:
        role.add_to_policy(
            iam.PolicyStatement(actions=list(access.IDEMPOTENCY), resources=[res.idempotency_table.table_arn])
        )
    if grants.send:
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(access.QUEUE_SEND),
                resources=[res.queues[q].queue_arn for q in sorted(grants.send)],
            )
        )
    evidence = res.evidence_bucket.arn_for_objects(f"{access.EVIDENCE_PREFIX}*")
    if grants.evidence_put:
        role.add_to_policy(iam.PolicyStatement(actions=list(access.EVIDENCE_PUT), resources=[evidence]))
    if grants.evidence_get:
        role.add_to_policy(iam.PolicyStatement(actions=list(access.EVIDENCE_GET), resources=[evidence]))
    if grants.provider_secret:
        secrets = [res.provider_secrets[name].secret_arn for name in sorted(res.provider_secrets)]
        role.add_to_policy(iam.PolicyStatement(actions=list(access.SECRET_READ), resources=secrets))
        via = f"secretsmanager.{Stack.of(role).region}.amazonaws.com"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=list(access.SECRET_KEY),
                resources=[res.provider_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": via}},
            )
        )
    if grants.put_events:
        role.add_to_policy(
            iam.PolicyStatement(actions=list(access.BUS_PUT), resources=[res.bus.event_bus_arn])
        )


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log retention {days} days: choose one of {sorted(_RETENTION)}")
    return _RETENTION[days]
