"""EventBridge schedules, locally: moto stores schedules but never fires them, so this does.

Each ``infra.topology.SCHEDULES`` handler is invoked at the rate the CDK declares for the dev
environment (``rate_minutes``, or cdk.json's ``schedule_rates``) of wall-clock time
with an event shaped like an EventBridge scheduled event. ``tick_now`` runs every schedule at
once: ``POST /local/clock`` calls it after moving business time, so a deadline that has just
passed is acted on before the clock call answers.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cancelflow import clock

from infra.topology import SCHEDULES, Schedule
from local.lambdas import ACCOUNT, REGION, Invoker

log = logging.getLogger("cancelflow.local.ticker")


def scheduled_event(function: str) -> dict[str, Any]:
    """What an EventBridge rule with ``rate(...)`` sends to its Lambda target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        # EventBridge stamps its own (wall-clock) time; handlers read business time from the clock.
        "time": clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/cancelflow-{function}"],
        "detail": {},
    }


def declared_rates(env: str = "dev") -> dict[str, int]:
    """Minutes per schedule as the CDK deploys them for ``env`` (topology, then cdk.json's
    ``schedule_rates``); the topology's alone when cdk.json cannot be read."""
    try:
        from infra.config import cdk_json_context, from_context

        cfg = from_context(env, cdk_json_context())
        return {s.function: cfg.rate_minutes(s) for s in SCHEDULES}
    except (OSError, ValueError, TypeError):
        return {s.function: s.rate_minutes for s in SCHEDULES}


@dataclass
class TickStats:
    runs: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    last_results: dict[str, Any] = field(default_factory=dict)
    last_tick_at: str | None = None


@dataclass
class Ticker:
    functions: Invoker
    stop: threading.Event
    rate_seconds: float | None = None  # override every schedule's rate (local convenience)
    stats: TickStats = field(default_factory=TickStats)

    rates: dict[str, int] = field(default_factory=lambda: declared_rates())

    def period(self, s: Schedule) -> float:
        return self.rate_seconds if self.rate_seconds else self.rates.get(s.function, s.rate_minutes) * 60.0

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self._run, name="ticker", daemon=True)
        t.start()
        return t

    def _run(self) -> None:
        # Like a new rule: the first run comes one period after it is created.
        due = {s.function: time.monotonic() + self.period(s) for s in SCHEDULES}
        while not self.stop.is_set():
            now = time.monotonic()
            for s in SCHEDULES:
                if due[s.function] <= now:
                    self.run(s.function)
                    due[s.function] = now + self.period(s)
            self.stop.wait(max(0.05, min(due.values()) - time.monotonic()))

    def run(self, function: str) -> Any:
        """Invoke one schedule now; errors are logged, not raised, as an asynchronous
        invocation's would be."""
        try:
            result = self.functions.invoke(function, scheduled_event(function), 60)
            self.stats.runs[function] = self.stats.runs.get(function, 0) + 1
            self.stats.last_results[function] = result
            return result
        except Exception as e:
            self.stats.errors[function] = self.stats.errors.get(function, 0) + 1
            self.stats.last_results[function] = f"{type(e).__name__}: {e}"
            log.error("schedule %s raised:\n%s", function, traceback.format_exc())
            return None
        finally:
            self.stats.last_tick_at = datetime.now(UTC).isoformat()

    def tick_now(self) -> list[str]:
        """Run every schedule once, in topology order; returns those that ran."""
        for s in SCHEDULES:
            self.run(s.function)
        return [s.function for s in SCHEDULES]
