"""Bad input to every POST: a 4xx in the one error format, naming the field where there is
one, and the table exactly as it was (compared item by item, before and after)."""

from __future__ import annotations

from typing import Any

import pytest
from cancelflow import aws
from cancelflow.settings import get_settings

from tests.api.conftest import call, table_snapshot
from tests.api.world import DELIVERED, OWNER, PAID_FOR_DELIVERY, PENDING, REJECTED_REQUEST, UNPAID_FOR_PAYMENT

NOT_UTF8 = b'{"action": "self_cancel", "description": "\xff\xfe"}'
GIF_KEY = f"evidence/{OWNER}/{DELIVERED}/{'a' * 32}.png"  # named .png, stored as a GIF
BIG_KEY = f"evidence/{OWNER}/{DELIVERED}/{'b' * 32}.png"
OTHERS_KEY = f"evidence/someone-else/{DELIVERED}/{'c' * 32}.png"
MISSING_KEY = f"evidence/{OWNER}/{DELIVERED}/{'d' * 32}.png"

CANCEL = f"/v1/orders/{PENDING}/cancellations"
APPEAL_DELIVERED = f"/v1/orders/{DELIVERED}/cancellations"
APPEAL = f"/v1/orders/{DELIVERED}/cancellations/{REJECTED_REQUEST}/appeal"
UPLOAD = f"/v1/orders/{PENDING}/evidence-uploads"
GOOD_APPEAL = {"action": "appeal", "reason_code": "invalid_key", "description": "卡密无效,充值失败"}

# (id, who, path, body, status, code, field)
CASES: list[tuple[str, str, str, Any, int, str, str | None]] = [
    # POST /v1/orders/{order_id}/cancellations
    ("cancel-missing-action", "owner", CANCEL, {}, 422, "VALIDATION_FAILED", "body.action"),
    (
        "cancel-unknown-field",
        "owner",
        CANCEL,
        {"action": "self_cancel", "x": 1},
        422,
        "VALIDATION_FAILED",
        "body.x",
    ),
    (
        "cancel-unknown-action",
        "owner",
        CANCEL,
        {"action": "refund_now"},
        422,
        "VALIDATION_FAILED",
        "body.action",
    ),
    (
        "cancel-unknown-reason",
        "owner",
        CANCEL,
        {"action": "self_cancel", "reason_code": "bored"},
        422,
        "VALIDATION_FAILED",
        "body.reason_code",
    ),
    (
        "cancel-other-without-description",
        "owner",
        CANCEL,
        {"action": "self_cancel", "reason_code": "other", "description": "太贵"},
        422,
        "DESCRIPTION_REQUIRED",
        "description",
    ),
    (
        "cancel-oversize-description",
        "owner",
        CANCEL,
        {"action": "self_cancel", "reason_code": "other", "description": "很" * 1001},
        422,
        "VALIDATION_FAILED",
        "body.description",
    ),
    (
        "cancel-platform-reason-for-self-cancel",
        "owner",
        CANCEL,
        {"action": "self_cancel", "reason_code": "invalid_key"},
        422,
        "REASON_NOT_ALLOWED",
        "reason_code",
    ),
    (
        "cancel-amount-on-self-cancel",
        "owner",
        CANCEL,
        {"action": "self_cancel", "amount": 100},
        422,
        "AMOUNT_NOT_ALLOWED",
        "amount",
    ),
    (
        "cancel-negative-amount",
        "owner",
        CANCEL,
        {"action": "request", "amount": -5},
        422,
        "VALIDATION_FAILED",
        "body.amount",
    ),
    (
        "cancel-wrong-evidence-type",
        "owner",
        APPEAL_DELIVERED,
        {**GOOD_APPEAL, "evidence": [GIF_KEY]},
        422,
        "EVIDENCE_INVALID",
        "evidence[0]",
    ),
    (
        "cancel-oversize-evidence",
        "owner",
        APPEAL_DELIVERED,
        {**GOOD_APPEAL, "evidence": [BIG_KEY]},
        422,
        "EVIDENCE_INVALID",
        "evidence[0]",
    ),
    (
        "cancel-others-evidence",
        "owner",
        APPEAL_DELIVERED,
        {**GOOD_APPEAL, "evidence": [OTHERS_KEY]},
        422,
        "EVIDENCE_INVALID",
        "evidence[0]",
    ),
    (
        "cancel-evidence-not-uploaded",
        "owner",
        APPEAL_DELIVERED,
        {**GOOD_APPEAL, "evidence": [MISSING_KEY]},
        422,
        "EVIDENCE_INVALID",
        "evidence[0]",
    ),
    (
        "cancel-six-evidence",
        "owner",
        APPEAL_DELIVERED,
        {**GOOD_APPEAL, "evidence": [f"evidence/{OWNER}/{DELIVERED}/{i:032x}.png" for i in range(6)]},
        422,
        "EVIDENCE_INVALID",
        "evidence",
    ),
    (
        "cancel-appeal-without-evidence",
        "owner",
        APPEAL_DELIVERED,
        GOOD_APPEAL,
        422,
        "EVIDENCE_REQUIRED",
        "evidence",
    ),
    ("cancel-not-json", "owner", CANCEL, b'{"action": "self_cancel"', 400, "MALFORMED_BODY", "body"),
    ("cancel-json-array", "owner", CANCEL, b"[]", 422, "VALIDATION_FAILED", None),
    ("cancel-not-utf8", "owner", CANCEL, NOT_UTF8, 400, "MALFORMED_BODY", "body"),
    ("cancel-no-body", "owner", CANCEL, None, 422, "VALIDATION_FAILED", "body"),
    (
        "cancel-bad-path-id",
        "owner",
        "/v1/orders/ORDER-1/cancellations",
        {"action": "self_cancel"},
        422,
        "VALIDATION_FAILED",
        "path.order_id",
    ),
    # POST .../cancellations/{request_id}/appeal
    ("appeal-missing-text", "owner", APPEAL, {"refund_to": "balance"}, 422, "VALIDATION_FAILED", "body.text"),
    (
        "appeal-unknown-field",
        "owner",
        APPEAL,
        {"text": "请复核", "x": True},
        422,
        "VALIDATION_FAILED",
        "body.x",
    ),
    ("appeal-oversize-text", "owner", APPEAL, {"text": "长" * 1001}, 422, "VALIDATION_FAILED", "body.text"),
    (
        "appeal-bad-refund-to",
        "owner",
        APPEAL,
        {"text": "请复核", "refund_to": "cash"},
        422,
        "VALIDATION_FAILED",
        "body.refund_to",
    ),
    (
        "appeal-wrong-evidence-type",
        "owner",
        APPEAL,
        {"text": "请复核", "evidence": [GIF_KEY]},
        422,
        "EVIDENCE_INVALID",
        "evidence[0]",
    ),
    ("appeal-not-json", "owner", APPEAL, b"text=please", 400, "MALFORMED_BODY", "body"),
    ("appeal-not-utf8", "owner", APPEAL, b'{"text": "\xc3\x28"}', 400, "MALFORMED_BODY", "body"),
    (
        "appeal-bad-order-id",
        "owner",
        f"/v1/orders/o_1/cancellations/{REJECTED_REQUEST}/appeal",
        {"text": "请复核"},
        422,
        "VALIDATION_FAILED",
        "path.order_id",
    ),
    (
        "appeal-bad-request-id",
        "owner",
        f"/v1/orders/{DELIVERED}/cancellations/rq-1/appeal",
        {"text": "请复核"},
        422,
        "VALIDATION_FAILED",
        "path.request_id",
    ),
    # POST /v1/orders/{order_id}/evidence-uploads
    ("upload-missing-type", "owner", UPLOAD, {}, 422, "VALIDATION_FAILED", "body.content_type"),
    (
        "upload-gif",
        "owner",
        UPLOAD,
        {"content_type": "image/gif"},
        422,
        "VALIDATION_FAILED",
        "body.content_type",
    ),
    (
        "upload-unknown-field",
        "owner",
        UPLOAD,
        {"content_type": "image/png", "size": 1},
        422,
        "VALIDATION_FAILED",
        "body.size",
    ),
    ("upload-not-json", "owner", UPLOAD, b"image/png", 400, "MALFORMED_BODY", "body"),
    ("upload-not-utf8", "owner", UPLOAD, b"\x89PNG\r\n\x1a\n", 400, "MALFORMED_BODY", "body"),
    (
        "upload-bad-path-id",
        "owner",
        "/v1/orders/o_XYZ/evidence-uploads",
        {"content_type": "image/png"},
        422,
        "VALIDATION_FAILED",
        "path.order_id",
    ),
    # platform
    (
        "platform-order-missing-customer",
        "platform",
        "/v1/platform/orders",
        {"product_id": "p-game_card"},
        422,
        "VALIDATION_FAILED",
        "body.customer_id",
    ),
    (
        "platform-order-unknown-field",
        "platform",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": "p-game_card", "price": 1},
        422,
        "VALIDATION_FAILED",
        "body.price",
    ),
    (
        "platform-order-zero-quantity",
        "platform",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": "p-game_card", "quantity": 0},
        422,
        "VALIDATION_FAILED",
        "body.quantity",
    ),
    (
        "platform-order-unknown-product",
        "platform",
        "/v1/platform/orders",
        {"customer_id": OWNER, "product_id": "p-nothing"},
        404,
        "PRODUCT_NOT_FOUND",
        None,
    ),
    ("platform-order-not-json", "platform", "/v1/platform/orders", b"{", 400, "MALFORMED_BODY", "body"),
    (
        "platform-payment-zero",
        "platform",
        "/v1/platform/payments",
        {"order_id": UNPAID_FOR_PAYMENT, "payment_id": "p1", "amount": 0, "channel": "alipay"},
        422,
        "VALIDATION_FAILED",
        "body.amount",
    ),
    (
        "platform-payment-usd",
        "platform",
        "/v1/platform/payments",
        {
            "order_id": UNPAID_FOR_PAYMENT,
            "payment_id": "p1",
            "amount": 10000,
            "currency": "USD",
            "channel": "alipay",
        },
        422,
        "VALIDATION_FAILED",
        "body.currency",
    ),
    (
        "platform-payment-channel",
        "platform",
        "/v1/platform/payments",
        {"order_id": UNPAID_FOR_PAYMENT, "payment_id": "p1", "amount": 10000, "channel": "paypal"},
        422,
        "VALIDATION_FAILED",
        "body.channel",
    ),
    (
        "platform-payment-not-utf8",
        "platform",
        "/v1/platform/payments",
        b"\xfe\xff",
        400,
        "MALFORMED_BODY",
        "body",
    ),
    (
        "platform-fulfilment-action",
        "platform",
        f"/v1/platform/orders/{PAID_FOR_DELIVERY}/fulfilment",
        {"action": "explode"},
        422,
        "VALIDATION_FAILED",
        "body.action",
    ),
    (
        "platform-fulfilment-bad-id",
        "platform",
        "/v1/platform/orders/..%2F/fulfilment",
        {"action": "start"},
        422,
        "VALIDATION_FAILED",
        "path.order_id",
    ),
]


@pytest.fixture(scope="module")
def uploaded(world: dict[str, str]) -> None:
    """Objects a client could have put into the bucket bypassing the POST policy (moto does not
    enforce it): a GIF named .png, a PNG over 5 MB, one under another customer's prefix."""
    s3 = aws.client("s3")
    bucket = get_settings().evidence_bucket
    s3.put_object(Bucket=bucket, Key=GIF_KEY, Body=b"GIF89a....", ContentType="image/gif")
    s3.put_object(
        Bucket=bucket, Key=BIG_KEY, Body=b"\x89PNG" + b"\0" * (5 * 1024 * 1024), ContentType="image/png"
    )
    s3.put_object(Bucket=bucket, Key=OTHERS_KEY, Body=b"\x89PNG", ContentType="image/png")


@pytest.mark.parametrize(
    ("case", "who", "path", "body", "status", "code", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_and_changes_nothing(
    world: dict[str, str],
    uploaded: None,
    case: str,
    who: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    field: str | None,
) -> None:
    """GIVEN the world WHEN a POST with bad input THEN 4xx, the code, the field, no change."""
    before = table_snapshot()
    resp = call("POST", path, body, who=who, headers={"idempotency-key": f"bad-{case}"})
    assert (resp.status, resp.code) == (status, code), resp.raw
    details = resp.json["error"]["details"]
    if field is not None:
        assert details.get("field") == field, details
    assert table_snapshot() == before
