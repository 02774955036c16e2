"""Verifying a provider's signed answer or callback in WeChat Pay API v3's scheme, which our
acquirer contract uses too: SHA256withRSA over ``timestamp\\nnonce\\nbody\\n`` under the key the
message names by serial, the timestamp within ``MAX_SKEW_SECONDS`` of the wall clock.

Any serial in ``provider_keys`` is accepted, so a provider key rotates with both live; an
unknown serial re-reads the secret once (credentials.refreshed) before it is refused.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import msgspec

from cancelflow.refunds import credentials, signing
from cancelflow.refunds.providers import http

MAX_SKEW_SECONDS = 300  # WeChat's guidance for callbacks; answers are held to it as well
# The refusal each provider sends unsigned when it could not authenticate our request. Like any
# unsigned answer it is not believed (anyone could send it, and believing it would give up on a
# refund without a query); it is only named in the error, so support sees "our credentials".
UNSIGNED_REFUSALS = {"wechat_pay": (401, "SIGN_ERROR"), "bank_card": (401, "BAD_SIGNATURE")}
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"  # WeChat's signature probes: a merchant must refuse them


class Signed(msgspec.Struct, frozen=True):
    """A WeChat Pay answer's signature headers."""

    timestamp: str
    nonce: str
    serial: str
    signature: str
    scheme: str = signing.WECHAT_SCHEME


def wechat_headers(headers: Mapping[str, str]) -> Signed:
    h = {k.lower(): v for k, v in headers.items()}
    return Signed(
        h.get("wechatpay-timestamp", ""),
        h.get("wechatpay-nonce", ""),
        h.get("wechatpay-serial", ""),
        h.get("wechatpay-signature", ""),
        h.get("wechatpay-signature-type", signing.WECHAT_SCHEME),
    )


def acquirer_headers(headers: Mapping[str, str]) -> Signed:
    h = {k.lower(): v for k, v in headers.items()}
    return Signed(
        h.get("x-timestamp", ""), h.get("x-nonce", ""), h.get("x-serial", ""), h.get("x-signature", "")
    )


def problem(provider: str, signed: Signed, body: str) -> str | None:
    """Why this is not a message the provider signed (a short word, safe to store and log),
    or None when it verifies."""
    if signed.signature.startswith(PROBE_PREFIX):
        return "signature_probe"
    if not signed.serial or not signed.signature:
        return "unsigned"
    if signed.scheme != signing.WECHAT_SCHEME:
        return "signature_type"
    ts = signed.timestamp
    if not (ts.isdigit() and len(ts) <= 12) or abs(time.time() - int(ts)) > MAX_SKEW_SECONDS:
        return "timestamp"
    key = credentials.credentials(provider).provider_key(signed.serial)
    if key is None:
        key = credentials.refreshed(provider).provider_key(signed.serial)
        if key is None:
            return "serial"
    if not signing.rsa_verify(key, signing.wechat_message(ts, signed.nonce, body), signed.signature):
        return "signature"
    return None


def believed(provider: str, signed: Signed, a: http.Answer) -> tuple[Any, str]:
    """(the answer's JSON, "") once it may be believed, else (None, ``answer_<why>``). Every
    answer must verify: an unsigned "not found" or "refused" could make us resubmit or give up
    on a refund, so it is no more believed than an unsigned success (the worker queries, and a
    refund that keeps getting them ends with a person). The provider's unauthenticated refusal
    (``UNSIGNED_REFUSALS``) is named: ``answer_unsigned_SIGN_ERROR``."""
    bad = problem(provider, signed, a.text)
    if bad:
        doc = a.json() if bad == "unsigned" else None
        code = doc.get("code") if isinstance(doc, dict) else None
        named = (a.status, code) == UNSIGNED_REFUSALS.get(provider)
        return None, f"answer_{bad}" + (f"_{code}" if named else "")
    doc = a.json()
    if 200 <= a.status < 300 and not isinstance(doc, dict):
        return None, "answer_shape"
    return doc, ""
