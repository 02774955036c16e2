"""The OpenAPI document against what a client written from it alone ran into: summaries cut
mid-sentence, every id described as ``o_<20 hex>``, and a "catalogue" of error codes the
document did not contain."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cancelflow.errors import CATALOGUE
from cancelflow.http.docs import summary_and_description

from infra.openapi import merged
from tests.api.conftest import call

PREFIXES = {
    "order_id": ("o_",),
    "request_id": ("rq_",),
    "task_id": ("tk_", "ta_"),
    "refund_id": ("rf_",),
    "record_id": ("dr_",),
    "notice_id": ("n_",),
    "subject_id": ("rq_", "rf_"),
}
# ids the platform chooses (catalogue, stock): no prefix of ours; an id of each as stocked
EXTERNAL = {"product_id": "p-game_card", "key_id": "p-game_card-k000"}
# Path parameters that are not ids of ours and have their own checks: a provider's name, the
# platform's customer id (test_the_customer_id_parameter_is_the_platforms_external_id).
SKIPPED = {"channel", "customer_id"}
# hex digits after the prefix: 20 (new_id's 80 random bits), a dispute record its SHA-256's 64,
# an inbox message its time and its entry's digest
DIGITS = {"record_id": 64, "notice_id": 30}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return merged()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_summary_is_a_whole_sentence(doc: dict[str, Any]) -> None:
    """GIVEN every operation WHEN its summary is read THEN it is the docstring's whole first
    sentence (it was the first line, cut mid-sentence for payments and decision)."""
    for method, path, op in _operations(doc):
        summary, description = op["summary"], " ".join(op["description"].split())
        assert summary.endswith("."), (method, path, summary)
        assert description.startswith(summary), (method, path)
    payments = doc["paths"]["/v1/platform/payments"]["post"]["summary"]
    assert payments.endswith("with the refund id).")


@pytest.mark.parametrize(
    ("docstring", "summary"),
    [
        ("One line.", "One line."),
        ("First sentence, which\n    goes on. Second one.\n\n    More.", "First sentence, which goes on."),
        ("Refund (e.g. ``partial``) now. Then.", "Refund (e.g. ``partial``) now."),
        ("No full stop\n    over two lines\n\n    Next paragraph.", "No full stop over two lines"),
        (None, None),
    ],
)
def test_summary_is_the_first_sentence_of_the_first_paragraph(
    docstring: str | None, summary: str | None
) -> None:
    """GIVEN docstrings THEN the summary is their first sentence, never cut at a line end."""
    assert summary_and_description(docstring)[0] == summary


def test_every_id_parameter_is_described_by_its_own_kind(doc: dict[str, Any]) -> None:
    """GIVEN every path parameter naming an id WHEN documented THEN its pattern and description
    give its own prefix (a task is tk_/ta_, a refund rf_), not o_ for all."""
    seen, external = set(), set()
    for method, path, op in _operations(doc):
        for p in op.get("parameters", []):
            if p["in"] != "path" or p["name"] in SKIPPED:
                continue
            if p["name"] in EXTERNAL:  # described as the platform's, no prefix claimed
                external.add(p["name"])
                assert re.fullmatch(p["schema"]["pattern"], EXTERNAL[p["name"]]), (method, path, p["name"])
                assert "/" not in EXTERNAL[p["name"]] and not re.fullmatch(p["schema"]["pattern"], "a/b")
                assert p.get("description"), (method, path, p["name"])
                continue
            prefixes = PREFIXES[p["name"]]
            seen.add(p["name"])
            pattern, description = p["schema"]["pattern"], p.get("description", "")
            assert all(pre in description for pre in prefixes), (method, path, p["name"], description)
            digits = DIGITS.get(p["name"], 20)
            for pre in prefixes:
                assert re.fullmatch(pattern, pre + "0" * digits), (method, path, p["name"], pattern)
            for other in {x for v in PREFIXES.values() for x in v} - set(prefixes):
                assert not re.fullmatch(pattern, other + "0" * digits), (method, path, p["name"], other)
    assert seen == set(PREFIXES) and external == set(EXTERNAL)


def test_the_customer_id_parameter_is_the_platforms_external_id(doc: dict[str, Any]) -> None:
    """GIVEN the routes naming a customer in their path WHEN documented THEN the pattern is the
    platform's customer id (as its orders carry it): an e2e or Cognito id fits, a path
    separator or a leading punctuation mark does not."""
    found = [
        p
        for _, path, op in _operations(doc)
        for p in op.get("parameters", [])
        if p["in"] == "path" and p["name"] == "customer_id"
    ]
    assert found, "no route names a customer"
    for p in found:
        pattern = p["schema"]["pattern"]
        assert re.fullmatch(pattern, "cust-e2e-1a2b3c4d") and re.fullmatch(pattern, "7f3e2a10-5c1b-4e8a")
        assert not re.fullmatch(pattern, "a/b") and not re.fullmatch(pattern, "-a")


def test_a_customer_id_out_of_its_pattern_is_refused_naming_the_field() -> None:
    """GIVEN a customer id with a character the platform never sends WHEN support reads its flag
    THEN 422 naming path.customer_id, before any lookup."""
    r = call("GET", "/v1/customers/-x%24/flag", who="support")
    assert (r.status, r.code) == (422, "VALIDATION_FAILED"), r.raw
    assert r.json["error"]["details"]["field"] == "path.customer_id"


def test_an_id_of_another_kind_in_an_order_path_is_refused_naming_the_field() -> None:
    """GIVEN a refund id where the platform's fulfilment route takes an order id WHEN called
    THEN 422 naming path.order_id, before any lookup."""
    r = call("POST", f"/v1/platform/orders/rf_{'0' * 20}/fulfilment", {"action": "start"}, who="platform")
    assert (r.status, r.code) == (422, "VALIDATION_FAILED") and r.json["error"]["details"]["field"] == (
        "path.order_id"
    )


def test_every_error_code_is_in_the_document_with_its_status_and_meaning(doc: dict[str, Any]) -> None:
    """GIVEN the error body's schema THEN ``code`` is an enum of every catalogue code, with each
    code's HTTP status and meaning in a table and in x-enum-descriptions; no "see the catalogue"
    pointing elsewhere."""
    code = doc["components"]["schemas"]["ErrorInfo"]["properties"]["code"]
    assert code["enum"] == list(CATALOGUE)
    assert code["x-enum-descriptions"] == [f"{status}: {en}" for status, _, en in CATALOGUE.values()]
    for c, (status, _, en) in CATALOGUE.items():
        assert f"| `{c}` | {status} | {en} |" in code["description"]
    assert "catalogue" not in json.dumps(doc).lower()
