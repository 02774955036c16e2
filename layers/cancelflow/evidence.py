"""Evidence images: a short-lived presigned POST for one image, and the checks a request that
refers to uploaded images passes.

A presigned PUT cannot limit the size, so the upload is a presigned POST whose policy real S3
enforces: the exact key, the exact ``Content-Type`` (PNG, JPEG or WebP) and a
``content-length-range`` up to the policy's limit. moto does not enforce POST policies, and a
client could skip the upload altogether, so every key a request names is checked again with
HeadObject: it exists, it lies under this customer's order, its type and size are allowed.
Integrations: S3 (presign is local computation; one HeadObject per key checked).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from cancelflow import aws
from cancelflow.domain.models import Order
from cancelflow.domain.policy import EvidenceRules
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.settings import get_settings

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_KEY = re.compile(r"^evidence/[^/]{1,128}/[^/]{1,64}/[0-9a-f]{32}\.(png|jpg|webp)$")


def prefix(customer_id: str, order_id: str) -> str:
    return f"evidence/{customer_id}/{order_id}/"


class Upload(msgspec.Struct, frozen=True):
    """A presigned POST for one evidence file: where, with which form fields, until when."""

    url: str
    fields: dict[str, str]
    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime


def upload_conditions(key: str, content_type: str, rules: EvidenceRules) -> list[Any]:
    """The POST policy conditions (boto3 adds the bucket; the key is pinned here as well)."""
    return [
        {"key": key},
        {"Content-Type": content_type},
        ["content-length-range", 1, rules.max_bytes],
    ]


def presign_upload(
    customer_id: str, order_id: str, content_type: str, rules: EvidenceRules, now: datetime
) -> Upload:
    if content_type not in rules.content_types or content_type not in EXTENSIONS:
        raise DomainError(
            ErrorCode.EVIDENCE_INVALID, {"field": "content_type", "allowed": list(rules.content_types)}
        )
    key = f"{prefix(customer_id, order_id)}{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    post = aws.client("s3").generate_presigned_post(
        Bucket=get_settings().evidence_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=upload_conditions(key, content_type, rules),
        ExpiresIn=rules.upload_url_seconds,
    )
    return Upload(
        url=post["url"],
        fields=dict(post["fields"]),
        key=key,
        content_type=content_type,
        max_bytes=rules.max_bytes,
        # On the business clock, like every time the API gives out. S3 signs and checks the
        # policy against real time, which is the business clock in the cloud; only the local
        # runtime moves business time away from it.
        expires_at=now + timedelta(seconds=rules.upload_url_seconds),
    )


def _invalid(index: int, reason: str, rules: EvidenceRules) -> DomainError:
    return DomainError(
        ErrorCode.EVIDENCE_INVALID,
        {
            "field": f"evidence[{index}]",
            "reason": reason,
            "allowed": list(rules.content_types),
            "max_bytes": rules.max_bytes,
        },
    )


def check(customer_id: str, order_id: str, keys: tuple[str, ...], rules: EvidenceRules) -> None:
    """Every key names an uploaded image of this customer's order, of an allowed type and size."""
    from botocore.exceptions import ClientError

    if len(keys) > rules.max_files:
        raise DomainError(ErrorCode.EVIDENCE_INVALID, {"field": "evidence", "max_files": rules.max_files})
    if len(set(keys)) != len(keys):
        raise DomainError(ErrorCode.EVIDENCE_INVALID, {"field": "evidence", "reason": "duplicate"})
    mine = prefix(customer_id, order_id)
    s3 = aws.client("s3")
    bucket = get_settings().evidence_bucket
    for i, key in enumerate(keys):
        if not key.startswith(mine) or not _KEY.match(key):
            raise _invalid(i, "not_this_order", rules)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise _invalid(i, "not_uploaded", rules) from e
            raise
        ctype = str(head.get("ContentType", "")).split(";")[0].strip().lower()
        if ctype not in rules.content_types or EXTENSIONS.get(ctype) != key.rsplit(".", 1)[1]:
            raise _invalid(i, "type", rules)
        if not 1 <= int(head.get("ContentLength", 0)) <= rules.max_bytes:
            raise _invalid(i, "size", rules)


def check_for_order(order: Order, keys: tuple[str, ...]) -> None:
    """The check ``submit_cancellation`` runs on the order it read (already the caller's)."""
    rules = get_settings().policies.for_order(order).evidence
    check(order.customer_id, order.order_id, keys, rules)
