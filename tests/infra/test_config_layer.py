"""Environment config validation and the layer build's inputs (the real build runs in bench)."""

from __future__ import annotations

import pytest

from infra import build_layer, config


def test_unknown_environment_and_settings_are_rejected():
    """GIVEN a typo in cdk.json THEN synthesis stops with the offending names."""
    ctx = config.cdk_json_context()
    with pytest.raises(ValueError, match="unknown environment"):
        config.from_context("staging", ctx)
    bad = {"cancelflow": {"dev": {"due_shard": 3}}}
    with pytest.raises(ValueError, match="due_shard"):
        config.from_context("dev", bad)
    with pytest.raises(ValueError, match="nope"):
        config.from_context("dev", {"cancelflow": {"dev": {"schedule_rates": {"nope": 1}}}})


def test_every_environment_in_cdk_json_is_valid():
    ctx = config.cdk_json_context()
    assert {config.from_context(n, ctx).name for n in config.ENVIRONMENTS} == {"dev", "prod"}


def test_layer_requirements_leave_out_what_the_runtime_has():
    """GIVEN pyproject's runtime dependencies THEN the layer installs them except boto3/botocore."""
    reqs = build_layer.requirements()
    names = {build_layer._name(r) for r in reqs}
    assert "boto3" not in names and "botocore" not in names
    assert {"pydantic", "aws-lambda-powertools"} <= names


def test_layer_fingerprint_changes_with_the_package(tmp_path, monkeypatch):
    """GIVEN the layer's inputs WHEN a package file changes THEN the fingerprint changes (so the
    build reruns), and stays the same otherwise (so it is skipped)."""
    pkg = tmp_path / "cancelflow"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(build_layer, "PACKAGE", pkg)
    first = build_layer.fingerprint()
    assert build_layer.fingerprint() == first
    (pkg / "a.py").write_text("x = 2\n")
    assert build_layer.fingerprint() != first
