"""Provider credentials from Secrets Manager (the cloud path): one secret per provider, cached,
a rotated secret used once the cache lets go (Powertools Parameters, max_age; ``forget`` lets go
at once) or at once when an answer names a key we do not have yet (``refreshed``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cancelflow import aws
from cancelflow.refunds import credentials
from cancelflow.settings import reset_settings


def _secret(key: str, serials: tuple[str, ...] = ("S1",)) -> str:
    return json.dumps(
        {
            "merchant_id": "1900000001",
            "private_key": key,
            "serial_no": "M1",
            "provider_keys": {s: f"cert-{s}" for s in serials},
            "apiv3_key": f"apiv3-{key}",
        }
    )


def aws_client() -> Any:
    return aws.client("secretsmanager")


@pytest.fixture
def secrets_per_provider(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    arns = {
        p: aws_client().create_secret(Name=f"cancelflow/refunds/{p}", SecretString=_secret(f"{p}-first"))[
            "ARN"
        ]
        for p in ("alipay", "wechat_pay")
    }
    monkeypatch.setenv("CANCELFLOW_PROVIDER_SECRET_ARN", json.dumps(arns))
    monkeypatch.delenv("CANCELFLOW_PROVIDER_CREDENTIALS", raising=False)
    reset_settings()
    credentials.forget()
    yield arns
    credentials.forget()


def test_each_provider_reads_its_own_secret_cached_until_the_cache_lets_go(
    secrets_per_provider: dict[str, str],
) -> None:
    """GIVEN one secret per provider WHEN read THEN each provider gets its own; WHEN one is
    rotated THEN the cached key stays in use (no Secrets Manager call per refund) until the
    cache lets go, then the new one; no secret shows in a repr; a provider without a secret is
    CredentialsMissing."""
    first = credentials.credentials("wechat_pay")
    assert first.private_key.get_secret_value() == "wechat_pay-first"
    assert credentials.credentials("alipay").private_key.get_secret_value() == "alipay-first"
    assert "wechat_pay-first" not in repr(first) and "apiv3-" not in repr(first)
    aws_client().put_secret_value(SecretId=secrets_per_provider["wechat_pay"], SecretString=_secret("second"))
    assert credentials.credentials("wechat_pay").private_key.get_secret_value() == "wechat_pay-first"
    credentials.forget()  # what SECRET_MAX_AGE does on its own
    assert credentials.credentials("wechat_pay").private_key.get_secret_value() == "second"
    with pytest.raises(credentials.CredentialsMissing):
        credentials.credentials("bank_card")


def test_an_unknown_serial_rereads_the_secret_at_once_but_not_on_every_answer(
    secrets_per_provider: dict[str, str],
) -> None:
    """GIVEN the provider rotated its key (a second serial added to the secret) WHEN an answer
    names the new serial THEN ``refreshed`` reads the secret again without waiting for the cache,
    both serials are accepted; a second unknown serial within a minute does not re-read it
    (forged serials cannot hammer Secrets Manager)."""
    assert credentials.credentials("wechat_pay").provider_key("S2") is None
    aws_client().put_secret_value(
        SecretId=secrets_per_provider["wechat_pay"], SecretString=_secret("k", serials=("S1", "S2"))
    )
    fresh = credentials.refreshed("wechat_pay")
    assert fresh.provider_key("S1") == "cert-S1" and fresh.provider_key("S2") == "cert-S2"
    aws_client().put_secret_value(
        SecretId=secrets_per_provider["wechat_pay"], SecretString=_secret("k", serials=("S3",))
    )
    assert credentials.refreshed("wechat_pay").provider_key("S3") is None  # re-read a moment ago


def test_one_secret_keyed_by_provider_is_still_read(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the older layout (one secret, one object per provider) WHEN read THEN each provider
    gets its part."""
    both = {"alipay": json.loads(_secret("a")), "bank_card": json.loads(_secret("b"))}
    arn = aws_client().create_secret(Name="cancelflow/providers", SecretString=json.dumps(both))["ARN"]
    monkeypatch.setenv("CANCELFLOW_PROVIDER_SECRET_ARN", arn)
    monkeypatch.delenv("CANCELFLOW_PROVIDER_CREDENTIALS", raising=False)
    reset_settings()
    credentials.forget()
    try:
        assert credentials.credentials("bank_card").private_key.get_secret_value() == "b"
        with pytest.raises(credentials.CredentialsMissing):
            credentials.credentials("wechat_pay")
    finally:
        credentials.forget()


def test_an_incomplete_secret_names_the_fields_not_the_values(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a secret without its private key WHEN read THEN CredentialsMissing names the
    missing field and carries no value of the secret."""
    arn = aws_client().create_secret(
        Name="cancelflow/refunds/alipay", SecretString=json.dumps({"merchant_id": "2021-secret-app"})
    )["ARN"]
    monkeypatch.setenv("CANCELFLOW_PROVIDER_SECRET_ARN", json.dumps({"alipay": arn}))
    reset_settings()
    credentials.forget()
    try:
        with pytest.raises(credentials.CredentialsMissing) as e:
            credentials.credentials("alipay")
        assert "private_key" in str(e.value) and "2021-secret-app" not in str(e.value)
    finally:
        credentials.forget()


def test_the_local_secret_is_never_in_the_settings_repr() -> None:
    """GIVEN settings holding the providers' secret JSON (the local path) WHEN they are printed
    (a log line, a traceback's locals) THEN the secret is not there but every other value is;
    AND the field, equality and hashing still see the secret (cancelflow.redacted)."""
    from cancelflow.settings import Settings

    secret = _secret("local-key")
    s = Settings(table_name="t1", provider_credentials=secret)
    shown = repr(s)
    assert "local-key" not in shown and "apiv3-" not in shown
    assert "provider_credentials=***" in shown and "table_name='t1'" in shown
    assert s.provider_credentials == secret
    assert s != Settings(table_name="t1", provider_credentials=_secret("other"))
    assert hash(s) == hash(Settings(table_name="t1", provider_credentials=secret))
