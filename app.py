#!/usr/bin/env python3
"""Build the cancelflow stack for one environment (``-c env=prod``; ``-c env=all`` for both).

``cdk synth``/``cdk deploy`` run this through cdk.json; ``python app.py [-c key=value ...]`` does
the same without the CDK CLI (it reads cdk.json's context itself) and writes cdk.out/. After
synthesis every template is checked with cfn-lint (infra/lint.py); cdk-nag runs during synthesis.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from infra.node import use_venv_node

use_venv_node()

import aws_cdk as cdk  # noqa: E402

from infra import build_layer, config, lint, nag  # noqa: E402
from infra.stack import CancelflowStack  # noqa: E402


def _cli_context(argv: list[str]) -> dict[str, str]:
    """``-c key=value`` pairs when run as ``python app.py`` (the CDK CLI passes them itself)."""
    out = {}
    for flag, value in itertools.pairwise(argv):
        if flag in ("-c", "--context") and "=" in value:
            key, _, val = value.partition("=")
            out[key] = val
    return out


def build(context: Mapping[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """The app with its stacks (not yet synthesised). Tests call this in-process."""
    ctx = {**config.cdk_json_context(), **(context or {})}
    kw: dict[str, object] = {"context": ctx}
    if outdir or not os.environ.get("CDK_OUTDIR"):
        kw["outdir"] = outdir or "cdk.out"
    app = cdk.App(**kw)  # type: ignore[arg-type]
    nag.add_checks(app)
    wanted = str(app.node.try_get_context("env") or "dev")
    names = config.ENVIRONMENTS if wanted == "all" else (wanted,)
    stub = str(app.node.try_get_context(config.STUB_ASSETS)).lower() == "true"
    # the same stand-in for both layers: the template is the same, only the assets' content differs
    layer_dir, providers_layer_dir = (
        (build_layer.STUB_DIR, build_layer.STUB_DIR)
        if stub
        else (build_layer.OUT_DIR, build_layer.out_dir("arm64", "providers"))
    )
    for folder in () if stub else (layer_dir, providers_layer_dir):
        if not (folder / "python").is_dir():
            raise SystemExit(f"{folder} is missing: run `make layer` (or -c {config.STUB_ASSETS}=true)")
    all_ctx = app.node.try_get_context("cancelflow")
    for name in names:
        cfg = config.from_context(name, {"cancelflow": all_ctx})
        env = cdk.Environment(
            account=cfg.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=cfg.region or os.environ.get("CDK_DEFAULT_REGION"),
        )
        stack = CancelflowStack(
            app,
            cfg.stack_name,
            cfg=cfg,
            layer_dir=layer_dir,
            providers_layer_dir=providers_layer_dir,
            env=env,
        )
        stack.acknowledged = nag.acknowledge(stack, cfg)
    return app


def main() -> int:
    app = build(_cli_context(sys.argv[1:]))
    assembly = app.synth()
    problems = 0
    for stack in assembly.stacks:
        template = Path(assembly.directory) / stack.template_file
        findings = lint.cfn_lint(template)
        for f in findings:
            print(f"cfn-lint {stack.stack_name}: {f}", file=sys.stderr)
        problems += len(findings)
        print(f"synthesised {stack.stack_name} -> {template}")
    if problems:
        print(json.dumps({"cfn_lint_findings": problems}), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
