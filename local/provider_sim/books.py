"""The simulator's books: one refund record per refund number (its idempotency key), the
trades it knows (their totals), the payouts, the seeded fault draws, and the callbacks waiting
to be delivered (signed, and for WeChat encrypted, when they leave: callbacks.py)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from cancelflow.clock import iso
from cancelflow.settings import get_settings

from local.provider_sim.keys import SimKeys

DEFAULT_CONFIG: dict[str, Any] = {
    "seed": 1,
    "timeout": 0.0,
    "error_5xx": 0.0,
    "unknown_result": 0.0,
    "insufficient_balance": 0.0,
    "closed_account": 0.0,
    "query_error": 0.0,
    "duplicate_callbacks": 0.0,
    "late_callbacks": 0.0,
    # forged answers and callbacks: "the money moved" where nothing happened at the provider,
    # under the provider's serial but signed with another key (keys.forger)
    "bad_signature": 0.0,
    "timeout_seconds": 1.0,  # longer than the client's timeout
    "wechat_settle_seconds": 0,  # WeChat refunds settle this long after acceptance (business time)
    "bank_settle_days": 1,  # business days (CST, policy holidays)
    "stalled": False,  # accept refunds but never settle them (an overdue refund)
    # push callbacks here ("{provider}" is replaced) unless the refund request named its own
    # notify_url (WeChat); else they wait for /admin/callbacks
    "notify_url": "",
    "notify_headers": {},  # e.g. a platform token for the local gateway
}


Answer = tuple[int, dict[str, Any]] | None  # (status, body), or None: the client timed out
SUCCESS = {"wechat_pay": "SUCCESS", "bank_card": "SETTLED", "alipay": "REFUND_SUCCESS"}  # paid


class Sim:
    """The provider's books. One lock; no await inside it."""

    def __init__(self, now: Callable[[], datetime], keys: SimKeys) -> None:
        self.now = now
        self.keys = keys
        self.lock = threading.Lock()
        self.reset()

    def reset(self, **config: Any) -> None:
        self.config = {**DEFAULT_CONFIG, **config}
        self.rng = random.Random(self.config["seed"])
        self.refunds: dict[str, dict[str, Any]] = {}
        self.payouts: list[dict[str, Any]] = []
        self.trade_refunded: dict[str, int] = {}
        self.trade_closed: dict[str, bool] = {}
        # trade -> its total, fen, for every trade a customer paid (POST /admin/trades, which the
        # local runtime calls for each payment it sees); a refund on any other is refused
        self.trades: dict[str, int] = {}
        self.callbacks: list[dict[str, Any]] = []  # waiting to be delivered
        self.calls: dict[str, list[str]] = {}  # refund_no -> "submit:<answer>" / "query:<answer>"

    # ------------------------------------------------------------------ faults
    def draw(self, *modes: str) -> str | None:
        """At most one fault per call, in the order given."""
        r = self.rng.random()
        acc = 0.0
        for m in modes:
            acc += float(self.config[m])
            if r < acc:
                return m
        return None

    def forgery(self, no: str, kind: str) -> str | None:
        """The ``bad_signature`` fault for one answer (``kind``: submit or query): None, or
        "paid" (a forged success) or "refused" (the unauthenticated refusal, unsigned), half
        each; logged ``<kind>:forged`` / ``<kind>:forged_refusal`` under the refund number."""
        if not self.forges():
            return None
        refused = self.rng.random() < 0.5
        self.log(no, f"{kind}:forged" + ("_refusal" if refused else ""))
        return "refused" if refused else "paid"

    def forges(self) -> bool:
        """The ``bad_signature`` fault: this answer is forged instead of the provider acting (no
        draw at rate 0, so seeded runs without it draw as before)."""
        return float(self.config["bad_signature"]) > 0 and self.draw("bad_signature") is not None

    def closed(self, trade: str) -> bool:
        if trade not in self.trade_closed:
            self.trade_closed[trade] = self.rng.random() < float(self.config["closed_account"])
        return self.trade_closed[trade]

    def log(self, refund_no: str, entry: str) -> None:
        self.calls.setdefault(refund_no, []).append(entry)

    # ------------------------------------------------------------------ books
    def pay(self, rec: dict[str, Any]) -> None:
        """The money moves: once per refund number, whatever is asked."""
        if rec["paid"]:
            return
        rec["paid"] = True
        rec["paid_at"] = iso(self.now())
        self.trade_refunded[rec["trade"]] = self.trade_refunded.get(rec["trade"], 0) + rec["amount"]
        self.payouts.append(
            {
                "provider": rec["provider"],
                "refund_no": rec["refund_no"],
                "trade": rec["trade"],
                "amount": rec["amount"],
                "at": rec["paid_at"],
            }
        )

    def new_record(self, provider: str, refund_no: str, trade: str, amount: int) -> dict[str, Any]:
        rec = {
            "provider": provider,
            "refund_no": refund_no,
            "trade": trade,
            "amount": amount,
            "status": "PROCESSING",
            "paid": False,
            "created_at": iso(self.now()),
            "settle_at": None,
            "notified": False,
        }
        self.refunds[refund_no] = rec
        return rec

    def start_async(self, rec: dict[str, Any]) -> None:
        """Accepted for asynchronous settlement (WeChat, bank)."""
        now = self.now()
        if rec["provider"] == "bank_card":
            due = get_settings().policies.calendar.add_business_days(
                now, int(self.config["bank_settle_days"])
            )
            rec["status"] = "ACCEPTED"
        else:
            due = now + timedelta(seconds=float(self.config["wechat_settle_seconds"]))
            rec["status"] = "PROCESSING"
        rec["settle_at"] = iso(due)
        rec["notified"] = False
        if self.forges():
            # a forged "paid" callback for a refund the provider has not paid (callbacks.signed)
            self.callbacks.append(self._callback(rec) | {"status": SUCCESS[rec["provider"]], "forged": True})

    def settle_due(self) -> None:
        if self.config["stalled"]:
            return
        now = iso(self.now())
        for rec in self.refunds.values():
            if (
                rec["settle_at"] is None
                or rec["settle_at"] > now
                or rec["status"] not in ("PROCESSING", "ACCEPTED")
            ):
                continue
            bank = rec["provider"] == "bank_card"
            if self.closed(rec["trade"]) and not rec.get("new_card"):
                rec["status"] = "RETURNED" if bank else "ABNORMAL"
            else:
                self.pay(rec)
                rec["status"] = "SETTLED" if bank else "SUCCESS"
            self.queue_callbacks(rec)

    def queue_callbacks(self, rec: dict[str, Any]) -> None:
        copies = 1 + (
            self.rng.randint(1, 2) if self.rng.random() < float(self.config["duplicate_callbacks"]) else 0
        )
        for _ in range(copies):
            late = self.rng.random() < float(self.config["late_callbacks"])
            self.callbacks.append(self._callback(rec) | {"hold": 1 if late else 0})

    def _callback(self, rec: dict[str, Any]) -> dict[str, Any]:
        return {
            "refund_no": rec["refund_no"],
            "provider": rec["provider"],
            "status": rec["status"],
            "hold": 0,
        }

    def ready_callbacks(self) -> list[dict[str, Any]]:
        """Callbacks due now (callbacks.signed signs them as they leave); late ones wait one
        more round."""
        out, keep = [], []
        for cb in self.callbacks:
            if cb["hold"] > 0:
                keep.append({**cb, "hold": cb["hold"] - 1})
            else:
                out.append(cb)
        self.callbacks = keep
        return out


def submit_async(
    sim: Sim,
    provider: str,
    refund: tuple[str, str, int],
    errors: Mapping[str, tuple[int, dict[str, Any]]],
    accepted: Callable[[dict[str, Any]], tuple[int, dict[str, Any]]],
) -> Answer:
    """A new refund number (no, trade, amount) at an asynchronous provider (WeChat, bank): at most
    one fault, drawn in order; a timeout acts half the time, then answers late either way;
    ``errors`` holds the provider's answers for ``error_5xx``, ``insufficient_balance`` and
    ``unknown_result`` (which acts, then answers the error)."""
    no, trade, amount = refund
    fault = sim.draw("timeout", "error_5xx", "unknown_result", "insufficient_balance")
    sim.log(no, f"submit:{fault or 'ok'}")
    if fault in ("error_5xx", "insufficient_balance"):
        return errors[fault]
    if fault == "timeout" and sim.rng.random() < 0.5:
        return None
    rec = sim.new_record(provider, no, trade, amount)
    sim.start_async(rec)
    if fault == "timeout":
        return None
    if fault == "unknown_result":
        return errors[fault]
    return accepted(rec)
