"""Signatures shared by the provider clients and the simulated provider.

The message formats are the providers' documented ones (Alipay: sorted ``k=v`` pairs;
WeChat Pay API v3: newline-joined lines ending in a newline). The primitive is HMAC-SHA256
with the configured key, where the real providers use RSA2048 with certificates
(docs/refunds.md says why and where to swap it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def sign(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


def verify(key: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature or "")


def alipay_content(params: Mapping[str, str]) -> str:
    """Alipay's string to sign: every non-empty parameter but ``sign``, sorted, ``k=v&...``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")


def wechat_message(*lines: str) -> str:
    """WeChat Pay v3: request ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``; callback ``TS\\nNONCE\\nBODY\\n``."""
    return "".join(f"{line}\n" for line in lines)
