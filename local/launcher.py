"""Start ``python -m local`` as a subprocess on free ports and find out where it listens
(the ``CANCELFLOW_READY`` line): used by the end-to-end tests and the load bench."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from local.lambdas import ROOT
from local.runtime import READY_PREFIX


@dataclass
class Running:
    process: subprocess.Popen[str]
    urls: dict[str, Any]
    output: list[str] = field(default_factory=list)  # stdout and stderr lines so far

    @property
    def api(self) -> str:
        return str(self.urls["api"])

    def stop(self, timeout: float = 30) -> int:
        """Ctrl-C, as a person would; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def _drain(stream: Any, sink: list[str], ready: list[dict[str, Any]], echo: bool) -> None:
    for line in stream:
        sink.append(line.rstrip("\n"))
        if echo:
            sys.stderr.write(line)
        if line.startswith(READY_PREFIX):
            ready.append(json.loads(line[len(READY_PREFIX) :]))


def start(*args: str, env: dict[str, str] | None = None, timeout: float = 120, echo: bool = False) -> Running:
    """Start the runtime (free ports unless ``args`` say otherwise) and wait until it is ready."""
    argv = [
        sys.executable,
        "-m",
        "local",
        "--port",
        "0",
        "--aws-port",
        "0",
        "--provider-port",
        "0",
        "--exit-with-parent",
        *args,
    ]
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    output: list[str] = []
    ready: list[dict[str, Any]] = []
    threading.Thread(target=_drain, args=(proc.stdout, output, ready, echo), daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the local runtime did not start:\n" + "\n".join(output[-40:]))
        time.sleep(0.05)
    return Running(proc, ready[0], output)


@contextmanager
def running(*args: str, env: dict[str, str] | None = None, echo: bool = False) -> Iterator[Running]:
    rt = start(*args, env=env, echo=echo)
    try:
        yield rt
    finally:
        rt.stop()
