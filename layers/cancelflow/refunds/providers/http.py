"""A small HTTP client on the standard library (no dependency in the layer).

Every failure to get an answer is ``Unreachable``: the caller cannot know whether the
provider acted, so it must query before it tries again. An answer comes back as received
(status, headers, the exact body bytes): the providers sign the body's bytes, so nothing
may re-encode it before it is verified.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import msgspec

from cancelflow.http.body import loads

MAX_BODY = 1 << 20  # a refund answer is a few hundred bytes; more is not an answer


class Unreachable(Exception):
    """Timeout, refused or reset connection: the request may or may not have been acted on."""


class Answer(msgspec.Struct, frozen=True):
    """A provider's HTTP answer: status, headers and body."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The parsed body (depth-limited), or None: an HTML error page from a proxy is as
        unknown as a timeout."""
        try:
            return loads(self.body) if self.body else None
        except ValueError:
            return None


def request(
    method: str, url: str, *, body: bytes | None, headers: Mapping[str, str], timeout: float
) -> Answer:
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, got, raw = r.status, r.headers, r.read(MAX_BODY)
    except urllib.error.HTTPError as e:
        status, got, raw = e.code, e.headers, e.read(MAX_BODY)
    except (urllib.error.URLError, OSError) as e:  # TimeoutError and resets are OSErrors
        raise Unreachable(type(e).__name__) from e
    return Answer(status, {k.lower(): v for k, v in (got or {}).items()}, raw)
