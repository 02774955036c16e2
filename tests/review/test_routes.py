"""The reviewer routes through the real handler, as API Gateway calls it (v2 events, JWT claims)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from cancelflow import clock
from cancelflow.cancel.appeal_rejection import appeal
from cancelflow.domain.products import RefundTo
from cancelflow.review import tasks
from cancelflow.store import orders

from functions.review.api import handler
from infra.topology import ROUTES
from local.apigw import build_event, customer_claims, match_route, parse_result
from tests.conftest import NOW
from tests.review.conftest import Maker, drain, intake

FULL = {"order_status_verified": True, "evidence_judged": True, "refund_path_confirmed": True}
GROUPS = {
    "customer": ["customer"],
    "r1": ["reviewer"],
    "r2": ["reviewer"],
    "s1": ["senior_reviewer"],
    "s2": ["senior_reviewer"],
    "support": ["support"],
}


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    t = [NOW]
    monkeypatch.setattr(clock, "now", lambda: t[0])
    yield t


def call(
    method: str, path: str, who: str, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    found = match_route(ROUTES, method, path)  # type: ignore[type-var]
    assert found is not None and found[0].function == "review_api"
    route, params = found
    raw = json.dumps(body).encode() if body is not None else None
    event = build_event(
        method,
        path,
        f"{route.method} {route.path}",
        params,
        {"content-type": "application/json"} if raw else {},
        query,
        raw,
        customer_claims(f"sub-{who}", GROUPS[who]),
    )
    status, _, out = parse_result(handler(event, None))
    return status, json.loads(out)


def test_customers_get_403_on_every_reviewer_route(make_request: Maker, review_queue: str) -> None:
    """GIVEN an open task WHEN a customer or support calls each reviewer route THEN 403
    FORBIDDEN each time (reviewers only: tasks carry risk figures and evidence links)."""
    make_request()
    intake(drain(review_queue))
    tid = tasks.list_tasks("open", NOW)[0][0].task_id
    routes = [
        ("GET", "/v1/reviews", None),
        ("POST", "/v1/reviews/claim-next", None),
        ("GET", f"/v1/reviews/{tid}", None),
        ("POST", f"/v1/reviews/{tid}/release", None),
        ("POST", f"/v1/reviews/{tid}/decision", {"outcome": "approve", "checklist": FULL}),
    ]
    assert {r.path for r in ROUTES if r.function == "review_api"} == {
        "/v1/reviews",
        "/v1/reviews/claim-next",
        "/v1/reviews/{task_id}",
        "/v1/reviews/{task_id}/release",
        "/v1/reviews/{task_id}/decision",
    }
    for method, path, body in routes:
        status, out = call(method, path, "customer", body)
        assert (status, out["error"]["code"]) == (403, "FORBIDDEN"), path
    assert [call(m, p, "support", b)[0] for m, p, b in routes] == [403, 403, 403, 403, 403]
    assert tasks.get_task(tid).lease_holder is None


def test_support_gets_403_on_the_review_list_and_a_task(make_request: Maker, review_queue: str) -> None:
    """GIVEN an open task WHEN support lists the queue or opens the task THEN 403 FORBIDDEN
    (support used to read both, risk and evidence links included), and the routes' roles in
    infra/topology.py say reviewers only; a reviewer still reads both."""
    make_request()
    intake(drain(review_queue))
    tid = tasks.list_tasks("open", NOW)[0][0].task_id
    for path in ("/v1/reviews", f"/v1/reviews/{tid}"):
        status, out = call("GET", path, "support")
        assert (status, out["error"]["code"]) == (403, "FORBIDDEN"), path
        assert call("GET", path, "r1")[0] == 200, path
        route = next(r for r in ROUTES if r.method == "GET" and match_route((r,), "GET", path))  # type: ignore[type-var]
        assert set(route.roles) == {"reviewer", "senior_reviewer"}, path


def test_claim_detail_and_approve_over_http(make_request: Maker, review_queue: str) -> None:
    """GIVEN an open task with evidence WHEN r1 claims it, reads it and approves it over HTTP
    THEN claim answers the leased task, detail has order, history, risk and download links,
    and the decision answers approved with the order cancelled; r2 deciding first gets 409."""
    make_request()
    intake(drain(review_queue))
    status, task = call("POST", "/v1/reviews/claim-next", "r1")
    assert (status, task["status"], task["lease_holder"]) == (200, "claimed", "sub-r1")
    status, d = call("GET", f"/v1/reviews/{task['task_id']}", "r1")
    assert status == 200 and d["order"]["status"] == "paid" and d["risk"]["orders"] >= 1
    assert any(h["event"] == "review.task_created" for h in d["history"])
    status, err = call(
        "POST", f"/v1/reviews/{task['task_id']}/decision", "r2", {"outcome": "approve", "checklist": FULL}
    )
    assert (status, err["error"]["code"]) == (409, "LEASE_NOT_HELD")
    status, err = call("POST", f"/v1/reviews/{task['task_id']}/decision", "r1", {"outcome": "approve"})
    assert (status, err["error"]["code"]) == (422, "CHECKLIST_INCOMPLETE")
    status, out = call(
        "POST", f"/v1/reviews/{task['task_id']}/decision", "r1", {"outcome": "approve", "checklist": FULL}
    )
    assert (status, out["outcome"], out["order_status"], out["task"]["status"]) == (
        200,
        "approved",
        "cancelled",
        "decided",
    )
    status, page = call("GET", "/v1/reviews", "r1", query={"status": "decided"})
    assert [t["task_id"] for t in page["items"]] == [task["task_id"]] and page["next_cursor"] is None


def test_rejection_appeal_roles_over_http(
    make_request: Maker, review_queue: str, frozen: list[datetime]
) -> None:
    """GIVEN a request rejected by senior s1 and appealed
    WHEN an ordinary reviewer, then s1, try to decide the appeal THEN 403 each;
    s2 claims it and decides it."""
    oid, rid = make_request()
    intake(drain(review_queue))
    _, t = call("POST", "/v1/reviews/claim-next", "s1")
    status, _ = call(
        "POST", f"/v1/reviews/{t['task_id']}/decision", "s1", {"outcome": "reject", "note": "理由不充分"}
    )
    assert status == 200
    frozen[0] = NOW + timedelta(minutes=5)
    customer = orders.require_order(oid).customer_id
    ap = appeal(customer, oid, rid, "请再看一下我的截图", (), RefundTo.BALANCE, frozen[0])
    intake(drain(review_queue))
    body = {"outcome": "approve", "checklist": FULL}
    for who in ("r1", "s1"):
        status, err = call("POST", f"/v1/reviews/{ap['task_id']}/decision", who, body)
        assert (status, err["error"]["code"]) == (403, "FORBIDDEN"), who
        status, err = call("POST", "/v1/reviews/claim-next", who)
        assert (status, err["error"]["code"]) == (404, "NO_TASK_AVAILABLE"), who
    status, claimed = call("POST", "/v1/reviews/claim-next", "s2")
    assert (status, claimed["task_id"], claimed["kind"]) == (200, ap["task_id"], "rejection_appeal")
    status, done = call("POST", f"/v1/reviews/{ap['task_id']}/decision", "s2", body)
    assert (status, done["outcome"]) == (200, "approved")
