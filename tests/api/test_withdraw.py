"""Withdrawing a request has its own route, POST .../cancellations/{request_id}/withdraw
(docs/domain.md, "Withdrawal"); what the reviewer routes (the console's lists) show after it."""

from __future__ import annotations

from typing import Any

from cancelflow.review import claims
from cancelflow.store import requests, tasks

from tests.api.conftest import FrozenClock, call, table_snapshot
from tests.api.test_timeline import asked, under_review
from tests.store.world import R1


def _withdraw(oid: str, rid: str, who: str = "owner") -> Any:
    return call("POST", f"/v1/orders/{oid}/cancellations/{rid}/withdraw", who=who)


def _console_lists() -> dict[str, list[str]]:
    """Each list the console's queue and tabs read, as a reviewer reads it over the API."""
    out = {}
    for status in ("open", "claimed", "waiting_customer", "decided"):
        r = call("GET", "/v1/reviews", who="reviewer", query={"status": status, "limit": "100"})
        assert r.status == 200, r.raw
        out[status] = [t["task_id"] for t in r.json["items"]]
    return out


def test_a_request_under_review_is_withdrawn_and_leaves_the_console(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a request under review whose task is in the open pool WHEN its customer withdraws it
    THEN 200 with the request withdrawn (an enum), the task it closed and the order paid and no
    longer held; no reviewer list shows the task, the task reads withdrawn, and the options no
    longer offer withdrawing."""
    oid, rid = under_review(catalog, frozen)
    task_id = tasks.task_id_for(rid, "cancellation")
    assert task_id in _console_lists()["open"]
    options = call("GET", f"/v1/orders/{oid}/cancellation-options").json["withdraw"]
    assert (options["allowed"], options["request_id"]) == (True, rid)

    resp = _withdraw(oid, rid)
    assert resp.status == 200, resp.raw
    out = resp.json
    assert (out["status"], out["request_id"], out["order_id"], out["task_id"]) == (
        "withdrawn",
        rid,
        oid,
        task_id,
    )
    assert (out["order"]["status"], out["order"]["held"]) == ("paid", False)
    assert all(task_id not in ids for ids in _console_lists().values())
    seen = call("GET", f"/v1/reviews/{task_id}", who="reviewer")
    assert seen.status == 200 and seen.json["task"]["status"] == "withdrawn", seen.raw
    assert call("GET", f"/v1/orders/{oid}/cancellation-options").json["withdraw"]["allowed"] is False


def test_a_request_waiting_for_an_answer_is_withdrawn(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request whose reviewer asked a question WHEN withdrawn THEN 200, the task leaves
    the waiting list, and the answer route then has no open question."""
    oid, rid, task_id = asked(catalog, frozen)
    assert task_id in _console_lists()["waiting_customer"]
    assert _withdraw(oid, rid).status == 200
    assert all(task_id not in ids for ids in _console_lists().values())
    answer = call("POST", f"/v1/orders/{oid}/cancellations/{rid}/answer", {"text": "账号是 12345678"})
    assert (answer.status, answer.code) == (409, "NO_OPEN_QUESTION")


def test_refusals_change_nothing(catalog: dict[str, str], frozen: FrozenClock) -> None:
    """GIVEN a request under review WHEN another customer withdraws it, or it is withdrawn by an
    unknown id THEN 404 ORDER_NOT_FOUND / REQUEST_NOT_FOUND with nothing stored; once withdrawn,
    again is 409 REQUEST_NOT_PENDING naming its status; a reviewer role is 403."""
    oid, rid = under_review(catalog, frozen)
    before = table_snapshot()
    assert (_withdraw(oid, rid, who="other").status, _withdraw(oid, rid, who="other").code) == (
        404,
        "ORDER_NOT_FOUND",
    )
    unknown = _withdraw(oid, "rq_000000000000000000ff")
    assert (unknown.status, unknown.code) == (404, "REQUEST_NOT_FOUND")
    assert _withdraw(oid, rid, who="reviewer").status == 403
    assert table_snapshot() == before
    assert _withdraw(oid, rid).status == 200
    again = _withdraw(oid, rid)
    assert (again.status, again.code) == (409, "REQUEST_NOT_PENDING"), again.raw
    assert again.json["error"]["details"] == {"request_id": rid, "status": "withdrawn"}


def test_the_reviewer_holding_the_task_is_told_it_was_withdrawn(
    catalog: dict[str, str], frozen: FrozenClock
) -> None:
    """GIVEN a task r1 has claimed WHEN its request is withdrawn THEN r1's decision and release
    are 409 REQUEST_WITHDRAWN (the console's words for it exist), and the request stays withdrawn."""
    oid, rid = under_review(catalog, frozen)
    task = claims.claim_next(R1, frozen.advance(minutes=1))
    assert _withdraw(oid, rid).status == 200
    body = {"outcome": "reject", "note": "bought on purpose"}
    decided = call("POST", f"/v1/reviews/{task.task_id}/decision", body, claims=_reviewer_claims("r1"))
    assert (decided.status, decided.code) == (409, "REQUEST_WITHDRAWN"), decided.raw
    released = call("POST", f"/v1/reviews/{task.task_id}/release", claims=_reviewer_claims("r1"))
    assert (released.status, released.code) == (409, "REQUEST_WITHDRAWN"), released.raw
    assert requests.get_request(oid, rid).status is requests.WITHDRAWN


def _reviewer_claims(sub: str) -> dict[str, Any]:
    from tests.api.world import claims_for

    base = claims_for("reviewer")
    assert base is not None
    return {**base, "sub": sub, "username": sub}
