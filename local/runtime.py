"""``python -m local`` (``make dev``): the whole system in one process on loopback.

Embedded AWS (moto's server mode, provisioned from the stack's own definitions), the gateway
(starlette on uvicorn), the SQS pollers, the stream poller, the schedule ticker, the simulated
payment provider and the demo data. Ctrl-C stops it all; a second instance on the same port
says so and exits with status 3.

A line ``CANCELFLOW_READY {json}`` on stdout tells scripts and tests where everything is.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import faulthandler
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

READY_PREFIX = "CANCELFLOW_READY "
EXIT_PORT_BUSY = 2
EXIT_ALREADY_RUNNING = 3

# The runtime never talks to real AWS, whatever the machine's environment says.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-east-1",
    "AWS_REGION": "ap-east-1",
    "POWERTOOLS_SERVICE_NAME": "cancelflow",
    "POWERTOOLS_METRICS_NAMESPACE": "cancelflow",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as deployed (infra.functions.PYDANTIC_ENV)
}


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 8001
    provider_port: int = 8002
    demo: bool = True
    tick_seconds: float | None = None
    verbose: bool = False
    access_log: bool = False
    exit_with_parent: bool = False


def cors_origins(env: Mapping[str, str]) -> list[str]:
    """The origins whose pages may call the local API: the dev environment's ``cors_origins``
    (cdk.json, what the deployed dev API allows) and any in ``CANCELFLOW_CORS_ORIGINS``
    (comma-separated: a page served from elsewhere, a bundler's dev server say)."""
    from infra.config import cdk_json_context, from_context

    extra = [o.strip() for o in env.get("CANCELFLOW_CORS_ORIGINS", "").split(",") if o.strip()]
    return [*from_context("dev", cdk_json_context()).cors_origins, *extra]


def parse_args(argv: list[str]) -> Options:
    env = os.environ
    p = argparse.ArgumentParser(
        prog="python -m local", description="Run cancelflow locally (no AWS account)."
    )
    p.add_argument("--host", default=env.get("CANCELFLOW_HOST", "127.0.0.1"), help="bind address (loopback)")
    p.add_argument(
        "--port", type=int, default=int(env.get("CANCELFLOW_PORT", "8000")), help="API port; 0 = any free"
    )
    p.add_argument(
        "--aws-port", type=int, default=int(env.get("CANCELFLOW_AWS_PORT", "8001")), help="moto port; 0 = any"
    )
    p.add_argument(
        "--provider-port",
        type=int,
        default=int(env.get("CANCELFLOW_PROVIDER_PORT", "8002")),
        help="provider simulator port",
    )
    p.add_argument(
        "--no-demo", action="store_true", default=env.get("CANCELFLOW_DEMO", "1") == "0", help="no demo data"
    )
    p.add_argument(
        "--tick-seconds",
        type=float,
        default=float(env["CANCELFLOW_TICK_SECONDS"]) if env.get("CANCELFLOW_TICK_SECONDS") else None,
        help="run every schedule this often instead of its declared rate",
    )
    p.add_argument("--verbose", action="store_true", help="handler logs at INFO")
    p.add_argument("--access-log", action="store_true", help="one line per HTTP request")
    p.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the process that started it ends (tests)"
    )
    a = p.parse_args(argv)
    return Options(
        a.host,
        a.port,
        a.aws_port,
        a.provider_port,
        not a.no_demo,
        a.tick_seconds,
        a.verbose,
        a.access_log,
        a.exit_with_parent,
    )


def say(text: str) -> None:
    # a closed stdout (the terminal or the parent went away) must not stop a clean shutdown
    with contextlib.suppress(BrokenPipeError, ValueError):
        print(text, flush=True)


@contextlib.contextmanager
def step(what: str) -> Iterator[None]:
    t0 = time.perf_counter()
    print(f"==> {what} ...", end="", flush=True)
    yield
    print(f" ok ({time.perf_counter() - t0:.1f} s)", flush=True)


def bind(host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on accepted sockets of a TCP
    # socket, and without it a response written in two parts waits ~40 ms for a delayed ACK.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    s.listen(2048)
    return s


def port_free(host: str, port: int) -> bool:
    if port == 0:
        return True
    try:
        bind(host, port).close()
        return True
    except OSError:
        return False


def who_is_on(host: str, port: int) -> dict[str, Any] | None:
    """The cancelflow runtime listening there, if it is one."""
    import httpx

    try:
        r = httpx.get(f"http://{host}:{port}/local/status", timeout=2.0)
        data = r.json()
        return data if isinstance(data, dict) and data.get("service") == "cancelflow-local" else None
    except (httpx.HTTPError, ValueError):
        return None


@dataclass
class Runtime:
    opts: Options
    stop: threading.Event = field(default_factory=threading.Event)
    urls: dict[str, Any] = field(default_factory=dict)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop_gateway: Callable[[], None] | None = None
    demo_orders: dict[str, str] | None = None

    # ------------------------------------------------------------ start

    def start(self) -> None:
        o = self.opts
        try:
            api_sock = bind(o.host, o.port)
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            other = who_is_on(o.host, o.port)
            if other:
                raise AlreadyRunning(
                    f"cancelflow is already running at http://{o.host}:{o.port} (pid {other.get('pid')}). "
                    "Use that one, stop it with Ctrl-C in its terminal, or start another with --port N."
                ) from e
            raise PortBusy(
                f"port {o.port} on {o.host} is used by another program; "
                "choose another with --port N or CANCELFLOW_PORT"
            ) from e
        self._cleanups.append(api_sock.close)
        for name, port in (("--aws-port", o.aws_port), ("--provider-port", o.provider_port)):
            if not port_free(o.host, port):
                raise PortBusy(f"port {port} on {o.host} is busy; choose another with {name} N")
        api_port = api_sock.getsockname()[1]
        base = f"http://{o.host}:{api_port}"
        os.environ.update(FAKE_AWS)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO" if o.verbose else "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "false" if o.verbose else "true")

        with step("embedded AWS (moto server mode)"):
            endpoint = self._start_moto()
        with step("tables, queues, dead-letter queues, bucket and bus (from cancelflow.store.schema)"):
            from local.provision import apply, provision

            env = provision(endpoint)
        from local.auth import Issuer

        issuer = Issuer(issuer=base)
        with step("simulated payment provider"):
            # It pushes refund results to the providers' public callback route, as a provider
            # does: no token, its signature (WeChat: to the notify_url each request names).
            env["CANCELFLOW_PROVIDER_BASE_URL"] = self._start_provider(
                notify_url=f"{base}/v1/providers/{{provider}}/refunds/notify"
            )
        apply(env)

        from local.lambdas import Functions
        from local.ticker import Ticker

        functions = Functions()
        self._cleanups.append(functions.close)
        if o.demo:
            with step("demo data (products, customers, orders in every state)"):
                self.demo_orders = self._seed(env)
        ticker = Ticker(functions, self.stop, o.tick_seconds)
        with step("event source mappings (SQS), change stream, schedules"):
            status = self._start_workers(functions, env, ticker)
        with step(f"HTTP API gateway on {base}"):
            self._start_gateway(api_sock, issuer, functions, ticker, status, base)
        console = f"{base}/console/"
        web = f"{base}/web/"
        self.urls = {
            "api": base,
            "console": console,
            "web": web,
            "openapi": f"{base}/openapi.json",
            "jwks": f"{base}/.well-known/jwks.json",
            "aws": endpoint,
            "provider": env["CANCELFLOW_PROVIDER_BASE_URL"],
            "pid": os.getpid(),
        }

    def _start_moto(self) -> str:
        from local.embedded_aws import EmbeddedAws, patch_transactions

        patch_transactions()
        server = EmbeddedAws(self.opts.host, self.opts.aws_port)
        server.start()
        self._cleanups.append(server.stop)
        host, port = server.get_host_and_port()
        return f"http://{host}:{port}"

    def _start_provider(self, **config: Any) -> str:
        from local import provider_sim

        url, stop = provider_sim.start(port=self.opts.provider_port, host=self.opts.host, **config)
        self._cleanups.append(stop)
        return str(url)

    def _seed(self, env: dict[str, str]) -> dict[str, str]:
        from cancelflow import aws

        from local import demo

        def put_evidence(key: str, data: bytes) -> None:
            aws.client("s3").put_object(
                Bucket=env["CANCELFLOW_EVIDENCE_BUCKET"], Key=key, Body=data, ContentType="image/png"
            )

        return demo.seed(put_evidence)

    def _start_workers(
        self, functions: Any, env: dict[str, str], ticker: Any
    ) -> Callable[[], dict[str, Any]]:
        from cancelflow import aws

        from infra.topology import STREAM_CONSUMERS
        from local import pollers
        from local.streams import StreamPoller

        sqs = aws.client("sqs")
        queue_pollers = pollers.build(functions, env, self.stop, sqs)
        stream_pollers = [
            StreamPoller(
                f,
                env["CANCELFLOW_TABLE"],
                functions,
                self.stop,
                aws.dynamodb(),
                aws.client("dynamodbstreams"),
            )
            for f in STREAM_CONSUMERS
        ]
        for p in queue_pollers:
            self._threads.append(p.start())
        for sp in stream_pollers:
            self._threads.append(sp.start())
        self._threads.append(ticker.start())

        def depth(url: str) -> dict[str, int]:
            a = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            return {
                "visible": int(a["ApproximateNumberOfMessages"]),
                "in_flight": int(a["ApproximateNumberOfMessagesNotVisible"]),
            }

        def status() -> dict[str, Any]:
            from cancelflow import clock

            return {
                "service": "cancelflow-local",
                "pid": os.getpid(),
                "urls": self.urls,
                "clock": {"now": clock.iso(clock.now()), "offset_seconds": clock.offset().total_seconds()},
                "queues": {
                    p.consumer.queue: {
                        "function": p.consumer.function,
                        **depth(p.queue_url),
                        "dlq": depth(env[f"CANCELFLOW_{p.consumer.queue.upper()}_DLQ_URL"])["visible"],
                        "stats": vars(p.stats),
                    }
                    for p in queue_pollers
                },
                "streams": {sp.function: {"stats": vars(sp.stats)} for sp in stream_pollers},
                "schedules": {
                    "runs": ticker.stats.runs,
                    "errors": ticker.stats.errors,
                    "last_tick_at": ticker.stats.last_tick_at,
                    "last_results": ticker.stats.last_results,
                },
            }

        return status

    def _start_gateway(
        self, sock: socket.socket, issuer: Any, functions: Any, ticker: Any, status: Any, base: str
    ) -> None:
        from local import gateway, local_routes
        from local.serve import serve_in_thread

        routes = local_routes.routes(issuer, ticker, status)
        app = gateway.build_app(issuer, functions, routes, base, cors_origins=cors_origins(os.environ))
        _, self._stop_gateway = serve_in_thread(gateway_config(app, self.opts), "gateway", sockets=[sock])

    # ------------------------------------------------------------ stop

    def shutdown(self) -> None:
        self.stop.set()
        log = logging.getLogger("cancelflow.local")
        # Gateway first (no new work), then the workers, then the provider and moto.
        t0 = time.perf_counter()
        if self._stop_gateway is not None:
            self._stop_gateway()
            self._stop_gateway = None
        log.info("gateway stopped after %.1f s", time.perf_counter() - t0)
        for t in self._threads:
            t.join(timeout=5)
        log.info("workers stopped after %.1f s", time.perf_counter() - t0)
        for fn in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                fn()
            log.info("%s stopped after %.1f s", getattr(fn, "__qualname__", fn), time.perf_counter() - t0)
        self._cleanups.clear()


def gateway_config(app: Any, opts: Options) -> Any:
    """uvicorn's settings for the gateway. ``--access-log`` is independent of ``--verbose``:
    uvicorn gives its access logger the server's log level (WARNING unless verbose), which
    would drop every access line (they are INFO), so that logger gets INFO of its own."""
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="info" if opts.verbose else "warning",
        access_log=opts.access_log,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )  # configures the uvicorn loggers now
    if opts.access_log:
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    return config


class PortBusy(Exception):
    pass


class AlreadyRunning(Exception):
    pass


def banner(urls: dict[str, Any], demo_orders: dict[str, str] | None) -> str:
    from local.demo import USERS

    api = urls["api"]
    lines = [
        "",
        "cancelflow is running locally (no AWS account involved)",
        f"  API            {api}",
        f"  console        {urls['console']}",
        f"  customer page  {urls['web']}   (web/: sign in as a demo customer)",
        f"  OpenAPI        {urls['openapi']}",
        f"  JWKS           {urls['jwks']}",
        f"  embedded AWS   {urls['aws']}   (moto; e.g. aws --endpoint-url {urls['aws']} sqs list-queues)",
        f"  provider sim   {urls['provider'] or '(not available yet)'}",
        f"  local helpers  {api}/local/token  /local/products  /local/clock  /local/users  /local/status",
        "",
        "demo users (mint a token with POST /local/token):",
    ]
    for u in USERS:
        lines.append(f"  {u.sub:<16} {','.join(u.groups):<28} {u.name}")
    if demo_orders:
        lines += ["", f"demo orders: {len(demo_orders)} in every state (e.g. GET /v1/orders as cust-lilei)"]
    lines += [
        "",
        "try it:",
        f'  TOKEN=$(curl -s -X POST {api}/local/token -d \'{{"sub":"cust-lilei","groups":["customer"]}}\' '
        "| python3 -c 'import sys,json;print(json.load(sys.stdin)[\"token\"])')",
        f'  curl -s {api}/v1/orders -H "Authorization: Bearer $TOKEN"',
        f"  curl -s -X POST {api}/local/clock -d '{{\"advance_seconds\": 900}}'   # 15 minutes later",
        "",
        "docs/local-runtime.md has a full journey. Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def _watch_parent(stop: threading.Event) -> None:
    """A test run that dies without stopping its runtime must not leave it running."""
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if opts.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    # werkzeug (moto's server) logs every request at INFO unless told otherwise
    logging.getLogger("werkzeug").setLevel(logging.INFO if opts.verbose else logging.WARNING)
    rt = Runtime(opts)

    def on_signal(signum: int, frame: Any) -> None:
        rt.stop.set()

    # kill -USR1 <pid> prints every thread's stack: what a stuck runtime is waiting on
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        rt.start()
    except AlreadyRunning as e:
        print(f"\n{e}", file=sys.stderr, flush=True)
        rt.shutdown()
        return EXIT_ALREADY_RUNNING
    except PortBusy as e:
        print(f"\n{e}", file=sys.stderr, flush=True)
        rt.shutdown()
        return EXIT_PORT_BUSY
    except BaseException:
        rt.shutdown()
        raise
    say(banner(rt.urls, rt.demo_orders))
    say(READY_PREFIX + json.dumps(rt.urls))
    if opts.exit_with_parent:
        threading.Thread(target=_watch_parent, args=(rt.stop,), name="parent-watch", daemon=True).start()
    rt.stop.wait()
    say("\n==> stopping (gateway, pollers, schedules, provider, embedded AWS) ...")
    rt.shutdown()
    say("==> stopped")
    return 0
