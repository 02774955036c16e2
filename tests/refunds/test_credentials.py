"""Provider credentials from Secrets Manager (the cloud path): cached, and a rotated secret is
used once the cache lets go (Powertools Parameters, max_age; ``forget`` lets go at once)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cancelflow import aws
from cancelflow.refunds import credentials
from cancelflow.settings import reset_settings


def _secret(key: str) -> str:
    return json.dumps({"alipay": {"merchant_id": "2021000000000001", "key": key}})


@pytest.fixture
def secret_arn(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    arn = aws_client().create_secret(Name="cancelflow/providers", SecretString=_secret("first"))["ARN"]
    monkeypatch.setenv("CANCELFLOW_PROVIDER_SECRET_ARN", arn)
    monkeypatch.delenv("CANCELFLOW_PROVIDER_CREDENTIALS", raising=False)
    reset_settings()
    credentials.forget()
    yield arn
    credentials.forget()


def aws_client():  # type: ignore[no-untyped-def]
    return aws.client("secretsmanager")


def test_the_secret_is_cached_and_a_rotation_is_used_once_the_cache_lets_go(secret_arn: str) -> None:
    """GIVEN the secret read once WHEN it is rotated THEN the cached key stays in use (no call
    to Secrets Manager per refund) until the cache lets go, then the new key is used; the key
    never shows in a repr, and a provider missing from the secret is CredentialsMissing."""
    first = credentials.credentials("alipay")
    assert first.key.get_secret_value() == "first" and "first" not in repr(first)
    aws_client().put_secret_value(SecretId=secret_arn, SecretString=_secret("second"))
    assert credentials.credentials("alipay").key.get_secret_value() == "first"  # cached
    credentials.forget()  # what SECRET_MAX_AGE does on its own
    assert credentials.credentials("alipay").key.get_secret_value() == "second"
    with pytest.raises(credentials.CredentialsMissing):
        credentials.credentials("wechat_pay")
