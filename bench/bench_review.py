"""The review step's cost: AWS requests for claim-next and for an approval (counted with botocore
event hooks, moto in-process) next to the floors issue 5 sets, and intake throughput in
messages per second through the local runtime's SQS poller (``local.pollers.QueuePoller``:
receive, invoke ``functions/review/intake.handler``, delete the successes) over moto's SQS.

Run: ``make bench ONLY=review`` (or ``python -m bench review``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.common import Counter, moto_env

N_TASKS = 20  # open tasks in the pool while claiming
N_INTAKE = 100  # messages through the poller
_IN_MOTO_TX = [0.0]  # seconds spent inside moto's TransactWriteItems (it deep-copies the table)


def _requests(fill: Callable[[int], None]) -> list[tuple[str, str, str]]:
    from cancelflow import clock
    from cancelflow.review import claims
    from cancelflow.review.decisions import Checklist, Decision, decide
    from cancelflow.review.tasks import Reviewer

    fill(N_TASKS)
    counter = Counter()
    counter.attach()
    now = clock.now()
    task, first, _ = counter.measure(lambda: claims.claim_next(Reviewer("r0"), now))
    claims.release(task.task_id, Reviewer("r0"), now)
    # the same task again: its first response is on the timeline already
    task, again, _ = counter.measure(lambda: claims.claim_next(Reviewer("r1"), now))
    full = Checklist(order_status_verified=True, evidence_judged=True, refund_path_confirmed=True)
    out, approve, _ = counter.measure(
        lambda: decide(task.task_id, Reviewer("r1"), Decision(outcome="approve", checklist=full), now)
    )
    assert out["outcome"] == "approved"
    return [
        ("claim-next, a task's first claim", "Query + TransactWriteItems", " + ".join(first)),
        ("claim-next, a re-claim", "Query + UpdateItem", " + ".join(again)),
        ("approve a paid order's request", "TransactWriteItems + SendMessage", " + ".join(approve)),
    ]


def _throughput(fill: Callable[[int], None], queue_url: str) -> tuple[int, float, int]:
    from cancelflow import aws, clock
    from cancelflow.review import tasks

    import functions.review.intake as intake
    from infra.topology import CONSUMERS
    from local.pollers import QueuePoller

    class Direct:
        """The Invoker the poller calls: the handler in this process (no subprocess)."""

        def exists(self, name: str) -> bool:
            return name == "review_intake"

        def invoke(self, name: str, event: dict[str, Any], timeout_seconds: int = 30) -> Any:
            return intake.handler(event, None)

        def invoke_timed(
            self, name: str, event: dict[str, Any], timeout_seconds: int = 30
        ) -> tuple[Any, float, float]:
            t = time.perf_counter()
            return self.invoke(name, event), time.perf_counter() - t, 0.0

    fill(N_INTAKE)  # orders and requests first: only intake is timed
    consumer = next(c for c in CONSUMERS if c.queue == "review")
    poller = QueuePoller(consumer, queue_url, Direct(), threading.Event(), aws.client("sqs"))
    poller.queue_arn = "arn:aws:sqs:ap-east-1:123456789012:cancelflow-review"
    from moto.dynamodb.models import DynamoDBBackend

    in_moto_tx = [0.0]
    original = DynamoDBBackend.transact_write_items

    def timed(self: Any, *a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            in_moto_tx[0] += time.perf_counter() - t

    DynamoDBBackend.transact_write_items = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    try:
        while poller.poll_once(wait_seconds=0):
            pass
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
    elapsed = time.perf_counter() - t0
    _IN_MOTO_TX[0] = in_moto_tx[0]
    made, cursor = 0, None
    while True:
        page, cursor = tasks.list_tasks("open", clock.now(), limit=100, cursor=cursor)
        made += len(page)
        if not cursor:
            return poller.stats.deleted, elapsed, made


def _direct_fill(n: int) -> None:
    """n held paid orders with a request under review and its message, written directly
    (BatchWriteItem, SendMessageBatch): the state the cancel step leaves, without paying for
    n x 3 moto transactions before the timed part."""
    import msgspec
    from cancelflow import aws, clock
    from cancelflow.domain.models import Order
    from cancelflow.domain.options import Action, Submission
    from cancelflow.domain.products import Channel, ProductType
    from cancelflow.domain.states import OrderStatus
    from cancelflow.messages import ReviewMessage
    from cancelflow.settings import get_settings
    from cancelflow.store import ddb, keys, requests
    from cancelflow.store.codec import dump, new_id

    t = clock.now()
    sub = Submission(action=Action.REQUEST)
    puts: list[dict[str, Any]] = []
    bodies: list[str] = []
    for i in range(n):
        oid, rid = new_id("o"), new_id("rq")
        order = Order(
            order_id=oid,
            customer_id=f"c{i % 7}",
            product_id="p-topup",
            product_type=ProductType.MOBILE_TOPUP,
            quantity=1,
            amount=5000,
            status=OrderStatus.PAID,
            version=3,
            created_at=t - timedelta(hours=1),
            payment_deadline=t - timedelta(minutes=45),
            paid_at=t - timedelta(minutes=59),
            payment_channel=Channel.ALIPAY,
            paid_amount=5000,
            open_request_id=rid,
        )
        request = requests.new_request(order, sub, rid, requests.UNDER_REVIEW, t)
        req = {
            "pk": keys.order_pk(oid),
            "sk": keys.request_sk(rid),
            "type": "request",
            **requests.stored(msgspec.structs.replace(request, due_at=t + timedelta(hours=1))),
            "due_pk": keys.due_pk("REVIEW", keys.shard(rid, get_settings().due_shards)),
        }
        puts += [
            {
                "pk": keys.order_pk(oid),
                "sk": keys.ORDER,
                "type": "order",
                **dump(order, exclude_none=True),
            },
            req,
        ]
        bodies.append(
            ReviewMessage(
                request_id=rid,
                order_id=oid,
                customer_id=order.customer_id,
                action=sub.action,
                reason_code=sub.reason_code,
                order_amount=5000,
                refundable=5000,
                submitted_at=t,
            ).to_json()
        )
    for i in range(0, len(puts), 25):
        batch = [{"PutRequest": {"Item": ddb.to_item(it)}} for it in puts[i : i + 25]]
        aws.dynamodb().batch_write_item(RequestItems={ddb.table(): batch})
    sqs, url = aws.client("sqs"), get_settings().review_queue_url
    for i in range(0, len(bodies), 10):
        entries = [{"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[i : i + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def main() -> None:
    moto_env()
    from moto import mock_aws

    with mock_aws():
        from cancelflow import clock
        from cancelflow.cancel import submit_cancellation
        from cancelflow.domain.options import Action, Submission
        from cancelflow.domain.products import Channel, ProductType
        from cancelflow.store import orders, payments, stock

        from local.provision import apply, provision

        env = provision()
        apply(env)
        stock.put_product("p-card", ProductType.GAME_CARD, 10000, "游戏点卡", "Game card")
        stock.add_keys("p-card", ((f"k{i:04d}", f"CODE-{i}") for i in range(N_TASKS + N_INTAKE + 10)))

        def fill(n: int) -> None:
            """n paid orders, each with a cancel request under review (messages on the queue)."""
            t = clock.now()
            for i in range(n):
                o = orders.create_order(f"c{i % 7}", "p-card", 1, t - timedelta(hours=1))
                payments.confirm_payment(
                    o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, t - timedelta(minutes=59)
                )
                submit_cancellation.submit(f"c{i % 7}", o.order_id, Submission(action=Action.REQUEST), t)

        def drain_into_tasks() -> None:
            from cancelflow import aws

            from functions.review.intake import handler
            from local.pollers import sqs_record

            sqs = aws.client("sqs")
            while msgs := sqs.receive_message(
                QueueUrl=env["CANCELFLOW_REVIEW_QUEUE_URL"], MaxNumberOfMessages=10
            ).get("Messages"):
                handler(
                    {"Records": [sqs_record(m, "arn:aws:sqs:ap-east-1:123456789012:q") for m in msgs]}, None
                )
                for m in msgs:
                    sqs.delete_message(
                        QueueUrl=env["CANCELFLOW_REVIEW_QUEUE_URL"], ReceiptHandle=m["ReceiptHandle"]
                    )

        def fill_and_intake(n: int) -> None:
            fill(n)
            drain_into_tasks()

        rows = _requests(fill_and_intake)
        print(f"  AWS requests per review operation ({N_TASKS} open tasks; moto in-process)")
        print(f"  {'operation':<36} {'floor':<34} measured")
        for name, floor, got in rows:
            print(f"  {name:<36} {floor:<34} {got}")

    for lean in (False, True):
        if lean:
            # what the local runtime's process does (local/embedded_aws.py): DynamoDB's
            # transaction semantics without moto's copy of the whole table per transaction
            from local.embedded_aws import patch_transactions

            patch_transactions()
        with mock_aws():
            env = provision()
            apply(env)
            deleted, elapsed, made = _throughput(_direct_fill, env["CANCELFLOW_REVIEW_QUEUE_URL"])
        _print_throughput(lean, deleted, elapsed, made)
    print(
        "  (per message: one BatchGetItem of order+request+30 day-stats and one TransactWriteItems of"
        " task+history; stock moto deep-copies the whole table per transaction, so these are moto's"
        " speed, not DynamoDB's)"
    )


def _print_throughput(lean: bool, deleted: int, elapsed: float, made: int) -> None:
    how = "the local runtime's lean transactions" if lean else "stock moto"
    print(
        f"  intake via local.pollers.QueuePoller (moto in-process, batch 10, {how}): "
        f"{deleted} messages in {elapsed:.2f} s = {deleted / elapsed:.0f} msg/s; tasks made: {made}"
    )
    rest = elapsed - _IN_MOTO_TX[0]
    print(
        f"    inside moto's TransactWriteItems: {_IN_MOTO_TX[0]:.2f} s; everything else "
        f"(poller, handler, reads, SQS): {rest:.2f} s = {deleted / rest:.0f} msg/s"
    )


if __name__ == "__main__":
    main()
