"""The domain core stays light to import (issue 2's cold-start budget: the shared package adds
at most 60 ms over boto3; ``make bench`` prints the figure).

pydantic alone costs about as much as the whole budget, so it lives only at the edges (HTTP
request and answer models, events, payment providers). GIVEN a fresh interpreter WHEN a core
module or a Lambda without HTTP is imported THEN pydantic has not been loaded. No timing here:
this asserts the property that makes the timing possible.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PYDANTIC_FREE = [
    "cancelflow.domain.options",
    "cancelflow.store.orders",
    "cancelflow.store.payments",
    "cancelflow.cancel.submit_cancellation",
    "cancelflow.review.intake",
    "functions.schedules.expire_orders",
    "functions.schedules.flag_refunds",
    "functions.schedules.flag_reviews",
    "functions.review.intake",
]


@pytest.mark.parametrize("module", PYDANTIC_FREE)
def test_the_core_does_not_import_pydantic(module: str) -> None:
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{module} loads {out.stdout.strip()}"


API_FUNCTIONS = [
    "functions.cancel.api",
    "functions.platform.api",
    "functions.review.api",
    "functions.refund.api",
]
OTHER_RESOLVERS = [
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
]


@pytest.mark.parametrize("module", API_FUNCTIONS)
def test_an_api_function_loads_one_resolver_and_every_name_still_imports(module: str) -> None:
    """GIVEN a fresh interpreter WHEN an API function is imported THEN Powertools' other
    resolvers (and asyncio, which AppSync's brings) and other event sources' classes are not
    loaded (cancelflow.http); AND every name the packages re-export still imports from them."""
    probe = (
        f"import sys, {module}\n"
        f"print(sorted(m for m in {OTHER_RESOLVERS!r} if m in sys.modules))\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, AppSyncResolver\n"
        "from aws_lambda_powertools.event_handler import content_types\n"
        "from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source\n"
        "import aws_lambda_powertools.event_handler as eh\n"
        "import aws_lambda_powertools.utilities.data_classes as dc\n"
        "print(APIGatewayHttpResolver.__module__, Response.__module__, AppSyncResolver.__module__,"
        " content_types.APPLICATION_JSON, SQSEvent.__module__, event_source.__module__,"
        " [n for p in (eh, dc) for n in p.__all__ if not hasattr(p, n)])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded, names = out.stdout.strip().splitlines()
    assert loaded == "[]", f"{module} loads {loaded}"
    assert names.split() == [
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.event_handler.appsync",
        "application/json",
        "aws_lambda_powertools.utilities.data_classes.sqs_event",
        "aws_lambda_powertools.utilities.data_classes.event_source",  # the decorator, not its module
        "[]",
    ]
