"""The one error format: ``{"error": {"code", "message", "request_id", "details"}}``.

Every failure goes through ``error_response``: domain errors with their catalogue status,
validation errors (422 naming the field), malformed bodies (400), unknown routes (404),
idempotency conflicts (409) and anything unexpected (500, logged, never shown).
Powertools' own 422/500 bodies do not match this format (and its 422 does not match its own
schema), so every one of them is replaced here.
"""

from __future__ import annotations

import binascii
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, Field

from cancelflow.errors import CATALOGUE, Code, DomainError, ErrorCode, message, status
from cancelflow.http import body, context
from cancelflow.http.fields import Model

log = logging.getLogger("cancelflow.http")

JSON = "application/json"
HTML = "text/html; charset=utf-8"  # the few printable pages (a dispute record)


# Every code the API answers with, in the document itself: an enum, with each code's HTTP
# status and meaning as a table and as ``x-enum-descriptions`` (one per enum value).
_ROWS = [f"| `{code}` | {status} | {en} |" for code, (status, _, en) in CATALOGUE.items()]
_CODES = "\n".join(
    ["Stable machine code, one of:", "", "| code | HTTP status | meaning |", "|---|---|---|", *_ROWS]
)
_ENUM: dict[str, Any] = {
    "enum": [code.value for code in CATALOGUE],
    "x-enum-descriptions": [f"{status}: {en}" for status, _, en in CATALOGUE.values()],
}


class ErrorInfo(Model):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(description=_CODES, json_schema_extra=_ENUM)
    message: str = Field(description="for people, in the language of Accept-Language (zh-CN default)")
    request_id: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(Model):
    model_config = ConfigDict(extra="forbid")
    error: ErrorInfo


def error_payload(code: Code, details: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = context.current()
    return {
        "error": {
            "code": str(code),
            "message": message(code, ctx.lang),
            "request_id": ctx.request_id,
            "details": details or {},
        }
    }


def error_response(code: Code, details: dict[str, Any] | None = None) -> Any:
    from aws_lambda_powertools.event_handler import Response

    return Response(
        status_code=status(code),
        content_type=JSON,
        body=error_payload(code, details),
        headers={"X-Request-Id": context.current().request_id},
    )


def raw_error(code: Code, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The same error as a finished API Gateway v2 result (for failures outside the resolver)."""
    import json

    return {
        "statusCode": status(code),
        "headers": {"Content-Type": JSON, "X-Request-Id": context.current().request_id},
        "body": json.dumps(error_payload(code, details), ensure_ascii=False, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def request_body(text: str) -> dict[str, Any]:
    """The JSON body Powertools validates (its ``json_body_deserializer``): an object, parsed by
    ``http.body``. A body that is not JSON, or nests too deep, is 400; valid JSON that is not an
    object (an array would otherwise be taken as its first element) is a 422 naming the body."""
    try:
        return body.loads_object(text)
    except body.BodyError as e:
        if e.why == "not_object":
            errors = [{"field": "body", "type": "object_type"}]
            raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "body", "errors": errors}) from e
        limit = {"max_depth": body.MAX_DEPTH} if e.why == "too_deep" else {}
        raise DomainError(
            ErrorCode.MALFORMED_BODY, {"field": "body", "expected": "UTF-8 JSON", **limit}
        ) from e


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(p) for p in loc)


def validation_details(errors: Sequence[dict[str, Any]]) -> tuple[ErrorCode, dict[str, Any]]:
    """Powertools' validation errors -> (code, details). A body that is not JSON is 400."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return ErrorCode.MALFORMED_BODY, {"field": "body"}
    fields = [{"field": _field(e.get("loc", ())), "type": str(e.get("type", ""))} for e in errors]
    return ErrorCode.VALIDATION_FAILED, {"field": fields[0]["field"] if fields else "body", "errors": fields}


_IDEMPOTENCY_CODES = {
    "IdempotencyValidationError": ErrorCode.IDEMPOTENCY_KEY_REUSED,  # same key, different request
    "IdempotencyAlreadyInProgressError": ErrorCode.REQUEST_IN_PROGRESS,  # same key, first still running
}


_THROTTLING = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)


def _throttled(e: Exception) -> bool:
    response = getattr(e, "response", None)  # botocore's ClientError, without importing botocore
    if type(e).__name__ != "ClientError" or not isinstance(response, dict):
        return False
    return response.get("Error", {}).get("Code") in _THROTTLING


def _domain(e: DomainError) -> Any:
    return error_response(e.code, e.details)


def _invalid(e: Any) -> Any:
    return error_response(*validation_details(e.errors()))


def _content_type(e: Exception) -> Any:
    return error_response(ErrorCode.MALFORMED_BODY, {"field": "body", "expected": JSON})


def _undecodable(e: Exception) -> Any:
    return error_response(ErrorCode.MALFORMED_BODY, {"field": "body", "expected": "UTF-8 JSON"})


def _not_found(e: Exception) -> Any:
    return error_response(ErrorCode.NOT_FOUND)


def _unexpected(e: Exception) -> Any:
    # Idempotency errors by name: importing Powertools' idempotency package pulls in boto3,
    # which read-only routes should not pay for at cold start.
    code = _IDEMPOTENCY_CODES.get(type(e).__name__)
    if code:
        return error_response(code, {"header": "Idempotency-Key"})
    if _throttled(e):  # any AWS call that ran out of capacity: the client may retry shortly
        return error_response(ErrorCode.RATE_LIMITED)
    log.exception("unexpected error (request %s)", context.current().request_id)
    return error_response(ErrorCode.INTERNAL)


def install(app: Any) -> None:
    """Register the exception handlers on a resolver: every failure in the one format."""
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.event_handler.openapi.exceptions import (
        RequestUnsupportedContentType,
        RequestValidationError,
    )

    app.exception_handler(DomainError)(_domain)
    app.exception_handler(RequestValidationError)(_invalid)
    app.exception_handler(RequestUnsupportedContentType)(_content_type)
    # A base64 body that is not UTF-8 (or not base64) fails inside Powertools' body decoding.
    app.exception_handler([UnicodeDecodeError, binascii.Error])(_undecodable)
    app.exception_handler(NotFoundError)(_not_found)
    app.exception_handler(Exception)(_unexpected)
