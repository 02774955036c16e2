"""Per-environment settings from CDK context (``cdk.json`` -> ``context.cancelflow.<env>``).

Everything that differs between dev and prod lives in cdk.json, never in a construct.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra import topology

if TYPE_CHECKING:
    from aws_cdk import RemovalPolicy

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "prod")
# Files that never belong in a function's asset (keeps each asset a few KB).
ASSET_EXCLUDE = ["__pycache__", "*.pyc", "tests", ".mypy_cache", ".pytest_cache"]
# Context flag: use tiny stand-in assets instead of build/layer (tests and fast synths).
STUB_ASSETS = "cancelflow:stub_assets"


@dataclass(frozen=True)
class EnvConfig:
    name: str
    region: str = "ap-east-1"
    account: str | None = None
    due_shards: int = 16
    stock_shards: int = 4
    status_shards: int = 8
    schedule_rates: dict[str, int] = field(default_factory=dict)  # function -> minutes override
    sweep_max_items: int = 500  # items a sweep acts on per run (docs/events.md)
    provider_base_url: str = ""  # payment providers' API base URL, when not the SDK default
    log_retention_days: int = 30
    deletion_protection: bool = False
    retain_data: bool = False  # RETAIN tables/buckets on stack deletion
    tracing: bool = False  # X-Ray: off unless configured (the Tracer costs ~100 ms of import)
    api_throttle_rate: int = 100
    api_throttle_burst: int = 200
    evidence_expiry_days: int = 30
    access_log_expiry_days: int = 90
    event_archive_days: int = 7
    reserved_concurrency: dict[str, int] = field(default_factory=dict)
    # Lambda SnapStart for the API functions (docs/deploy.md, "SnapStart"): each deploy publishes
    # a version, snapshots its init, and the HTTP API calls the "live" alias of it.
    snap_start: bool = False
    auth_domain_prefix: str = "cancelflow"
    auth_feature_plan: str = "essentials"  # or "plus" (Cognito threat protection, priced per user)
    console_callback_urls: list[str] = field(default_factory=list)
    cors_origins: list[str] = field(default_factory=list)
    alarm_email: str = ""
    # An AWS WAF web ACL (scope CLOUDFRONT, made in us-east-1 outside this stack) for the console's
    # distribution; empty: none (docs/deploy.md, "What checkov flags and why", CKV_AWS_68).
    console_web_acl_arn: str = ""
    refunds_overdue_threshold: int = 1
    reviews_overdue_threshold: int = 1

    @property
    def removal_policy(self) -> RemovalPolicy:
        """What stack deletion does to tables, buckets, pools and logs of this environment."""
        from aws_cdk import RemovalPolicy  # here: the local runtime reads this module without the CDK

        return RemovalPolicy.RETAIN if self.retain_data else RemovalPolicy.DESTROY

    @property
    def stack_name(self) -> str:
        return f"cancelflow-{self.name}"

    def rate_minutes(self, schedule: topology.Schedule) -> int:
        return self.schedule_rates.get(schedule.function, schedule.rate_minutes)


def from_context(name: str, context: dict[str, Any]) -> EnvConfig:
    """Validate the environment's block: unknown keys or functions are errors, not silent typos."""
    envs = context.get("cancelflow", {})
    if name not in envs:
        raise ValueError(f"unknown environment {name!r}; cdk.json defines {sorted(envs)}")
    raw = dict(envs[name])
    known = {f.name for f in fields(EnvConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown settings for {name}: {sorted(unknown)}")
    for key in ("schedule_rates", "reserved_concurrency"):
        bad = set(raw.get(key, {})) - set(topology.FUNCTIONS)
        if bad:
            raise ValueError(f"{key} names unknown functions: {sorted(bad)}")
    return EnvConfig(name=name, **raw)


def cdk_json_context() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())
    return dict(data.get("context", {}))
