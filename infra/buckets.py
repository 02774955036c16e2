"""The defaults every bucket of the stack shares: no public access, TLS only, SSE-S3, ACLs off."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_s3 as s3
from constructs import Construct


def private_bucket(scope: Construct, **props: Any) -> s3.Bucket:
    """``s3.Bucket(scope, "Bucket", ...)`` with the shared defaults; ``props`` add to them (or
    set ``object_ownership`` where a writer still needs ACLs)."""
    props.setdefault("object_ownership", s3.ObjectOwnership.BUCKET_OWNER_ENFORCED)
    return s3.Bucket(
        scope,
        "Bucket",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        # Log delivery (S3 server access logs, CloudFront) supports SSE-S3 only, not SSE-KMS.
        encryption=s3.BucketEncryption.S3_MANAGED,
        **props,
    )
