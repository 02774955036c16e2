"""A customer chases (催办) their overdue refund (docs/domain.md, "Refund recovery"):
``POST /v1/orders/{order_id}/refunds/{refund_id}/chase``.

Allowed while the refund is overdue and not succeeded, at most once per
``refund_chase_period_hours``; the write (``store.refunds.chase``) conditions on the stored
refund, so two chases at once count once. The chase stamps the refund (support's list puts
chased refunds first: ``GET /v1/refunds?chased=true``), writes the timeline entry, and its event
(``refund.chased``) reaches the operations topic. Integrations: DynamoDB (reads, one transaction).
"""

from __future__ import annotations

from datetime import datetime

from cancelflow.cancel.fix_refund import own_refund
from cancelflow.domain import refund_recovery
from cancelflow.errors import DomainError, ErrorCode
from cancelflow.refunds import lifecycle
from cancelflow.settings import get_settings
from cancelflow.store import refunds
from cancelflow.store.refunds import Refund


def _refused(r: Refund, now: datetime) -> DomainError:
    may = refund_recovery.recovery(r, now, get_settings().refund_chase_period)
    return DomainError(
        ErrorCode.REFUND_CHASE_NOT_ALLOWED,
        {"status": r.status.value, "overdue": r.overdue, "chase_from": may.chase_from},
    )


def chase(customer_id: str, order_id: str, refund_id: str, now: datetime) -> Refund:
    r = own_refund(customer_id, order_id, refund_id)
    period = get_settings().refund_chase_period
    if not refund_recovery.recovery(r, now, period).may_chase:
        raise _refused(r, now)
    done = refunds.chase(r, now, period=period, actor_id=customer_id)
    if done is None:  # lost to another chase, or it succeeded meanwhile: say what is stored
        fresh = lifecycle.get_refund(refund_id) or r
        raise _refused(fresh, now)
    return done
