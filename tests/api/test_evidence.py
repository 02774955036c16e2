"""Evidence: the presigned POST carries the conditions real S3 enforces (moto does not, so
they are asserted here), and a request naming an uploaded image goes through."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from cancelflow import aws, clock, evidence
from cancelflow.domain.policy import EvidenceRules
from cancelflow.domain.products import ProductType
from cancelflow.settings import get_settings

from tests.api.conftest import FrozenClock, call
from tests.api.world import DELIVERED, OWNER, PENDING, build_world
from tests.conftest import NOW


def _policy(fields: dict[str, str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return doc


def test_upload_url_is_a_post_policy_s3_enforces(catalog: dict[str, str]) -> None:
    """GIVEN the owner's order WHEN an upload is asked for a JPEG THEN a presigned POST whose
    policy pins the key under the customer's order, the exact Content-Type, 1 B..5 MB, and
    expires after the policy's few minutes."""
    build_world(catalog)
    resp = call("POST", f"/v1/orders/{PENDING}/evidence-uploads", {"content_type": "image/jpeg"})
    assert resp.status == 201, resp.raw
    up = resp.json
    assert up["key"].startswith(f"evidence/{OWNER}/{PENDING}/") and up["key"].endswith(".jpg")
    assert up["fields"]["key"] == up["key"] and up["fields"]["Content-Type"] == "image/jpeg"
    policy = _policy(up["fields"])
    conditions = policy["conditions"]
    assert isinstance(conditions, list)
    assert {"key": up["key"]} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert {"bucket": get_settings().evidence_bucket} in conditions
    # shape changed with issue 13: expires_at is on the business clock (was the policy's wall clock)
    assert clock.parse(up["expires_at"]) == NOW + timedelta(seconds=300)
    assert up["max_bytes"] == 5 * 1024 * 1024


def test_evidence_upload_expires_on_the_business_clock(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN business time moved two days on (as the local runtime's clock does), far from the
    wall clock WHEN an upload is asked for THEN its expires_at is business now plus the policy's
    upload_url_seconds, like every other time the API gives out, not wall-clock time."""
    build_world(catalog)
    later = frozen.advance(days=2, minutes=7)
    resp = call("POST", f"/v1/orders/{PENDING}/evidence-uploads", {"content_type": "image/png"})
    assert resp.status == 201, resp.raw
    seconds = get_settings().policies.for_type(ProductType.GAME_CARD).evidence.upload_url_seconds
    assert clock.parse(resp.json["expires_at"]) == later + timedelta(seconds=seconds)


def test_policy_limits_come_from_the_policy_config() -> None:
    """GIVEN evidence rules with 1 MB WHEN the conditions are built THEN the range says 1 MB."""
    rules = EvidenceRules(max_bytes=1024 * 1024)
    assert ["content-length-range", 1, 1024 * 1024] in evidence.upload_conditions("k", "image/png", rules)


def uploaded_png(order_id: str) -> dict[str, Any]:
    """A PNG stored where the owner's evidence upload for ``order_id`` says (as the presigned
    POST would put it): the upload's answer, its ``key`` ready to name."""
    up: dict[str, Any] = call(
        "POST", f"/v1/orders/{order_id}/evidence-uploads", {"content_type": "image/png"}
    ).json
    aws.client("s3").put_object(
        Bucket=get_settings().evidence_bucket,
        Key=up["key"],
        Body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        ContentType=up["fields"]["Content-Type"],
    )
    return up


def test_appeal_with_uploaded_evidence_goes_to_review(catalog: dict[str, str]) -> None:
    """GIVEN a delivered order and a PNG uploaded through the presigned POST's fields WHEN the
    owner appeals naming it THEN under review, and the request keeps the evidence key."""
    build_world(catalog)
    up = uploaded_png(DELIVERED)
    resp = call(
        "POST",
        f"/v1/orders/{DELIVERED}/cancellations",
        {
            "action": "appeal",
            "reason_code": "invalid_key",
            "description": "卡密提示已使用",
            "evidence": [up["key"]],
        },
    )
    assert resp.status == 201, resp.raw
    assert resp.json["outcome"] == "under_review" and resp.json["order"]["held"] is True
    detail = call("GET", f"/v1/orders/{DELIVERED}").json
    mine = [r for r in detail["cancellation"]["requests"] if r["request_id"] == resp.json["request_id"]]
    assert mine[0]["evidence"] == [up["key"]]
