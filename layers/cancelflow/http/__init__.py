"""The HTTP layer every API function shares (cancel, platform, review, refund).

A function builds its routes on ``Api`` and exports ``handler``::

    from pydantic import ConfigDict

    from cancelflow.http import context
    from cancelflow.http.api import Api
    from cancelflow.http.fields import FreeText, Model, StrictBool
    from cancelflow.http.params import TaskIdPath
    from cancelflow.http.identity import REVIEWERS

    api = Api("review")          # one per function; ``handler`` is its Lambda entry point


    class DecisionIn(Model):                        # built on first use (a cold start pays less)
        model_config = ConfigDict(extra="forbid")   # no unknown fields
        approve: StrictBool                         # JSON true/false only (http.fields)
        note: FreeText | None = None                # text a person writes


    @api.post(
        "/v1/reviews/{task_id}/decision",          # API Gateway syntax; the one declaration of
        roles=REVIEWERS,                            # the route (infra.topology reads it); 401 / 403
        status=200,                                 # its success model: the return annotation
        errors=("TASK_NOT_FOUND", "LEASE_NOT_HELD"),  # catalogue codes this route can answer
    )
    def decide(task_id: TaskIdPath, body: DecisionIn) -> DecisionOut:  # the documented answer
        who = context.caller()                      # Caller(sub, groups); context.lang(): zh-CN|en
        return usecase.decide(who.sub, task_id, ...)  # raise DomainError(code) for any refusal


    handler = api.handler

What ``Api`` does around each route: the caller from the JWT claims (``cognito:groups`` as
a list or a flattened string), the one error format for every failure (``http.errors``),
``Idempotency-Key`` on every POST (``http.idempotency``: same key + body replays, another
body is 409), ``Accept-Language`` and the request id, the body parsed by ``http.body`` (a
JSON object, nesting limited), the route's documented responses (success + every status its
error codes map to), and one JSON log line per answer through Powertools' Logger
(``cancelflow.telemetry``) whose ``correlation_id`` is the answer's X-Request-Id.
``python -m infra.openapi`` (``make openapi``) merges every API function's document into
``docs/openapi.json``; the layer itself only registers routes.
"""

from __future__ import annotations

from cancelflow.deferred import defer_init

# Powertools' event_handler/__init__ imports every resolver it has (AppSync with asyncio, AppSync
# Events, Bedrock Agents, VPC Lattice, the local HTTP one), and utilities/data_classes/__init__
# every event source's classes (Kinesis Firehose brings zipfile and tempfile, ...): 40 to 45 ms
# and 94 modules of an API function's cold start (make bench ONLY=coldstart) for one resolver
# and one event class (cancelflow.deferred says how). tests/unit/test_import_weight.py holds
# the property.
defer_init("aws_lambda_powertools.event_handler")
defer_init("aws_lambda_powertools.utilities.data_classes")
