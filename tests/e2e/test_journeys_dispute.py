"""The dispute record over HTTP (docs/domain.md, "Dispute record"): a customer issues the record
of an order that was paid and refunded, reads it back as JSON and as a printable page, and
support verifies it; a record changed by one byte is not one the platform issued."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.e2e.conftest import Api, cancel, customer, detail, eventually, new_order, pay
from tests.e2e.test_journeys_refund import SUPPORT, _refund_status


def _canonical_hash(record: dict[str, Any]) -> str:
    """docs/domain.md's canonical form, computed here as a third party would."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_refunded_order_s_dispute_record_verifies_and_a_changed_byte_does_not(api: Api) -> None:
    """GIVEN a WeChat-paid order cancelled and refunded WHEN its customer issues its dispute
    record THEN 201 with the trade, the refund's numbers (refund_no, provider_ref, settled_at,
    also on the order's refund as the customer sees it), the request and the timeline; its
    SHA-256 is the canonical JSON's; the GET reads it back equal; the page is HTML in the
    caller's language naming record id and hash; another customer gets 404 on both; support's
    verify says issued (with the order), and says not issued once one byte of it changes; a
    customer may not verify."""
    pid, cust = api.product(price=4200), customer()
    order = new_order(api, cust, pid)
    oid = order["order_id"]
    pay(api, order, "wechat_pay")
    r = cancel(api, cust, oid, action="request", reason_code="changed_mind")
    assert r.status_code == 201 and r.json()["outcome"] == "refund_started", r.text
    seen = eventually(lambda: _refund_status(api, cust, oid, "succeeded"), timeout=60)
    assert seen["refund_no"] and seen["provider_ref"] and seen["settled_at"], seen
    assert seen["payment_id"]

    made = api.call("POST", f"/v1/orders/{oid}/dispute-records", cust, Accept_Language="en")
    assert made.status_code == 201, made.text
    out = made.json()
    rec = out["record"]
    assert out["record_id"] == "dr_" + out["sha256"] and out["sha256"] == _canonical_hash(rec)
    assert (rec["issuer"], rec["lang"], rec["customer_id"], rec["order"]["order_id"]) == (
        "cancelflow",
        "en",
        cust[0],
        oid,
    )
    [trade] = rec["payments"]
    assert (trade["channel"], trade["amount"], trade["refunded"]) == ("wechat_pay", 4200, 4200)
    [refund] = rec["refunds"]
    assert {
        k: refund[k] for k in ("refund_id", "refund_no", "provider_ref", "settled_at", "amount", "status")
    } == {k: seen[k] for k in ("refund_id", "refund_no", "provider_ref", "settled_at", "amount", "status")}
    assert refund["trade_no"] == trade["trade_no"] == seen["payment_id"]
    assert [q["request_id"] for q in rec["requests"]] == [r.json()["request_id"]]
    events = [e["event"] for e in rec["timeline"]]
    assert events[0] == "order.created" and "refund.succeeded" in events

    again = api.ok("GET", f"/v1/dispute-records/{out['record_id']}", cust)
    assert again == out

    page = api.call("GET", f"/v1/dispute-records/{out['record_id']}/page", cust, Accept_Language="zh-CN")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
    assert "订单争议记录" in page.text and out["sha256"] in page.text and oid in page.text
    assert (
        "Order dispute record"
        in api.call("GET", f"/v1/dispute-records/{out['record_id']}/page", cust, Accept_Language="en").text
    )

    other = customer()
    for path in (f"/v1/dispute-records/{out['record_id']}", f"/v1/dispute-records/{out['record_id']}/page"):
        api.error(api.call("GET", path, other), 404, "DISPUTE_RECORD_NOT_FOUND")
    assert api.call("POST", f"/v1/orders/{oid}/dispute-records", other).status_code == 404

    verdict = api.ok("POST", "/v1/dispute-records/verify", SUPPORT, {"record": rec})
    assert (verdict["issued"], verdict["record_id"], verdict["order_id"], verdict["customer_id"]) == (
        True,
        out["record_id"],
        oid,
        cust[0],
    )
    changed = json.loads(json.dumps(rec).replace(seen["refund_no"], seen["refund_no"][:-1] + "x", 1))
    assert changed != rec
    forged = api.ok("POST", "/v1/dispute-records/verify", SUPPORT, {"record": changed})
    assert (forged["issued"], forged["record_id"]) == (False, None)
    assert forged["sha256"] == _canonical_hash(changed) != out["sha256"]
    assert api.call("POST", "/v1/dispute-records/verify", cust, {"record": rec}).status_code == 403
    assert detail(api, cust, oid)["order"]["order_id"] == oid  # issuing changed nothing
