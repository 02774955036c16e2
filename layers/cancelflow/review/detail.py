"""What a reviewer sees of one task: the task, the order, its history, the customer's risk now,
and short-lived download links for the evidence. Integrations: DynamoDB (a read, a BatchGet
and the history query), S3 (presigning is local: no request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cancelflow import aws
from cancelflow.domain.models import Order
from cancelflow.settings import get_settings
from cancelflow.store import customers, ddb, history, keys
from cancelflow.store.codec import decode, plain

from . import tasks

EVIDENCE_URL_SECONDS = 300


def evidence_urls(object_keys: list[str]) -> list[dict[str, str]]:
    s3 = aws.client("s3")
    bucket = get_settings().evidence_bucket
    return [
        {
            "key": k,
            "url": s3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": k}, ExpiresIn=EVIDENCE_URL_SECONDS
            ),
        }
        for k in object_keys
    ]


def task_detail(task_id: str, now: datetime) -> dict[str, Any]:
    task = tasks.get_task(task_id)
    book = get_settings().policies
    order_key = (keys.order_pk(task["order_id"]), keys.ORDER)
    req_key = (keys.order_pk(task["order_id"]), keys.request_sk(task["request_id"]))
    window = book.risk.window_days
    found = ddb.batch_get([order_key, req_key, *customers.risk_keys(task["customer_id"], now, window)])
    order = decode(Order, found[order_key])
    risk = customers.risk_from(found, task["customer_id"], window)
    timeline = [
        {k: v for k, v in h.items() if k not in ("pk", "sk", "type")}
        for h in history.timeline(task["order_id"])
    ]
    return {
        "task": tasks.view(task, now),
        "order": {k: v for k, v in plain(order).items() if k != "key_ids"},
        "request": {
            k: v for k, v in found.get(req_key, {}).items() if k not in ("pk", "sk", "due_pk", "type")
        },
        "history": timeline,
        "risk": {
            "window_days": risk.window_days,
            "orders": risk.orders,
            "cancellation_requests": risk.cancellation_requests,
            "ratio": round(risk.ratio, 4),
            "flagged": risk.flagged,
            "high_risk": risk.high_risk(book.risk),
        },
        "evidence": evidence_urls(list(task.get("evidence", []))),
        "evidence_url_seconds": EVIDENCE_URL_SECONDS,
    }
