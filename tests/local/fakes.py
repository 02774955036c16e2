"""A stand-in for local.lambdas.Functions: named callables instead of handler modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local.lambdas import LambdaContext


class FakeFunctions:
    def __init__(self, **handlers: Callable[[dict[str, Any], Any], Any]) -> None:
        self.handlers = handlers
        self.events: dict[str, list[dict[str, Any]]] = {}

    def invoke(self, name: str, event: dict[str, Any], timeout_seconds: int = 30) -> Any:
        self.events.setdefault(name, []).append(event)
        return self.handlers[name](event, LambdaContext(name, timeout_seconds))

    def invoke_timed(
        self, name: str, event: dict[str, Any], timeout_seconds: int = 30
    ) -> tuple[Any, float, float]:
        return self.invoke(name, event, timeout_seconds), 0.0, 0.0
