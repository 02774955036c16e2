"""What a new refund record holds, which amounts may be refunded, and the table definition the
refund path and the outbox rely on. GIVEN a paid order WHEN a refund is owed THEN the record
names everything the worker, the sweeps and support read (mutation testing found these fields
and bounds unasserted at this level)."""

from __future__ import annotations

import re

import pytest
from cancelflow.clock import iso
from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.errors import DomainError
from cancelflow.settings import get_settings
from cancelflow.store import keys, orders, refunds
from cancelflow.store.codec import ID_PATTERN
from cancelflow.store.schema import idempotency_table_definition, table_definition
from msgspec.structs import replace

from tests.store import world
from tests.store.guard import item

T1 = world.later(1)


def _cancel(order: Order, amount: int | None = None) -> tuple[Order, str | None]:
    """The order cancelled, and its one refund (None when nothing is refunded)."""
    done, refund_ids = orders.cancel_with_refunds(
        order,
        T1,
        actor=Actor.REVIEWER,
        actor_id="r1",
        reason="changed_mind",
        refund_to=RefundTo.BALANCE,
        amount=amount,
        request_id="rq_" + "a" * 20,
    )
    return done, refund_ids[0] if refund_ids else None


def test_a_new_refund_holds_what_its_worker_sweeps_and_support_read(product: str) -> None:
    o = world.paid()
    _, rid = _cancel(o)
    assert rid is not None
    assert re.match(ID_PATTERN, rid) and rid.startswith("rf_")
    stored = item(world.refund_key(rid))
    shard = keys.shard(rid, get_settings().status_shards)
    assert stored["due_at"] == stored["sla_due_at"] > iso(T1)
    assert stored.pop("due_pk") == f"DUE#REFUND#{keys.shard(rid, get_settings().due_shards):02d}"
    for volatile in ("due_at", "sla_due_at"):
        stored.pop(volatile)
    assert stored == {
        "pk": f"REFUND#{rid}",
        "sk": "REFUND",
        "type": "refund",
        "refund_id": rid,
        "refund_no": rid.replace("_", ""),  # the provider's idempotency number, fixed once
        "order_id": o.order_id,
        "customer_id": "c1",
        "payment_id": o.payment_id,
        "paid_amount": o.paid_amount,
        "amount": o.paid_amount,
        "currency": "CNY",
        "channel": "balance",
        "refund_to": "balance",
        "reason": "changed_mind",
        "source": "reviewer",
        "request_id": "rq_" + "a" * 20,
        "status": "pending",
        "attempts": 0,
        "created_at": iso(T1),
        "updated_at": iso(T1),
        "next_attempt_at": iso(T1),
        "overdue": False,
        "version": 1,
        "status_pk": f"REFUND#pending#{shard:02d}",
        "status_sk": f"{iso(T1)}#{rid}",
    }


def test_a_one_fen_refund_is_created_and_a_zero_one_is_not(product: str) -> None:
    """GIVEN paid orders WHEN cancelled owing 1 fen, and owing nothing THEN a 1-fen refund
    exists for the first; the second is cancelled without a refund."""
    one, rid = _cancel(world.paid(), amount=1)
    assert rid is not None and item(world.refund_key(rid))["amount"] == 1 and one.refunded_amount == 1
    none, no_refund = _cancel(world.paid(), amount=0)
    assert no_refund is None and none.refunded_amount == 0 and none.status.value == "cancelled"


def test_refunds_outside_what_was_paid_are_refused(product: str) -> None:
    o = world.paid()
    for amount in (0, -1, o.refundable + 1):
        with pytest.raises(DomainError) as e:
            refunds.check_refundable(o, amount)
        assert (e.value.code, e.value.details) == (
            "AMOUNT_INVALID",
            {"field": "amount", "max_amount": o.refundable},
        )
    refunds.check_refundable(o, 1)
    refunds.check_refundable(o, o.refundable)
    spent = replace(o, refunded_amount=o.paid_amount)
    with pytest.raises(DomainError) as e:
        refunds.check_refundable(spent, 1)
    assert (e.value.code, e.value.details) == ("NOTHING_TO_REFUND", {"field": "amount", "max_amount": 0})


def test_the_table_streams_whole_items_and_its_indexes_project_them() -> None:
    """The events outbox reads new and old images from the stream; every index read decodes
    whole items; the idempotency table is keyed by Powertools' string ``id``."""
    t = table_definition("t")
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert {g["Projection"]["ProjectionType"] for g in t["GlobalSecondaryIndexes"]} == {"ALL"}
    assert {a["AttributeType"] for a in t["AttributeDefinitions"]} == {"S"}
    i = idempotency_table_definition("i")
    assert i["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert i["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
