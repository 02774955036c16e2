"""Every function's real cold start next to its floor (issue 15, item 5).

Measured, per function of ``infra.topology.FUNCTIONS``: a fresh ``python -S -I -B`` whose path
is what Lambda gives a function — the function's folder (as deployed, with its bytecode), the built
layer's ``python/`` and the runtime's boto3 (``infra.build_layer.build`` / ``runtime_dir``) —
with the function's environment (``infra.functions.environment``, prod's configuration)
pointing at an embedded AWS (the local runtime's moto server, in a process of its own,
provisioned by ``local.provision`` and seeded once). It imports the handler module and serves
one real event (API Gateway v2 for a cheap authenticated call with JWT claims, one SQS record,
a scheduled event, one stream record): whatever production pays on a cold start — Powertools,
pydantic, settings, Logger and Metrics, creating each client the first request uses, that
request and its log lines and EMF — is inside the time.

The floor: the same kind of process with only the runtime's boto3 on its path, which imports
boto3, creates the same clients (the ``Config`` of ``cancelflow.aws``) and makes the same AWS
requests, one after the other: the ones the handler made, recorded by a probe run (one
``Query`` or ``GetItem`` for most functions; a sweep's shard queries; the publisher's
``PutEvents``). So the ratio is what the function costs beyond a bare boto3 function doing the
same calls, not how many calls it makes (``bench/bench_cancel_api.py`` counts those).

With the cancel function, measured in the same rounds against the same floor, one reference
row, ``(stack)``: the design card's HTTP stack with no
cancelflow code in it (``_STACK``: Powertools' resolver with validation on, so pydantic, and its
Logger and one metric; one route with a validated path parameter, making the cancel function's
requests). Its ratio is what any API function built on that stack pays before a line of its
own, against the same floor and the same budget. After it, ``(no validation)``: the same stack
with Powertools' validation off and so without pydantic (no budget), which says what
validation costs.

After each API function, ``(restored)``: the same process as an environment SnapStart restored
(prod runs the API functions so), timed from after the runtime's hooks (before the snapshot:
every route registered and botocore read, ``cancelflow.snapstart``; after the restore: clients
dropped, random reseeded) to the answer: what a restored environment's first request costs in
our process. Lambda adds what only it measures: the restore (``Restore Duration``), the
snapshot's pages that request touches, the role's credentials, TLS (docs/deploy.md, "Cold
start"). No budget: the issue's budget is for the cold start above; its ratio shows the share
of the floor left.

Printed per function, in ms: handler (``time.perf_counter()`` from the process's first line to
the answer), of which importing the handler module, the rest after it (``init+``: what an
environment restored from a SnapStart snapshot still pays, the clients and the first request,
besides the restore itself, which only Lambda can measure), floor, their ratio against the budget
(1.3 for the functions behind HTTP routes, 1.1 for the others), the same ratio of the two
processes' CPU time (steadier on a busy machine), ``fast``: the least CPU time of the function's
runs over the least of the floor's (the runs a busy moment disturbed least; the verdict stays on
the medians), and the parent's wall time per process (interpreter start and exit included).
Medians of ``PAIRS`` interleaved pairs, so machine load hits both alike. ``COLDSTART_PAIRS=n``
takes more; ``COLDSTART_FUNCTIONS=a,b`` measures some.

``instr``: the function's process's instructions over the floor's, over the span the clock
measures (a bare interpreter's start is taken off both, and each ends at its report), each
counted once under valgrind (``_instructions``; ``make bench`` installs it). A time on this shared
machine moves by a third between minutes; this count moves by 0.2% between runs, so a step's
saving shows in it however busy the machine is. It leaves out the kernel's share (files read,
sockets) and memory stalls, so it is the reproducible figure beside the times: the budget
column's verdict stays on the median times, as the issue defines the bench, and the count
carries its own mark against the same budget. ``COLDSTART_INSTRUCTIONS=0`` skips it (it adds
about ten seconds a process).

Run: ``make bench ONLY=coldstart`` (or ``python -m bench coldstart``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from infra.topology import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
PAIRS = max(7, int(os.environ.get("COLDSTART_PAIRS", "7")))
# Count each process's instructions too (valgrind, about ten times slower than the process):
# on by default where valgrind is installed (`make valgrind`); COLDSTART_INSTRUCTIONS=0 skips it.
INSTRUCTIONS = os.environ.get("COLDSTART_INSTRUCTIONS", "1") != "0"
API_BUDGET, OTHER_BUDGET = 1.3, 1.1
CUSTOMER = "7f3e2a10-5c1b-4e8a-9d2f-0b6c8e1a4d21"
PRODUCT = "p-bench"

# The measured process. PATHS and the spec come from the parent; nothing before the clock starts.
_HANDLER = """\
import time
t0, c0 = time.perf_counter(), time.process_time()
import sys
sys.path[:0] = {paths!r}
import json, os
spec = json.loads(os.environ["CF_BENCH_SPEC"])
if spec.get("probe"):
    import botocore.client
    calls = []
    _orig = botocore.client.BaseClient._make_api_call
    def _count(self, name, params):
        calls.append([self.meta.service_model.service_name, name, params])
        return _orig(self, name, params)
    botocore.client.BaseClient._make_api_call = _count
import importlib

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "6f7e3d2c-0000-4000-8000-00000000bench"
    invoked_function_arn = "arn:aws:lambda:ap-east-1:123456789012:function:" + function_name
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "bench"
    _deadline = time.monotonic() + 30
    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)

module = importlib.import_module(spec["module"])
t1 = time.perf_counter()
if spec.get("restore"):  # SnapStart: what Lambda runs before the snapshot and after a restore
    import snapshot_restore_py as hooks
    # As Lambda's runtime runs them: the before-snapshot hooks last registered first, then the others.
    for hook, args, kwargs in [*reversed(hooks.get_before_snapshot()), *hooks.get_after_restore()]:
        hook(*args, **kwargs)
    t0, c0 = time.perf_counter(), time.process_time()  # from here on: the restored environment
    t1 = t0
out = module.handler(spec["event"], Context())
t2, c2 = time.perf_counter(), time.process_time()
answer = out.get("statusCode") if isinstance(out, dict) and "statusCode" in out else out
report = {{"import": t1 - t0, "total": t2 - t0, "cpu": c2 - c0, "answer": answer}}
if spec.get("probe"):
    report["calls"] = calls
print("CF_BENCH " + json.dumps(report, default=str))
"""

# The floor's requests, as a function: the floor makes them at its top level, the stack's route
# inside it (the same Config as cancelflow.aws, one client per service, the calls in order).
_CALLS = """\
import boto3
from botocore.config import Config
from botocore import xform_name
from botocore.exceptions import ClientError


def calls(spec):
    clients = {{}}
    for service in spec["services"]:  # cancelflow.aws's Config, client for client
        config = Config(
            retries={{"mode": "standard", "max_attempts": 3}},
            signature_version="s3v4" if service == "s3" else None,
            s3={{"addressing_style": "path"}} if service == "s3" else None,
        )
        clients[service] = boto3.session.Session().client(
            service, endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), config=config
        )
    for service, operation, params in spec["calls"]:  # the handler's requests, one after the other
        try:
            getattr(clients[service], xform_name(operation))(**params)
        except ClientError:  # e.g. a transaction whose condition fails: the handler's did too
            pass
"""

_FLOOR = (
    """\
import time
t0, c0 = time.perf_counter(), time.process_time()
import sys
sys.path[:0] = {paths!r}
import json, os
spec = json.loads(os.environ["CF_BENCH_SPEC"])
"""
    + _CALLS
    + """
calls(spec)
t2, c2 = time.perf_counter(), time.process_time()
print("CF_BENCH " + json.dumps({{"total": t2 - t0, "cpu": c2 - c0}}))
"""
)

# The design card's HTTP stack with nothing of cancelflow's in it, for the API functions'
# budget: Powertools' resolver for HTTP APIs with validation on (so pydantic), the cheapest way
# this repo knows to load it (cancelflow.http's package is only the deferral of Powertools'
# package __init__s), and one route with a validated path parameter that makes the floor's
# requests, logs one line through Powertools' Logger and publishes one metric (as issue 15's
# item 7 has every API function do; both cost under a millisecond here), and answers a dict.
# With validation off (the "(no validation)" row) the parameter is a plain str and pydantic is
# never imported (the parent checks): the difference of the two rows is what validation costs.
_STACK = (
    """\
import time
t0, c0 = time.perf_counter(), time.process_time()
import sys
sys.path[:0] = {paths!r}
import json, os
spec = json.loads(os.environ["CF_BENCH_SPEC"])
import cancelflow.http
from typing import Annotated
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
{path_import}
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
logger = Logger(service="cancelflow")
"""
    + _CALLS
    + """
app = APIGatewayHttpResolver(enable_validation={validation})
t1 = time.perf_counter()


@app.get("/v1/orders/<order_id>")  # the cancel function's event (GET /v1/orders/{{order_id}})
def route(order_id: {annotation}):  # (no response model)
    calls(spec)
    logger.info("answered", extra={{"order_id": order_id}})
    metric = EphemeralMetrics(service="cancelflow")
    metric.add_metric(name="Answered", unit=MetricUnit.Count, value=1)
    metric.flush_metrics()
    return {{"order_id": order_id}}


out = app.resolve(spec["event"], None)
t2, c2 = time.perf_counter(), time.process_time()
report = {{"import": t1 - t0, "total": t2 - t0, "cpu": c2 - c0, "answer": out["statusCode"],
          "pydantic": "pydantic" in sys.modules}}
print("CF_BENCH " + json.dumps(report))
"""
)


@dataclass
class Case:
    function: str
    event: dict[str, Any]
    what: str  # the event, in words


# ---------------------------------------------------------------- what Lambda lays out


def _layers(function: str) -> list[Path]:
    """The python/ folders of the layers the function gets (the shared one, and the providers
    layer only for the functions infra.build_layer names; their order is immaterial: Lambda
    extracts both into /opt/python and they share no file), built by infra."""
    from infra import build_layer

    return [
        build_layer.build(arch="x86_64", layer=name) / "python" for name in build_layer.layers_for(function)
    ]


def _runtime() -> Path:
    """The runtime's folder of boto3 & co (Lambda's /var/runtime stand-in), built by infra."""
    from infra import build_layer

    return build_layer.runtime_dir(arch="x86_64")


def _asset(folder: str) -> Path:
    """functions/<folder> as the CDK ships it (infra.build_layer.function_asset: a folder of its
    own, with its bytecode, as the layer's)."""
    from infra import build_layer

    return build_layer.function_asset(folder)


class _Resource:
    """Stands in for a CDK resource in ``infra.functions.environment``: the embedded AWS's name
    where the bench knows it, a made-up ARN for any ``*_arn``, another stand-in for anything else."""

    def __init__(self, **known: Any) -> None:
        self.__dict__.update(known)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return f"arn:aws:bench:ap-east-1:123456789012:{name}" if name.endswith("_arn") else _Resource()


def _environment(name: str, env: dict[str, str]) -> dict[str, str]:
    """The function's Lambda environment (infra.functions.environment, prod's configuration)
    with the embedded AWS's names for the resources, plus what Lambda itself sets."""
    from infra import functions
    from infra.config import cdk_json_context, from_context

    queues = {q: _Resource(queue_url=env[f"CANCELFLOW_{q.upper()}_QUEUE_URL"]) for q in ("review", "refund")}
    res = _Resource(
        table=_Resource(table_name=env["CANCELFLOW_TABLE"]),
        idempotency_table=_Resource(table_name=env["CANCELFLOW_IDEMPOTENCY_TABLE"]),
        queues=queues,
        evidence_bucket=_Resource(bucket_name=env["CANCELFLOW_EVIDENCE_BUCKET"]),
        bus=_Resource(event_bus_name=env["CANCELFLOW_EVENT_BUS"]),
        provider_secret=_Resource(),
        provider_secrets={p: _Resource() for p in ("alipay", "bank_card", "wechat_pay")},
    )
    cfg = from_context("prod", cdk_json_context())
    return {
        **functions.environment(name, cfg, res),  # type: ignore[arg-type]  # stand-in resources
        "AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "ap-east-1",
        "AWS_DEFAULT_REGION": "ap-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": f"cancelflow-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
    }


# ---------------------------------------------------------------- the embedded AWS


def serve_moto() -> None:
    """(The moto process.) The local runtime's embedded AWS on a free port until stdin closes."""
    from local.embedded_aws import EmbeddedAws, patch_transactions

    patch_transactions()
    server = EmbeddedAws("127.0.0.1", 0)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()
    server.stop()


@contextmanager
def _moto() -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "from bench.bench_coldstart import serve_moto; serve_moto()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # werkzeug's line per request
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


# ---------------------------------------------------------------- seeding and events


def _sqs_record(queue: str, env: dict[str, str]) -> dict[str, Any]:
    """One message the handlers put on ``queue``, as Lambda's SQS event record."""
    from cancelflow import aws

    from local.pollers import sqs_record

    sqs = aws.client("sqs")
    url = env[f"CANCELFLOW_{queue.upper()}_QUEUE_URL"]
    msgs = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=1, MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Records": [sqs_record(msgs[0], arn)]}


def _stream_record(env: dict[str, str]) -> dict[str, Any]:
    """The table stream's first history INSERT that notifies its customer, as Lambda's DynamoDB
    stream event record: the publisher's whole path (the order read, the notice stored, the
    event and the notice's event put), not its cheapest."""
    from cancelflow import aws
    from cancelflow.inbox.notices import kind_of
    from cancelflow.store import history

    from local.streams import stream_record

    arn = aws.dynamodb().describe_table(TableName=env["CANCELFLOW_TABLE"])["Table"]["LatestStreamArn"]
    streams = aws.client("dynamodbstreams")
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for rec in streams.get_records(ShardIterator=it, Limit=1000)["Records"]:
            image = rec["dynamodb"].get("NewImage") or {}
            if rec["eventName"] == "INSERT" and image.get("type", {}).get("S") == "history":
                record = stream_record(rec, arn)
                if kind_of(history.of_stream_image(record["dynamodb"]["NewImage"])) is not None:
                    return {"Records": [record]}
    raise RuntimeError("no history entry that notifies on the stream")


def _api_event(method: str, path: str, route: str, params: dict[str, str], sub: str, group: str) -> Any:
    """API Gateway's v2 event, JWT claims verified, as the local gateway builds it."""
    from local.apigw import build_event, customer_claims

    claims = customer_claims(sub, [group])
    return build_event(method, path, f"{method} {route}", params or None, {}, None, None, claims)


def _seed(env: dict[str, str]) -> list[Case]:
    """Orders, a held request, a settled refund, a history entry; then each function's event."""
    from cancelflow import clock
    from cancelflow.cancel import submit_cancellation
    from cancelflow.domain.options import Action, Submission
    from cancelflow.domain.products import Channel, ProductType
    from cancelflow.messages import ReviewMessage
    from cancelflow.refunds.worker import handle_message
    from cancelflow.review.intake import accept
    from cancelflow.store import orders, payments, stock

    from local.ticker import scheduled_event

    stock.put_product(PRODUCT, ProductType.GAME_CARD, 10000, "游戏点卡", "Game card")
    stock.add_keys(PRODUCT, ((f"k{i:03d}", f"CODE-{i}") for i in range(10)))
    now = clock.now()
    pending = orders.create_order(CUSTOMER, PRODUCT, 1, now).order_id
    # paid 20 minutes ago: a cancellation request goes to review (a message on the review queue)
    late = orders.create_order(CUSTOMER, PRODUCT, 1, now - timedelta(minutes=21)).order_id
    payments.confirm_payment(late, "pay-late", 10000, Channel.ALIPAY, now - timedelta(minutes=20))
    submit_cancellation.submit(CUSTOMER, late, Submission(action=Action.REQUEST), now)
    review_event = _sqs_record("review", env)
    accept(ReviewMessage.from_json(review_event["Records"][0]["body"]), now)  # measured: a redelivery
    # paid just now, to balance: auto-approved, and the refund settled (measured: a redelivery)
    fresh = orders.create_order(CUSTOMER, PRODUCT, 1, now).order_id
    payments.confirm_payment(fresh, "pay-fresh", 10000, Channel.BALANCE, now)
    submit_cancellation.submit(CUSTOMER, fresh, Submission(action=Action.REQUEST), now)
    refund_event = _sqs_record("refund", env)
    handle_message(refund_event["Records"][0]["body"], now)

    o = "/v1/orders/{order_id}"
    payment = {"order_id": late, "payment_id": "pay-late", "amount": 10000, "channel": "alipay"}
    return [
        Case(
            "cancel_api",
            _api_event("GET", f"/v1/orders/{pending}", o, {"order_id": pending}, CUSTOMER, "customer"),
            "GET /v1/orders/{id}",
        ),
        Case(
            "platform_api",  # it has no GET: a payment notification sent again (no Idempotency-Key)
            _api_event("POST", "/v1/platform/payments", "/v1/platform/payments", {}, "platform", "platform")
            | {"body": json.dumps(payment), "isBase64Encoded": False},
            "POST /v1/platform/payments (again)",
        ),
        Case(
            "review_api",
            _api_event("GET", "/v1/reviews", "/v1/reviews", {}, "rev-1", "reviewer"),
            "GET /v1/reviews",
        ),
        Case(
            "refund_api",
            _api_event("GET", "/v1/refunds", "/v1/refunds", {}, "support-1", "support")
            | {
                "queryStringParameters": {"status": "needs_attention"},
                "rawQueryString": "status=needs_attention",
            },
            "GET /v1/refunds?status=needs_attention",
        ),
        Case("review_intake", review_event, "one review message (redelivered)"),
        Case("refund_worker", refund_event, "one refund message (settled: redelivered)"),
        *(Case(name, scheduled_event(name), "scheduled event (nothing due)") for name in _SWEEPS),
        Case("event_publisher", _stream_record(env), "one stream record (a history entry that notifies)"),
    ]


_SWEEPS = ("expire_orders", "complete_orders", "flag_refunds", "flag_reviews")


# ---------------------------------------------------------------- running


def _process(
    code: str, env: dict[str, str], spec: dict[str, Any], under: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """A measured process, timed or counted alike (``under``: the counter's command line): the
    runtime's flags (no site, isolated, no bytecode written), its environment and the spec."""
    return subprocess.run(
        [*under, sys.executable, "-S", "-I", "-B", "-c", code],
        env={**env, "CF_BENCH_SPEC": json.dumps(spec, default=str)},
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )


def _report(out: subprocess.CompletedProcess[str], spec: dict[str, Any]) -> dict[str, Any]:
    """The process's report (its last ``CF_BENCH`` line); a failed process fails the bench."""
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("CF_BENCH ")]
    if out.returncode or not lines:
        raise RuntimeError(f"{spec.get('module', 'floor')}: exit {out.returncode}: {out.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(lines[-1].removeprefix("CF_BENCH "))
    return report


def _run(code: str, env: dict[str, str], spec: dict[str, Any]) -> tuple[dict[str, Any], float]:
    t = time.perf_counter()
    out = _process(code, env, spec)
    wall = time.perf_counter() - t
    return _report(out, spec), wall


# Appended to a counted process: it ends at its report, as the clock does (Lambda keeps the
# process, so its exit is paid by no request; an interpreter's shutdown is about 100 M
# instructions here, common to both sides, and would pull every ratio towards 1).
_EXIT = "\nsys.stdout.flush()\nos._exit(0)\n"
_BARE = "import sys, os" + _EXIT  # the interpreter's start, before any clock: taken off both sides


def _valgrind(
    code: str, env: dict[str, str], spec: dict[str, Any]
) -> tuple[int, subprocess.CompletedProcess[str]]:
    """The instructions the process executes in user space, and the process (valgrind's
    cachegrind without its cache model: an exact count, not a sample). Unlike a time it does
    not move with the machine's load: three runs of one process agree within 0.2% (the hash
    seed and the embedded AWS's answers vary a little). It leaves out the kernel's share (the
    files read, the sockets) and what memory stalls cost, which a time includes."""
    valgrind = shutil.which("valgrind")  # the child's environment has no PATH of its own
    assert valgrind is not None  # (_counting checked)
    flags = ("--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
    out = _process(code, env, spec, under=(valgrind, *flags))
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode or not found:
        name = spec.get("module", "floor")
        raise RuntimeError(f"{name} under valgrind: exit {out.returncode}: {out.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), out


def _instructions(code: str, env: dict[str, str], spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The instructions of the span the clock measures (the process's first line to its
    report), and its report."""
    count, out = _valgrind(code + _EXIT, env, spec)
    return count - _bare(), _report(out, spec)


@functools.cache
def _bare() -> int:
    """A bare interpreter's start and immediate exit (the same flags), once per run: the part
    of a count that precedes the clock."""
    return _valgrind(_BARE, {"PATH": os.environ.get("PATH", "")}, {})[0]


def _counting() -> bool:
    """Whether to count instructions: asked for (the default) and valgrind installed."""
    return INSTRUCTIONS and shutil.which("valgrind") is not None


def _calls(calls: list[list[Any]]) -> str:
    """The requests, in words: dynamodb.Query x16, events.PutEvents."""
    names = [f"{service}.{operation}" for service, operation, _ in calls]
    return (
        ", ".join(f"{n} x{names.count(n)}" if names.count(n) > 1 else n for n in dict.fromkeys(names)) or "-"
    )


@dataclass
class Row:
    function: str
    budget: float | None  # None: a row with no budget of its own (the restored API functions)
    handler: float  # median seconds, the process's first line to the answer
    imported: float  # median seconds to the handler module imported
    floor: float
    cpu_ratio: float  # the same ratio of the processes' CPU time (less sensitive to a busy machine)
    fastest: float  # the least CPU time of its runs over the least of the floor's (see _compare)
    handler_wall: float  # the parent's wall time per process, interpreter start and exit included
    floor_wall: float
    instructions: float | None  # the function's instructions over the floor's (None: not counted)
    note: str

    @property
    def ratio(self) -> float:
        return self.handler / self.floor

    def _mark(self, ratio: float) -> str:
        return "" if self.budget is None else ("OK" if ratio <= self.budget else "OVER")

    def counted(self) -> str:
        """The instruction ratio, with its own mark against the budget: the time's verdict
        flips with the machine's load (cancel 1.66 OVER in one run, 1.30 OK in the next), the
        count's does not."""
        if self.instructions is None:
            return "-"
        return f"{self.instructions:.3f} {self._mark(self.instructions)}"

    def line(self) -> str:
        verdict = "-" if self.budget is None else f"<= {self.budget:.1f} {self._mark(self.ratio)}"
        return (
            f"  {self.function:<16} {self.handler * 1000:>7.0f} {self.imported * 1000:>7.0f}"
            f" {(self.handler - self.imported) * 1000:>6.0f}"
            f" {self.floor * 1000:>6.0f} {self.ratio:>6.2f}  {verdict:<11}"
            f" {self.cpu_ratio:>5.2f} {self.fastest:>5.2f}"
            f" {self.counted():<10}"
            f" {self.handler_wall * 1000:>6.0f} {self.floor_wall * 1000:>6.0f}  {self.note}"
        )


HEAD = (
    f"  {'function':<16} {'handler':>7} {'import':>7} {'init+':>6} {'floor':>6} {'ratio':>6}"
    f"  {'budget':<11} {'cpu':>5} {'fast':>5} {'instr':<10}"
    f" {'wall:h':>6} {'wall:f':>6}  event -> answer; its requests (the floor makes the same)"
)


def _floor_spec(calls: list[list[Any]]) -> dict[str, Any]:
    return {"services": list(dict.fromkeys(c[0] for c in calls)), "calls": calls}


class Measured(NamedTuple):
    """A process to measure against the floor: its row's name, budget and note, its code and spec."""

    name: str
    budget: float | None
    note: str
    code: str
    spec: dict[str, Any]
    # What each of its reports must say (its answer; for the stack rows, whether pydantic was
    # imported): a run that refused or took another path would skip work and flatter the row.
    expect: dict[str, Any]


def _checked(m: Measured, report: dict[str, Any]) -> dict[str, Any]:
    wrong = {k: report.get(k) for k, v in m.expect.items() if report.get(k) != v}
    if wrong:
        raise RuntimeError(f"{m.name}: reported {wrong}, not {m.expect}")
    return report


def _function(
    case: Case, fenv: dict[str, str], paths: list[str], budget: float
) -> tuple[Measured, dict[str, Any]]:
    """The function's process, and its probe run's report: its answer, and the requests it made
    (the floor makes the same)."""
    code = _HANDLER.format(paths=paths)
    spec = {"module": FUNCTIONS[case.function].module, "event": case.event}
    probe, _ = _run(code, fenv, {**spec, "probe": True})  # also warms the file cache
    note = f"{case.what} -> {json.dumps(probe['answer'])[:60]}; {_calls(probe['calls'])}"
    return Measured(case.function, budget, note, code, spec, {"answer": probe["answer"]}), probe


def _restored(function: Measured, paths: list[str]) -> Measured:
    """The same function as an environment SnapStart restored (prod's API functions): the
    handler imported and the runtime's hooks run (before the snapshot: every route registered,
    botocore read; after the restore: clients dropped, random reseeded), untimed, as Lambda does
    them at publishing and on restore; then timed, its first request alone. Lambda's restore
    itself is not in it (only Lambda can measure that: ``Restore Duration``)."""
    note = "first request after the SnapStart hooks; Lambda's restore itself not included"
    code = _HANDLER.format(paths=[*paths, str(_hooks())])
    spec = {**function.spec, "restore": True}
    return Measured("(restored)", None, note, code, spec, function.expect)  # the function's answer


@functools.cache  # one copy per bench run, not one per API function
def _hooks() -> Path:
    """A folder with the SnapStart hooks library (``snapshot_restore_py``, one module), which
    Lambda's managed runtime ships: a copy of the dev environment's, beside the runtime stand-in."""
    import snapshot_restore_py

    folder = ROOT / "build" / "snapstart-hooks"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(snapshot_restore_py.__file__, folder / "snapshot_restore_py.py")
    return folder


def _stack(
    case: Case,
    layers: list[str],
    runtime: str,
    calls: list[Any],
    validation: bool = True,
) -> Measured:
    """The reference process for the API functions' budget (``_STACK``), on the cancel
    function's event and requests; ``validation=False``: the same without Powertools'
    validation (so without pydantic), the row that says what validation costs (no budget)."""
    # Without validation the path parameter is a plain str: Powertools' Path is a pydantic FieldInfo.
    path_import = "from aws_lambda_powertools.event_handler.openapi.params import Path" if validation else ""
    annotation = 'Annotated[str, Path(pattern=r"^o_[0-9a-f]{20}$")]' if validation else "str"
    code = _STACK.format(
        paths=[*layers, runtime], validation=validation, path_import=path_import, annotation=annotation
    )
    spec = {"event": case.event, **_floor_spec(calls)}
    expect = {"answer": 200, "pydantic": validation}  # the rows say what validation, so pydantic, costs
    if validation:
        note = "Powertools' HTTP resolver (validation on), Logger, a metric; no cancelflow code -> 200"
        return Measured("(stack)", API_BUDGET, note, code, spec, expect)
    note = "the same stack with validation off (no pydantic); reference, no budget -> 200"
    return Measured("(no validation)", None, note, code, spec, expect)


def _compare(measured: list[Measured], fenv: dict[str, str], runtime: str, calls: list[Any]) -> list[Row]:
    """Each of ``measured`` against one floor making ``calls``, interleaved: each round runs
    every process once, so a busy moment slows them all alike."""
    floor_code = _FLOOR.format(paths=[runtime])
    floor_spec = _floor_spec(calls)
    _run(floor_code, fenv, floor_spec)  # each process once untimed: the file cache warm for all
    for m in measured:
        _checked(m, _run(m.code, fenv, m.spec)[0])
    runs: list[list[tuple[dict[str, Any], float]]] = [[] for _ in measured]
    floor: list[tuple[dict[str, Any], float]] = []
    for _ in range(PAIRS):
        for m, out in zip(measured, runs, strict=True):
            report, wall = _run(m.code, fenv, m.spec)
            out.append((_checked(m, report), wall))
        floor.append(_run(floor_code, fenv, floor_spec))

    def med(rs: list[tuple[dict[str, Any], float]], key: str) -> float:
        return statistics.median(r[key] if key != "wall" else w for r, w in rs)

    # The fastest run of each side: a busy moment on a shared machine only ever adds time, so the
    # least CPU time of several runs is the one least disturbed (timeit's reasoning). The verdict
    # stays on the medians; this column says where the two stand when the machine is quiet.
    def fastest(rs: list[tuple[dict[str, Any], float]]) -> float:
        return min(float(r["cpu"]) for r, _ in rs)

    # One count each, after the timed rounds (a count does not move with load, so one is enough).
    # A restored row is not counted: its process runs the import and the hooks before its clock
    # starts, and a count cannot leave them out.
    counted = _counting()
    floor_count = _instructions(floor_code, fenv, floor_spec)[0] if counted else 0

    def instructions(m: Measured) -> float | None:
        if not counted or m.spec.get("restore"):
            return None
        count, report = _instructions(m.code, fenv, m.spec)
        _checked(m, report)  # one run, so one refusal would be the row
        return count / floor_count

    return [
        Row(
            function=m.name,
            budget=m.budget,
            handler=med(out, "total"),
            imported=med(out, "import"),
            floor=med(floor, "total"),
            cpu_ratio=med(out, "cpu") / med(floor, "cpu"),
            fastest=fastest(out) / fastest(floor),
            handler_wall=med(out, "wall"),
            floor_wall=med(floor, "wall"),
            instructions=instructions(m),
            note=m.note,
        )
        for m, out in zip(measured, runs, strict=True)
    ]


def main() -> None:
    from infra.topology import ROUTES
    from local.provision import apply, provision
    from local.runtime import FAKE_AWS

    only = set(filter(None, os.environ.get("COLDSTART_FUNCTIONS", "").split(",")))
    api_functions = {r.function for r in ROUTES}
    runtime = _runtime()
    print(f"  layers {_layers('refund_worker')}, runtime {runtime}; ms, median of {PAIRS} interleaved pairs")
    if not _counting():
        why = "COLDSTART_INSTRUCTIONS=0" if not INSTRUCTIONS else "no valgrind: `make valgrind` installs it"
        print(f"  instr: not counted ({why})")
    os.environ.update(FAKE_AWS)
    with _moto() as endpoint:
        env = provision(endpoint)
        apply(env)
        cases = [c for c in _seed(env) if not only or c.function in only]
        print(HEAD, flush=True)
        for case in cases:
            fn = FUNCTIONS[case.function]
            paths = [str(_asset(fn.folder)), *map(str, _layers(fn.name)), str(runtime)]
            budget = API_BUDGET if fn.name in api_functions else OTHER_BUDGET
            fenv = _environment(fn.name, env)
            function, probe = _function(case, fenv, paths, budget)
            calls = probe["calls"]
            measured = [function]
            if fn.name in api_functions:  # prod runs them with SnapStart (infra.functions)
                measured.append(_restored(function, paths))
            if case.function == "cancel_api":  # what the API functions' budget is measured against
                measured.append(_stack(case, paths[1:-1], str(runtime), calls))
                measured.append(_stack(case, paths[1:-1], str(runtime), calls, validation=False))
            for row in _compare(measured, fenv, str(runtime), calls):
                print(row.line(), flush=True)


if __name__ == "__main__":
    main()
