"""How the review queue stands, for the expected review time (``review.estimate``): counts
only, from the status index (``Select=COUNT``: no items come back)."""

from __future__ import annotations

from datetime import datetime

from cancelflow.clock import iso
from cancelflow.store import ddb, keys
from cancelflow.store.schema import GSI_STATUS
from cancelflow.store.tasks import DECIDED, OPEN


def queue_counts(ahead_of: str, decided_since: datetime) -> tuple[int, int]:
    """For the expected review time (``domain.review_eta``): the open tasks before the sort key
    ``ahead_of`` in review order, and the tasks decided since ``decided_since`` (two COUNT
    Queries on the status index; leased tasks stay in the open partition and count as ahead)."""
    ahead = ddb.count(
        GSI_STATUS,
        "status_pk = :p AND status_sk < :k",
        {":p": keys.status_pk("REVIEW", OPEN), ":k": ahead_of},
    )
    decided = ddb.count(
        GSI_STATUS,
        "status_pk = :p AND status_sk >= :t",
        {":p": keys.status_pk("REVIEW", DECIDED), ":t": iso(decided_since)},
    )
    return ahead, decided
