"""The auto-approval's amount, account-age and refund-channel rules through a submission, on moto
(docs/domain.md, "Auto-approval"): each one alone sends an otherwise auto-approvable request to
review, and the review task says what was asked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cancelflow.cancel import submit_cancellation
from cancelflow.domain.options import Action, Outcome, Submission
from cancelflow.domain.products import Channel, RefundTo
from cancelflow.domain.states import OrderStatus
from cancelflow.store import orders, payments

from tests.conftest import NOW

M = timedelta(minutes=1)
ASKED = NOW + 3 * M  # inside the window after payment at NOW + 1 min
REQ = Submission(action=Action.REQUEST)
OLD, NEW = {"customer_since": NOW - timedelta(days=30)}, {"customer_since": NOW - timedelta(days=2)}


def _paid(catalog: dict[str, str], customer: str, quantity: int = 1, **kw: Any) -> str:
    o = orders.create_order(customer, catalog["game_card"], quantity, NOW, **kw)
    payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, NOW + M)
    return o.order_id


@pytest.mark.parametrize(
    ("quantity", "kw", "sub", "outcome"),
    [
        (5, {}, Submission(action=Action.REQUEST), Outcome.REFUND_STARTED),  # 500 yuan: the ceiling
        (6, {}, Submission(action=Action.REQUEST), Outcome.UNDER_REVIEW),  # 600 yuan: above it
        (
            1,
            {"customer_since": NOW - timedelta(days=30)},
            Submission(action=Action.REQUEST),
            Outcome.REFUND_STARTED,
        ),
        (
            1,
            {"customer_since": NOW - timedelta(days=2)},
            Submission(action=Action.REQUEST),
            Outcome.UNDER_REVIEW,
        ),
        (1, {}, Submission(action=Action.REQUEST, refund_to=RefundTo.BALANCE), Outcome.UNDER_REVIEW),
    ],
    ids=["at-ceiling", "above-ceiling", "old-account", "new-account", "to-balance"],
)
def test_each_auto_approval_rule_alone_decides(
    catalog: dict[str, str], quantity: int, kw: dict[str, Any], sub: Submission, outcome: Outcome
) -> None:
    oid = _paid(catalog, "c-rules", quantity, **kw)
    r = submit_cancellation.submit("c-rules", oid, sub, ASKED)
    assert r.outcome is outcome
    order = orders.require_order(oid)
    if outcome is Outcome.REFUND_STARTED:
        assert order.status is OrderStatus.CANCELLED and order.refunded_amount == order.paid_amount
    else:
        assert (order.status, order.open_request_id, order.refunded_amount) == (
            OrderStatus.PAID,
            r.request_id,
            0,
        )
