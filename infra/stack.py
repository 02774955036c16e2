"""One stack per environment, composed from one construct per concern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aspects, Stack, Tags
from constructs import Construct

from infra.api_auth import ApiAuth
from infra.checkov import CheckovSkips
from infra.config import EnvConfig
from infra.console_hosting import ConsoleHosting
from infra.data import Data
from infra.evidence import EvidenceBucket
from infra.functions import LambdaFunctions, Resources
from infra.log_bucket import AccessLogs
from infra.monitoring import Monitoring, OpsTopic
from infra.refunds import Refunds
from infra.review import ReviewPipeline
from infra.schedules_events import SchedulesEvents


class CancelflowStack(Stack):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        cfg: EnvConfig,
        layer_dir: Path,
        providers_layer_dir: Path,
        **kw: Any,
    ) -> None:
        super().__init__(scope, cid, description=f"cancelflow ({cfg.name})", **kw)
        Tags.of(self).add("app", "cancelflow")
        Tags.of(self).add("env", cfg.name)
        Aspects.of(self).add(CheckovSkips(cfg))  # infra/checkov.py: each skip with its reason
        self.cfg = cfg
        self.acknowledged: list[Any] = []  # filled by infra.nag.acknowledge (tests read it)

        self.data = Data(self, "Data", cfg=cfg)
        self.access_logs = AccessLogs(self, "AccessLogs", cfg=cfg)
        self.evidence = EvidenceBucket(self, "Evidence", cfg=cfg, access_logs=self.access_logs.bucket)
        self.review = ReviewPipeline(self, "Review")
        self.refunds = Refunds(self, "Refunds", cfg=cfg)
        self.events = SchedulesEvents(self, "SchedulesEvents", cfg=cfg)
        self.ops = OpsTopic(self, "Ops", cfg=cfg)

        self.resources = Resources(
            table=self.data.table,
            idempotency_table=self.data.idempotency_table,
            queues={"review": self.review.work.queue, "refund": self.refunds.work.queue},
            evidence_bucket=self.evidence.bucket,
            bus=self.events.bus,
            provider_secrets=self.refunds.provider_secrets,
            provider_key=self.refunds.provider_key,
        )
        self.lambdas = LambdaFunctions(
            self,
            "Functions",
            cfg=cfg,
            resources=self.resources,
            layer_dir=layer_dir,
            providers_layer_dir=providers_layer_dir,
            async_dlq=self.events.schedule_dlq,
        )
        fns = self.lambdas.functions

        self.review.attach(fns["review_intake"])
        self.refunds.attach(fns["refund_worker"])
        self.events.schedule(fns)
        self.events.publish_from(self.data.table, fns["event_publisher"])
        self.events.route_to_ops(self.ops.topic)

        self.console = ConsoleHosting(self, "Console", cfg=cfg, access_logs=self.access_logs.bucket)
        self.api = ApiAuth(
            self, "Api", cfg=cfg, functions=self.lambdas.api_targets, console_url=self.console.url
        )
        self.console.deploy(
            {
                "apiBase": self.api.api.api_endpoint,
                "auth": "cognito",
                "cognito": {
                    "domain": self.api.domain.base_url(),
                    "clientId": self.api.console_client.user_pool_client_id,
                    "redirectUri": self.console.url,
                    "scopes": ["openid", "email", "profile"],
                },
                "demoUsers": [],
                "pollMs": 5000,
                "defaultLang": "zh-CN",
            }
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            cfg=cfg,
            topic=self.ops.topic,
            functions=fns,
            queues={"review": self.review.work.queue, "refund": self.refunds.work.queue},
            dlqs={
                "review": self.review.work.dlq,
                "refund": self.refunds.work.dlq,
                "schedule": self.events.schedule_dlq,
                "publisher": self.events.publisher_dlq,
            },
            api=self.api.api,
        )
