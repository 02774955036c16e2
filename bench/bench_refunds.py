"""Refund worker: AWS requests per attempt next to the floor, and refunds per second through
the worker against the simulated provider over HTTP (embedded AWS: moto in-process, with the
test-only item-level transaction rollback so moto's whole-table copy does not dominate).

The floor for one attempt is 3 DynamoDB requests: read the refund, claim it (transaction:
update + history entry), record the result (transaction). A balance refund adds the ledger
transaction; an accepted asynchronous refund adds one SQS send (its delayed poll) and its
completion by callback costs a read and a transaction.

refunds/s is wall time, "per cpu-s" the same work per second of this process's CPU (worker,
moto and the simulator share one process): on a shared machine the second is the steadier.
Almost all of it is moto's request handling, not the worker's.

"crypto ms" is the time the worker's own thread spent in refunds/signing.py per attempt (RSA
signing of requests, verifying answers and, for callbacks, AES-GCM decryption), with the calls
per attempt beside it; the simulator's signing runs in its own thread and is not counted. The
first lines print what the first attempt of a cold process pays once: importing
``cryptography`` and parsing the merchant key.

The last row is the whole local runtime (``python -m local`` in a subprocess, its queue poller
driving the worker over the embedded AWS and the simulator over HTTP): wall time from the first
customer cancel until support's refund list shows every refund succeeded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.common import moto_env

N = {"alipay": 150, "wechat_pay": 100, "bank_card": 50, "balance": 100}


class Counting:
    """Counts the AWS requests the code makes, by service and operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **kw: Any) -> None:
        _, service, op = event_name.split(".", 2)
        self.calls[f"{service}.{op}"] += 1

    def take(self) -> Counter[str]:
        out, self.calls = self.calls, Counter()
        return out


class CryptoTime:
    """Time spent in the signing primitives by the thread that installed it (the worker's)."""

    NAMES = ("rsa_sign", "rsa_verify", "aes_gcm_decrypt")

    def __init__(self) -> None:
        from cancelflow.refunds import signing

        self.signing, self.thread = signing, threading.current_thread()
        self.seconds, self.calls = 0.0, Counter[str]()
        self.originals = {n: getattr(signing, n) for n in self.NAMES}
        for n in self.NAMES:
            setattr(signing, n, self._timed(n, self.originals[n]))

    def _timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            if threading.current_thread() is not self.thread:
                return fn(*a, **kw)
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls[name] += 1

        return timed

    def take(self) -> tuple[float, Counter[str]]:
        out = (self.seconds, self.calls)
        self.seconds, self.calls = 0.0, Counter()
        return out

    def close(self) -> None:
        for n, fn in self.originals.items():
            setattr(self.signing, n, fn)


def _cold_costs() -> None:
    """What a cold refund worker pays once, on its first attempt (fresh interpreters)."""
    code = (
        "import time; t=time.perf_counter(); "
        "from cryptography.hazmat.primitives.asymmetric import padding, rsa; "
        "from cryptography.hazmat.primitives import hashes, serialization; "
        "from cryptography.hazmat.primitives.ciphers.aead import AESGCM; "
        "from cryptography import x509; print((time.perf_counter()-t)*1000)"
    )
    runs = sorted(float(subprocess.check_output([sys.executable, "-c", code]).decode()) for _ in range(5))
    from cancelflow.refunds import signing

    from local.provider_sim import keys

    pem = keys.current().merchant["alipay"].private_pem
    signing._private.cache_clear()
    t0 = time.perf_counter()
    signing.rsa_sign(pem, "x")
    first = (time.perf_counter() - t0) * 1000
    print(
        f"  cold costs, paid once per process on the first attempt: importing cryptography"
        f" {runs[2]:.0f} ms (median of 5 fresh interpreters, min {runs[0]:.0f}),"
        f" parsing (validating) the merchant RSA key and the first signature {first:.0f} ms"
    )


def _warm() -> None:
    """Parse every key once, so the per-attempt figures are the steady state (_cold_costs prints
    the first attempt's extra)."""
    from cancelflow.refunds import signing

    from local.provider_sim import keys

    k = keys.current()
    for party in k.merchant.values():
        signing.rsa_sign(party.private_pem, "warm")
    for party in k.provider.values():
        signing.rsa_verify(party.cert_pem, "warm", "")
        signing.rsa_verify(party.public_pem, "warm", "")


def _run(faults: dict[str, float], label: str) -> None:
    from cancelflow import aws
    from cancelflow.messages import RefundMessage
    from cancelflow.refunds import worker
    from cancelflow.store.refunds import Refund

    from tests.conftest import NOW
    from tests.refunds.conftest import PAID_AT, SimAdmin, deliver, paid_order_owing
    from tests.refunds.conftest import REQUEST_FLOOR as FLOOR  # the floors test_worker.py asserts

    sim = SimAdmin(os.environ["CANCELFLOW_PROVIDER_BASE_URL"])
    sim.reset(seed=11, timeout_seconds=0.4, **faults)
    PAID_AT[:] = [sim]  # the orders paid below are trades the simulator took
    counter = Counting()
    for client in (aws.dynamodb(), aws.client("sqs")):
        client.meta.events.register("before-call.*.*", counter)
    crypto = CryptoTime()
    made: dict[str, list[Refund]] = {}
    for channel, n in N.items():
        paid_with = "alipay" if channel == "balance" else channel
        to = "balance" if channel == "balance" else "original"
        made[channel] = [
            paid_order_owing(f"b{i}", 1000 + i, paid_with, [1000 + i], to)[1][0] for i in range(n)
        ]
    _warm()
    counter.take()
    crypto.take()
    print(f"  {label}")
    print(
        f"  {'channel':<11}{'attempts':>9}{'ddb/attempt':>13}{'floor':>7}{'sqs/attempt':>13}"
        f"{'http/attempt':>14}{'crypto ms':>11}{'sign/verify':>13}{'refunds/s':>11}{'per cpu-s':>11}"
        "   after callbacks"
    )
    for channel, refunds in made.items():
        before = sum(len(v) for v in sim.refunds()["calls"].values())
        t0, c0 = time.perf_counter(), time.process_time()
        attempts = 0
        for r in refunds:
            worker.handle_message(RefundMessage(refund_id=r.refund_id).to_json(), NOW)
            attempts += 1
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        calls = counter.take()
        spent, crypto_calls = crypto.take()
        http = sum(len(v) for v in sim.refunds()["calls"].values()) - before
        ddb = sum(v for k, v in calls.items() if k.startswith("dynamodb."))
        sqs = sum(v for k, v in calls.items() if k.startswith("sqs."))
        settled = deliver(sim, NOW) if channel in ("wechat_pay", "bank_card") else []
        cb_calls = counter.take()
        cb_spent, _ = crypto.take()
        n_cb = max(1, len(settled))
        cb = (
            f"{len(settled)} callbacks, {sum(cb_calls.values()) / n_cb:.1f} ddb/callback,"
            f" {cb_spent * 1000 / n_cb:.2f} crypto ms/callback"
            if settled
            else "-"
        )
        sv = f"{crypto_calls['rsa_sign'] / attempts:.2f}/{crypto_calls['rsa_verify'] / attempts:.2f}"
        print(
            f"  {channel:<11}{attempts:>9}{ddb / attempts:>13.2f}{FLOOR[channel]:>7}{sqs / attempts:>13.2f}"
            f"{http / attempts:>14.2f}{spent * 1000 / attempts:>11.2f}{sv:>13}"
            f"{len(refunds) / elapsed:>11.1f}{len(refunds) / max(cpu, 1e-9):>11.1f}   {cb}"
        )
    crypto.close()
    for client in (aws.dynamodb(), aws.client("sqs")):
        client.meta.events.unregister("before-call.*.*", counter)


def _through_sqs(n: int = 100) -> None:
    """The Lambda handler as the event source mapping drives it: receive a batch (the queue's
    batch size), call functions/refund/worker.handler, delete what did not fail."""
    from cancelflow import aws, dispatch
    from cancelflow.settings import get_settings
    from cancelflow.store.schema import QUEUES

    from functions.refund.worker import handler
    from tests.refunds.conftest import PAID_AT, SimAdmin, paid_order_owing

    PAID_AT[:] = [SimAdmin(os.environ["CANCELFLOW_PROVIDER_BASE_URL"])]  # trades the simulator took
    sqs, url = aws.client("sqs"), get_settings().refund_queue_url
    for i in range(n):
        dispatch.send_refund(paid_order_owing(f"q{i}", 2000 + i, "alipay", [2000 + i])[1][0].refund_id)
    counter = Counting()
    aws.dynamodb().meta.events.register("before-call.*.*", counter)
    batch, done = QUEUES["refund"]["batch_size"], 0
    t0, c0 = time.perf_counter(), time.process_time()
    while done < n:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch).get("Messages", [])
        if not msgs:
            break
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:cancelflow-refund",
                "awsRegion": "ap-east-1",
            }
            for m in msgs
        ]
        failed = {f["itemIdentifier"] for f in handler({"Records": records}, None)["batchItemFailures"]}
        ok = [m for m in msgs if m["MessageId"] not in failed]
        if ok:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)]
            sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        done += len(ok)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    aws.dynamodb().meta.events.unregister("before-call.*.*", counter)
    per = sum(counter.calls.values()) / max(done, 1)
    print(
        f"  through the SQS handler (batches of {batch}, alipay): {done} refunds, {per:.2f} ddb/refund, "
        f"{done / elapsed:.1f} refunds/s wall, {done / max(cpu, 1e-9):.1f} per cpu-s"
    )


RUNTIME_N = int(os.environ.get("BENCH_RUNTIME_REFUNDS", "100"))
RUNTIME_WAIT_S = 120.0  # polling stops here; the row then says how far it got
SUPPORT = ("support-bench", "support")


def _mine_by_status(api: Any, mine: set[str], status: str) -> set[str]:
    """Of ``mine``, the refunds support's list shows in ``status`` (every page)."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        q = f"/v1/refunds?status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = api.ok("GET", q, SUPPORT)
        found |= {r["refund_id"] for r in page["items"]} & mine
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def _on_runtime(n: int = RUNTIME_N, threads: int = 8) -> None:
    """Refunds per second through the worker on the local runtime (``python -m local`` as a
    subprocess: gateway, embedded AWS, queue pollers, simulated provider): ``n`` paid Alipay
    orders, each cancelled by its own customer inside the auto-approval window, then the wall
    time from the first cancel until support's list shows every refund ``succeeded``.

    Cancels go in from ``threads`` callers at once; the cancel phase's own time and how long the
    worker needed after the last cancel are printed too, since the same two cores serve the
    cancel API and the worker, and a slow cancel phase bounds the figure."""
    from concurrent.futures import ThreadPoolExecutor

    from cancelflow.refunds.model import RefundStatus

    from local import launcher
    from tests.e2e.conftest import Api, cancel, customer, new_order, pay

    with launcher.running("--no-demo") as rt:
        api = Api(rt.api)
        try:
            pid = api.product(price=1990, keys=n)
            custs = [customer() for _ in range(n)]
            for c in custs:  # tokens first: the timed part makes no token requests
                api.token(*c)
            api.token(*SUPPORT)

            def paid(c: tuple[str, str]) -> str:
                order = new_order(api, c, pid)
                pay(api, order, "alipay")
                return str(order["order_id"])

            with ThreadPoolExecutor(threads) as pool:
                orders = list(pool.map(paid, custs))

            def cancelled(job: tuple[tuple[str, str], str]) -> str | None:
                r = cancel(api, job[0], job[1], action="request", reason_code="changed_mind")
                body = r.json()
                if r.status_code != 201 or body.get("outcome") != "refund_started":
                    return None
                return str(body["refund_id"])

            t0 = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                started = list(pool.map(cancelled, zip(custs, orders, strict=True)))
            submitted = time.perf_counter() - t0
            mine = {r for r in started if r}
            done: set[str] = set()
            while len(done) < len(mine) and time.perf_counter() - t0 < RUNTIME_WAIT_S:
                done = _mine_by_status(api, mine, RefundStatus.SUCCEEDED)
                if len(done) < len(mine):
                    time.sleep(0.25)
            elapsed = time.perf_counter() - t0
            tally = {s.value: len(_mine_by_status(api, mine, s)) for s in RefundStatus}
            queue = api.status()["queues"].get("refund", {})
        finally:
            api.http.close()
    if len(done) < len(mine):
        verdict = f"STOPPED waiting after {RUNTIME_WAIT_S:.0f} s"
    else:
        verdict = (
            "all succeeded" if len(mine) == n else f"all succeeded, but {n - len(mine)} cancels started none"
        )
    print(
        f"  local runtime (subprocess, alipay, {threads} callers): {n} paid orders,"
        f" {len(mine)} refunds started"
        f" (cancels took {submitted:.1f} s), {len(done)} succeeded in {elapsed:.1f} s from the first cancel:"
        f" {len(done) / elapsed:.1f} refunds/s wall ({elapsed - submitted:.1f} s after the last cancel),"
        f" {verdict}"
    )
    print(
        f"    refunds by status: {', '.join(f'{k} {v}' for k, v in tally.items() if v) or 'none'};"
        f" refund queue afterwards: visible {queue.get('visible')}, in flight {queue.get('in_flight')},"
        f" dlq {queue.get('dlq')}"
    )


def main() -> None:
    # First, while this process's environment is still untouched: the runtime inherits it.
    _on_runtime()
    moto_env()
    os.environ["CANCELFLOW_PROVIDER_TIMEOUT_SECONDS"] = "0.3"
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # one log line per attempt is not a figure
    from moto import mock_aws

    from local import provider_sim
    from local.embedded_aws import faithful_dynamodb
    from local.provision import apply, provision

    url, stop = provider_sim.start(0)  # also gives this process its keys
    os.environ["CANCELFLOW_PROVIDER_BASE_URL"] = url
    try:
        _cold_costs()
        with mock_aws(), faithful_dynamodb():
            apply(provision())
            _run({}, "no faults (first attempt each; async ones complete by callback)")
        with mock_aws(), faithful_dynamodb():
            apply(provision())
            _run(
                {
                    "unknown_result": 0.1,
                    "error_5xx": 0.1,
                    "insufficient_balance": 0.05,
                    "bad_signature": 0.05,
                },
                "faults: 10% unknown results, 10% 5xx, 5% refused,"
                " 5% forged answers (signed with a key no provider holds)"
                " (each fault costs a query, then backoff)",
            )
        with mock_aws(), faithful_dynamodb():
            apply(provision())
            _through_sqs()
    finally:
        stop()
        from cancelflow.settings import reset_settings

        reset_settings()


if __name__ == "__main__":
    main()
