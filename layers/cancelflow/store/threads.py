"""A conversation (工单) per request or stuck refund, between the customer and support/reviewers
(``cancelflow.cancel.conversation``): in the order's partition, one item for the thread
(``THREAD#<subject>``: who has read up to when, whether support owes an answer and by when)
and one per message (``MSG#<subject>#<time>#<id>``, never changed). A message and the thread's
new state are one transaction, conditional on the thread's version, so two messages at once
cannot both be "the first" and a read receipt never goes back in time.

While the customer waits for support's answer the thread sits in the due index
(``DUE#THREAD#nn``, ``due_at`` = the answer's due time; read by ``store.due.due_threads``); an
answer from support takes it out, the sweep (``sweeps.threads``) escalates one that passed it
and moves ``due_at`` one window on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from cancelflow.clock import iso
from cancelflow.settings import get_settings
from cancelflow.store import codec, ddb, history, keys
from cancelflow.store.schema import GSI_DUE

THREAD = "THREAD"
Author = Literal["customer", "staff"]


class Thread(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: str  # the request (rq_...) or refund (rf_...) it is about
    order_id: str
    customer_id: str
    priority: bool  # an urgent request's or a stuck refund's: the short answer window
    opened_at: datetime
    version: int = 0
    messages: int = 0
    last_message_at: datetime | None = None
    awaiting_since: datetime | None = None  # the customer's message support has not answered
    response_due: datetime | None = None  # support answers by then (while awaiting)
    first_response_at: datetime | None = None  # support's first answer in this thread
    escalations: int = 0
    escalated_at: datetime | None = None
    customer_read_at: datetime | None = None  # read receipts: what each side has seen
    staff_read_at: datetime | None = None


class Message(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    subject_id: str
    order_id: str
    author: Author
    author_id: str
    role: str  # customer, reviewer, senior_reviewer or support
    text: str
    evidence: tuple[str, ...] = ()
    at: datetime


class Conversations(msgspec.Struct, frozen=True):
    """An order's conversations as its partition read has them (``orders.read_partition``)."""

    threads: dict[str, Thread] = msgspec.field(default_factory=dict)  # by subject
    messages: dict[str, list[Message]] = msgspec.field(default_factory=dict)  # by subject, oldest first


def of_items(items: list[ddb.Item]) -> Conversations:
    """The conversations among an order partition's items (sort keys in time order)."""
    out = Conversations()
    for i in items:
        if i.get("type") == "thread":
            t = decode(i)
            out.threads[t.subject_id] = t
        elif i.get("type") == "message":
            m = codec.decode(Message, i)
            out.messages.setdefault(m.subject_id, []).append(m)
    return out


def _thread_sk(subject_id: str) -> str:
    return f"{THREAD}#{subject_id}"


def _due_pk(subject_id: str) -> str:
    return keys.due_pk(THREAD, keys.shard(subject_id, get_settings().due_shards))


def _attrs(v: msgspec.Struct) -> dict[str, Any]:
    return codec.dump(msgspec.to_builtins(v, builtin_types=(datetime,)), exclude_none=True)


def decode(item: ddb.Item) -> Thread:
    return codec.decode(Thread, item)


def _thread_put(t: Thread) -> dict[str, Any]:
    item = {"pk": keys.order_pk(t.order_id), "sk": _thread_sk(t.subject_id), "type": "thread", **_attrs(t)}
    if t.response_due is not None:
        item |= {"due_pk": _due_pk(t.subject_id), "due_at": iso(t.response_due)}
    cond = "attribute_not_exists(pk)" if t.version == 1 else "version = :v"
    put: dict[str, Any] = {"Item": ddb.to_item(item), "ConditionExpression": cond}
    if t.version > 1:
        put["ExpressionAttributeValues"] = ddb.values({":v": t.version - 1})
    return {"Put": put}


def save(t: Thread, message: Message | None = None, entry: dict[str, Any] | None = None) -> bool:
    """Write ``t`` (its version one past the stored one, or 1 for a new thread) with its new
    message and history entry, all or nothing; False when the thread moved on meanwhile."""
    ops = [_thread_put(t)]
    if message is not None:
        sk = f"MSG#{t.subject_id}#{iso(message.at)}#{message.message_id}"
        item = {"pk": keys.order_pk(t.order_id), "sk": sk, "type": "message", **_attrs(message)}
        ops.append({"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}})
    if entry is not None:
        ops.append(history.entry_put(t.order_id, **entry))
    try:
        ddb.transact(ops)
    except ddb.TransactionFailed as e:
        if ddb.LOST_RACE & set(e.reasons):
            return False
        raise
    return True


def awaiting(limit: int = 200) -> list[Thread]:
    """Threads whose customer waits for an answer, the earliest due first (every due shard)."""
    found: list[Thread] = []
    for n in range(get_settings().due_shards):
        found += [decode(i) for i in ddb.query_all(GSI_DUE, "due_pk = :p", {":p": keys.due_pk(THREAD, n)})]
    found.sort(key=lambda t: (t.response_due or t.opened_at, t.subject_id))
    return found[:limit]
