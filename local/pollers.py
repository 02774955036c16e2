"""SQS event source mappings: what Lambda's poller does for a queue consumer, locally.

For each ``infra.topology.CONSUMERS`` entry a thread long-polls the queue with the batch size of
``cancelflow.store.schema.QUEUES``, hands the consumer an SQS event shaped like Lambda's, and
then, as an event source mapping with ``ReportBatchItemFailures`` does:
- the handler returns ``{"batchItemFailures": [...]}``: only the other messages are deleted;
- the handler raises (or names an id that is not in the batch): nothing is deleted;
failed messages become visible again after the queue's visibility timeout, and the queue's
redrive policy (``maxReceiveCount``) moves them to the dead-letter queue: moto does that on
receive, as SQS does.
"""

from __future__ import annotations

import base64
import logging
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from cancelflow.store.schema import QUEUES

from infra.topology import CONSUMERS, QueueConsumer
from local.lambdas import REGION, Invoker

log = logging.getLogger("cancelflow.local.pollers")

WAIT_SECONDS = 1  # long poll; also how long a stop takes at most


@dataclass
class PollerStats:
    invocations: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0  # messages left for redelivery
    errors: int = 0  # invocations that raised
    last_error: str | None = None


def sqs_record(msg: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One message as Lambda's SQS event record (camelCase, as the service sends it)."""
    attrs = {}
    for name, a in (msg.get("MessageAttributes") or {}).items():
        attrs[name] = {
            "stringValue": a.get("StringValue"),
            "binaryValue": base64.b64encode(a["BinaryValue"]).decode() if "BinaryValue" in a else None,
            "stringListValues": a.get("StringListValues", []),
            "binaryListValues": [base64.b64encode(b).decode() for b in a.get("BinaryListValues", [])],
            "dataType": a["DataType"],
        }
        attrs[name] = {k: v for k, v in attrs[name].items() if v is not None}
    return {
        "messageId": msg["MessageId"],
        "receiptHandle": msg["ReceiptHandle"],
        "body": msg["Body"],
        "attributes": dict(msg.get("Attributes") or {}),
        "messageAttributes": attrs,
        "md5OfBody": msg.get("MD5OfBody", ""),
        **(
            {"md5OfMessageAttributes": msg["MD5OfMessageAttributes"]}
            if "MD5OfMessageAttributes" in msg
            else {}
        ),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def failed_ids(result: Any, batch_ids: set[str]) -> set[str]:
    """Which messages failed, read from a handler's answer as Lambda reads it: a missing or
    malformed identifier fails the whole batch."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    ids = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in result["batchItemFailures"]}
    if None in ids or "" in ids or not ids <= batch_ids:
        return set(batch_ids)
    return {i for i in ids if isinstance(i, str)}


@dataclass
class QueuePoller:
    consumer: QueueConsumer
    queue_url: str
    functions: Invoker
    stop: threading.Event
    sqs: Any
    stats: PollerStats = field(default_factory=PollerStats)
    queue_arn: str = ""

    def start(self) -> threading.Thread:
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        t = threading.Thread(target=self._run, name=f"poller-{self.consumer.queue}", daemon=True)
        t.start()
        return t

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll_once()
            except Exception as e:  # keep polling: a broken poll must not end the mapping
                self.stats.last_error = f"{type(e).__name__}: {e}"
                log.error("poller %s: %s", self.consumer.queue, self.stats.last_error)
                self.stop.wait(1.0)

    def poll_once(self, wait_seconds: int = WAIT_SECONDS) -> int:
        """One receive and one invocation; returns how many messages were received."""
        conf = QUEUES[self.consumer.queue]
        r = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, conf["batch_size"]),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        msgs = r.get("Messages") or []
        if not msgs:
            return 0
        self.stats.received += len(msgs)
        event = {"Records": [sqs_record(m, self.queue_arn) for m in msgs]}
        batch = {m["MessageId"] for m in msgs}
        self.stats.invocations += 1
        try:
            result = self.functions.invoke(self.consumer.function, event, conf["visibility_timeout"])
            failed = failed_ids(result, batch)
        except Exception as e:
            self.stats.errors += 1
            self.stats.last_error = f"{type(e).__name__}: {e}"
            log.error("consumer %s raised:\n%s", self.consumer.function, traceback.format_exc())
            failed = batch
        done = [m for m in msgs if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.stats.deleted += len(done)
        self.stats.failed += len(failed)
        return len(msgs)


def build(functions: Invoker, env: dict[str, str], stop: threading.Event, sqs: Any) -> list[QueuePoller]:
    return [
        QueuePoller(c, env[f"CANCELFLOW_{c.queue.upper()}_QUEUE_URL"], functions, stop, sqs)
        for c in CONSUMERS
    ]
