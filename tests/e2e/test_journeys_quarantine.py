"""Journeys through quarantine (docs/domain.md, "Quarantine") over HTTP: the keys of an order
cancelled after it reached delivering go to quarantine, not to stock; support finds them in its
list and releases one to stock or voids it, with a reason the order's history keeps; a key is
decided once, also when two decisions race; bad input is a clear error and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.e2e.conftest import (
    CHECKED,
    REVIEWER,
    Api,
    cancel,
    claim,
    customer,
    decide,
    fulfil,
    new_order,
    open_task,
    pay,
)

SUPPORT = ("sup-e2e", "support")


def _counts(available: int, quarantined: int = 0, voided: int = 0, reserved: int = 0) -> dict[str, int]:
    return {
        "available": available,
        "reserved": reserved,
        "quarantined": quarantined,
        "delivered": 0,
        "voided": voided,
    }


def _cancelled_in_delivery(
    api: Api, quantity: int = 1, keys: int = 5, fail_first: bool = False
) -> tuple[str, dict[str, Any], str]:
    """An order whose fulfilment started, then cancelled: a stop-delivery while delivering that
    fulfilment answers `aborted`, or (``fail_first``) a request after the delivery failed back
    to paid, approved by a reviewer. (product id, order, task id)."""
    pid, cust = api.product(keys=keys), customer()
    order = new_order(api, cust, pid, quantity)
    pay(api, order, "alipay")
    fulfil(api, order["order_id"], "start")
    if fail_first:
        fulfil(api, order["order_id"], "fail")
        api.advance(11 * 60)  # past the auto-approval window: the request is reviewed
        r = cancel(api, cust, order["order_id"], action="request", reason_code="wrong_info")
    else:
        r = cancel(api, cust, order["order_id"], action="stop_delivery", reason_code="wrong_info")
    assert r.status_code == 201 and r.json()["outcome"] == "under_review", r.text
    task = open_task(api, order["order_id"])
    if not fail_first:
        fulfil(api, order["order_id"], "aborted")
        return pid, order, task["task_id"]
    claim(api, REVIEWER, task["task_id"])
    r = decide(api, REVIEWER, task["task_id"], "approve", checklist=CHECKED, note="cancel it")
    assert r.status_code == 200 and r.json()["outcome"] == "approved", r.text
    return pid, order, task["task_id"]


def _quarantined_of(api: Api, order_id: str) -> list[dict[str, Any]]:
    """The order's keys in support's quarantine list (every page walked)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.ok(
            "GET", "/v1/stock/quarantine?limit=50" + (f"&cursor={cursor}" if cursor else ""), SUPPORT
        )
        found += [k for k in page["items"] if k["order_id"] == order_id]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def _settle(api: Api, pid: str, key_id: str, what: str, body: Any) -> httpx.Response:
    return api.call("POST", f"/v1/stock/products/{pid}/keys/{key_id}/{what}", SUPPORT, body)


def _support_stock(api: Api, pid: str) -> dict[str, int]:
    """The product's counts as support reads them, checked against the local helper's."""
    counts = dict(api.ok("GET", f"/v1/stock/products/{pid}", SUPPORT)["stock"])
    assert counts == api.stock(pid)
    return counts


def _stock_history(api: Api, task_id: str) -> list[dict[str, Any]]:
    """The order's history entries about its quarantined keys, as staff read them."""
    task = api.ok("GET", f"/v1/reviews/{task_id}", REVIEWER)
    return [h for h in task["history"] if h["event"].startswith("stock.")]


def test_a_stopped_delivery_quarantines_the_key_and_support_releases_it(api: Api) -> None:
    """GIVEN an order being delivered, cancelled on an approved stop-delivery WHEN support looks
    THEN its key is quarantined (not available), listed with the order and since when; WHEN
    support releases it with a reason THEN it is available again, the order's history says
    support released it and why, and the customer's timeline does not show it; a second release
    is KEY_NOT_QUARANTINED and changes nothing (never double-available)."""
    pid, order, task_id = _cancelled_in_delivery(api)
    assert _support_stock(api, pid) == _counts(available=4, quarantined=1)
    (key,) = _quarantined_of(api, order["order_id"])
    assert key["product_id"] == pid and key["status"] == "quarantined" and key["quarantined_at"]
    assert "code" not in key  # the secret is never shown

    r = _settle(api, pid, key["key_id"], "release", {"reason": "supplier confirms it was never read"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "available" and r.json()["order_id"] is None
    assert _support_stock(api, pid) == _counts(available=5)
    assert _quarantined_of(api, order["order_id"]) == []
    (entry,) = _stock_history(api, task_id)
    assert entry["event"] == "stock.key_released" and entry["actor"] == "support"
    assert entry["actor_id"] == SUPPORT[0] and entry["reason"] == "supplier confirms it was never read"
    assert entry["detail"]["key_id"] == key["key_id"]
    timeline = api.ok("GET", f"/v1/orders/{order['order_id']}/timeline", (order["customer_id"], "customer"))
    assert not [e for e in timeline["entries"] if e["event"].startswith("stock.")]

    again = _settle(api, pid, key["key_id"], "release", {"reason": "twice"})
    err = api.error(again, 409, "KEY_NOT_QUARANTINED")
    assert err["details"]["status"] == "available"
    api.error(_settle(api, pid, key["key_id"], "void", {"reason": "too late"}), 409, "KEY_NOT_QUARANTINED")
    assert _support_stock(api, pid) == _counts(available=5)
    assert len(_stock_history(api, task_id)) == 1
    # the released key is sold again: an order of all five needs it
    new_order(api, customer(), pid, 5)
    assert _support_stock(api, pid) == _counts(available=0, reserved=5)


def test_a_failed_delivery_then_cancelled_quarantines_and_support_voids(api: Api) -> None:
    """GIVEN an order whose delivery started and failed (back to paid), then cancelled on a
    reviewed request WHEN support looks THEN its key is quarantined all the same; WHEN support
    voids it THEN it is voided, never sold again, and the history keeps who and why."""
    pid, order, task_id = _cancelled_in_delivery(api, fail_first=True)
    (key,) = _quarantined_of(api, order["order_id"])
    r = _settle(api, pid, key["key_id"], "void", {"reason": "may have been shown to the supplier"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "voided" and r.json()["order_id"] == order["order_id"]
    assert _support_stock(api, pid) == _counts(available=4, voided=1)
    (entry,) = _stock_history(api, task_id)
    assert (entry["event"], entry["actor"], entry["reason"]) == (
        "stock.key_voided",
        "support",
        "may have been shown to the supplier",
    )
    api.error(_settle(api, pid, key["key_id"], "release", {"reason": "undo"}), 409, "KEY_NOT_QUARANTINED")
    r = api.call(
        "POST",
        "/v1/platform/orders",
        ("platform-e2e", "platform"),
        {"customer_id": "c-x", "product_id": pid, "quantity": 5},
    )
    api.error(r, 409, "OUT_OF_STOCK")
    assert _support_stock(api, pid) == _counts(available=4, voided=1)


def test_release_and_void_of_the_same_key_at_once_exactly_one_wins(api: Api) -> None:
    """GIVEN three quarantined keys WHEN, for each, support releases and voids it at the same
    moment (two callers) THEN exactly one decision succeeds per key, the other is refused
    (KEY_NOT_QUARANTINED, or CONFLICT while the winner's transaction held the key), and the
    counts match the winners: no key is both, none is lost."""
    pid, order, task_id = _cancelled_in_delivery(api, quantity=3, keys=5)
    keys = _quarantined_of(api, order["order_id"])
    assert len(keys) == 3
    results: dict[tuple[str, str], httpx.Response] = {}
    barrier = threading.Barrier(6)

    def go(key_id: str, what: str) -> None:
        client = httpx.Client(base_url=api.base, timeout=30)  # one connection per caller
        token = api.token(*SUPPORT)
        barrier.wait(timeout=60)
        results[(key_id, what)] = client.post(
            f"/v1/stock/products/{pid}/keys/{key_id}/{what}",
            json={"reason": f"race {what}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        client.close()

    api.token(*SUPPORT)  # minted before the threads start
    threads = [threading.Thread(target=go, args=(k["key_id"], w)) for k in keys for w in ("release", "void")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = {"release": 0, "void": 0}
    for k in keys:
        rel, void = results[(k["key_id"], "release")], results[(k["key_id"], "void")]
        statuses = sorted([rel.status_code, void.status_code])
        assert statuses == [200, 409], (rel.text, void.text)
        loser = rel if rel.status_code == 409 else void
        assert loser.json()["error"]["code"] in ("KEY_NOT_QUARANTINED", "CONFLICT"), loser.text
        won["release" if rel.status_code == 200 else "void"] += 1
    assert _support_stock(api, pid) == _counts(available=2 + won["release"], voided=won["void"])
    assert _quarantined_of(api, order["order_id"]) == []
    assert len(_stock_history(api, task_id)) == 3  # one decision recorded per key


def test_bad_input_is_a_clear_error_and_changes_nothing(api: Api) -> None:
    """GIVEN a quarantined key (and one of the same order already released) WHEN support sends
    an unknown key, an unknown product, a key that is not quarantined, no reason, an empty
    reason or an unknown field, or a customer tries THEN each is its own clear error in the
    API's format, and the stock, the quarantine list and the history are as they were."""
    pid, order, task_id = _cancelled_in_delivery(api, quantity=2)
    first, key = _quarantined_of(api, order["order_id"])
    assert _settle(api, pid, first["key_id"], "release", {"reason": "checked"}).status_code == 200
    before, history = _support_stock(api, pid), _stock_history(api, task_id)
    assert before == _counts(available=4, quarantined=1)
    kid = key["key_id"]

    err = api.error(_settle(api, pid, "k-no-such-key", "release", {"reason": "x"}), 404, "KEY_NOT_FOUND")
    assert err["details"]["key_id"] == "k-no-such-key"
    api.error(_settle(api, "p-no-such-product", kid, "void", {"reason": "x"}), 404, "KEY_NOT_FOUND")
    for what in ("release", "void"):  # available now: not quarantined
        err = api.error(_settle(api, pid, first["key_id"], what, {"reason": "x"}), 409, "KEY_NOT_QUARANTINED")
        assert err["details"]["status"] == "available"
    for body, field in (
        ({}, "body.reason"),
        ({"reason": ""}, "body.reason"),
        ({"reason": "   "}, "body.reason"),
        ({"reason": "x" * 201}, "body.reason"),
        ({"reason": "x", "why": 1}, "body.why"),
    ):
        err = api.error(_settle(api, pid, kid, "release", body), 422, "VALIDATION_FAILED")
        named = {err["details"].get("field"), *(e.get("field") for e in err["details"].get("errors", []))}
        assert field in named, err
    err = api.error(_settle(api, pid, "bad id!", "void", {"reason": "x"}), 422, "VALIDATION_FAILED")
    assert err["details"]["field"] == "path.key_id"
    r = api.call("POST", f"/v1/stock/products/{pid}/keys/{kid}/release", customer(), {"reason": "mine"})
    api.error(r, 403, "FORBIDDEN")
    api.error(api.call("GET", "/v1/stock/quarantine", customer()), 403, "FORBIDDEN")
    api.error(api.call("GET", "/v1/stock/products/p-no-such-product", SUPPORT), 404, "PRODUCT_NOT_FOUND")
    assert _support_stock(api, pid) == before
    assert _quarantined_of(api, order["order_id"]) == [key]
    assert _stock_history(api, task_id) == history
