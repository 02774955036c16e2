"""A small JSON-over-HTTP client on the standard library (no dependency in the layer).

Every failure to get an answer is ``Unreachable``: the caller cannot know whether the
provider acted, so it must query before it tries again.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from cancelflow.http.body import loads


class Unreachable(Exception):
    """Timeout, refused or reset connection: the request may or may not have been acted on."""


def request(
    method: str, url: str, *, body: bytes | None, headers: Mapping[str, str], timeout: float
) -> tuple[int, Any]:
    """(status, parsed JSON body or None)."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:  # TimeoutError and resets are OSErrors
        raise Unreachable(type(e).__name__) from e
    try:
        return status, loads(raw) if raw else None  # depth-limited: a hostile answer is ValueError
    except ValueError:
        return status, None  # an HTML error page from a proxy: as unknown as a timeout
