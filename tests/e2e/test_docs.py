"""The newcomer's journey in README.md works as written."""

from __future__ import annotations

import json
import re
import subprocess

from local.lambdas import ROOT
from tests.e2e.conftest import Api


def test_the_documented_curl_journey_gives_the_stock_back(api: Api) -> None:
    """GIVEN the shell block of the docs WHEN run against the runtime with bash and curl
    THEN the order is cancelled and the product's stock is as it was before."""
    doc = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"<!-- journey.*?-->\s*```sh\n(.*?)```", doc, re.S)
    assert block, "the journey block is missing from README.md"
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.group(1)],
        # its own product: the demo's stock may change meanwhile (expiry sweeps)
        env={"API": api.base, "PRODUCT": api.product(keys=4), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    docs = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    stocks = [d["stock"] for d in docs if "stock" in d]
    before, reserved, after = stocks
    assert reserved["reserved"] == before["reserved"] + 2
    assert after == before
    assert any(d.get("outcome") == "cancelled" for d in docs)
    assert [e["event"] for e in docs[-1]["entries"]] == ["order.created", "order.cancelled"]
