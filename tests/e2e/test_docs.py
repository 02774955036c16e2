"""The newcomer's journey in README.md works as written."""

from __future__ import annotations

import json
import re
import subprocess

from local.lambdas import ROOT
from tests.e2e.conftest import Api


def test_the_documented_curl_journey_gives_the_stock_back(api: Api) -> None:
    """GIVEN the shell block of the docs WHEN run against the runtime with bash and curl
    THEN the order is cancelled and the product's stock is as it was before; the options show
    the deadline in CST with its offset, the timeline titles each step."""
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
    # what the block shows is the documented shape: titled entries, CST times with their offset
    assert [e["title"] for e in docs[-1]["entries"]] == ["订单已创建", "订单已取消"]
    [options] = [d for d in docs if "actions" in d]
    self_cancel = next(a for a in options["actions"] if a["action"] == "self_cancel")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", self_cancel["deadline_cst"])
