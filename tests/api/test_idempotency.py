"""Idempotency-Key on the cancellation POST, in sequence and 20 at once.

"At once" means separate processes (as separate Lambda instances are) hitting one embedded
AWS endpoint together: forked from this test after everything is imported, released by a
barrier, against a moto server that applies one request at a time (as DynamoDB applies each
conditional write atomically) while connections interleave.
"""

from __future__ import annotations

import multiprocessing
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from cancelflow import aws
from cancelflow.settings import get_settings
from cancelflow.store import history, orders

from tests.api.conftest import call
from tests.api.world import PAID_FOR_DELIVERY, PENDING, build_world

BODY = {"action": "self_cancel", "reason_code": "duplicate_order"}
PATH = f"/v1/orders/{PENDING}/cancellations"


def _cancellations(order_id: str) -> list[str]:
    return [h.event for h in history.timeline(order_id) if h.event == "order.cancelled"]


def test_same_key_same_body_replays_and_acts_once(catalog: dict[str, str]) -> None:
    """GIVEN a self-cancel sent with a key WHEN sent again with the key THEN the first answer
    (same request id) and one cancellation; another body or another order with it: 409."""
    build_world(catalog)
    key = {"idempotency-key": "0c8e7c1e-2f7a-4d53-9d0b-6d0e2a4b9f11"}
    first = call("POST", PATH, BODY, headers=key)
    again = call("POST", PATH, BODY, headers=key)
    assert first.status == again.status == 201
    assert first.json == again.json and again.headers["idempotency-replayed"] == "true"
    assert _cancellations(PENDING) == ["order.cancelled"]
    other_body = call("POST", PATH, {**BODY, "reason_code": "changed_mind"}, headers=key)
    assert (other_body.status, other_body.code) == (409, "IDEMPOTENCY_KEY_REUSED")
    other_order = call("POST", "/v1/orders/o_5f4e3d2c1b0a99887766/cancellations", BODY, headers=key)
    assert (other_order.status, other_order.code) == (409, "IDEMPOTENCY_KEY_REUSED")


def test_without_key_second_attempt_sees_the_state(catalog: dict[str, str]) -> None:
    """GIVEN no key WHEN the same self-cancel twice THEN the second is a 409 with the state."""
    build_world(catalog)
    assert call("POST", PATH, BODY).status == 201
    second = call("POST", PATH, BODY)
    assert (second.status, second.code) == (409, "ORDER_CANCELLED")


def test_refused_request_is_not_replayed(catalog: dict[str, str]) -> None:
    """GIVEN a request refused (reason not allowed) WHEN corrected and resent with the same key
    THEN... the body differs, so 409; the refusal itself left no record to replay."""
    build_world(catalog)
    key = {"idempotency-key": "k-refused"}
    bad = call("POST", PATH, {"action": "self_cancel", "reason_code": "invalid_key"}, headers=key)
    assert bad.status == 422
    again = call("POST", PATH, {"action": "self_cancel", "reason_code": "invalid_key"}, headers=key)
    assert again.status == 422 and "idempotency-replayed" not in again.headers


# ---------------------------------------------------------------- 20 at once


@pytest.fixture
def served_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto as a real endpoint, applying one request at a time."""
    from cancelflow.settings import reset_settings
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from local.provision import apply, provision

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ: Any, start_response: Any) -> Any:
        # Requests from many connections interleave, but each is applied whole, as DynamoDB
        # applies a conditional write or a transaction atomically (moto itself does not lock).
        with lock:
            return list(app(environ, start_response))

    server = make_server("127.0.0.1", 0, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    # the server shares moto's in-process backends: start from, and leave, an empty account
    reset = lambda: urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))  # noqa: E731
    reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    env = provision(endpoint_url=url)
    apply(env)
    try:
        yield url
    finally:
        reset()
        server.shutdown()
        for k in env:
            monkeypatch.delenv(k, raising=False)
        reset_settings()


def _served_world() -> None:
    from cancelflow.domain.products import ProductType
    from cancelflow.store import stock

    stock.put_product("p-game_card", ProductType.GAME_CARD, 10000, "游戏点卡", "Game card")
    stock.add_keys("p-game_card", ((f"p-game_card-k{i:03d}", f"CODE-{i:04d}") for i in range(10)))
    build_world({"game_card": "p-game_card"})


def _child(barrier: Any, results: Any, key: str, order_id: str, body: dict[str, Any]) -> None:
    from cancelflow.settings import reset_settings

    reset_settings()  # own clients and connections in this process
    try:
        barrier.wait(timeout=60)
        r = call("POST", f"/v1/orders/{order_id}/cancellations", body, headers={"idempotency-key": key})
        results.put((r.status, r.code, r.json.get("request_id"), r.headers.get("idempotency-replayed")))
    except Exception as e:  # reported, never hangs the parent
        results.put((0, repr(e), None, None))


def _at_once(
    keys: list[str], order_id: str = PENDING, body: dict[str, Any] = BODY
) -> list[tuple[int, str | None, str | None, str | None]]:
    import aws_lambda_powertools.utilities.idempotency  # noqa: F401  imported once, before forking

    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(len(keys)), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(barrier, results, k, order_id, body)) for k in keys]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return out


@pytest.mark.slow
def test_twenty_at_once_with_one_key_act_once(served_aws: str) -> None:
    """GIVEN a pending order WHEN the same self-cancel is sent 20 times at once with one key
    THEN it is cancelled once; every answer is the first one (replayed) or 409 in progress."""
    _served_world()
    results = _at_once(["one-key-for-all"] * 20)
    assert _cancellations(PENDING) == ["order.cancelled"]
    done = [r for r in results if r[0] == 201]
    assert len({r[2] for r in done}) == 1, results
    assert all(r[0] == 201 or (r[0], r[1]) == (409, "REQUEST_IN_PROGRESS") for r in results), results
    assert sum(1 for r in done if r[3] != "true") == 1, results  # exactly one acted
    print("one key, 20 at once:", Counter((r[0], r[1] or r[3]) for r in results))
    assert orders.require_order(PENDING).status.value == "cancelled"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("order_id", "body", "event", "losers"),
    [
        (PENDING, BODY, "order.cancelled", {"ORDER_CANCELLED", "CONFLICT"}),
        (
            PAID_FOR_DELIVERY,
            {"action": "request"},
            "cancellation.requested",
            {"CANCELLATION_IN_PROGRESS", "CONFLICT"},
        ),
    ],
    ids=["self-cancel", "reviewed-request"],
)
def test_twenty_at_once_with_different_keys_one_wins(
    served_aws: str, order_id: str, body: dict[str, Any], event: str, losers: set[str]
) -> None:
    """GIVEN an order WHEN 20 cancellations with 20 keys arrive at once THEN exactly one
    succeeds (one history entry, one queue message for a review); the others are 409 with the
    state they found or a lost race."""
    _served_world()
    results = _at_once([f"key-{i:02d}" for i in range(20)], order_id, body)
    assert [h.event for h in history.timeline(order_id) if h.event == event] == [event]
    by_status = Counter(r[0] for r in results)
    assert by_status == {201: 1, 409: 19}, results
    assert {r[1] for r in results if r[0] == 409} <= losers, results
    if event == "cancellation.requested":
        r = aws.client("sqs").receive_message(
            QueueUrl=get_settings().review_queue_url, MaxNumberOfMessages=10
        )
        assert len(r.get("Messages", [])) == 1
    print("20 keys at once:", Counter((r[0], r[1]) for r in results))
