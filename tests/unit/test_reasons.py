"""Reason codes (docs/domain.md, "Reasons").

GIVEN the preset codes WHEN classified or described THEN platform faults are told apart, every
code has a label in both languages, and ``other`` needs at least 10 characters.
"""

from __future__ import annotations

import pytest
from cancelflow.domain.reasons import (
    CUSTOMER_REASONS,
    LABELS,
    PLATFORM_FAULT_REASONS,
    Reason,
    check_description,
    is_platform_fault,
)
from cancelflow.errors import CATALOGUE, DomainError


def test_the_two_groups_are_the_domains_and_cover_every_code() -> None:
    assert {r.value for r in CUSTOMER_REASONS} == {
        "wrong_info", "duplicate_order", "changed_mind", "price_issue", "payment_issue", "other",
    }  # fmt: skip
    assert {r.value for r in PLATFORM_FAULT_REASONS} == {
        "wrong_item", "duplicate_delivery", "invalid_key", "description_mismatch", "stock_error",
        "prohibited_goods",
    }  # fmt: skip
    assert set(CUSTOMER_REASONS) | set(PLATFORM_FAULT_REASONS) == set(Reason)
    assert not set(CUSTOMER_REASONS) & set(PLATFORM_FAULT_REASONS)
    assert all(is_platform_fault(r) for r in PLATFORM_FAULT_REASONS)
    assert not any(is_platform_fault(r) for r in CUSTOMER_REASONS)


def test_every_reason_has_a_label_in_chinese_and_english() -> None:
    assert set(LABELS) == set(Reason)
    assert all(zh and en and zh != en for zh, en in LABELS.values())


@pytest.mark.parametrize(
    ("description", "ok"),
    [
        (None, False),
        ("", False),
        ("太贵了", False),
        ("123456789", False),
        ("   123456789   ", False),  # spaces do not count
        ("1234567890", True),
        ("号码填错了需要退款的", True),  # ten Chinese characters are ten characters
    ],
)
def test_other_needs_a_ten_character_description(description: str | None, ok: bool) -> None:
    if ok:
        check_description(Reason.OTHER, description)
        return
    with pytest.raises(DomainError) as e:
        check_description(Reason.OTHER, description)
    assert e.value.code == "DESCRIPTION_REQUIRED" and e.value.details["min_length"] == 10
    assert e.value.status == 422 and "10" in e.value.message("en")


def test_preset_reasons_need_no_description() -> None:
    for r in Reason:
        if r is not Reason.OTHER:
            check_description(r, None)


def test_error_catalogue_is_complete() -> None:
    """Every code has a status and both messages; unknown codes are a programming error."""
    assert all(400 <= s < 600 and zh and en for s, zh, en in CATALOGUE.values())
    with pytest.raises(KeyError):
        DomainError("NO_SUCH_CODE")
