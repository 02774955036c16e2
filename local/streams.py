"""The table's change stream feeding its consumers (infra.topology.STREAM_CONSUMERS), locally.

Like a DynamoDB stream event source mapping: records are read in order from every shard
(starting at TRIM_HORIZON, so nothing written before the consumer existed is skipped), given to
the function in batches shaped like Lambda's stream event, and the shard does not move past a
batch until it succeeds. A batch that raises is retried (with backoff) from where it started;
with ``batchItemFailures`` the shard resumes at the first failed sequence number, as Lambda's
checkpointing does.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.lambdas import REGION, Invoker

log = logging.getLogger("cancelflow.local.streams")

BATCH_SIZE = 100
IDLE_SECONDS = 0.25
# The shard list is read again this often, not on every pass: each DescribeStream takes the
# embedded AWS's one DynamoDB lock, which the handlers' own requests are waiting for.
DESCRIBE_EVERY_SECONDS = 10.0
MAX_BACKOFF = 10.0


def _plain_av(v: Any) -> Any:
    """botocore's parsed attribute value back to the JSON the Lambda event carries."""
    if isinstance(v, bytes | bytearray):
        return base64.b64encode(v).decode()
    if isinstance(v, dict):
        return {k: _plain_av(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_av(x) for x in v]
    if isinstance(v, set):
        return [_plain_av(x) for x in v]
    return v


def stream_record(rec: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    d = dict(rec["dynamodb"])
    created = d.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        d["ApproximateCreationDateTime"] = int(created.timestamp())
    for k in ("Keys", "NewImage", "OldImage"):
        if k in d:
            d[k] = _plain_av(d[k])
    return {
        "eventID": rec["eventID"],
        "eventName": rec["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": d,
        "eventSourceARN": stream_arn,
    }


@dataclass
class StreamStats:
    invocations: int = 0
    records: int = 0
    errors: int = 0
    last_error: str | None = None


@dataclass
class StreamPoller:
    function: str
    table: str
    functions: Invoker
    stop: threading.Event
    ddb: Any
    streams: Any
    stats: StreamStats = field(default_factory=StreamStats)
    stream_arn: str = ""
    _iterators: dict[str, str | None] = field(default_factory=dict)
    _shards: list[dict[str, Any]] = field(default_factory=list)
    _described_at: float = float("-inf")

    def start(self) -> threading.Thread:
        self.stream_arn = self.ddb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        t = threading.Thread(target=self._run, name=f"stream-{self.function}", daemon=True)
        t.start()
        return t

    def _iterator(self, shard: str, kind: str = "TRIM_HORIZON", seq: str | None = None) -> str:
        kw: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard, "ShardIteratorType": kind}
        if seq:
            kw["SequenceNumber"] = seq
        it: str = self.streams.get_shard_iterator(**kw)["ShardIterator"]
        return it

    def _run(self) -> None:
        backoff = 0.5
        while not self.stop.is_set():
            try:
                busy = self.poll_once()
                backoff = 0.5
                if not busy:
                    self.stop.wait(IDLE_SECONDS)
            except Exception as e:
                self.stats.errors += 1
                self.stats.last_error = f"{type(e).__name__}: {e}"
                log.error("stream consumer %s: %s", self.function, self.stats.last_error)
                self.stop.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    def poll_once(self) -> bool:
        """Read each shard once and hand over what it has; True when any record was handled.
        Raises when a batch failed (the shard stays where it was)."""
        if time.monotonic() - self._described_at >= DESCRIBE_EVERY_SECONDS:
            self._shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"][
                "Shards"
            ]
            self._described_at = time.monotonic()
        busy = False
        for shard in self._shards:
            sid = shard["ShardId"]
            if sid in self._iterators and self._iterators[sid] is None:
                continue  # a closed shard, read to its end
            it = self._iterators.get(sid) or self._iterator(sid)
            r = self.streams.get_records(ShardIterator=it, Limit=BATCH_SIZE)
            recs = r.get("Records") or []
            if not recs:
                self._iterators[sid] = r.get("NextShardIterator")
                continue
            busy = True
            event = {"Records": [stream_record(x, self.stream_arn) for x in recs]}
            self.stats.invocations += 1
            try:
                result = self.functions.invoke(self.function, event, 60)
            except Exception:
                log.error("stream consumer %s raised:\n%s", self.function, traceback.format_exc())
                self._iterators[sid] = self._iterator(
                    sid, "AT_SEQUENCE_NUMBER", recs[0]["dynamodb"]["SequenceNumber"]
                )
                raise
            failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
            if failures:
                seqs = [str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)]
                first = (
                    min(seqs, key=lambda s: (len(s), s)) if seqs else recs[0]["dynamodb"]["SequenceNumber"]
                )
                done = [
                    x
                    for x in recs
                    if (len(x["dynamodb"]["SequenceNumber"]), x["dynamodb"]["SequenceNumber"])
                    < (len(first), first)
                ]
                self.stats.records += len(done)
                self._iterators[sid] = self._iterator(sid, "AT_SEQUENCE_NUMBER", first)
                raise RuntimeError(f"{len(recs) - len(done)} records reported failed; resuming at {first}")
            self.stats.records += len(recs)
            self._iterators[sid] = r.get("NextShardIterator")
        return busy
