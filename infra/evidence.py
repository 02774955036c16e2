"""The evidence bucket: customers upload images through presigned POSTs (the cancel API signs
them with a size and type condition); reviewers read them through presigned GETs.

Versioned: evidence is what a refund decision rests on, so an image overwritten (a POST again
to the same key while its form is valid) or deleted by hand is kept for
``NONCURRENT_DAYS`` more days, long enough to notice and restore, short enough that evidence
still goes away with the environment's expiry (``evidence_expiry_days``) plus those days."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.access import EVIDENCE_PREFIX
from infra.buckets import private_bucket
from infra.config import EnvConfig

NONCURRENT_DAYS = 7


class EvidenceBucket(Construct):
    def __init__(self, scope: Construct, cid: str, *, cfg: EnvConfig, access_logs: s3.IBucket) -> None:
        super().__init__(scope, cid)
        self.bucket = private_bucket(
            self,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="evidence/",
            cors=[
                s3.CorsRule(
                    # The browser POSTs the presigned form; the signed policy (type, size, key) is
                    # the authorisation, CORS only lets the page read S3's answer.
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=cfg.cors_origins or ["*"],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    prefix=EVIDENCE_PREFIX,
                    expiration=Duration.days(cfg.evidence_expiry_days),
                ),
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
                ),
                # Expiry leaves a delete marker over the last version; drop it once that is gone.
                s3.LifecycleRule(expired_object_delete_marker=True),
            ],
            removal_policy=cfg.removal_policy,
        )
