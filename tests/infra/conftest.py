"""One in-process synthesis of both environments per test session (synth is slow: ~15 s a stack),
with stand-in layer assets and no bundling; tests read the templates as plain JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.node import use_venv_node

use_venv_node()


@dataclass
class Synth:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # env name -> template
    stacks: dict[str, Any]  # env name -> CancelflowStack
    report: dict[str, Any] | None  # cdk.out/validation-report.json when written


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    import app as cdk_app
    from infra import config

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk_app.build(
        {"env": "all", config.STUB_ASSETS: "true", "aws:cdk:bundling-stacks": []}, outdir=str(outdir)
    )
    stacks = {c.cfg.name: c for c in app.node.children if hasattr(c, "cfg")}
    assembly = app.synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding
    templates = {
        name: json.loads((Path(assembly.directory) / f"{stack.stack_name}.template.json").read_text())
        for name, stack in stacks.items()
    }
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    return Synth(outdir=outdir, templates=templates, stacks=stacks, report=report)


@pytest.fixture(scope="session")
def dev(synth: Synth) -> dict[str, Any]:
    return synth.templates["dev"]


@pytest.fixture(scope="session")
def prod(synth: Synth) -> dict[str, Any]:
    return synth.templates["prod"]
