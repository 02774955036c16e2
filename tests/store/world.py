"""Orders, requests and review tasks in the states the guard tests start from, made by the
store's own operations (so each is exactly what production would have stored)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cancelflow.domain.models import Order
from cancelflow.domain.options import Action, Submission
from cancelflow.domain.products import Channel, ProductType
from cancelflow.review import claims, intake, tasks
from cancelflow.review.tasks import Reviewer
from cancelflow.store import keys, orders, payments, requests, stock
from cancelflow.store import tasks as store_tasks
from cancelflow.store.requests import Request
from cancelflow.store.tasks import Task

from tests.conftest import NOW

PRODUCT = "p-guard"
PRICE = 1000
R1, R2 = Reviewer("r1"), Reviewer("r2")
S1 = Reviewer("s1", senior=True)

Key = tuple[str, str]


def add_product(n_keys: int = 4) -> str:
    stock.put_product(PRODUCT, ProductType.GAME_CARD, PRICE, "守卫", "guard")
    stock.add_keys(PRODUCT, ((f"k{i}", f"CODE-{i}") for i in range(n_keys)))
    return PRODUCT


def order_key(order_id: str) -> Key:
    return keys.order_pk(order_id), keys.ORDER


def stock_key(key_id: str) -> Key:
    return keys.product_pk(PRODUCT), keys.stock_key_sk(key_id)


def request_key(order_id: str, request_id: str) -> Key:
    return keys.order_pk(order_id), keys.request_sk(request_id)


def task_key(task_id: str) -> Key:
    return store_tasks.task_key(task_id)


def refund_key(refund_id: str) -> Key:
    return keys.refund_pk(refund_id), "REFUND"


def unpaid(at: datetime = NOW, quantity: int = 1) -> Order:
    return orders.create_order("c1", PRODUCT, quantity, at)


def paid(at: datetime = NOW) -> Order:
    o = unpaid(at)
    return payments.confirm_payment(o.order_id, f"pay-{o.order_id}", o.amount, Channel.ALIPAY, at).order


def delivering(at: datetime = NOW) -> Order:
    o = paid(at)
    return orders.start_delivery(o.order_id, at)


def delivered(at: datetime = NOW) -> Order:
    o = delivering(at)
    return orders.complete_delivery(o.order_id, at)


def held(order: Order, at: datetime = NOW, action: Action = Action.REQUEST) -> tuple[Order, Request]:
    """The order held by a request under review (and the request as stored)."""
    return requests.open_for_review(order, Submission(action=action), at)


def task_for(order: Order, request: Request, at: datetime = NOW) -> Task:
    """The review task intake makes of the request's message (read back as stored)."""
    assert intake.accept(requests.review_message(request, order), at)
    return tasks.get_task(tasks.task_id_for(request.request_id, "cancellation"))


def claimed(
    at: datetime = NOW, who: Reviewer = R1, order: Order | None = None, action: Action = Action.REQUEST
) -> dict[str, Any]:
    """An order (paid unless given) under review and its task leased by ``who``: the order,
    the request and the task, each as stored."""
    o, request = held(order or paid(at), at, action)
    task_for(o, request, at)
    task = claims.claim_next(who, at)
    return {"order": orders.require_order(o.order_id), "request": request, "task": task}


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)
