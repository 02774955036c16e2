"""The review step's sample events (events/review-*.json) and the small world they refer to.

``python -m tests.review.samples`` rewrites them; tests/review/test_samples.py checks they are
current and runs each through the real handlers against this world.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from cancelflow.domain.options import Action, Submission
from cancelflow.domain.reasons import Reason
from cancelflow.messages import ReviewMessage

from local.apigw import build_event, customer_claims
from tests.conftest import NOW

EVENTS = Path(__file__).resolve().parents[2] / "events"

CUSTOMER = "7f3e2a10-5c1b-4e8a-9d2f-0b6c8e1a4d21"
REVIEWER = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"
ORDER = "o_7e7e7e7e7e7e7e7e7e7e"
REQUEST = "rq_5a5a5a5a5a5a5a5a5a5a"
TASK = "tk_5a5a5a5a5a5a5a5a5a5a"
SUBMITTED = NOW
CHECKED = {"order_status_verified": True, "evidence_judged": True, "refund_path_confirmed": True}
SUBMISSION = Submission(
    action=Action.REQUEST,
    reason_code=Reason.DUPLICATE_ORDER,
    description="同一张点卡下了两单,取消这一单",
)


def message(amount: int = 10000) -> ReviewMessage:
    return ReviewMessage(
        request_id=REQUEST,
        order_id=ORDER,
        customer_id=CUSTOMER,
        action=SUBMISSION.action,
        reason_code=SUBMISSION.reason_code,
        description=SUBMISSION.description,
        order_amount=amount,
        refundable=amount,
        submitted_at=SUBMITTED,
    )


def _record(i: int, body: str) -> dict[str, Any]:
    return {
        "messageId": f"5f8e1c2a-0b7d-4c3e-9a1f-00000000000{i}",
        "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a-{i}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(int(SUBMITTED.timestamp() * 1000)),
            "SenderId": "AROAEXAMPLE:cancelflow-cancel-api",
            "ApproximateFirstReceiveTimestamp": str(int(SUBMITTED.timestamp() * 1000) + 40),
        },
        "messageAttributes": {"kind": {"stringValue": "cancellation", "dataType": "String"}},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:cancelflow-review",
        "awsRegion": "ap-east-1",
    }


def intake_batch() -> dict[str, Any]:
    """A batch of the request's message and one of a schema version intake does not know."""
    good = message().to_json()
    future = json.dumps({**json.loads(good), "schema_version": 2})
    return {"Records": [_record(1, good), _record(2, future)]}


def _api(
    method: str, path: str, route: str, params: dict[str, str], body: Any = None, query: Any = None
) -> dict[str, Any]:
    t = int(NOW.timestamp())
    raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    return build_event(
        method,
        path,
        f"{method} {route}",
        params,
        {
            **({"content-type": "application/json"} if raw else {}),
            "accept-language": "zh-CN",
            "x-amzn-trace-id": "Root=1-69278f20-0123456789abcdef01234567",  # fixed: samples are stable
        },
        query,
        raw,
        customer_claims(REVIEWER, ["reviewer"], auth_time=t, iat=t, exp=t + 3600),
        request_id="c0ffee00-0000-4000-8000-000000000001",
        now=NOW,
    )


def samples() -> dict[str, dict[str, Any]]:
    task = {"task_id": TASK}
    return {
        "review-intake-sqs-batch": intake_batch(),
        "review-api-list": _api(
            "GET", "/v1/reviews", "/v1/reviews", {}, query={"status": "open", "limit": "20"}
        ),
        "review-api-claim-next": _api("POST", "/v1/reviews/claim-next", "/v1/reviews/claim-next", {}),
        "review-api-get-task": _api("GET", f"/v1/reviews/{TASK}", "/v1/reviews/{task_id}", task),
        "review-api-release": _api(
            "POST", f"/v1/reviews/{TASK}/release", "/v1/reviews/{task_id}/release", task
        ),
        "review-api-decision": _api(
            "POST",
            f"/v1/reviews/{TASK}/decision",
            "/v1/reviews/{task_id}/decision",
            task,
            body={"outcome": "approve", "checklist": CHECKED, "note": "重复下单属实,同意取消"},
        ),
    }


def render(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def build_world(catalog: dict[str, str], monkeypatch: Any) -> None:
    """The paid order and its request under review that the samples name."""
    from cancelflow.domain.products import Channel
    from cancelflow.store import orders, payments, requests

    t0 = SUBMITTED - timedelta(hours=1)
    o = orders.create_order(CUSTOMER, catalog["game_card"], 1, t0, order_id=ORDER)
    payments.confirm_payment(ORDER, "pay-sample", o.amount, Channel.ALIPAY, t0 + timedelta(minutes=1))
    monkeypatch.setattr(requests, "new_id", lambda prefix: REQUEST)
    requests.open_for_review(orders.require_order(ORDER), SUBMISSION, SUBMITTED)


def main() -> int:
    for name, event in samples().items():
        (EVENTS / f"{name}.json").write_text(render(event), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
