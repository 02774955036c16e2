"""Dispute records the platform issued (docs/domain.md, "Dispute record"): content-addressed,
one item per record under ``RECORD#<sha256>``, holding the canonical text that was hashed, whose
order and customer it is, and when it was issued. Kept so the platform can later show that it
issued a record a customer presents elsewhere (12315, a provider's dispute channel): the same
text hashes to a stored key; a changed byte does not. Never updated, never deleted."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cancelflow.clock import iso, parse
from cancelflow.store import ddb

SK = "RECORD"


def record_pk(sha256: str) -> str:
    return f"RECORD#{sha256}"


class Issued(msgspec.Struct, frozen=True):
    """A dispute record as issued: its canonical text and that text's hash."""

    sha256: str
    order_id: str
    customer_id: str
    issued_at: datetime
    text: str  # the canonical JSON the hash is over


def put(issued: Issued) -> Issued:
    """Keep a record once. The key is its hash, so writing the same text again (a replayed
    request in the same millisecond) finds it there and changes nothing: the stored one wins."""
    item = {
        "pk": record_pk(issued.sha256),
        "sk": SK,
        "type": "dispute_record",
        "order_id": issued.order_id,
        "customer_id": issued.customer_id,
        "issued_at": iso(issued.issued_at),
        "text": issued.text,
    }
    try:
        ddb.transact(
            [{"Put": {"Item": ddb.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}}]
        )
    except ddb.TransactionFailed:
        stored = get(issued.sha256)
        if stored is None:  # cancelled for another reason than "already there"
            raise
        return stored
    return issued


def get(sha256: str) -> Issued | None:
    raw = ddb.get(record_pk(sha256), SK)
    if raw is None:
        return None
    return Issued(
        sha256=sha256,
        order_id=str(raw["order_id"]),
        customer_id=str(raw["customer_id"]),
        issued_at=parse(str(raw["issued_at"])),
        text=str(raw["text"]),
    )
