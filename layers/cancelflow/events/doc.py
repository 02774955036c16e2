"""Renders docs/events.md from the catalogue (``python -m cancelflow.events.doc > docs/events.md``);
tests/events/test_catalogue.py fails when the committed document differs."""

from __future__ import annotations

import json
from pathlib import Path

from cancelflow.events.catalogue import CATALOGUE, SCHEMA_VERSION, SOURCE
from cancelflow.events.schemas import event_schema

# The prose around the generated catalogue (kept as markdown: its tables do not wrap).
INTRO = Path(__file__).with_name("doc_intro.md")


def render() -> str:
    intro = INTRO.read_text(encoding="utf-8")
    # the intro states the source and version; fail loudly if the catalogue moved on
    assert f'"{SOURCE}"' in intro and f'"{SCHEMA_VERSION}"' in intro
    out = [intro]
    for t in CATALOGUE:
        # (customer.notified comes from no one entry: from every entry that notifies)
        sources = (
            ", ".join(f"`{h}`" for h in t.history_events) or "[the entries that notify](#customer-messages)"
        )
        ops = "yes" if t.to_ops else ""
        out.append(f"| [`{t.name}`](#{t.name.replace('.', '')}) | {sources} | {ops} | {t.description} |\n")
    for t in CATALOGUE:
        out.append(f"\n### {t.name}\n\n{t.description}\n\n```json\n")
        out.append(json.dumps(event_schema(t.name), indent=2, ensure_ascii=False))
        out.append("\n```\n")
    return "".join(out)


if __name__ == "__main__":
    print(render(), end="")
