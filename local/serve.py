"""An ASGI app on uvicorn in a daemon thread: what the gateway and the provider simulator share."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any


def serve_in_thread(
    config: Any, name: str, sockets: list[socket.socket] | None = None, start_timeout: float = 30
) -> tuple[Any, Callable[[], None]]:
    """Start ``uvicorn.Server(config)`` in a thread, wait until it listens; (server, stop)."""
    import uvicorn

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return server, stop
