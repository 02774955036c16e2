"""What runs where: routes, consumers, schedules. Pure data, read by the CDK constructs AND by
the local runtime, so the deployed API and the local one cannot drift (tests/infra checks it).

Handlers are ``functions/<folder>/<module>.handler``; the folder is the Lambda asset.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    name: str  # logical name, also the CDK construct id
    folder: str  # functions/<folder> is the asset
    module: str  # handler = f"{module}.handler"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("cancel_api", "cancel", "api"),
        Function("platform_api", "platform", "api"),
        Function("review_api", "review", "api"),
        Function("review_intake", "review", "intake"),
        Function("refund_api", "refund", "api"),
        Function("refund_worker", "refund", "worker"),
        Function("expire_orders", "schedules", "expire_orders"),
        Function("flag_refunds", "schedules", "flag_refunds"),
        Function("flag_reviews", "schedules", "flag_reviews"),
        Function("event_publisher", "events", "publisher"),
    )
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: {order_id}
    function: str
    roles: tuple[str, ...]  # cognito:groups allowed; () = any signed-in user


CUSTOMER = ("customer",)
REVIEWERS = ("reviewer", "senior_reviewer")
PLATFORM = ("platform",)
SUPPORT = ("support",)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/policies", "cancel_api", ()),
    Route("GET", "/v1/orders", "cancel_api", CUSTOMER),
    Route("GET", "/v1/orders/{order_id}", "cancel_api", CUSTOMER),
    Route("GET", "/v1/orders/{order_id}/cancellation-options", "cancel_api", CUSTOMER),
    Route("POST", "/v1/orders/{order_id}/cancellations", "cancel_api", CUSTOMER),
    Route("POST", "/v1/orders/{order_id}/cancellations/{request_id}/appeal", "cancel_api", CUSTOMER),
    Route("POST", "/v1/orders/{order_id}/cancellations/{request_id}/answer", "cancel_api", CUSTOMER),
    Route("POST", "/v1/orders/{order_id}/evidence-uploads", "cancel_api", CUSTOMER),
    Route("GET", "/v1/orders/{order_id}/timeline", "cancel_api", CUSTOMER),
    Route("GET", "/v1/reviews", "review_api", REVIEWERS),
    Route("POST", "/v1/reviews/claim-next", "review_api", REVIEWERS),
    Route("GET", "/v1/reviews/{task_id}", "review_api", REVIEWERS),
    Route("POST", "/v1/reviews/{task_id}/release", "review_api", REVIEWERS),
    Route("POST", "/v1/reviews/{task_id}/decision", "review_api", REVIEWERS),
    Route("GET", "/v1/refunds", "refund_api", SUPPORT),
    Route("POST", "/v1/refunds/{refund_id}/retry", "refund_api", SUPPORT),
    Route("POST", "/v1/platform/orders", "platform_api", PLATFORM),
    Route("POST", "/v1/platform/payments", "platform_api", PLATFORM),
    Route("POST", "/v1/platform/orders/{order_id}/fulfilment", "platform_api", PLATFORM),
    Route("POST", "/v1/platform/refunds/{refund_id}/notify", "refund_api", PLATFORM),
)


@dataclass(frozen=True)
class QueueConsumer:
    queue: str  # key of cancelflow.store.schema.QUEUES
    function: str


CONSUMERS: tuple[QueueConsumer, ...] = (
    QueueConsumer("review", "review_intake"),
    QueueConsumer("refund", "refund_worker"),
)

# The table's change stream feeds the outbox publisher (docs/events.md).
STREAM_CONSUMERS: tuple[str, ...] = ("event_publisher",)


@dataclass(frozen=True)
class Schedule:
    function: str
    rate_minutes: int  # EventBridge rate(N minutes); overridable per environment in cdk.json


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("expire_orders", 1),
    Schedule("flag_refunds", 5),
    Schedule("flag_reviews", 1),
)
