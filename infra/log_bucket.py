"""The access-logs bucket: S3 server access logs of the evidence and console buckets and the
CloudFront standard logs land here, expiring after the configured days."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.buckets import private_bucket
from infra.config import EnvConfig


class AccessLogs(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig) -> None:
        super().__init__(scope, cid)
        self.bucket = private_bucket(
            self,
            # CloudFront standard logging still writes through the log-delivery ACL.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(cfg.access_log_expiry_days))],
            removal_policy=cfg.removal_policy,
        )
