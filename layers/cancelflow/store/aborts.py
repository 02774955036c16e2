"""Fulfilment's `aborted` answer to a stop-delivery, as one transaction (docs/domain.md, "Stop
delivery"): the order cancelled with its full refund (its keys quarantined: delivery had
started), conditional on its version, on the hold by this request and on the abort still
requested; the request approved (by fulfilment, not a reviewer), out of the review due index,
only while under review; its task closed as decided (any lease ended: a reviewer's next step
on it is refused by its own write condition), or, with no task yet, the check that intake has
not made one; a platform fault taken back from the customer's risk, as an approval does."""

from __future__ import annotations

from datetime import datetime

from cancelflow.domain.models import Order
from cancelflow.domain.products import RefundTo
from cancelflow.domain.states import Actor
from cancelflow.store import orders, requests, tasks
from cancelflow.store.request_changes import review_kind, task_closed
from cancelflow.store.requests import Request
from cancelflow.store.review_decisions import uncounted
from cancelflow.store.review_steps import request_update

FULFILMENT = "fulfilment"  # who decided: fulfilment's answer, never a reviewer


def answered_aborted(
    order: Order, request: Request, task: tasks.Task | None, now: datetime, upstream: str | None
) -> tuple[Order, tuple[str, ...]]:
    """The order as left and its refund ids; CONFLICT (``orders.OrderConflict``) when any of it
    moved on (a `delivered` answer or a repeated `aborted` that committed first)."""
    rid = request.request_id
    note = "fulfilment aborted the delivery" + (f" (upstream: {upstream})" if upstream else "")
    decided = {"status": requests.APPROVED, "decided_by": FULFILMENT, "decided_at": now}
    task_id = task.task_id if task is not None else tasks.task_id_for(rid, review_kind(request))
    amount = order.refundable
    task_sets = {
        "outcome": "approved",
        "decided_by": FULFILMENT,
        "decided_at": now,
        "note": note,
        "refund_amount": amount,
        "order_cancelled": True,
    }
    return orders.cancel_with_refunds(
        order,
        now,
        actor=Actor.PLATFORM,
        actor_id=FULFILMENT,
        reason=request.reason_code.value,
        # no reviewer looked: the original channel only, as on the auto path (balance would
        # let a stolen payment be laundered into spendable balance)
        refund_to=RefundTo.ORIGINAL,
        request_id=rid,
        extra=[
            request_update(request, decided | {"decision_note": note, "updated_at": now}, decided=True),
            task_closed(task, task_id, now, tasks.DECIDED, task_sets),
            *uncounted(request),
        ],
        condition="open_request_id = :rid AND attribute_exists(abort_requested_at)",
        cond_values={":rid": rid},
        detail={"abort_answer": "aborted", "upstream": upstream, "task_id": task_id},
    )
