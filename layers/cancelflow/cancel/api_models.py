"""The cancellation API's own request bodies and answers (``functions/cancel/api.py``): the
ones no use case returns itself (those are in ``views``, ``timeline``, ``inbox``, ...).

A module of its own so that the API function imports it when a route that names one of them is
first registered (``cancelflow.deferred.lazy``), not at every cold start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from cancelflow.cancel.conversation_views import ThreadSummary
from cancelflow.cancel.views import OrderOut, SupplementKind
from cancelflow.domain.calendar import CST_DESCRIPTION
from cancelflow.domain.eta import RefundEta
from cancelflow.domain.options import Action, Outcome
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.products import RefundTo
from cancelflow.domain.reasons import MAX_DESCRIPTION, Reason
from cancelflow.domain.refund_recovery import Fix
from cancelflow.domain.risk import RiskRules
from cancelflow.domain.states import OrderStatus
from cancelflow.http.fields import Fen, FreeText, Model, StrictBool
from cancelflow.store.requests import RequestStatus

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


class MessageIn(Model):
    model_config = ConfigDict(extra="forbid")
    text: FreeText = Field(min_length=1, max_length=MAX_DESCRIPTION)
    evidence: EvidenceKeys = Field(default_factory=list, description="the customer's images only")


class AwaitingOut(Model):
    items: list[ThreadSummary] = Field(description="the earliest answer due first")


class VerifyIn(Model):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, Any] = Field(description="the record as presented (its JSON object, not the envelope)")


class CustomerFlagIn(Model):
    model_config = ConfigDict(extra="forbid")
    flagged: StrictBool = Field(description="true: flag the customer high-risk; false: clear the flag")
    reason: FreeText = Field(min_length=1, max_length=500, description="why (kept in the audit trail)")
