"""A small, fixed world the sample events in events/api-*.json refer to, and the generator of
those events (``python -m tests.api.world`` rewrites them; a test checks they are current).

Fixed ids so that a committed sample event is a working request against this world.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
from cancelflow.domain.products import Channel
from cancelflow.store import ddb, orders, payments, requests

from local.apigw import build_event, customer_claims
from tests.conftest import NOW

EVENTS = Path(__file__).resolve().parents[2] / "events"

OWNER = "7f3e2a10-5c1b-4e8a-9d2f-0b6c8e1a4d21"  # Cognito subs are UUIDs
OTHER = "91b2c4d8-3e5f-4a6b-8c7d-1e2f3a4b5c6d"
REVIEWER = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"
SENIOR = "1b2c3d4e-5f60-4172-83a4-b5c6d7e8f901"
SUPPORT_SUB = "2c3d4e5f-6071-4283-94b5-c6d7e8f90a12"
PLATFORM_SUB = "5d6e7f80-9a1b-4c2d-8e3f-405162738495"

PENDING = "o_0a1b2c3d4e5f60718293"  # unpaid, the owner's
DELIVERED = "o_5f4e3d2c1b0a99887766"  # delivered, with a rejected request
REJECTED_REQUEST = "rq_00112233445566778899"
UNPAID_FOR_PAYMENT = "o_b1b2b3b4b5b6b7b8b9b0"  # the platform's payment sample pays this one
PAID_FOR_DELIVERY = "o_c1c2c3c4c5c6c7c8c9c0"  # the fulfilment sample starts this one
NEW_ORDER = "o_a1a2a3a4a5a6a7a8a9a0"  # the platform's create sample creates this one
API_ID = "k7x2m9q4ab"  # what an HTTP API's id looks like


def claims_for(who: str) -> dict[str, Any] | None:
    t = int(NOW.timestamp())
    fixed: dict[str, Any] = {
        "auth_time": t,
        "iat": t,
        "exp": t + 3600,
        "iss": "https://cognito-idp.ap-east-1.amazonaws.com/ap-east-1_Xk3Pq9LmZ",
        "aud": "4m2k8v0c1q7r5t3y6u9i0o1p2a",
    }
    return {
        "owner": customer_claims(OWNER, **fixed),
        "other": customer_claims(OTHER, **fixed),
        "reviewer": customer_claims(REVIEWER, ["reviewer"], **fixed),
        "senior": customer_claims(SENIOR, ["senior_reviewer"], **fixed),
        "support": customer_claims(SUPPORT_SUB, ["support"], **fixed),
        "platform": customer_claims(PLATFORM_SUB, ["platform"], **fixed),
        "nobody": None,
    }[who]


@dataclass(frozen=True)
class Sample:
    name: str
    method: str
    route: str  # API Gateway syntax
    params: dict[str, str]
    body: dict[str, Any] | None
    who: str  # the rightful caller
    status: int  # what the rightful caller gets in the world
    query: dict[str, str] | None = None

    @property
    def path(self) -> str:
        p = self.route
        for k, v in self.params.items():
            p = p.replace("{" + k + "}", v)
        return p


SAMPLES: tuple[Sample, ...] = (
    Sample("cancel-get-policies", "GET", "/v1/policies", {}, None, "owner", 200),
    Sample("cancel-list-orders", "GET", "/v1/orders", {}, None, "owner", 200, {"limit": "10"}),
    Sample("cancel-get-order", "GET", "/v1/orders/{order_id}", {"order_id": PENDING}, None, "owner", 200),
    Sample(
        "cancel-get-cancellation-options",
        "GET",
        "/v1/orders/{order_id}/cancellation-options",
        {"order_id": PENDING},
        None,
        "owner",
        200,
    ),
    Sample(
        "cancel-post-cancellation",
        "POST",
        "/v1/orders/{order_id}/cancellations",
        {"order_id": PENDING},
        {"action": "self_cancel", "reason_code": "duplicate_order", "refund_to": "original"},
        "owner",
        201,
    ),
    Sample(
        "cancel-post-appeal",
        "POST",
        "/v1/orders/{order_id}/cancellations/{request_id}/appeal",
        {"order_id": DELIVERED, "request_id": REJECTED_REQUEST},
        {"text": "卡密显示已被使用,附上充值失败截图,请复核", "evidence": [], "refund_to": "balance"},
        "owner",
        200,
    ),
    Sample(
        "cancel-post-evidence-upload",
        "POST",
        "/v1/orders/{order_id}/evidence-uploads",
        {"order_id": PENDING},
        {"content_type": "image/png"},
        "owner",
        201,
    ),
    Sample(
        "cancel-get-timeline",
        "GET",
        "/v1/orders/{order_id}/timeline",
        {"order_id": PENDING},
        None,
        "owner",
        200,
    ),
    Sample(
        "platform-create-order",
        "POST",
        "/v1/platform/orders",
        {},
        {"customer_id": OWNER, "product_id": "p-game_card", "quantity": 1, "order_id": NEW_ORDER},
        "platform",
        201,
    ),
    Sample(
        "platform-payment",
        "POST",
        "/v1/platform/payments",
        {},
        {
            "order_id": UNPAID_FOR_PAYMENT,
            "payment_id": "2026112722001400001234567890",
            "amount": 10000,
            "currency": "CNY",
            "channel": "alipay",
        },
        "platform",
        200,
    ),
    Sample(
        "platform-fulfilment",
        "POST",
        "/v1/platform/orders/{order_id}/fulfilment",
        {"order_id": PAID_FOR_DELIVERY},
        {"action": "start"},
        "platform",
        200,
    ),
)


def sample_event(s: Sample) -> dict[str, Any]:
    body = json.dumps(s.body, ensure_ascii=False).encode() if s.body is not None else None
    headers = {
        "accept": "application/json",
        "accept-language": "zh-CN,zh;q=0.9,en;q=0.8",
        "host": f"{API_ID}.execute-api.ap-east-1.amazonaws.com",
        "user-agent": "cancelflow-app/3.2.0 (iPhone; iOS 18.1)",
    }
    if body is not None:
        headers["content-type"] = "application/json"
    if s.method == "POST":
        headers["idempotency-key"] = f"{s.name}-3f1c9a7e"
    event = build_event(
        s.method,
        s.path,
        f"{s.method} {s.route}",
        s.params or None,
        headers,
        s.query,
        body,
        claims_for(s.who),
        # API Gateway's request ids look like "Jq3RbhJKIAMEVfQ="; stable per sample here
        request_id=base64.b64encode(hashlib.sha1(s.name.encode()).digest()[:10]).decode(),
        now=NOW,
        api_id=API_ID,
        source_ip="203.0.113.24",
    )
    event["headers"]["x-amzn-trace-id"] = "Root=1-69278f20-0123456789abcdef01234567"
    return event


def write_events() -> None:
    EVENTS.mkdir(exist_ok=True)
    for s in SAMPLES:
        (EVENTS / f"api-{s.name}.json").write_text(
            json.dumps(sample_event(s), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"api-{name}.json").read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- the world


def _delivered_with_rejected_request(product_id: str) -> None:
    t = NOW - timedelta(hours=3)
    o = orders.create_order(OWNER, product_id, 1, t, order_id=DELIVERED)
    payments.confirm_payment(
        o.order_id, "pay-delivered", o.amount, Channel.WECHAT_PAY, t + timedelta(minutes=1)
    )
    orders.start_delivery(o.order_id, t + timedelta(minutes=20))
    orders.complete_delivery(o.order_id, t + timedelta(minutes=21))
    from cancelflow.domain.options import Action, Submission
    from cancelflow.domain.reasons import Reason

    sub = Submission(action=Action.APPEAL, reason_code=Reason.INVALID_KEY, description="卡密无效,无法充值")
    request = requests.new_request(
        orders.require_order(o.order_id), sub, REJECTED_REQUEST, requests.REJECTED, t
    )
    request = msgspec.structs.replace(request, rejected_by="reviewer-9", updated_at=t + timedelta(hours=1))
    ddb.transact([requests.put_op(request)])


def build_world(catalog: dict[str, str]) -> None:
    """The orders the samples name. Business time NOW."""
    card = catalog["game_card"]
    orders.create_order(OWNER, card, 1, NOW - timedelta(minutes=2), order_id=PENDING)
    orders.create_order(OWNER, card, 1, NOW - timedelta(minutes=2), order_id=UNPAID_FOR_PAYMENT)
    paid = orders.create_order(OWNER, card, 1, NOW - timedelta(minutes=30), order_id=PAID_FOR_DELIVERY)
    payments.confirm_payment(
        paid.order_id, "pay-for-delivery", paid.amount, Channel.ALIPAY, NOW - timedelta(minutes=29)
    )
    _delivered_with_rejected_request(card)


if __name__ == "__main__":
    write_events()
    sys.stdout.write(f"wrote {len(SAMPLES)} events to {EVENTS}\n")
