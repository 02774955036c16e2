"""Path parameter types shared by the API functions (validated by Powertools, documented in
OpenAPI): one per kind of id, each with the prefix ``new_id()`` (or the task intake) gives it,
so the document says what an id looks like and a wrong kind of id is a 422 naming the field."""

from __future__ import annotations

from typing import Annotated

# Path, Query and Response re-exported: a function imports Powertools through this package, so that
# cancelflow.http (its __init__) is imported first and loads one resolver, not all of them.
from aws_lambda_powertools.event_handler import Response as Response
from aws_lambda_powertools.event_handler.openapi.params import Path as Path
from aws_lambda_powertools.event_handler.openapi.params import Query as Query

from cancelflow.store.codec import ID_PATTERN

_HEX = "[0-9a-f]{20}"  # new_id(): 80 random bits

ORDER_ID_PATTERN = rf"^o_{_HEX}$"
REQUEST_ID_PATTERN = rf"^rq_{_HEX}$"
TASK_ID_PATTERN = rf"^t[ka]_{_HEX}$"  # review.tasks.KIND_PREFIX: tk_ a request, ta_ an appeal
REFUND_ID_PATTERN = rf"^rf_{_HEX}$"
NOTICE_ID_PATTERN = r"^n_[0-9a-f]{30}$"  # inbox.notices.notice_id: its time, its entry's digest
DISPUTE_RECORD_ID_PATTERN = r"^dr_[0-9a-f]{64}$"  # content-addressed: dr_ and the record's SHA-256

OrderIdPath = Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="an order id: o_<20 hex digits>")]
RequestIdPath = Annotated[
    str, Path(pattern=REQUEST_ID_PATTERN, description="a cancellation request id: rq_<20 hex digits>")
]
TaskIdPath = Annotated[
    str,
    Path(
        pattern=TASK_ID_PATTERN,
        description="a review task id: tk_<20 hex digits> (a request) or ta_<20 hex digits> (an appeal)",
    ),
]
RefundIdPath = Annotated[str, Path(pattern=REFUND_ID_PATTERN, description="a refund id: rf_<20 hex digits>")]
SubjectIdPath = Annotated[
    str,
    Path(
        pattern=rf"^(rq|rf)_{_HEX}$",
        description="what it is about: a request (rq_<20 hex digits>) or a refund (rf_<20 hex digits>)",
    ),
]
NoticeIdPath = Annotated[
    str, Path(pattern=NOTICE_ID_PATTERN, description="an inbox message id: n_<30 hex digits>")
]
DisputeRecordIdPath = Annotated[
    str, Path(pattern=DISPUTE_RECORD_ID_PATTERN, description="a dispute record id: dr_<its 64-hex SHA-256>")
]

# Ids the platform chooses (catalogue and stock): not ours, so no prefix. Letters, digits, _ and
# - only in a path (the catalogue's and the local runtime's ids): no ".", ":" or "@", which URL
# handling normalises or reads (a "." or ".." segment never reaches the handler as sent).
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
ProductIdPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description="a product id, as the platform named it")
]
KeyIdPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description="a card key's id within its product, as stocked")
]

# Any kind of id: only until every route names its kind (then this can go).
IdPath = Annotated[
    str, Path(pattern=ID_PATTERN, description="an id: a short prefix naming its kind, _, 20 hex digits")
]
# The platform's own customer id (no prefix of ours: it is the order service's, as it sends it
# with every order, functions/platform/api.py ``ExternalId``). In a path only the characters no
# client percent-encodes (letters, digits, _ . -): the ``:`` and ``@`` ExternalId also allows
# arrive encoded from some clients and would not match. Cognito subs and the platform's ids fit.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
CustomerIdPath = Annotated[
    str,
    Path(
        pattern=CUSTOMER_ID_PATTERN,
        description="the platform's customer id, as in its orders (letters, digits and _.-)",
    ),
]
