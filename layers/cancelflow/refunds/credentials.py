"""Provider credentials, one Secrets Manager secret per provider in the cloud, the environment
locally.

``CANCELFLOW_PROVIDER_SECRET_ARN`` is a JSON object naming each provider's secret
(``{"alipay": "<arn>", "wechat_pay": "<arn>", "bank_card": "<arn>"}``), each secret holding that
provider's object below; a plain ARN is one secret holding every provider's object keyed by
name (the older layout, still read). Locally ``CANCELFLOW_PROVIDER_CREDENTIALS`` holds the
keyed JSON (the simulator hands its keys over that way).

A provider's object (docs/refunds.md, "Going live"): ``merchant_id`` (Alipay app_id, WeChat
mchid, acquirer merchant number), ``private_key`` (our PEM signing key), ``serial_no`` (WeChat:
the merchant API certificate's serial; acquirer: our key's id), ``provider_keys`` (the
provider's public keys or certificates by serial, several at once while one rotates),
``apiv3_key`` (WeChat), ``app_cert_sn``/``alipay_root_cert_sn`` (Alipay certificate mode),
``base_url`` (sandbox or production), ``notify_url`` (WeChat refund callbacks).

Rotation needs no deploy: the secret is cached ``SECRET_MAX_AGE`` seconds (Powertools
Parameters), and an answer signed under a serial we do not know yet re-reads it at once
(``refreshed``, at most once a minute per provider, so forged serials cannot hammer Secrets
Manager). Secrets are ``SecretStr``: no repr or log line prints them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from cancelflow.settings import get_settings

SECRET_MAX_AGE = 300
REFRESH_MIN_SECONDS = 60


class ProviderCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    merchant_id: str
    private_key: SecretStr
    serial_no: str = ""
    provider_keys: dict[str, str] = {}  # public keys / certificates are not secret
    apiv3_key: SecretStr = SecretStr("")
    app_cert_sn: str = ""
    alipay_root_cert_sn: str = ""
    base_url: str = ""
    notify_url: str = ""

    def provider_key(self, serial: str) -> str | None:
        """The provider's key under ``serial`` (hex certificate serials match in any case)."""
        return self.provider_keys.get(serial) or self.provider_keys.get(serial.upper())


class CredentialsMissing(Exception):
    pass


class _HideSecretBodies(logging.Filter):
    """botocore at DEBUG prints every response body, GetSecretValue's included: drop those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(isinstance(a, bytes | str) and "SecretString" in str(a) for a in record.args or ())


logging.getLogger("botocore.parsers").addFilter(_HideSecretBodies())

_last_refresh: dict[str, float] = {}
_lock = threading.Lock()


def _secret_ids(arn: str) -> dict[str, str] | str:
    if arn.lstrip().startswith("{"):
        ids = json.loads(arn)
        return {str(k): str(v) for k, v in ids.items()}
    return arn


def _fetch(secret_id: str, force: bool) -> str:
    from aws_lambda_powertools.utilities import parameters

    got = parameters.get_secret(secret_id, max_age=SECRET_MAX_AGE, force_fetch=force)
    return got if isinstance(got, str) else got.decode()


@lru_cache(maxsize=16)
def _parse_one(raw: str) -> ProviderCredentials:
    try:
        return ProviderCredentials.model_validate_json(raw)
    except ValidationError as e:  # say which fields, never their values
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in e.errors()})
        raise CredentialsMissing(f"provider credentials incomplete: {', '.join(fields)}") from None


@lru_cache(maxsize=4)
def _parse_all(raw: str) -> dict[str, str]:
    if not raw:
        raise CredentialsMissing("no provider credentials configured")
    try:
        doc: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise CredentialsMissing("provider credentials are not JSON") from None
    return {name: json.dumps(v) for name, v in doc.items()}


def _raw(provider: str, force: bool) -> str:
    s = get_settings()
    if not s.provider_secret_arn:
        keyed = _parse_all(s.provider_credentials)
    else:
        ids = _secret_ids(s.provider_secret_arn)
        if isinstance(ids, dict):
            if provider not in ids:
                raise CredentialsMissing(f"no secret configured for {provider}")
            return _fetch(ids[provider], force)
        keyed = _parse_all(_fetch(ids, force))
    if provider not in keyed:
        raise CredentialsMissing(f"no credentials for {provider}")
    return keyed[provider]


def credentials(provider: str) -> ProviderCredentials:
    return _parse_one(_raw(provider, force=False))


def refreshed(provider: str) -> ProviderCredentials:
    """Read the secret again now (an answer named a key we do not have: maybe just rotated),
    unless it was re-read less than ``REFRESH_MIN_SECONDS`` ago."""
    with _lock:
        now = time.monotonic()
        force = now - _last_refresh.get(provider, -REFRESH_MIN_SECONDS) >= REFRESH_MIN_SECONDS
        if force:
            _last_refresh[provider] = now
    return _parse_one(_raw(provider, force=force and bool(get_settings().provider_secret_arn)))


def forget() -> None:
    """Drop the cached secret at once (tests; rotation otherwise waits ``SECRET_MAX_AGE``)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
    _parse_one.cache_clear()
    _parse_all.cache_clear()
    _last_refresh.clear()
