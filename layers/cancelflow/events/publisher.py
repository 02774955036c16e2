"""The outbox publisher: stream records of new history entries -> the domain event bus.

A state change and its history entry commit in one transaction; the table's change stream
then delivers the entry here at least once. Nothing is lost when the bus call fails or the
function dies: a record counts as done only when EventBridge accepted its event, every
other record is reported back (``batchItemFailures``) and Lambda retries from the first of
them. A retry may publish an event again: it carries the same ``event_id`` (the history
entry's id) and consumers de-duplicate on it.

Why not Powertools' BatchProcessor: it calls a handler per record, which would mean one
PutEvents per event; PutEvents takes 10 entries, so events go in order, ten at a time,
and the partial response is built here. Publishing stops at the first failed call: Lambda
resumes the shard from the first failure anyway, so sending later records now would only
add duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from cancelflow import aws
from cancelflow.events import inbox
from cancelflow.events.outbox import DomainEvent, from_history
from cancelflow.settings import get_settings
from cancelflow.store import history

log = logging.getLogger(__name__)

MAX_ENTRIES = 10  # PutEvents' limit per call

PutEvents = Callable[[list[dict[str, Any]]], dict[str, Any]]


class Published(msgspec.Struct):
    """What one batch of stream records became, and the records to retry."""

    published: int = 0  # events EventBridge accepted
    failed: int = 0  # events it refused or that were not sent after a failure
    invalid: int = 0  # history entries that do not fit their schema (retried, then the DLQ)
    skipped: int = 0  # records that are not published events (not history, not catalogued)
    failed_notices: int = 0  # notices that could not be stored (their record is retried)
    notices: int = 0  # notices stored (customer.notified events made)
    retry: list[str] = msgspec.field(default_factory=list)  # sequence numbers to report as failures

    def response(self) -> dict[str, Any]:
        """Lambda's partial batch response for a stream event source."""
        return {"batchItemFailures": [{"itemIdentifier": s} for s in self.retry]}


def entry_of(record: dict[str, Any]) -> history.Entry | None:
    """The history entry a stream record inserts, if any."""
    if record.get("eventName") != "INSERT":
        return None  # history entries are only ever inserted; updates are other items
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    if (image.get("type") or {}).get("S") != "history":
        return None
    return history.of_stream_image(image)


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _default_put() -> PutEvents:
    client = aws.client("events")

    def put(entries: list[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = client.put_events(Entries=entries)
        return result

    return put


def _chunks(pending: list[tuple[str, DomainEvent]]) -> Iterator[list[tuple[str, DomainEvent]]]:
    for i in range(0, len(pending), MAX_ENTRIES):
        yield pending[i : i + MAX_ENTRIES]


def publish(records: list[dict[str, Any]], put: PutEvents | None = None) -> Published:
    out = Published()
    bus = get_settings().event_bus_name
    pending: list[tuple[str, DomainEvent]] = []
    first_bad: int | None = None
    customers = inbox.Customers()
    for i, record in enumerate(records):
        try:
            entry = entry_of(record)
            event = from_history(entry) if entry is not None else None
        except (msgspec.ValidationError, KeyError) as e:
            # A broken entry is our bug: it is reported (and, after the retries, goes to the
            # publisher's DLQ with its position) instead of being dropped silently.
            log.error("history entry does not fit its event schema: %s %s", _sequence(record), e)
            out.invalid += 1
            first_bad = i
            break
        try:
            # the customer's notice first: stored (once) before its event says it exists
            told = inbox.notify(entry, customers) if entry is not None else None
        except Exception as failure:  # the store failed: this record and all after it are retried
            log.warning("notice not stored: %s %s", _sequence(record), failure)
            out.failed_notices += 1
            first_bad = i
            break
        if event is None and told is None:
            out.skipped += 1
        out.notices += told is not None
        for made in (event, told):
            if made is not None:
                pending.append((_sequence(record), made))
    put = put or _default_put()
    sent = 0
    for chunk in _chunks(pending):
        try:
            result = put([e.entry(bus) for _, e in chunk])
            codes = [r.get("ErrorCode") for r in result.get("Entries", [])]
        except Exception as e:  # the call failed as a whole (after botocore's own retries)
            log.warning("PutEvents failed: %s", e)
            codes = ["CallFailed"] * len(chunk)
        if len(codes) != len(chunk):
            codes = ["MissingResult"] * len(chunk)
        ok = [code is None for code in codes]
        out.published += sum(ok)
        sent += len(chunk)
        if not all(ok):
            out.retry += [seq for (seq, _), good in zip(chunk, ok, strict=True) if not good]
            break
    # everything not confirmed is retried: records left unsent after a failure, and the
    # invalid record with all that follows it (the shard resumes from the first anyway)
    out.retry += [seq for seq, _ in pending[sent:]]
    out.failed = len(pending) - out.published
    if first_bad is not None:
        out.retry += [_sequence(r) for r in records[first_bad:]]
    out.retry = sorted(set(out.retry), key=lambda s: (len(s), s))
    return out
