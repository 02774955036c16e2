"""The console's text tables, checked without a browser: both languages say the same things,
every key the page uses exists, and every error the reviewer and support routes can answer
has words for what happened and what to do next."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"


def table(lang: str) -> dict[str, str]:
    data = json.loads((CONSOLE / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(CONSOLE.rglob("*.js")))


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    """GIVEN the zh-CN and en tables WHEN compared THEN same keys, and each text has the same {names}."""
    zh, en = table("zh-CN"), table("en")
    assert sorted(zh) == sorted(en)
    for key in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_key_the_page_uses_exists() -> None:
    """GIVEN the console's scripts and index.html WHEN every literal t("...") and data-i18n key is
    collected THEN each is in the table (no raw keys on screen)."""
    zh = table("zh-CN")
    prefixes = {k.split(".")[0] for k in zh if "." in k}
    js = sources()
    # keys are passed around as string literals ("nav.queue" to a link helper, ...), so every
    # literal that looks like one of our keys counts, not only direct t("...") calls
    literals = re.findall(r"\"([a-z_]+\.[a-z_.]*[a-z_])\"", js)
    used = {k for k in literals if k.split(".")[0] in prefixes}
    used |= set(re.findall(r"\bt\(\s*\"(yes|no)\"", js))
    html = (CONSOLE / "index.html").read_text(encoding="utf-8")
    used |= set(re.findall(r'data-i18n(?:-label)?="([^"]+)"', html))
    assert len(used) > 120
    assert sorted(used - set(zh)) == []


def console_route_error_codes() -> set[str]:
    """Every error code the routes the console calls can answer, from the committed OpenAPI
    document (generated from the handlers: each error response lists its codes)."""
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    codes: set[str] = set()
    for path, ops in doc["paths"].items():
        if path.startswith(("/v1/reviews", "/v1/refunds", "/v1/stock")):
            for op in ops.values():
                for answer in op.get("responses", {}).values():
                    desc = str(answer.get("description", ""))
                    if desc.startswith("error:"):
                        codes |= {c.strip() for c in desc[len("error:") :].split(",")}
    return codes


def test_every_error_the_console_can_meet_says_what_happened_and_what_to_do_next() -> None:
    """GIVEN the error codes of the reviewer and support routes WHEN the console meets one THEN
    it has its own words for what happened and what to do next, in both languages (any other code
    falls back to the API's message, localised by Accept-Language, and a default next step)."""
    codes = console_route_error_codes()
    assert {"LEASE_NOT_HELD", "TASK_ALREADY_DECIDED", "REFUND_NOT_RETRYABLE"} <= codes
    for lang in ("zh-CN", "en"):
        t = table(lang)
        assert sorted(c for c in codes if f"error.{c}" not in t) == [], lang
        assert sorted(c for c in codes if f"next.{c}" not in t) == [], lang
        assert "next.default" in t and "error.UNKNOWN" in t


def test_reviewer_conflicts_say_what_to_do_next() -> None:
    """GIVEN the two races a reviewer meets WHEN explained THEN the text says nothing was saved."""
    assert "没有保存" in table("zh-CN")["next.LEASE_NOT_HELD"]
    assert "NOT saved" in table("en")["next.TASK_ALREADY_DECIDED"]
