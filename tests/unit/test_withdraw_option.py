"""The options answer offers withdrawing exactly while a request holds the order (docs/domain.md,
"Withdrawal"), naming that request, and says so in zh-CN and en."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cancelflow.domain.options import cancellation_options
from cancelflow.domain.risk import RiskProfile
from cancelflow.domain.withdrawal import EFFECT as WITHDRAW_EFFECT
from cancelflow.domain.withdrawal import TITLE as WITHDRAW_TITLE
from cancelflow.errors import ErrorCode, message

from tests.conftest import NOW
from tests.unit.domain_factory import BOOK, S, make_order

LATER = NOW + timedelta(minutes=30)


@pytest.mark.parametrize("status", [S.PAID, S.DELIVERING, S.DELIVERED, S.COMPLETED])
def test_a_held_order_offers_withdrawing_its_request(status: S) -> None:
    """GIVEN an order held by request rq_1 (a cancel, a stop, an appeal or after-sales) WHEN its
    options are read THEN withdraw is allowed, names rq_1 and says what it does, in either
    language; the actions themselves stay refused while the request is in progress."""
    order = make_order(status, open_request_id="rq_00000000000000000001")
    for lang, i in (("zh-CN", 0), ("en-US", 1)):
        opts = cancellation_options(order, LATER, BOOK, RiskProfile(), lang)
        w = opts.withdraw
        assert (w.allowed, w.request_id, w.code) == (True, "rq_00000000000000000001", None)
        assert (w.title, w.message) == (WITHDRAW_TITLE[i], WITHDRAW_EFFECT[i])
        assert all(a.code is not ErrorCode.REQUEST_NOT_PENDING for a in opts.actions)
    assert WITHDRAW_TITLE[0] != WITHDRAW_TITLE[1] and WITHDRAW_EFFECT[0] != WITHDRAW_EFFECT[1]


@pytest.mark.parametrize("status", list(S))
def test_an_order_no_request_holds_offers_no_withdrawal(status: S) -> None:
    """GIVEN an order in any state held by no request (never asked, decided, or withdrawn) WHEN
    its options are read THEN withdraw is refused with REQUEST_NOT_PENDING and its message."""
    order = make_order(status)
    for lang in ("zh-CN", "en"):
        w = cancellation_options(order, LATER, BOOK, RiskProfile(), lang).withdraw
        assert (w.allowed, w.request_id, w.code) == (False, None, ErrorCode.REQUEST_NOT_PENDING)
        assert w.message == message(ErrorCode.REQUEST_NOT_PENDING, lang)
        assert w.title == WITHDRAW_TITLE[1 if lang == "en" else 0]
