"""Provider credentials: from Secrets Manager in the cloud (``provider_secret_arn``), from the
environment locally (``CANCELFLOW_PROVIDER_CREDENTIALS``). The secret is one JSON object keyed
by provider name. Keys are ``SecretStr`` so no log line or repr can print them."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, SecretStr

from cancelflow.settings import get_settings


class ProviderCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    merchant_id: str  # Alipay app_id, WeChat mchid, bank merchant number
    key: SecretStr  # the signing key (see docs/refunds.md: HMAC-SHA256 against the simulator)
    serial_no: str = ""  # WeChat: the merchant certificate's serial number


class CredentialsMissing(Exception):
    pass


@lru_cache(maxsize=4)
def _load(secret_arn: str, inline: str) -> dict[str, ProviderCredentials]:
    if secret_arn:
        from cancelflow import aws

        raw = aws.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    else:
        raw = inline
    if not raw:
        raise CredentialsMissing("no provider credentials configured")
    return {name: ProviderCredentials.model_validate(v) for name, v in json.loads(raw).items()}


def credentials(provider: str) -> ProviderCredentials:
    s = get_settings()
    creds = _load(s.provider_secret_arn, s.provider_credentials)
    if provider not in creds:
        raise CredentialsMissing(f"no credentials for {provider}")
    return creds[provider]


def forget() -> None:
    """Drop cached credentials (tests, rotation)."""
    _load.cache_clear()
