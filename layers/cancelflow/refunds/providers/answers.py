"""What a JSON refund API's answer means, for the providers that share its conventions
(bank card, WeChat Pay): an unreachable provider or a 5xx is UNKNOWN (query before trying
again), a known error code maps to its outcome, and a signed notification must be fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from cancelflow.refunds import credentials, signing
from cancelflow.refunds.model import Outcome, ProviderResult
from cancelflow.refunds.providers import http
from cancelflow.refunds.providers.base import InvalidNotification

NOTIFY_MAX_SKEW_SECONDS = 300  # both reject callbacks older than 5 minutes (WeChat's guidance)

Call = Callable[[], tuple[int, Any]]
Read = Callable[[dict[str, Any]], ProviderResult]


def submitted(call: Call, ok: Collection[int], read: Read, errors: Mapping[str, Outcome]) -> ProviderResult:
    """The result of a refund request: ``read`` for an accepted answer, else the error's outcome."""
    try:
        status, body = call()
    except http.Unreachable as e:
        return ProviderResult(Outcome.UNKNOWN, error=str(e))
    if status in ok and isinstance(body, dict):
        return read(body)
    code = str(body.get("code")) if isinstance(body, dict) else f"http_{status}"
    if status >= 500:
        return ProviderResult(Outcome.UNKNOWN, error=code)
    return ProviderResult(errors.get(code, Outcome.FINAL_FAILURE), error=code)


def queried(call: Call, read: Read, not_found: ProviderResult) -> ProviderResult:
    """The result of a status query: ``read`` for a 200, ``not_found`` for a 404, else UNKNOWN."""
    try:
        status, body = call()
    except http.Unreachable as e:
        return ProviderResult(Outcome.UNKNOWN, error=str(e))
    if status == 200 and isinstance(body, dict):
        return read(body)
    if status == 404:
        return not_found
    return ProviderResult(Outcome.UNKNOWN, error=f"http_{status}")


def authenticate(provider: str, ts: str, message: str, signature: str) -> None:
    """Raise InvalidNotification unless the notification is fresh and signed with our key."""
    # Transport freshness is wall time (the sender's clock), not business time.
    if not ts.isdigit() or abs(time.time() - int(ts)) > NOTIFY_MAX_SKEW_SECONDS:
        raise InvalidNotification("timestamp")
    key = credentials.credentials(provider).key.get_secret_value()
    if not signing.verify(key, message, signature):
        raise InvalidNotification("signature")
