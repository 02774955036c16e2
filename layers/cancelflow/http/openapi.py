"""One OpenAPI 3.1 document for the whole HTTP API, merged from every API function's resolver
(the functions in ``infra.topology.FUNCTIONS`` whose module is ``api``).

``python -m cancelflow.http.openapi > docs/openapi.json`` (``make openapi``); a test fails
when the committed document drifts from the code. Run from the repository root.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from typing import Any

# A sentence ends at . ! or ? followed by a space and a capital (so "e.g. ``x``" does not end one).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def summary_and_description(doc: str | None) -> tuple[str | None, str | None]:
    """An operation's summary (the docstring's first sentence, whole however many lines it
    takes) and description (the whole docstring, dedented)."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return None, None
    paragraph = " ".join(text.split("\n\n", 1)[0].split())
    return _SENTENCE_END.split(paragraph, 1)[0], text


def _schema_of(module: Any) -> dict[str, Any] | None:
    api = getattr(module, "api", None)
    if api is not None and hasattr(api, "openapi"):
        schema: dict[str, Any] = api.openapi()
        return schema
    return None


def api_modules() -> list[tuple[str, Any]]:
    """(function name, imported handler module) of every API function."""
    from infra.topology import FUNCTIONS

    out = []
    for f in FUNCTIONS.values():
        if f.module != "api":
            continue
        out.append((f.name, importlib.import_module(f"functions.{f.folder}.{f.module}")))
    return out


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _used(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas the paths reach (Powertools adds its own validation-error schemas,
    which no response of ours uses)."""
    seen: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo |= _refs(schemas[name])
    return {k: v for k, v in sorted(schemas.items()) if k in seen}


def merged() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for name, module in api_modules():
        doc = _schema_of(module)
        if doc is None:
            continue
        for path, ops in doc.get("paths", {}).items():
            for method, op in ops.items():
                if method in paths.get(path, {}):
                    raise ValueError(f"{method.upper()} {path} is defined by two functions")
                paths.setdefault(path, {})[method] = op
        for sname, s in doc.get("components", {}).get("schemas", {}).items():
            if sname in schemas and schemas[sname] != s:
                raise ValueError(f"schema {sname} differs between functions (seen again in {name})")
            schemas[sname] = s
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cancelflow HTTP API",
            "version": "1",
            "description": (
                "Order cancellation, review and refunds. Every error is "
                '{"error": {"code", "message", "request_id", "details"}}; messages follow '
                "Accept-Language (zh-CN default, en). Money is integer fen (CNY); times are RFC 3339 UTC."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"jwt": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _used(paths, schemas),
            "securitySchemes": {
                "jwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito ID token; roles from cognito:groups",
                }
            },
        },
    }


def render() -> str:
    return json.dumps(merged(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
