"""The customer cancellation API (payload 2.0 behind API Gateway): thin routes over the use
cases in ``cancelflow.cancel``. ``handler`` is the Lambda entry point.

Cold start: no Tracer, and botocore is imported on the first AWS call, not here. Each route
imports its use case when it is first called (a cold start loads only the route it serves),
and the models are built on first use (``cancelflow.http.fields.Model``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from cancelflow import clock, telemetry
from cancelflow.cancel import (
    customer_flag,
    dispute_record,  # (loaded anyway: it defines the record's models)
    timeline,  # (loaded anyway: it defines the Timeline model)
)
from cancelflow.cancel.conversation_views import ThreadOut, ThreadSummary
from cancelflow.cancel.dispute_record import DisputeRecordOut, Verification
from cancelflow.cancel.inbox import InboxPage, NoticeOut, UnreadOut
from cancelflow.cancel.timeline import Timeline
from cancelflow.cancel.views import OrderDetail, OrderOut, OrdersPage, RefundSummary, SupplementKind
from cancelflow.domain.calendar import CST_DESCRIPTION
from cancelflow.domain.eta import RefundEta
from cancelflow.domain.options import Action, CancellationOptions, Outcome, Submission
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.policy_prose import ProductPolicy
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import MAX_DESCRIPTION, Reason
from cancelflow.domain.refund_recovery import Fix
from cancelflow.domain.risk import RiskRules
from cancelflow.domain.states import OrderStatus
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.http import context
from cancelflow.http.api import Api
from cancelflow.http.fields import Fen, FreeText, Model, StrictBool
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
from cancelflow.store.requests import RequestStatus
from pydantic import ConfigDict, Field

api = Api("cancel")

# Evidence keys: at most this many per request at the API's edge; the policy may allow fewer.
MAX_EVIDENCE_FIELD = 20
EvidenceKeys = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=300)]],
    Field(max_length=MAX_EVIDENCE_FIELD, description="object keys from evidence-uploads"),
]


class PoliciesOut(Model):
    policies: list[CancellationPolicy]
    # The risk thresholds are staff's: a customer who saw them could stay just under them.
    risk: RiskRules | None = Field(default=None, description="for reviewers and support; null for others")


class CancellationIn(Model):
    model_config = ConfigDict(extra="forbid")
    action: Action
    reason_code: Reason = Reason.CHANGED_MIND
    description: FreeText | None = Field(default=None, max_length=MAX_DESCRIPTION)
    evidence: EvidenceKeys = Field(default_factory=list)
    refund_to: RefundTo = RefundTo.ORIGINAL
    # partial refunds (appeal, after-sales). Fen is strict: JSON true or "100" is not an amount
    # (pydantic would coerce them to 1 and 100). The real ceiling is the order's refundable
    # amount, checked by the domain.
    amount: Fen | None = Field(default=None, description="fen, a JSON integer: a partial refund")


class CancellationOut(Model):
    outcome: Outcome
    request_id: str
    order_id: str
    status: OrderStatus
    refund_id: str | None = None
    order: OrderOut
    expected_review_by: datetime | None = Field(
        None,
        description="under_review: when the decision is expected, from the review queue as it stands "
        "and never after the review SLA (or a stop's answer from fulfilment)",
    )
    refund_eta: RefundEta | None = Field(
        None,
        description="when the refund is expected on the channel it goes to: from now when it started, "
        "from the expected decision when under review",
    )


class AppealIn(Model):
    model_config = ConfigDict(extra="forbid")
    text: FreeText = Field(min_length=1, max_length=MAX_DESCRIPTION, description="what the reviewer missed")
    evidence: EvidenceKeys = Field(default_factory=list)
    refund_to: RefundTo = Field(default=RefundTo.ORIGINAL, description="balance: the alternative remedy")


class AnswerIn(Model):
    model_config = ConfigDict(extra="forbid")
    text: FreeText = Field(min_length=1, max_length=MAX_DESCRIPTION, description="the answer to the question")
    evidence: EvidenceKeys = Field(default_factory=list)


class _AddedOut(Model):
    request_id: str
    order_id: str
    status: RequestStatus = Field(description="under_review: a reviewer decides next")
    kind: SupplementKind
    task_id: str = Field(description="the review task that decides it")


class AppealOut(_AddedOut):
    refund_to: RefundTo
    expected_review_by: datetime = Field(
        description="when the appeal's decision is expected, from the review queue as it stands and "
        "never after its SLA"
    )


class AnswerOut(_AddedOut):
    decision_due: datetime = Field(description="the review's deadline: the time left when asked, from now")
    decision_due_cst: str = Field(description=CST_DESCRIPTION)


class WithdrawOut(Model):
    request_id: str
    order_id: str
    status: RequestStatus = Field(description="withdrawn: the request is closed, never decided")
    action: Action
    withdrawn_at: datetime
    task_id: str | None = Field(default=None, description="the review task it closed (none: not made yet)")
    order: OrderOut = Field(description="no longer held: it goes on in the state it has")


class CardIn(Model):
    """A debit card in the customer's own name, for WeChat Pay's 发起异常退款 (never logged)."""

    model_config = ConfigDict(extra="forbid")
    bank_type: str = Field(
        pattern=r"^[A-Z0-9_]{2,32}$", description="WeChat Pay's bank code, e.g. ICBC_DEBIT"
    )
    account: str = Field(pattern=r"^[0-9]{12,19}$", description="the card number", repr=False)
    # a name on one line: no control character at all (not even the tabs free text allows)
    real_name: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[^\u0000-\u001f\u007f-\u009f]+$",
        description="the card holder's name",
        repr=False,
    )


class FixIn(Model):
    model_config = ConfigDict(extra="forbid")
    fix: Literal[Fix.CONFIRM_ACCOUNT, Fix.TO_BALANCE] = Field(
        description="one of the refund's recovery.fixes (new_card has its own route: .../new-card)"
    )


class EvidenceUploadIn(Model):
    model_config = ConfigDict(extra="forbid")
    content_type: Literal["image/png", "image/jpeg", "image/webp"]


class EvidenceUploadOut(Model):
    key: str = Field(description="name this key in a request's evidence after uploading")
    url: str = Field(description="POST the file here as multipart/form-data: fields first, then file")
    fields: dict[str, str]
    content_type: str
    max_bytes: int
    expires_at: datetime = Field(description="S3 refuses the upload after this")


@api.get("/v1/policies", roles=ANY_SIGNED_IN, aws=False)
def list_policies() -> PoliciesOut:
    """The published cancellation policy of each product type; the risk rules for staff only."""
    book = get_settings().policies
    staff = context.caller().has_any(STAFF)
    return PoliciesOut(policies=list(book.policies.values()), risk=book.risk if staff else None)


@api.get(
    "/v1/products/{product_id}/cancellation-policy",
    roles=(),
    public=True,
    errors=(ErrorCode.PRODUCT_NOT_FOUND,),
)
def product_cancellation_policy(product_id: ProductIdPath) -> ProductPolicy:
    """What if I cancel: the product's policy as prose in the reader's language (zh-CN or en),
    state by state, with the review and refund times; no sign-in (shown before buying)."""
    from cancelflow.cancel import product_policy  # this route's use case, loaded on its first call

    return product_policy.product_policy(product_id, context.lang())


@api.get("/v1/orders", roles=CUSTOMER)
def my_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrdersPage:
    """The caller's orders, newest first."""
    from cancelflow.cancel import list_orders  # this route's use case, loaded on its first call

    return list_orders.list_orders(context.caller().sub, limit, cursor, clock.now())


@api.get("/v1/orders/{order_id}", roles=CUSTOMER, errors=(ErrorCode.ORDER_NOT_FOUND,))
def order_detail(order_id: OrderIdPath) -> OrderDetail:
    """One order with its status and a cancellation summary."""
    from cancelflow.cancel import get_order  # this route's use case, loaded on its first call

    return get_order.get_order(context.caller().sub, order_id, clock.now(), context.lang())


@api.get(
    "/v1/orders/{order_id}/cancellation-options",
    roles=CUSTOMER,
    errors=(ErrorCode.ORDER_NOT_FOUND,),
)
def cancellation_options(order_id: OrderIdPath) -> CancellationOptions:
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
def submit(order_id: OrderIdPath, body: CancellationIn) -> CancellationOut:
    """Cancel, request a cancellation, stop a delivery, appeal, or ask for after-sales."""
    from cancelflow import evidence  # this route's use case, loaded on its first call
    from cancelflow.cancel import submit_cancellation

    sub = Submission(**body.model_dump(exclude={"evidence"}), evidence=tuple(body.evidence))
    now = clock.now()
    result = submit_cancellation.submit(
        context.caller().sub, order_id, sub, now, context.lang(), evidence.check_for_order
    )
    _count_submission(sub.action, result.outcome)
    return CancellationOut(
        outcome=result.outcome,
        request_id=result.request_id,
        order_id=order_id,
        status=result.order.status,
        refund_id=result.refund_id,
        order=OrderOut.of(result.order, now),
        expected_review_by=result.expected_review_by,
        refund_eta=result.refund_eta,
    )


def _count_submission(action: Action, outcome: Outcome) -> None:
    """Business metrics: every submission by outcome; and for a request (the one action the
    auto-approval rule decides) 1 if the rule approved it, 0 if it went to review, so the
    metric's Average is the auto-approval rate. (An idempotent replay does not run the route.)"""
    telemetry.count("cancellations", outcome=outcome.value)
    if action is Action.REQUEST:
        telemetry.count("auto_approvals", 1 if outcome is Outcome.REFUND_STARTED else 0)


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
def appeal(order_id: OrderIdPath, request_id: RequestIdPath, body: AppealIn) -> AppealOut:
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
    return AppealOut.model_validate(out)


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
def answer(order_id: OrderIdPath, request_id: RequestIdPath, body: AnswerIn) -> AnswerOut:
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
    return AnswerOut.model_validate(out)


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
def withdraw(order_id: OrderIdPath, request_id: RequestIdPath) -> WithdrawOut:
    """Withdraw the request before its decision (under review, or while the reviewer waits for an answer).

    The order's hold lifts (it goes on as paid or delivering), the review task closes and the
    request no longer counts towards the caller's risk. A request already decided or withdrawn
    is 409 REQUEST_NOT_PENDING; one a reviewer is deciding at this instant is decided by
    whichever write lands first."""
    from cancelflow.cancel import withdraw_request  # this route's use case, loaded on its first call

    now = clock.now()
    done = withdraw_request.withdraw(context.caller().sub, order_id, request_id, now)
    r = done.request
    return WithdrawOut(
        request_id=r.request_id,
        order_id=order_id,
        status=r.status,
        action=r.action,
        withdrawn_at=now,
        task_id=done.task_id,
        order=OrderOut.of(done.order, now),
    )


FIX_ERRORS = (
    ErrorCode.ORDER_NOT_FOUND,
    ErrorCode.REFUND_NOT_FOUND,
    ErrorCode.REFUND_FIX_NOT_OFFERED,
    ErrorCode.CONFLICT,
)


@api.post(
    "/v1/orders/{order_id}/refunds/{refund_id}/fix", roles=CUSTOMER, errors=FIX_ERRORS
)
def fix_refund(order_id: OrderIdPath, refund_id: RefundIdPath, body: FixIn) -> RefundSummary:
    """Tell us how to receive a refund your account could not (status needs_customer_action).

    ``confirm_account``: the account works again (Alipay, bank card); ``to_balance``: the platform
    balance instead. The refund goes back to pending and is paid once; a fix not in its
    ``recovery.fixes`` is 409 REFUND_FIX_NOT_OFFERED (details: what is offered)."""
    from cancelflow.cancel import fix_refund as use_case  # this route's use case, loaded on its first call

    now = clock.now()
    done = use_case.fix(context.caller().sub, order_id, refund_id, Fix(body.fix), now)
    return RefundSummary.of(done, now, context.lang())


@api.post(
    "/v1/orders/{order_id}/refunds/{refund_id}/new-card",
    roles=CUSTOMER,
    errors=FIX_ERRORS,
)
def new_refund_card(order_id: OrderIdPath, refund_id: RefundIdPath, body: CardIn) -> RefundSummary:
    """Give a new debit card for a WeChat Pay refund your card could not receive (the fix ``new_card``).

    WeChat Pay pays the card (发起异常退款), once; the card is kept only until WeChat took it and
    is in no answer. Where ``new_card`` is not in the refund's ``recovery.fixes``: 409
    REFUND_FIX_NOT_OFFERED."""
    from cancelflow.cancel import fix_refund as use_case  # this route's use case, loaded on its first call
    from cancelflow.store.refunds import cards

    now = clock.now()
    card = cards.Card(**body.model_dump())
    done = use_case.fix(context.caller().sub, order_id, refund_id, Fix.NEW_CARD, now, card)
    return RefundSummary.of(done, now, context.lang())


@api.post(
    "/v1/orders/{order_id}/refunds/{refund_id}/chase",
    roles=CUSTOMER,
    status=200,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.REFUND_NOT_FOUND, ErrorCode.REFUND_CHASE_NOT_ALLOWED),
)
def chase_refund(order_id: OrderIdPath, refund_id: RefundIdPath) -> RefundSummary:
    """Chase (催办) a refund that is late: support takes it first and is alerted.

    Allowed while the refund is overdue and not succeeded, once per
    ``refund_chase_period_hours`` (24 h); otherwise 409 REFUND_CHASE_NOT_ALLOWED with when it can
    be chased again."""
    from cancelflow.cancel import chase_refund as use_case  # this route's use case, loaded on its first call

    now = clock.now()
    return RefundSummary.of(
        use_case.chase(context.caller().sub, order_id, refund_id, now), now, context.lang()
    )


@api.post(
    "/v1/orders/{order_id}/evidence-uploads",
    roles=CUSTOMER,
    status=201,
    errors=(ErrorCode.ORDER_NOT_FOUND, ErrorCode.EVIDENCE_INVALID),
)
def evidence_uploads(order_id: OrderIdPath, body: EvidenceUploadIn) -> EvidenceUploadOut:
    """A short-lived upload (presigned POST) for one PNG/JPEG/WebP image of at most 5 MB."""
    from cancelflow.cancel import evidence_upload  # this route's use case, loaded on its first call

    up = evidence_upload.start_upload(context.caller().sub, order_id, body.content_type, clock.now())
    return EvidenceUploadOut.model_validate(up, from_attributes=True)


@api.get(
    "/v1/orders/{order_id}/timeline", roles=CUSTOMER, errors=(ErrorCode.ORDER_NOT_FOUND,)
)
def order_timeline(order_id: OrderIdPath) -> Timeline:
    """The order's history (requests, review steps, refund steps), titled in the caller's language."""
    return timeline.timeline(context.caller().sub, order_id, clock.now(), context.lang())


@api.get("/v1/inbox", roles=CUSTOMER)
def my_inbox(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> InboxPage:
    """The caller's inbox (站内信), newest first: a message for every moment they must know of
    (decisions, questions, refunds started, arrived, late or needing them), in the caller's
    language, with the count of unread messages. ``cursor`` is the previous page's
    ``next_cursor``."""
    from cancelflow.cancel import inbox  # this route's use case, loaded on its first call

    return inbox.page(context.caller().sub, limit, cursor, context.lang())


@api.get("/v1/inbox/unread-count", roles=CUSTOMER)
def inbox_unread_count() -> UnreadOut:
    """How many of the caller's inbox messages are unread (for a badge)."""
    from cancelflow.cancel import inbox

    return inbox.unread(context.caller().sub)


@api.post(
    "/v1/inbox/{notice_id}/read",
    roles=CUSTOMER,
    status=200,
    errors=(ErrorCode.NOTICE_NOT_FOUND,),
)
def mark_notice_read(notice_id: NoticeIdPath) -> NoticeOut:
    """Mark one of the caller's messages read (again: it stays read since the first time)."""
    from cancelflow.cancel import inbox

    return inbox.mark_read(context.caller().sub, notice_id, clock.now(), context.lang())


class MessageIn(Model):
    model_config = ConfigDict(extra="forbid")
    text: FreeText = Field(min_length=1, max_length=MAX_DESCRIPTION)
    evidence: EvidenceKeys = Field(default_factory=list, description="the customer's images only")


class AwaitingOut(Model):
    items: list[ThreadSummary] = Field(description="the earliest answer due first")


THREAD_ERRORS = (ErrorCode.ORDER_NOT_FOUND, ErrorCode.REQUEST_NOT_FOUND, ErrorCode.REFUND_NOT_FOUND)


@api.get(
    "/v1/orders/{order_id}/threads/{subject_id}",
    roles=(*CUSTOMER, *STAFF),
    errors=THREAD_ERRORS,
)
def read_thread(order_id: OrderIdPath, subject_id: SubjectIdPath) -> ThreadOut:
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
def post_message(order_id: OrderIdPath, subject_id: SubjectIdPath, body: MessageIn) -> ThreadOut:
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
def read_receipt(order_id: OrderIdPath, subject_id: SubjectIdPath) -> ThreadOut:
    """The caller's side has read the conversation up to now (the other side sees it)."""
    from cancelflow.cancel import conversation

    return conversation.mark_read(context.caller(), order_id, subject_id, clock.now())


@api.get("/v1/support/threads", roles=STAFF)
def awaiting_threads() -> AwaitingOut:
    """Conversations whose customer waits for an answer, the earliest due first, with how often
    each went overdue (support's queue; the console counts down to each due time)."""
    from cancelflow.cancel import conversation

    return AwaitingOut(items=conversation.awaiting())


class VerifyIn(Model):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, Any] = Field(description="the record as presented (its JSON object, not the envelope)")


@api.post(
    "/v1/orders/{order_id}/dispute-records",
    roles=CUSTOMER,
    status=201,
    errors=(ErrorCode.ORDER_NOT_FOUND,),
)
def issue_dispute_record(order_id: OrderIdPath) -> DisputeRecordOut:
    """Issue the order's dispute record: order, payments and refunds with the provider's
    references, requests and decisions, timeline, hashed (SHA-256) and kept by the platform."""
    return dispute_record.issue(context.caller().sub, order_id, clock.now(), context.lang())


@api.get(
    "/v1/dispute-records/{record_id}",
    roles=CUSTOMER,
    errors=(ErrorCode.DISPUTE_RECORD_NOT_FOUND,),
)
def get_dispute_record(record_id: DisputeRecordIdPath) -> DisputeRecordOut:
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
def verify_dispute_record(body: VerifyIn) -> Verification:
    """Support: whether the platform issued exactly this record (its hash names one it keeps)."""
    return dispute_record.verify(body.record)


class CustomerFlagIn(Model):
    model_config = ConfigDict(extra="forbid")
    flagged: StrictBool = Field(description="true: flag the customer high-risk; false: clear the flag")
    reason: FreeText = Field(min_length=1, max_length=500, description="why (kept in the audit trail)")


@api.get("/v1/customers/{customer_id}/flag", roles=SUPPORT)
def customer_flag_view(customer_id: CustomerIdPath) -> customer_flag.CustomerFlagOut:
    """Support: whether the customer is flagged high-risk, why, and the flag's recent changes."""
    return customer_flag.view(customer_id)


@api.post(
    "/v1/customers/{customer_id}/flag",
    roles=SUPPORT,
    errors=(ErrorCode.VALIDATION_FAILED,),
)
def customer_flag_change(customer_id: CustomerIdPath, body: CustomerFlagIn) -> customer_flag.CustomerFlagOut:
    """Support: flag a customer high-risk, or clear the flag, with a reason; audited."""
    if not body.reason.strip():
        raise DomainError(ErrorCode.VALIDATION_FAILED, {"field": "reason", "why": "say why"})
    return customer_flag.change(customer_id, body.flagged, body.reason, context.caller().sub, clock.now())


handler = api.handler
