"""What a reviewer sees of one task: the task, the order, its history, the customer's risk now,
and short-lived download links for the evidence. Integrations: DynamoDB (a read, a BatchGet
and the history query, through ``cancelflow.store``), S3 (presigning is local: no request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from cancelflow import aws
from cancelflow.settings import get_settings
from cancelflow.store import customers, history
from cancelflow.store.codec import plain
from cancelflow.store.requests import Request

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


def _shown(struct: msgspec.Struct) -> dict[str, Any]:
    """A stored entity as stored (times as ``clock.iso`` text), what it lacks left out."""
    data: dict[str, Any] = plain(msgspec.to_builtins(struct, builtin_types=(datetime,)))
    return {k: v for k, v in data.items() if v is not None}


def _request(request: Request | None) -> dict[str, Any]:
    if request is None:
        return {}
    shown = _shown(request)
    if request.decided_by is not None:  # a review decision stores its note, null when none
        shown.setdefault("decision_note", None)
    return shown


def task_detail(task_id: str, now: datetime) -> dict[str, Any]:
    task = tasks.get_task(task_id)
    book = get_settings().policies
    window = book.risk.window_days
    found = customers.read_request_with_risk(task.order_id, task.request_id, task.customer_id, now, window)
    order, risk = found.order, found.risk
    if order is None:
        raise LookupError(f"no order {task.order_id} for task {task_id}")  # never expected
    return {
        "task": tasks.view(task, now),
        "order": {k: v for k, v in plain(order).items() if k != "key_ids"},
        "request": _request(found.request),
        "history": [_shown(h) for h in history.timeline(task.order_id)],
        "risk": {
            "window_days": risk.window_days,
            "orders": risk.orders,
            "cancellation_requests": risk.cancellation_requests,
            "ratio": round(risk.ratio, 4),
            "flagged": risk.flagged,
            "high_risk": risk.high_risk(book.risk),
        },
        "evidence": evidence_urls(list(task.evidence)),
        "evidence_url_seconds": EVIDENCE_URL_SECONDS,
    }
