"""Provider credentials: from Secrets Manager in the cloud (``provider_secret_arn``), from the
environment locally (``CANCELFLOW_PROVIDER_CREDENTIALS``). The secret is one JSON object keyed
by provider name. Keys are ``SecretStr`` so no log line or repr can print them. The secret is
cached by Powertools Parameters for ``SECRET_MAX_AGE`` seconds, so a rotated key reaches warm
functions within that time without a redeploy."""

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


SECRET_MAX_AGE = 300


def _raw(secret_arn: str, inline: str) -> str:
    if not secret_arn:
        return inline
    from aws_lambda_powertools.utilities import parameters

    fetched = parameters.get_secret(secret_arn, max_age=SECRET_MAX_AGE)
    return fetched if isinstance(fetched, str) else fetched.decode()


@lru_cache(maxsize=4)
def _parse(raw: str) -> dict[str, ProviderCredentials]:
    if not raw:
        raise CredentialsMissing("no provider credentials configured")
    return {name: ProviderCredentials.model_validate(v) for name, v in json.loads(raw).items()}


def credentials(provider: str) -> ProviderCredentials:
    s = get_settings()
    creds = _parse(_raw(s.provider_secret_arn, s.provider_credentials))
    if provider not in creds:
        raise CredentialsMissing(f"no credentials for {provider}")
    return creds[provider]


def forget() -> None:
    """Drop the cached secret at once (tests; rotation otherwise waits ``SECRET_MAX_AGE``)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
    _parse.cache_clear()
