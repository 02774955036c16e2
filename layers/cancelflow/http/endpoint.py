"""What a route's function returns, made the answer (``answering``, used by ``cancelflow.http.api``
when it registers the route): JSON in the one format with the request id, a POST with an
``Idempotency-Key`` run through ``cancelflow.http.idempotency``; a public callback's own
Powertools ``Response`` and a page's HTML as they are."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from cancelflow.http import context, idempotency
from cancelflow.http import errors as http_errors
from cancelflow.store.codec import plain


def _jsonable(v: Any) -> Any:
    """JSON-ready, with times in the one stored/returned format (clock.iso, ms and Z)."""
    return plain(v.model_dump() if isinstance(v, BaseModel) else v)


def answering(
    fn: Callable[..., Any], method: str, status: int, *, public: bool, html: bool
) -> Callable[..., Any]:
    """The endpoint Powertools calls for ``fn``: it takes the validated parameters (and the
    headers every route declares, ``http.implied``) and returns a Powertools ``Response``."""

    @functools.wraps(fn)
    def endpoint(**kwargs: Any) -> Any:
        from aws_lambda_powertools.event_handler import Response

        key = kwargs.pop("idempotency_key", None)
        kwargs.pop("accept_language", None)
        if public:  # a callback answers in its caller's dialect, and is idempotent itself
            answer: Any = fn(**kwargs)
            if not isinstance(answer, Response):  # an open read, in the API's format
                answer = Response(status_code=status, content_type=http_errors.JSON, body=_jsonable(answer))
            answer.headers["X-Request-Id"] = context.current().request_id
            return answer

        if html:  # a page (a GET: nothing to replay)
            return Response(
                status_code=status,
                content_type=http_errors.HTML,
                body=fn(**kwargs),
                headers={"X-Request-Id": context.current().request_id},
            )

        def work() -> idempotency.Reply:
            return {"status": status, "body": _jsonable(fn(**kwargs))}

        if method == "POST" and key:
            payload = {k: _jsonable(v) for k, v in kwargs.items()}  # what a replay must match
            reply = idempotency.run(key, payload, work)
        else:
            reply = work()
        headers = {"X-Request-Id": context.current().request_id}
        if reply.get("replayed"):
            headers["Idempotency-Replayed"] = "true"
        return Response(
            status_code=reply["status"],
            content_type=http_errors.JSON,
            body=reply["body"],
            headers=headers,
        )

    return endpoint
