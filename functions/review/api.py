"""The reviewer routes (payload 2.0 behind API Gateway): thin routes over ``cancelflow.review``.
``handler`` is the Lambda entry point. Roles: reviewers and senior reviewers only, on every
route (support works refunds, not the queue: tasks carry customers' risk figures and evidence
links); who may decide an appeal against a rejection is the review step's rule
(``review.decisions``). A route is registered when a request first matches it
(``cancelflow.http.api``); routes import the use cases only they call when first called (the
decision's, which its body model is in, bound with ``cancelflow.deferred.lazy``), and models are
built on first use (``cancelflow.http.fields.Model``): a cold start loads its route's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from cancelflow import clock
from cancelflow.deferred import lazy
from cancelflow.errors import ErrorCode
from cancelflow.http import context
from cancelflow.http.api import Api
from cancelflow.http.fields import Model
from cancelflow.http.identity import REVIEWERS
from cancelflow.http.params import Query, TaskIdPath
from cancelflow.review import tasks  # (every route's view)
from cancelflow.review.tasks import Reviewer
from pydantic import ConfigDict, Field

if TYPE_CHECKING:
    from cancelflow.review import decisions
else:  # the decision's rules and its body model, imported when the decision route is registered
    decisions = lazy("cancelflow.review.decisions")

api = Api("review")


class TaskOut(Model):
    """A review task as reviewers see it (more fields may follow: risk, answers, decision)."""

    model_config = ConfigDict(extra="allow")
    task_id: str
    kind: Literal["cancellation", "rejection_appeal"]
    request_id: str
    order_id: str
    customer_id: str
    action: str
    reason_code: str
    status: Literal["open", "claimed", "waiting_customer", "decided", "withdrawn"] = Field(
        description="withdrawn: its customer took the request back (listed nowhere; 409 REQUEST_WITHDRAWN)"
    )
    priority_class: int = Field(description="0 urgent (platform fault, stop-delivery, escalated), 1 normal")
    escalated: bool
    senior_only: bool
    strict_review: bool
    decision_due: str
    first_response_due: str | None = None
    lease_holder: str | None = None
    lease_until: str | None = None
    version: int
    partial_amount_allowed: bool = Field(description="a decision may refund part of the amount")


class TasksPage(Model):
    """One page of a list, in the shape every list of the API has."""

    items: list[TaskOut]
    next_cursor: str | None = Field(
        default=None, description="pass as ?cursor= for the next page (opaque; none: the last page)"
    )


class EvidenceLink(Model):
    key: str
    url: str = Field(description="a short-lived download link")


class RiskOut(Model):
    window_days: int
    orders: int
    cancellation_requests: int
    ratio: float
    flagged: bool
    high_risk: bool


class TaskDetailOut(Model):
    task: TaskOut
    order: dict[str, Any]
    request: dict[str, Any]
    history: list[dict[str, Any]]
    risk: RiskOut
    evidence: list[EvidenceLink]
    evidence_url_seconds: int


class DecisionOut(Model):
    outcome: Literal["approved", "rejected", "need_info", "converted_to_appeal"]
    refund_id: str | None = None
    order_status: str
    task: TaskOut


def _me() -> Reviewer:
    who = context.caller()
    return Reviewer(id=who.sub, senior="senior_reviewer" in who.groups)


@api.get("/v1/reviews", roles=REVIEWERS)
def list_reviews(
    status: Annotated[Literal["open", "claimed", "waiting_customer", "decided"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TasksPage:
    """Tasks by status: open and claimed in priority order, the others newest first."""
    now = clock.now()
    items, nxt = tasks.list_tasks(status, now, limit, cursor, caller=context.caller().sub)
    return TasksPage(items=[TaskOut.model_validate(tasks.view(t, now)) for t in items], next_cursor=nxt)


@api.post("/v1/reviews/claim-next", roles=REVIEWERS, errors=(ErrorCode.NO_TASK_AVAILABLE,))
def claim_next() -> TaskOut:
    """Lease the highest-priority open task to the caller (10 minutes by default)."""
    from cancelflow.review import claims  # claim and release only, loaded on first call

    now = clock.now()
    return TaskOut.model_validate(tasks.view(claims.claim_next(_me(), now), now))


@api.get("/v1/reviews/{task_id}", roles=REVIEWERS, errors=(ErrorCode.TASK_NOT_FOUND,))
def task_detail(task_id: TaskIdPath) -> TaskDetailOut:
    """The task with its order, history, the customer's risk and evidence download links."""
    from cancelflow.review import detail  # this route's use case, loaded on its first call

    return TaskDetailOut.model_validate(detail.task_detail(task_id, clock.now()))


@api.post(
    "/v1/reviews/{task_id}/release",
    roles=REVIEWERS,
    errors=(
        ErrorCode.TASK_NOT_FOUND,
        ErrorCode.LEASE_NOT_HELD,
        ErrorCode.TASK_ALREADY_DECIDED,
        ErrorCode.REQUEST_WITHDRAWN,
    ),
)
def release(task_id: TaskIdPath) -> TaskOut:
    """Give a claimed task back to the pool."""
    from cancelflow.review import claims  # claim and release only, loaded on first call

    now = clock.now()
    return TaskOut.model_validate(tasks.view(claims.release(task_id, _me(), now), now))


@api.post(
    "/v1/reviews/{task_id}/decision",
    roles=REVIEWERS,
    errors=(
        ErrorCode.TASK_NOT_FOUND,
        ErrorCode.LEASE_NOT_HELD,
        ErrorCode.TASK_ALREADY_DECIDED,
        ErrorCode.REQUEST_WITHDRAWN,
        ErrorCode.ABORT_PENDING,
        ErrorCode.CHECKLIST_INCOMPLETE,
        ErrorCode.AMOUNT_INVALID,
        ErrorCode.AMOUNT_NOT_ALLOWED,
        ErrorCode.NOTHING_TO_REFUND,
        ErrorCode.ORDER_NOT_CANCELLABLE,
        ErrorCode.CONFLICT,
    ),
)
def decide(task_id: TaskIdPath, body: decisions.Decision) -> DecisionOut:
    """approve (all three checks), reject (why) or need_info (what); only the lease holder,
    and for an appeal against a rejection only a senior who did not reject it."""
    return DecisionOut.model_validate(decisions.decide(task_id, _me(), body, clock.now()))


handler = api.handler
