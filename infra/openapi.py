"""One OpenAPI 3.1 document for the whole HTTP API, merged from every API function's resolver
(``infra.topology.api_functions``: the functions whose module is ``api``).

``python -m infra.openapi > docs/openapi.json`` (``make openapi``); a test fails when the
committed document drifts from the code. Run from the repository root. It lives here, not in
the layer: generating the document imports every handler, which no Lambda needs.

The merge is Powertools' ``OpenAPIMerge`` (paths, components, the document's info), fed the
schemas our ``Api`` wrappers produce (its file discovery looks for a bare resolver assigned at
module level, which ours are not). Around it, what it does not do: two functions that define a
schema of the same name differently are an error here (it would keep the last silently); only
the schemas the paths reach are kept (Powertools adds validation-error schemas no response of
ours uses); paths are sorted, so the committed file is stable.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from infra.topology import api_functions, resolver

TITLE = "cancelflow HTTP API"
DESCRIPTION = (
    "Order cancellation, review and refunds. Every error is "
    '{"error": {"code", "message", "request_id", "details"}}; messages follow '
    "Accept-Language (zh-CN default, en). Money is integer fen (CNY); times are RFC 3339 UTC."
)
SECURITY_SCHEMES = {
    "jwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Cognito ID token; roles from cognito:groups",
    }
}


def schemas() -> list[tuple[str, dict[str, Any]]]:
    """(function name, its resolver's own document) of every API function."""
    return [(f.name, resolver(module).openapi()) for f, module in api_functions()]


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _used(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Only the schemas the paths reach, by name."""
    seen: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        if name not in seen and name in components:
            seen.add(name)
            todo |= _refs(components[name])
    return {k: v for k, v in sorted(components.items()) if k in seen}


def _check_components_agree(docs: list[tuple[str, dict[str, Any]]]) -> None:
    first: dict[str, tuple[str, Any]] = {}
    for name, doc in docs:
        for sname, s in doc.get("components", {}).get("schemas", {}).items():
            if sname in first and first[sname][1] != s:
                raise ValueError(f"schema {sname} differs between {first[sname][0]} and {name}")
            first.setdefault(sname, (name, s))


def merged() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    docs = schemas()
    _check_components_agree(docs)
    merge = OpenAPIMerge(
        title=TITLE,
        version="1",
        openapi_version="3.1.0",
        description=DESCRIPTION,
        security=[{"jwt": []}],
        on_conflict="error",  # one route served by two functions is a mistake, not a choice
    )
    for _, doc in docs:
        merge.add_schema(doc)
    out = merge.get_openapi_schema()
    paths: dict[str, Any] = out.get("paths", {})
    from infra import topology

    for route in topology.ROUTES:
        if route.public:  # no token asked (a provider's callback): the document says so
            paths[route.path][route.method.lower()]["security"] = []
    return {
        "openapi": out["openapi"],
        "info": out["info"],
        "servers": out["servers"],
        "security": out["security"],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _used(paths, out.get("components", {}).get("schemas", {})),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def render() -> str:
    return json.dumps(merged(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
