"""Runs last (file order): after every journey of the session, the invariants
(docs/domain.md, "Invariants") hold over the whole table, and no message of a journey ended in
a dead-letter queue."""

from __future__ import annotations

import boto3

from local import invariants, launcher
from tests.e2e.conftest import Api


def test_the_domain_invariants_hold_over_everything_the_session_did(runtime: launcher.Running) -> None:
    """GIVEN the runtime's table after the session WHEN every item is read THEN stock is
    conserved, nothing is delivered and cancelled, refunded <= paid (and refunds add up), and
    every order version has its history entry."""
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.urls["aws"],
        region_name="ap-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items = invariants.scan(ddb, "cancelflow")
    assert invariants.summary(items)["order"] > 20
    assert invariants.check(items) == {name: [] for name in invariants.check([])}


def test_no_message_ended_in_a_dead_letter_queue(api: Api) -> None:
    """GIVEN the session's journeys WHEN the queues are read THEN both dead-letter queues are empty."""
    queues = api.status()["queues"]
    assert {name: q["dlq"] for name, q in queues.items()} == {name: 0 for name in queues}
