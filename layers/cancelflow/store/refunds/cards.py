"""The new debit card a customer gave for a refund their WeChat account could not receive
(docs/domain.md, "Refund recovery"). Kept beside the refund (its partition, sort key ``CARD``),
never in the refund record itself, so no read, list or log of refunds carries it; written in the
same transaction that hands the refund back, read only by the worker's 发起异常退款, and deleted
once the provider took it."""

from __future__ import annotations

from cancelflow.redacted import Redacted
from cancelflow.store import ddb, keys
from cancelflow.store.refunds.records import Op

SK = "CARD"


class Card(Redacted, frozen=True):
    """As the customer gave it (the provider's NewCard is made from it). Never in a repr."""

    HIDDEN = frozenset({"account", "real_name"})  # never in a log line

    bank_type: str
    account: str
    real_name: str


def put_op(refund_id: str, card: Card) -> Op:
    item = {
        "pk": keys.refund_pk(refund_id),
        "sk": SK,
        "type": "refund_card",
        "bank_type": card.bank_type,
        "account": card.account,
        "real_name": card.real_name,
    }
    return {"Put": {"Item": ddb.to_item(item)}}  # a newer card replaces an older one


def get(refund_id: str) -> Card | None:
    raw = ddb.get(keys.refund_pk(refund_id), SK)
    if raw is None:
        return None
    return Card(bank_type=str(raw["bank_type"]), account=str(raw["account"]), real_name=str(raw["real_name"]))


def delete(refund_id: str) -> None:
    ddb.transact([{"Delete": {"Key": ddb.key(keys.refund_pk(refund_id), SK)}}])
