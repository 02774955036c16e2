"""Cancel against delivery, from different threads, on moto.

GIVEN 200 orders (unpaid; paid inside the auto window; paid outside it) WHEN for each a cancel
(self-cancel / request) and a delivery start (after payment, for the unpaid ones) run at the
same moment on different threads THEN every order ends in exactly one outcome, the loser gets
a domain error (CONFLICT / ORDER_HELD / ...), stock is conserved and refunded <= paid.

About moto and threads (verified in moto 5.2.5): a request is not atomic in-process. A
transaction checks its conditions and writes without a lock, and on failure restores a deep
copy of the whole table taken before it started, which erases writes other threads made
meanwhile (two threads, one making failing transactions, one 300 committed writes: 1 committed
write lost, and a transaction crashed with "dictionary changed size during iteration" while
copying the table). Real DynamoDB executes each request atomically (transactions are serialisable), so
the ``aws`` fixture gives moto that guarantee: one lock around each DynamoDB request, and
transactions that never restore a table copy (local/embedded_aws.py). What races here is
what races in production: requests interleave between one call's read and its conditional
write, and only the conditions decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cancelflow import aws
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Outcome, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError
from cancelflow.store import orders, payments, stock
from cancelflow.store.codec import decode

from tests.conftest import NOW
from tests.integration.lifecycle_world import check_invariants, race, scan_all, stock_counts

GROUPS = (67, 67, 66)  # unpaid, paid inside the auto window, paid after it: 200 orders
KEYS = sum(GROUPS) + 20
PAID_AT = NOW + timedelta(minutes=1)
IN_WINDOW = PAID_AT + timedelta(minutes=5)
AFTER_WINDOW = PAID_AT + timedelta(minutes=30)
PID = "p-race"


def _code(r: object) -> str:
    return r.code if isinstance(r, DomainError) else "ok"


@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~3,000 requests to moto; minutes on a loaded 2-core machine
@pytest.mark.usefixtures("aws")  # (by name only: ``aws`` here is cancelflow's client module)
def test_cancel_and_delivery_race_to_exactly_one_outcome() -> None:
    stock.put_product(PID, ProductType.GAME_CARD, 1000, "竞速", "race")
    stock.add_keys(PID, ((f"rk{i:04d}", f"CODE{i:04d}") for i in range(KEYS)))
    aws.dynamodb()  # one client, created before the threads (boto3 clients are thread-safe)

    unpaid: list[Order] = []
    auto: list[Order] = []
    review: list[Order] = []
    for group, n in zip((unpaid, auto, review), GROUPS, strict=True):
        for _ in range(n):
            o = orders.create_order(f"c{len(unpaid) + len(auto) + len(review)}", PID, 1, NOW)
            if group is not unpaid:
                payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, PAID_AT)
            group.append(o)
    assert stock_counts(scan_all(), PID) == {"available": 20, "reserved": sum(GROUPS)}

    def self_cancel(o: Any) -> Callable[[], object]:
        return lambda: submit_cancellation.submit(
            o.customer_id, o.order_id, Submission(action=Action.SELF_CANCEL), IN_WINDOW
        )

    def pay_then_deliver(o: Any) -> Callable[[], object]:
        def go() -> object:
            pay = payments.confirm_payment(
                o.order_id, f"pay-u-{o.order_id}", o.amount, Channel.ALIPAY, IN_WINDOW
            )
            return orders.start_delivery(o.order_id, IN_WINDOW) if pay.applied else pay

        return go

    def request(o: Any, at: Any) -> Callable[[], object]:
        return lambda: submit_cancellation.submit(
            o.customer_id, o.order_id, Submission(action=Action.REQUEST), at
        )

    def deliver(o: Any, at: Any) -> Callable[[], object]:
        return lambda: orders.start_delivery(o.order_id, at)

    results = race(
        [(self_cancel(o), pay_then_deliver(o)) for o in unpaid]
        + [(request(o, IN_WINDOW), deliver(o, IN_WINDOW)) for o in auto]
        + [(request(o, AFTER_WINDOW), deliver(o, AFTER_WINDOW)) for o in review]
    )

    items = scan_all()
    by_id = {i["order_id"]: i for i in items if i.get("type") == "order"}
    entries = Counter(i["order_id"] for i in items if i.get("type") == "history")
    outcomes: Counter[str] = Counter()
    losers: Counter[str] = Counter()
    for o, (cancel, delivery) in zip(unpaid + auto + review, results, strict=True):
        final = decode(Order, by_id[o.order_id])
        cancelled = final.status is OrderStatus.CANCELLED
        delivering = final.status is OrderStatus.DELIVERING
        if o in unpaid:
            # the cancel won: the payment arrived on a cancelled order and was refunded in full
            if cancelled:
                assert _code(cancel) == "ok" and final.refunded_amount == final.paid_amount
                assert delivery is not None and getattr(delivery, "applied", True) is False
                outcomes["unpaid: cancelled, payment refunded"] += 1
                losers["payment -> refund"] += 1
            else:
                assert delivering and final.refunded_amount == 0, final
                assert _code(delivery) == "ok" and _code(cancel) != "ok"
                outcomes["unpaid: paid and delivering"] += 1
                losers[_code(cancel)] += 1
        elif o in auto:
            # cancelled with its refund, or delivering with no refund: never both, never neither
            assert cancelled != delivering, final
            assert final.refunded_amount == (final.paid_amount if cancelled else 0)
            winner, loser = (cancel, delivery) if cancelled else (delivery, cancel)
            assert _code(winner) == "ok" and _code(loser) != "ok"
            if cancelled:
                assert isinstance(cancel, submit_cancellation.SubmissionResult)
                assert cancel.outcome is Outcome.REFUND_STARTED
            outcomes["auto: " + ("cancelled + refund" if cancelled else "delivering")] += 1
            losers[_code(loser)] += 1
        else:
            # held for review (delivery refused) or delivering (request refused)
            held = final.status is OrderStatus.PAID and final.held
            assert held != delivering and final.refunded_amount == 0, final
            winner, loser = (cancel, delivery) if held else (delivery, cancel)
            assert _code(winner) == "ok" and _code(loser) != "ok"
            outcomes["review: " + ("held" if held else "delivering")] += 1
            losers[_code(loser)] += 1
        # one history entry per change: created (+ paid) + exactly one winning change (+ refund)
        assert entries[o.order_id] == final.version

    check_invariants(items)
    counts = stock_counts(items, PID)
    assert sum(counts.values()) == KEYS  # conserved
    n_cancelled = outcomes["unpaid: cancelled, payment refunded"] + outcomes["auto: cancelled + refund"]
    assert counts["available"] == 20 + n_cancelled
    assert sum(outcomes.values()) == sum(GROUPS)
    # the losers were told why, with the codes of a lost race or of the state found
    # (ORDER_NOT_CANCELLABLE: delivery found the order already cancelled)
    assert set(losers) <= {
        "CONFLICT",
        "ORDER_HELD",
        "ORDER_DELIVERING",
        "ORDER_NOT_CANCELLABLE",
        "ALREADY_PAID",
        "payment -> refund",
    }
    # both sides won some races (else nothing raced); printed with -s
    assert n_cancelled > 0 and n_cancelled < sum(GROUPS), outcomes
    print(dict(outcomes), dict(losers))
