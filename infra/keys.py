"""Customer managed KMS keys, one per purpose (the operations topic, the payment providers'
secret): rotated yearly, and kept or deleted with the data they protect. Where an AWS-managed
key does the job (tables, queues, logs, buckets) the stack uses that instead: a customer key
costs $1 a month and a key policy to maintain (docs/deploy.md, "What checkov flags and why")."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import EnvConfig


def customer_key(scope: Construct, cid: str, *, cfg: EnvConfig, description: str) -> kms.Key:
    """The key policy is the CDK's default (the account administers and grants through IAM);
    callers add the service principals that must use the key."""
    return kms.Key(
        scope,
        cid,
        description=description,
        enable_key_rotation=True,
        removal_policy=cfg.removal_policy,
        # A deleted key is only scheduled for deletion: a mistaken stack delete can be undone.
        pending_window=Duration.days(30 if cfg.retain_data else 7),
    )
