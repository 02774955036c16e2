"""What several benches share: moto's environment and counting the AWS requests code makes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def moto_env() -> None:
    """Fake credentials and no endpoint: boto3 talks to moto in-process, never to AWS."""
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "ap-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


class Counter:
    """Every AWS API call made through the shared clients: ``before-call`` names the operation,
    ``before-send`` counts HTTP attempts (retries included)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.sends = 0

    def on_call(self, model: Any = None, **_: Any) -> None:
        self.calls.append(model.name)

    def on_send(self, **_: Any) -> None:
        self.sends += 1

    def attach(self) -> None:
        from cancelflow import aws

        for service in ("dynamodb", "sqs", "s3"):  # the cached clients every module uses
            events = aws.client(service).meta.events
            events.register("before-call", self.on_call, unique_id=f"bench-call-{service}-{id(self)}")
            events.register("before-send", self.on_send, unique_id=f"bench-send-{service}-{id(self)}")

    def measure(self, fn: Callable[[], Any]) -> tuple[Any, list[str], int]:
        """``fn()``, the calls it made and the HTTP attempts they took."""
        self.calls, self.sends = [], 0
        out = fn()
        return out, list(self.calls), self.sends
