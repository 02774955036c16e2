"""The customer cancellation API (payload 2.0 behind API Gateway): thin routes over the use
cases in ``cancelflow.cancel``. ``handler`` is the Lambda entry point.

Cold start: no Tracer, and botocore is imported on the first AWS call, not here. A route is
registered when a request first matches it (``cancelflow.http.api``), and only then are the
modules its annotations name imported: they are bound with ``cancelflow.deferred.lazy`` (the
type checker reads the plain imports), the route's own body models are in
``cancelflow.cancel.api_models``, and each route imports its use case when it is first called.
So a cold start loads the one route it serves; its models are built on first use
(``cancelflow.http.fields.Model``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from cancelflow import clock, telemetry
from cancelflow.deferred import lazy
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http import context
from cancelflow.http.api import Api
from cancelflow.http.identity import ANY_SIGNED_IN, CUSTOMER, STAFF, SUPPORT
from cancelflow.http.params import (
    CustomerIdPath,
    DisputeRecordIdPath,
    NoticeIdPath,
    OrderIdPath,
    ProductIdPath,
    Query,
    RefundIdPath,
    RequestIdPath,
    SubjectIdPath,
)
from cancelflow.settings import get_settings

if TYPE_CHECKING:
    from cancelflow.cancel import (
        api_models as models,
    )
    from cancelflow.cancel import (
        conversation_views,
        customer_flag,
        dispute_record,
        inbox,
        timeline,
        views,
    )
    from cancelflow.domain import options, policy_prose
else:  # the same modules, each imported when a route first reads one of its names
    models = lazy("cancelflow.cancel.api_models")
    conversation_views = lazy("cancelflow.cancel.conversation_views")
    customer_flag = lazy("cancelflow.cancel.customer_flag")
    dispute_record = lazy("cancelflow.cancel.dispute_record")
    inbox = lazy("cancelflow.cancel.inbox")
    timeline = lazy("cancelflow.cancel.timeline")
    views = lazy("cancelflow.cancel.views")
    options = lazy("cancelflow.domain.options")
    policy_prose = lazy("cancelflow.domain.policy_prose")

api = Api("cancel")


@api.get("/v1/policies", roles=ANY_SIGNED_IN, aws=False)
def list_policies() -> models.PoliciesOut:
    """The published cancellation policy of each product type; the risk rules for staff only."""
    book = get_settings().policies
    staff = context.caller().has_any(STAFF)
    return models.PoliciesOut(policies=list(book.policies.values()), risk=book.risk if staff else None)


@api.get(
    "/v1/products/{product_id}/cancellation-policy",
    roles=(),
    public=True,
    errors=(ErrorCode.PRODUCT_NOT_FOUND,),
)
def product_cancellation_policy(product_id: ProductIdPath) -> policy_prose.ProductPolicy:
    """What if I cancel: the product's policy as prose in the reader's language (zh-CN or en),
    state by state, with the review and refund times; no sign-in (shown before buying)."""
    from cancelflow.cancel import product_policy  # this route's use case, loaded on its first call

    return product_policy.product_policy(product_id, context.lang())


@api.get("/v1/orders", roles=CUSTOMER)
def my_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> views.OrdersPage:
    """The caller's orders, newest first."""
    from cancelflow.cancel import list_orders  # this route's use case, loaded on its first call

    return list_orders.list_orders(context.caller().sub, limit, cursor, clock.now())


@api.get("/v1/orders/{order_id}", roles=CUSTOMER, errors=(ErrorCode.ORDER_NOT_FOUND,))
def order_detail(order_id: OrderIdPath) -> views.OrderDetail:
    """One order with its status and a cancellation summary."""
    from cancelflow.cancel import get_order  # this route's use case, loaded on its first call

    return get_order.get_order(context.caller().sub, order_id, clock.now(), context.lang())


@api.get(
    "/v1/orders/{order_id}/cancellation-options",
    roles=CUSTOMER,
    errors=(ErrorCode.ORDER_NOT_FOUND,),
)
def cancellation_options(order_id: OrderIdPath) -> options.CancellationOptions:
    """What the caller may do with the order now; for each action not allowed, why."""
    from cancelflow.cancel import order_view  # this route's use case, loaded on its first call

    _, options = order_view.options(order_id, context.caller().sub, clock.now(), context.lang())
    return options


# Everything check_submission and the writes can refuse with (domain/options.py, store/).
SUBMIT_ERRORS = (
    ErrorCode.REQUEST_REJECTED_APPEAL_INSTEAD,
    ErrorCode.REQUEST_REJECTED_FINAL,
    ErrorCode.ORDER_NOT_FOUND,
    ErrorCode.ORDER_EXPIRED,
    ErrorCode.ORDER_CANCELLED,
    ErrorCode.ALREADY_PAID,
    ErrorCode.NOT_PAID,
    ErrorCode.CANCELLATION_IN_PROGRESS,
    ErrorCode.ORDER_DELIVERING,
    ErrorCode.NOT_DELIVERING,
    ErrorCode.ALREADY_DELIVERED,
    ErrorCode.NOT_DELIVERED,
    ErrorCode.APPEALS_DISABLED,
    ErrorCode.APPEAL_WINDOW_CLOSED,
    ErrorCode.NOT_COMPLETED,
    ErrorCode.AFTER_SALES_WINDOW_CLOSED,
    ErrorCode.NOTHING_TO_REFUND,
    ErrorCode.ORDER_NOT_CANCELLABLE,
    ErrorCode.CONFLICT,
    ErrorCode.REASON_NOT_ALLOWED,
    ErrorCode.DESCRIPTION_REQUIRED,
    ErrorCode.EVIDENCE_REQUIRED,
    ErrorCode.EVIDENCE_INVALID,
    ErrorCode.AMOUNT_INVALID,
    ErrorCode.AMOUNT_NOT_ALLOWED,
)


@api.post(
    "/v1/orders/{order_id}/cancellations",
    roles=CUSTOMER,
    status=201,
    errors=SUBMIT_ERRORS,
)
def submit(order_id: OrderIdPath, body: models.CancellationIn) -> models.CancellationOut:
    """Cancel, request a cancellation, stop a delivery, appeal, or ask for after-sales."""
    from cancelflow import evidence  # this route's use case, loaded on its first call
    from cancelflow.cancel import submit_cancellation

    sub = options.Submission(**body.model_dump(exclude={"evidence"}), evidence=tuple(body.evidence))
    now = clock.now()
    result = submit_cancellation.submit(
        context.caller().sub, order_id, sub, now, context.lang(), evidence.check_for_order
    )
    _count_submission(sub.action, result.outcome)
    return models.CancellationOut(
        outcome=result.outcome,
        request_id=result.request_id,
        order_id=order_id,
        status=result.order.status,
        refund_id=result.refund_id,
        order=views.OrderOut.of(result.order, now),
        expected_review_by=result.expected_review_by,
        refund_eta=result.refund_eta,
    )


def _count_submission(action: options.Action, outcome: options.Outcome) -> None:
    """Business metrics: every submission by outcome; and for a request (the one action the
    auto-approval rule decides) 1 if the rule approved it, 0 if it went to review, so the
    metric's Average is the auto-approval rate. (An idempotent replay does not run the route.)"""
    telemetry.count("cancellations", outcome=outcome.value)
    if action is options.Action.REQUEST:
        telemetry.count("auto_approvals", 1 if outcome is options.Outcome.REFUND_STARTED else 0)


@api.post(
    "/v1/orders/{order_id}/cancellations/{request_id}/appeal",
    roles=CUSTOMER,
    status=200,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.REQUEST_NOT_FOUND,
        ErrorCode.APPEAL_NOT_ALLOWED,
        ErrorCode.INFO_REQUESTED,
        ErrorCode.ORDER_CANCELLED,
        ErrorCode.CANCELLATION_IN_PROGRESS,
        ErrorCode.NOTHING_TO_REFUND,
        ErrorCode.EVIDENCE_INVALID,
        ErrorCode.CONFLICT,
    ),
)
def appeal(order_id: OrderIdPath, request_id: RequestIdPath, body: models.AppealIn) -> models.AppealOut:
    """Appeal once against a rejection, with more text and evidence, optionally for a refund to balance.

    A request waiting for the answer to a reviewer's question is answered with POST .../answer
    instead (here: 409 INFO_REQUESTED)."""
    from cancelflow import evidence  # this route's use case, loaded on its first call
    from cancelflow.cancel import appeal_rejection

    out = appeal_rejection.appeal(
        context.caller().sub,
        order_id,
        request_id,
        body.text,
        tuple(body.evidence),
        body.refund_to,
        clock.now(),
        evidence.check_for_order,  # the same checks as for a new request
    )
    return models.AppealOut.model_validate(out)


@api.post(
    "/v1/orders/{order_id}/cancellations/{request_id}/answer",
    roles=CUSTOMER,
    status=200,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.REQUEST_NOT_FOUND,
        ErrorCode.NO_OPEN_QUESTION,
        ErrorCode.EVIDENCE_INVALID,
        ErrorCode.CONFLICT,
    ),
)
def answer(order_id: OrderIdPath, request_id: RequestIdPath, body: models.AnswerIn) -> models.AnswerOut:
    """Answer a reviewer's question about the request (status need_info), with text and evidence.

    The review goes on with the time that was left when the question was asked; the one appeal
    against a rejection stays unused."""
    from cancelflow import evidence  # this route's use case, loaded on its first call
    from cancelflow.cancel import answer_question

    out = answer_question.answer(
        context.caller().sub,
        order_id,
        request_id,
        body.text,
        tuple(body.evidence),
        clock.now(),
        evidence.check_for_order,  # the same checks as for a new request
    )
    return models.AnswerOut.model_validate(out)


@api.post(
    "/v1/orders/{order_id}/cancellations/{request_id}/withdraw",
    roles=CUSTOMER,
    status=200,
    errors=(
        ErrorCode.ORDER_NOT_FOUND,
        ErrorCode.REQUEST_NOT_FOUND,
        ErrorCode.REQUEST_NOT_PENDING,
        ErrorCode.ABORT_PENDING,
        ErrorCode.CONFLICT,
    ),
)
def withdraw(order_id: OrderIdPath, request_id: RequestIdPath) -> models.WithdrawOut:
    """Withdraw the request before its decision (under review, or while the reviewer waits for an answer).

    The order's hold lifts (it goes on as paid or delivering), the review task closes and the
    request no longer counts towards the caller's risk. A request already decided or withdrawn
    is 409 REQUEST_NOT_PENDING; one a reviewer is deciding at this instant is decided by
    whichever write lands first."""
    from cancelflow.cancel import withdraw_request  # this route's use case, loaded on its first call

    now = clock.now()
    done = withdraw_request.withdraw(context.caller().sub, order_id, request_id, now)
    r = done.request
    return models.WithdrawOut(
        request_id=r.request_id,
        order_id=order_id,
        status=r.status,
        action=r.action,
        withdrawn_at=now,
        task_id=done.task_id,
        order=views.OrderOut.of(done.order, now),
    )


FIX_ERRORS = (
    ErrorCode.ORDER_NOT_FOUND,
    ErrorCode.REFUND_NOT_FOUND,
    ErrorCode.REFUND_FIX_NOT_OFFERED,
    ErrorCode.CONFLICT,
)


@api.post("/v1/orders/{order_id}/refunds/{refund_id}/fix", roles=CUSTOMER, errors=FIX_ERRORS)
def fix_refund(order_id: OrderIdPath, refund_id: RefundIdPath, body: models.FixIn) -> views.RefundSummary:
    """Tell us how to receive a refund your account could not (status needs_customer_action).

    ``confirm_account``: the account works again (Alipay, bank card); ``to_balance``: the platform
    balance instead. The refund goes back to pending and is paid once; a fix not in its
    ``recovery.fixes`` is 409 REFUND_FIX_NOT_OFFERED (details: what is offered)."""
    from cancelflow.cancel import fix_refund as use_case  # this route's use case, loaded on its first call
    from cancelflow.domain.refund_recovery import Fix

    now = clock.now()
    done = use_case.fix(context.caller().sub, order_id, refund_id, Fix(body.fix), now)
    return views.RefundSummary.of(done, now, context.lang())


@api.post(
    "/v1/orders/{order_id}/refunds/{refund_id}/new-card",
    roles=CUSTOMER,
    errors=FIX_ERRORS,
)
def new_refund_card(
    order_id: OrderIdPath, refund_id: RefundIdPath, body: models.CardIn
) -> views.RefundSummary:
    """Give a new debit card for a WeChat Pay refund your card could not receive (the fix ``new_card``).

    WeChat Pay pays the card (发起异常退款), once; the card is kept only until WeChat took it and
    is in no answer. Where ``new_card`` is not in the refund's ``recovery.fixes``: 409
    REFUND_FIX_NOT_OFFERED."""
    from cancelflow.cancel import fix_refund as use_case  # this route's use case, loaded on its first call
    from cancelflow.domain.refund_recovery import Fix
    from cancelflow.store.refunds import cards

    now = clock.now()
    card = cards.Card(**body.model_dump())
    done = use_case.fix(context.caller().sub, order_id, refund_id, Fix.NEW_CARD, now, card)
    return views.RefundSummary.of(done, now, context.lang())


@api.post(
    "/v1/orders/{order_id}/refunds/{refund_id}/chase",
    roles=CUSTOMER,
    status=200,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.REFUND_NOT_FOUND, ErrorCode.REFUND_CHASE_NOT_ALLOWED),
)
def chase_refund(order_id: OrderIdPath, refund_id: RefundIdPath) -> views.RefundSummary:
    """Chase (催办) a refund that is late: support takes it first and is alerted.

    Allowed while the refund is overdue and not succeeded, once per
    ``refund_chase_period_hours`` (24 h); otherwise 409 REFUND_CHASE_NOT_ALLOWED with when it can
    be chased again."""
    from cancelflow.cancel import chase_refund as use_case  # this route's use case, loaded on its first call

    now = clock.now()
    return views.RefundSummary.of(
        use_case.chase(context.caller().sub, order_id, refund_id, now), now, context.lang()
    )


@api.post(
    "/v1/orders/{order_id}/evidence-uploads",
    roles=CUSTOMER,
    status=201,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.EVIDENCE_INVALID),
)
def evidence_uploads(order_id: OrderIdPath, body: models.EvidenceUploadIn) -> models.EvidenceUploadOut:
    """A short-lived upload (presigned POST) for one PNG/JPEG/WebP image of at most 5 MB."""
    from cancelflow.cancel import evidence_upload  # this route's use case, loaded on its first call

    up = evidence_upload.start_upload(context.caller().sub, order_id, body.content_type, clock.now())
    return models.EvidenceUploadOut.model_validate(up, from_attributes=True)


@api.get("/v1/orders/{order_id}/timeline", roles=CUSTOMER, errors=(ErrorCode.ORDER_NOT_FOUND,))
def order_timeline(order_id: OrderIdPath) -> timeline.Timeline:
    """The order's history (requests, review steps, refund steps), titled in the caller's language."""
    return timeline.timeline(context.caller().sub, order_id, clock.now(), context.lang())


@api.get("/v1/inbox", roles=CUSTOMER)
def my_inbox(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> inbox.InboxPage:
    """The caller's inbox (站内信), newest first: a message for every moment they must know of
    (decisions, questions, refunds started, arrived, late or needing them), in the caller's
    language, with the count of unread messages. ``cursor`` is the previous page's
    ``next_cursor``."""

    return inbox.page(context.caller().sub, limit, cursor, context.lang())


@api.get("/v1/inbox/unread-count", roles=CUSTOMER)
def inbox_unread_count() -> inbox.UnreadOut:
    """How many of the caller's inbox messages are unread (for a badge)."""
    return inbox.unread(context.caller().sub)


@api.post(
    "/v1/inbox/{notice_id}/read",
    roles=CUSTOMER,
    status=200,
    errors=(ErrorCode.NOTICE_NOT_FOUND,),
)
def mark_notice_read(notice_id: NoticeIdPath) -> inbox.NoticeOut:
    """Mark one of the caller's messages read (again: it stays read since the first time)."""
    return inbox.mark_read(context.caller().sub, notice_id, clock.now(), context.lang())


THREAD_ERRORS = (ErrorCode.ORDER_NOT_FOUND, ErrorCode.REQUEST_NOT_FOUND, ErrorCode.REFUND_NOT_FOUND)


@api.get(
    "/v1/orders/{order_id}/threads/{subject_id}",
    roles=(*CUSTOMER, *STAFF),
    errors=THREAD_ERRORS,
)
def read_thread(order_id: OrderIdPath, subject_id: SubjectIdPath) -> conversation_views.ThreadOut:
    """A request's or refund's conversation (工单): messages, the reviewer's questions and the
    customer's answers, read receipts, and when support's answer is due. A customer reads only
    their own orders' conversations."""
    from cancelflow.cancel import conversation

    return conversation.read(context.caller(), order_id, subject_id)


@api.post(
    "/v1/orders/{order_id}/threads/{subject_id}/messages",
    roles=(*CUSTOMER, *STAFF),
    status=201,
    errors=(*THREAD_ERRORS, ErrorCode.CONFLICT, ErrorCode.EVIDENCE_INVALID),
)
def post_message(
    order_id: OrderIdPath, subject_id: SubjectIdPath, body: models.MessageIn
) -> conversation_views.ThreadOut:
    """Write in the conversation. A customer's message starts support's answer window (5
    minutes for an urgent request or a stuck refund, 60 otherwise, by default) if none is
    running; support's (or a reviewer's) answer ends it and tells the customer in their inbox."""
    from cancelflow import evidence
    from cancelflow.cancel import conversation

    return conversation.post(
        context.caller(),
        order_id,
        subject_id,
        body.text,
        tuple(body.evidence),
        clock.now(),
        evidence.check_for_order,
    )


@api.post(
    "/v1/orders/{order_id}/threads/{subject_id}/read",
    roles=(*CUSTOMER, *STAFF),
    errors=(*THREAD_ERRORS, ErrorCode.CONFLICT),
)
def read_receipt(order_id: OrderIdPath, subject_id: SubjectIdPath) -> conversation_views.ThreadOut:
    """The caller's side has read the conversation up to now (the other side sees it)."""
    from cancelflow.cancel import conversation

    return conversation.mark_read(context.caller(), order_id, subject_id, clock.now())


@api.get("/v1/support/threads", roles=STAFF)
def awaiting_threads() -> models.AwaitingOut:
    """Conversations whose customer waits for an answer, the earliest due first, with how often
    each went overdue (support's queue; the console counts down to each due time)."""
    from cancelflow.cancel import conversation

    return models.AwaitingOut(items=conversation.awaiting())


@api.post(
    "/v1/orders/{order_id}/dispute-records",
    roles=CUSTOMER,
    status=201,
    errors=(ErrorCode.ORDER_NOT_FOUND,),
)
def issue_dispute_record(order_id: OrderIdPath) -> dispute_record.DisputeRecordOut:
    """Issue the order's dispute record: order, payments and refunds with the provider's
    references, requests and decisions, timeline, hashed (SHA-256) and kept by the platform."""
    return dispute_record.issue(context.caller().sub, order_id, clock.now(), context.lang())


@api.get(
    "/v1/dispute-records/{record_id}",
    roles=CUSTOMER,
    errors=(ErrorCode.DISPUTE_RECORD_NOT_FOUND,),
)
def get_dispute_record(record_id: DisputeRecordIdPath) -> dispute_record.DisputeRecordOut:
    """A dispute record issued to the caller, exactly as issued."""
    return dispute_record.get(context.caller().sub, record_id)


@api.get(
    "/v1/dispute-records/{record_id}/page",
    roles=CUSTOMER,
    html=True,
    errors=(ErrorCode.DISPUTE_RECORD_NOT_FOUND,),
)
def dispute_record_page(record_id: DisputeRecordIdPath) -> str:
    """The record as a printable page (text/html) in the caller's language."""
    from cancelflow.cancel import dispute_page

    return dispute_page.render(dispute_record.get(context.caller().sub, record_id), context.lang())


@api.post("/v1/dispute-records/verify", roles=SUPPORT)
def verify_dispute_record(body: models.VerifyIn) -> dispute_record.Verification:
    """Support: whether the platform issued exactly this record (its hash names one it keeps)."""
    return dispute_record.verify(body.record)


@api.get("/v1/customers/{customer_id}/flag", roles=SUPPORT)
def customer_flag_view(customer_id: CustomerIdPath) -> customer_flag.CustomerFlagOut:
    """Support: whether the customer is flagged high-risk, why, and the flag's recent changes."""
    return customer_flag.view(customer_id)


@api.post(
    "/v1/customers/{customer_id}/flag",
    roles=SUPPORT,
    errors=(ErrorCode.VALIDATION_FAILED,),
)
def customer_flag_change(
    customer_id: CustomerIdPath, body: models.CustomerFlagIn
) -> customer_flag.CustomerFlagOut:
    """Support: flag a customer high-risk, or clear the flag, with a reason; audited."""
    if not body.reason.strip():
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "reason", "why": "say why"})
    return customer_flag.change(customer_id, body.flagged, body.reason, context.caller().sub, clock.now())


handler = api.handler
