"""What every route of ``Api`` takes and can answer besides its own: the headers (validated
and documented by Powertools like any parameter) and the implied error codes."""

from __future__ import annotations

import functools
import inspect
from typing import Annotated

from cancelflow.errors import ErrorCode
from cancelflow.http import idempotency


def implied_codes(method: str, roles: tuple[str, ...], has_body: bool, public: bool) -> list[ErrorCode]:
    """What any route can answer besides its own codes."""
    # VALIDATION_FAILED always: every route takes the Accept-Language header, length-limited.
    codes = [ErrorCode.VALIDATION_FAILED, ErrorCode.INTERNAL]
    if not public:
        codes.insert(0, ErrorCode.UNAUTHENTICATED)
    if roles:
        codes.append(ErrorCode.FORBIDDEN)
    if has_body:
        codes.append(ErrorCode.MALFORMED_BODY)
    if method == "POST" and not public:
        codes += [ErrorCode.IDEMPOTENCY_KEY_REUSED, ErrorCode.REQUEST_IN_PROGRESS]
    return codes


@functools.cache  # the same for every route of a kind: built once, not per route at import
def header_params(method: str, public: bool) -> tuple[inspect.Parameter, ...]:
    """Headers every route takes (validated and documented by Powertools like any parameter)."""
    from aws_lambda_powertools.event_handler.openapi.params import Header

    language = Header(
        alias="Accept-Language", max_length=256, description="zh-CN (default) or en: the language of messages"
    )
    out = [
        inspect.Parameter(
            "accept_language",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, language],
        )
    ]
    if method == "POST" and not public:  # a provider sends no Idempotency-Key
        key = Header(
            alias=idempotency.HEADER,
            pattern=idempotency.KEY_PATTERN,
            description="same key and body: the first answer again, acting once",
        )
        out.append(
            inspect.Parameter(
                "idempotency_key",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[str | None, key],
            )
        )
    return tuple(out)
