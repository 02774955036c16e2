"""The shared HTTP layer against what testing from outside found: Accept-Language weights of
0, identities that differ only in spaces, and the field types every body model uses."""

from __future__ import annotations

import json

import pytest
from cancelflow.http.context import OFFERED, negotiate_language
from cancelflow.http.fields import TEXT_PATTERN, Fen, FreeText
from cancelflow.http.identity import caller_from
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from local.apigw import build_event, customer_claims
from tests.api.conftest import call
from tests.api.world import OWNER, PENDING

# ---------------------------------------------------------------- 9. Accept-Language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en;q=0", "zh-CN"),  # the defect: q=0 picked English
        ("en-US;q=0, en;q=0", "zh-CN"),
        ("zh;q=0", "en"),  # Chinese refused, English not: English
        ("zh-CN;q=0, *", "en"),
        ("*;q=0", "zh-CN"),  # nothing acceptable: the default
        ("en;q=0, zh;q=0", "zh-CN"),
        ("*;q=0, en;q=0.1", "en"),
        ("en;q=0.000", "zh-CN"),
        ("en;Q=0", "zh-CN"),  # parameter names are case-insensitive
        ("en;q=0.0001", "zh-CN"),  # four decimals: not a weight, the entry is ignored
        ("en;q=1.5", "zh-CN"),  # above 1: ignored
        ("en;q=abc", "zh-CN"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("en ; q=0.5", "en"),
        ("zh-TW, en;q=0.9", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr, en;q=0.5, zh-CN;q=0.8", "zh-CN"),
        ("en;q=0.5, zh;q=0.5", "en"),  # equal weights: header order
        ("*", "zh-CN"),
        ("", "zh-CN"),
        (",,;;", "zh-CN"),
    ],
)
def test_accept_language_weight_zero_means_not_acceptable(header: str, expected: str) -> None:
    """GIVEN an Accept-Language header WHEN negotiated THEN the offered language it prefers,
    never one it weighted 0 while the other is acceptable."""
    assert negotiate_language(header) == expected


TAGS = st.sampled_from(["en", "en-US", "en-GB", "zh", "zh-CN", "zh-TW", "fr", "de-CH", "ja"])
WEIGHTS = st.sampled_from(["", ";q=1", ";q=0.9", ";q=0.5", ";q=0.25", ";q=0.001", ";q=1.000"])
POSITIVE = st.lists(st.tuples(TAGS, WEIGHTS), max_size=6)


def _header(entries: list[tuple[str, str]]) -> str:
    return ", ".join(tag + weight for tag, weight in entries)


@given(st.text(max_size=80))
def test_any_header_negotiates_to_an_offered_language(header: str) -> None:
    """GIVEN any text as the header THEN one of the offered languages, never an error."""
    assert negotiate_language(header) in OFFERED


@given(POSITIVE, st.sampled_from(OFFERED))
def test_a_language_weighted_zero_is_never_chosen_while_the_other_is_acceptable(
    entries: list[tuple[str, str]], refused: str
) -> None:
    """GIVEN any header without refusals and without * WHEN "<language>;q=0" is added (first or
    last) THEN the other language is chosen."""
    other = next(o for o in OFFERED if o != refused)
    for header in (_header([*entries, (refused, ";q=0")]), _header([(refused, ";q=0"), *entries])):
        assert negotiate_language(header) == other, header


@given(st.lists(st.tuples(TAGS, st.integers(1, 1000)), min_size=1, max_size=6, unique_by=lambda e: e[1]))
def test_the_highest_weight_among_offered_languages_wins_in_any_order(entries: list[tuple[str, int]]) -> None:
    """GIVEN ranges with distinct positive weights THEN the language of the heaviest range that
    names an offered language (or the default if none does), whatever their order."""
    header = ", ".join(f"{tag};q={w / 1000:.3f}" for tag, w in entries)
    named = [(w, tag) for tag, w in entries if tag.split("-")[0] in ("en", "zh")]
    expected = ("en" if max(named)[1].startswith("en") else "zh-CN") if named else "zh-CN"
    assert negotiate_language(header) == expected
    assert negotiate_language(", ".join(reversed(header.split(", ")))) == expected
    assert negotiate_language(header.upper()) == expected  # tags and q are case-insensitive


# ---------------------------------------------------------------- 10. identity byte for byte


@pytest.mark.parametrize("sub", [f" {OWNER} ", f"{OWNER} ", f"\t{OWNER}", f"{OWNER}\n"])
def test_a_subject_with_spaces_is_another_identity(sub: str) -> None:
    """GIVEN a verified token whose sub is another caller's id with spaces around it WHEN read
    THEN the caller is that exact string, not the other caller."""
    event = build_event("GET", "/v1/orders", "GET /v1/orders", claims=customer_claims(sub))
    caller = caller_from(event)
    assert caller is not None and caller.sub == sub != OWNER


@pytest.mark.parametrize("sub", ["", " ", "\t\n"])
def test_a_blank_subject_is_no_identity(sub: str) -> None:
    """GIVEN a token whose sub is empty or only spaces THEN no caller (401 on every route)."""
    assert caller_from(build_event("GET", "/v1/orders", claims=customer_claims(sub))) is None


def test_a_token_for_a_padded_subject_does_not_read_that_customers_orders(world: dict[str, str]) -> None:
    """GIVEN the owner's orders WHEN a customer whose sub is " <owner's sub> " lists orders and
    opens one THEN none are theirs: an empty list and 404."""
    padded = customer_claims(f" {OWNER} ")
    listed = call("GET", "/v1/orders", claims=padded)
    assert listed.status == 200 and listed.json["orders" if "orders" in listed.json else "items"] == []
    assert call("GET", f"/v1/orders/{PENDING}", claims=padded).status == 404
    assert call("GET", f"/v1/orders/{PENDING}", who="owner").status == 200


# ---------------------------------------------------------------- 3, 8. field types


class _Body(BaseModel):
    amount: Fen
    note: FreeText | None = None


@pytest.mark.parametrize("value", [True, False, "100", "1e2", 100.5, float("inf"), None, [100], {"v": 100}])
def test_fen_takes_only_a_json_integer(value: object) -> None:
    """GIVEN anything but a whole JSON number as an amount THEN refused naming it (no coercion
    of true, false or a string)."""
    with pytest.raises(ValidationError) as e:
        _Body.model_validate({"amount": value})
    assert e.value.errors()[0]["loc"] == ("amount",)


def test_a_whole_number_written_with_a_fraction_is_that_integer() -> None:
    """GIVEN 100.0 or 1e2 (an integer to JSON Schema, so to a client built from the document)
    THEN 100 fen."""
    assert _Body.model_validate({"amount": 100.0}).amount == 100
    assert _Body.model_validate(json.loads('{"amount": 1e2}')).amount == 100


def test_fen_bounds() -> None:
    """GIVEN amounts THEN 1 fen to 10^12 fen accepted, 0 and beyond refused."""
    assert _Body.model_validate({"amount": 1}).amount == 1
    assert _Body.model_validate({"amount": 10**12}).amount == 10**12
    for bad in (0, -1, 10**12 + 1):
        with pytest.raises(ValidationError):
            _Body.model_validate({"amount": bad})


@pytest.mark.parametrize("text", ["两行\n说明", "tab\there", "crlf\r\n", "emoji 🧾", "", "zero\u200bwidth"])
def test_free_text_keeps_tabs_line_breaks_and_any_printable_unicode(text: str) -> None:
    """GIVEN text with tabs, line breaks, CJK, emoji THEN stored exactly as sent."""
    assert _Body.model_validate({"amount": 1, "note": text}).note == text


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=3), st.text(max_size=10))
def test_free_text_refuses_every_other_control_character(controls: str, text: str) -> None:
    """GIVEN text with any control character but tab, CR and LF THEN refused naming the field;
    with only those three it is accepted (one rule, no stripping)."""
    value = text[:5] + controls + text[5:]
    if set(controls) <= {"\t", "\n", "\r"}:
        return
    with pytest.raises(ValidationError) as e:
        _Body.model_validate({"amount": 1, "note": value})
    assert e.value.errors()[0]["loc"] == ("note",)


def test_free_text_rule_is_documented_in_the_schema() -> None:
    """GIVEN a model with free text THEN its JSON schema carries the pattern (so the OpenAPI
    document states it and schemathesis tests it)."""
    note = _Body.model_json_schema()["properties"]["note"]["anyOf"][0]
    assert note["pattern"] == TEXT_PATTERN
    json.dumps(note)
