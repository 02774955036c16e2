"""Lazily created, cached boto3 clients: import cost and connection set-up are paid once."""

from __future__ import annotations

from functools import cache
from typing import Any

from cancelflow.settings import get_settings


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    s = get_settings()
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        signature_version="s3v4" if service == "s3" else None,
        s3={"addressing_style": "path"} if service == "s3" else None,
    )
    return boto3.session.Session().client(service, endpoint_url=s.aws_endpoint_url, config=config)


def dynamodb() -> Any:
    return client("dynamodb")


def reset_clients() -> None:
    client.cache_clear()
