"""Running the real handlers in-process, one invocation at a time per function, as Lambda does.

A handler is ``functions/<folder>/<module>.py:handler`` (infra.topology). It is imported on
first use, so a handler being written while the runtime runs is picked up once it exists.
Lambda gives each execution environment one event at a time, and the handlers rely on it
(Powertools' resolver keeps the current event on a module-level app), so every function here
has one execution environment: a one-worker ``ThreadPoolExecutor``, concurrency one per
function, like a reserved concurrency of one. Its queue also makes it fair: events run in the
order they came. (A lock is not fair: under a load of many waiting requests one of them could
wait indefinitely, seen as 60 s timeouts in the bench, whereas Lambda queues nothing and API
Gateway would have answered long before.)
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infra.topology import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account
REGION = "ap-east-1"

Handler = Callable[[dict[str, Any], Any], Any]


class Invoker(Protocol):
    """What pollers, the ticker and the gateway need: ``Functions``, or a fake in tests."""

    def invoke(self, name: str, event: dict[str, Any], timeout_seconds: int = 30) -> Any: ...

    def invoke_timed(
        self, name: str, event: dict[str, Any], timeout_seconds: int = 30
    ) -> tuple[Any, float, float]: ...


@dataclass
class LambdaContext:
    """What Powertools reads from the Lambda context object."""

    function_name: str
    timeout_seconds: int = 30
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Functions:
    """The handlers of infra.topology.FUNCTIONS, loaded lazily and invoked one at a time each,
    in arrival order."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        # ``handlers``: stand-ins by name, already loaded (tests); the rest load on first use
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._environments = {
            name: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lambda-{name}")
            for name in {*FUNCTIONS, *self._handlers}
        }
        self._load_lock = threading.Lock()

    def handler(self, name: str) -> Handler:
        if name in self._handlers:
            return self._handlers[name]
        f = FUNCTIONS[name]
        with self._load_lock:
            fn: Handler = importlib.import_module(f"functions.{f.folder}.{f.module}").handler
            self._handlers[name] = fn
            return fn

    def submit(
        self, name: str, event: dict[str, Any], timeout_seconds: int = 30
    ) -> Future[tuple[Any, float, float]]:
        """Queue one event for the function: the future's result is (result, seconds waiting
        for the function to be free, seconds in the handler); a handler's exception is its
        exception."""
        fn = self.handler(name)
        queued = time.perf_counter()

        def run() -> tuple[Any, float, float]:
            started = time.perf_counter()
            result = fn(event, LambdaContext(f"cancelflow-{name}", timeout_seconds))
            return result, started - queued, time.perf_counter() - started

        return self._environments[name].submit(run)

    def invoke(self, name: str, event: dict[str, Any], timeout_seconds: int = 30) -> Any:
        """Call the function's handler with a Lambda-like context; exceptions propagate."""
        return self.invoke_timed(name, event, timeout_seconds)[0]

    def invoke_timed(
        self, name: str, event: dict[str, Any], timeout_seconds: int = 30
    ) -> tuple[Any, float, float]:
        """(result, seconds waiting for the function to be free, seconds in the handler)."""
        return self.submit(name, event, timeout_seconds).result()

    def close(self) -> None:
        """No more events: what is queued is dropped, what runs finishes on its own."""
        for environment in self._environments.values():
            environment.shutdown(wait=False, cancel_futures=True)
