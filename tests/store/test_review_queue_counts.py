"""The two counts behind the expected review time (docs/domain.md, "Review"): open tasks ahead
in review order, and decisions in the recent window, each from one COUNT Query."""

from __future__ import annotations

from datetime import timedelta

from cancelflow import aws as cloud
from cancelflow.domain.priority import priority_key
from cancelflow.store import ddb, review_queue, tasks

from tests.store import world


def _put(task_id: str, attrs: dict[str, str]) -> None:
    pk, sk = tasks.task_key(task_id)
    item = {"pk": pk, "sk": sk, "type": "review_task", **attrs}
    cloud.dynamodb().put_item(TableName=ddb.table(), Item=ddb.to_item(item))


def test_counts_the_open_tasks_ahead_and_the_recent_decisions(aws: dict[str, str]) -> None:
    """GIVEN three open tasks due earlier than a new one and one due later, and decisions two
    inside the last hour and one before it WHEN counted THEN 3 ahead and 2 decided."""
    due = world.NOW + timedelta(minutes=60)
    for i in range(3):
        _put(f"t-early-{i}", tasks.pool_attrs(f"t-early-{i}", 2, due - timedelta(minutes=10 + i), 100))
    _put("t-late", tasks.pool_attrs("t-late", 2, due + timedelta(minutes=10), 100))
    for i, ago in enumerate((5, 30, 90)):
        _put(f"t-done-{i}", tasks.parked_attrs("decided", world.NOW - timedelta(minutes=ago), f"t-done-{i}"))
    mine = priority_key(2, due, 100, "t-mine")
    assert review_queue.queue_counts(mine, world.NOW - timedelta(minutes=60)) == (3, 2)


def test_an_empty_queue_counts_nothing(aws: dict[str, str]) -> None:
    mine = priority_key(2, world.NOW, 100, "t-mine")
    assert review_queue.queue_counts(mine, world.NOW - timedelta(minutes=60)) == (0, 0)
