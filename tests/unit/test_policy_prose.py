"""The readable policy is built from the policy's values, in both languages, and never shows
the risk thresholds (docs/domain.md, "Products and policies")."""

from __future__ import annotations

import dataclasses
import re

import pytest
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.domain.policy_prose import readable
from cancelflow.domain.products import ProductType
from cancelflow.domain.states import OrderStatus

CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(policy: CancellationPolicy, lang: str) -> str:
    r = readable(policy, lang)
    parts = [s.title for s in r.states] + [x for s in r.states for x in s.rules] + list(r.review)
    return "\n".join(parts + [t.text for t in r.refund_times])


@pytest.mark.parametrize("product_type", list(ProductType))
def test_every_state_is_told_in_both_languages(product_type: ProductType) -> None:
    policy = CancellationPolicy(product_type=product_type)
    zh, en = readable(policy, "zh-CN"), readable(policy, "en-US")
    assert (zh.lang, en.lang) == ("zh-CN", "en")
    assert [s.state for s in zh.states] == [s.state for s in en.states] == list(OrderStatus)
    assert all(s.rules for s in zh.states) and [len(s.rules) for s in zh.states] == [
        len(s.rules) for s in en.states
    ]
    assert CJK.search(_text(policy, "zh-CN")) and not CJK.search(_text(policy, "en"))
    assert {t.channel for t in zh.refund_times} == set(policy.refund_sla)


def test_the_text_follows_the_values() -> None:
    base = CancellationPolicy(product_type=ProductType.GAME_CARD)
    changed = dataclasses.replace(base, payment_timeout_minutes=30, review_decision_minutes=120)
    assert "15 minutes" in _text(base, "en") and "30 minutes" in _text(changed, "en")
    assert "30 分钟" in _text(changed, "zh-CN") and "2 小时" in _text(changed, "zh-CN")
    assert "¥500.00" in _text(base, "en")


def test_what_a_policy_does_not_allow_is_not_promised() -> None:
    base = CancellationPolicy(product_type=ProductType.GAME_CARD)
    never = dataclasses.replace(
        base, auto_approve_max_amount=0, appeal_after_delivery=False, after_sales_days=0
    )
    text = _text(never, "en")
    assert "approved at once" not in text and "may appeal within" not in text
    assert "cannot be cancelled or appealed" in text and "cannot be refunded" in text
    assert "Delivery starts no sooner" not in _text(dataclasses.replace(base, cooling_off_minutes=0), "en")


def test_only_a_top_up_warns_that_credit_cannot_be_taken_back() -> None:
    topup = _text(CancellationPolicy(product_type=ProductType.MOBILE_TOPUP), "en")
    card = _text(CancellationPolicy(product_type=ProductType.GAME_CARD), "en")
    assert "cannot be taken back" in topup and "cannot be taken back" not in card
