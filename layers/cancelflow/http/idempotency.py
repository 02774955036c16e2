"""``Idempotency-Key`` for every POST, on Powertools idempotency with DynamoDB.

The key is scoped to the caller and the route (two customers, or two routes, never share a
record); the payload (path parameters and body) is validated, so the same key with another
request is ``409 IDEMPOTENCY_KEY_REUSED`` and a duplicate arriving while the first still runs
is ``409 REQUEST_IN_PROGRESS``. A failure (an error answer) deletes the record, so only
successful answers are replayed; a replay carries ``Idempotency-Replayed: true``.

Powertools (and with it boto3) is imported on the first POST, not at cold start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from cancelflow.http import context
from cancelflow.store import idempotency as records

# A client retrying after a day is starting a new request, not repeating the old one.
EXPIRES_AFTER_SECONDS = 24 * 3600
HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"  # printable ASCII, no spaces (UUIDs, ULIDs, hashes)

Reply = dict[str, Any]  # {"status": int, "body": JSON}; what is stored and replayed
Work = Callable[[], Reply]


def _mark_replay(response: Any, _record: Any) -> Any:
    return {**response, "replayed": True} if isinstance(response, dict) else response


@cache
def _executor(layer: Any) -> Callable[..., Reply]:
    """One config per persistence layer (never shared between configs)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        response_hook=cast(Any, _mark_replay),
    )

    def execute(request: dict[str, Any], work: Work) -> Reply:
        return work()

    decorate: Any = idempotent_function
    wrapped: Any = decorate(data_keyword_argument="request", persistence_store=layer, config=config)(execute)
    wrapped.config = config
    return cast(Callable[..., Reply], wrapped)


def run(idempotency_key: str | None, payload: dict[str, Any], work: Work) -> Reply:
    """Run ``work`` once per (caller, route, key); without a key, just run it."""
    if not idempotency_key:
        return work()
    ctx = context.current()
    caller = ctx.caller.sub if ctx.caller else "-"
    execute = _executor(records.records())
    if ctx.lambda_context is not None and hasattr(ctx.lambda_context, "get_remaining_time_in_millis"):
        # lets an in-progress record expire with the invocation
        # (docs/stack-notes.md, "Powertools idempotency and issue #8049")
        execute.config.register_lambda_context(ctx.lambda_context)  # type: ignore[attr-defined]
    request = {
        "key": json.dumps([caller, ctx.route_key, idempotency_key]),
        "payload": payload,
    }
    return execute(request=request, work=work)
