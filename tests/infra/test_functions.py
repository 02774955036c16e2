"""Every function: the Python runtime the suite runs on, arm64, its own asset folder and the shared layer,
settings from the env var names cancelflow.settings reads, log retention, tracing per config."""

from __future__ import annotations

import sys
from pathlib import Path

from cancelflow import settings

from infra import build_layer, topology
from infra.config import cdk_json_context
from infra.functions import PYDANTIC_ENV, RUNTIME
from local.runtime import FAKE_AWS
from tests.infra import tpl

POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_TRACE_DISABLED",
    "PYDANTIC_DISABLE_PLUGINS",
}


def _functions(template):
    return {name: template["Resources"][lid] for name, lid in tpl.function_ids(template).items()}


def test_runtime_is_the_python_the_suite_runs_on():
    """GIVEN the deployed runtime THEN it is the Python the tests run on and the layer's bytecode
    is built for (not the newest the CDK knows: cdk-nag's latest-runtime rules are acknowledged
    in infra/nag.py for that reason)."""
    assert (
        RUNTIME.name
        == f"python{build_layer.LAMBDA_PYTHON}"
        == f"python{sys.version_info.major}.{sys.version_info.minor}"
    )


def test_every_topology_function_is_arm64_on_the_layer(dev):
    """GIVEN topology.FUNCTIONS THEN each is a function with its handler, arm64, the newest
    runtime and exactly the shared layer, and the providers layer for the functions that sign
    (build_layer.PROVIDER_LAYER_FUNCTIONS) and only for them. (In the CDK's order: with
    recognizeLayerVersion it sorts a function's layers by construct path; both extract into
    /opt/python and share no file, so their order changes nothing.)"""
    fns = _functions(dev)
    assert set(fns) == set(topology.FUNCTIONS)
    layers = tpl.resources(dev, "AWS::Lambda::LayerVersion")
    (layer_id,) = [k for k in layers if k.startswith("FunctionsSharedLayer")]
    (providers_id,) = [k for k in layers if k.startswith("FunctionsProvidersLayer")]
    assert len([k for k in layers if k.startswith("Functions")]) == 2
    for name, fn in fns.items():
        p = fn["Properties"]
        assert p["Handler"] == f"{topology.FUNCTIONS[name].module}.handler"
        assert p["Runtime"] == RUNTIME.name
        assert p["Architectures"] == ["arm64"]
        signs = name in build_layer.PROVIDER_LAYER_FUNCTIONS
        assert p["Layers"] == [*([{"Ref": providers_id}] if signs else []), {"Ref": layer_id}], name
        assert p["LoggingConfig"]["LogFormat"] == "JSON"


def test_function_assets_are_their_folders_with_bytecode(synth, dev):
    """GIVEN functions/<folder> THEN each function's asset is exactly that folder's files minus
    caches, plus an unchecked hash-based pyc of the runtime's Python beside every .py (/var/task is
    read-only: without it the handler module is compiled on every cold start), which names the
    module as Lambda places it (/var/task/...)."""
    import importlib.util
    import marshal
    import sys

    root = Path(__file__).resolve().parents[2]
    tag = sys.implementation.cache_tag
    for name, fn in _functions(dev).items():
        key = fn["Properties"]["Code"]["S3Key"]
        staged = synth.outdir / f"asset.{key.removesuffix('.zip')}"
        source = root / "functions" / topology.FUNCTIONS[name].folder
        py = {p.relative_to(source) for p in source.rglob("*.py") if "__pycache__" not in p.parts}
        want = {
            p.relative_to(source) for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        }
        want |= {p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc" for p in py}
        assert {p.relative_to(staged) for p in staged.rglob("*") if p.is_file()} == want, name
        for p in py:
            data = (staged / p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").read_bytes()
            assert data[:4] == importlib.util.MAGIC_NUMBER, (name, p)
            assert int.from_bytes(data[4:8], "little") == 0b01, (name, p)  # hash-based, unchecked
            assert marshal.loads(data[16:]).co_filename == f"/var/task/{p}", (name, p)


def test_environment_uses_only_settings_names(dev):
    """GIVEN cancelflow.settings THEN every variable a function gets is one settings reads (or
    Powertools'), and functions that touch the table are told its name."""
    known = set(settings._ENV.values()) | POWERTOOLS
    for name, fn in _functions(dev).items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert set(env) <= known, (name, set(env) - known)
        assert env["POWERTOOLS_TRACE_DISABLED"] == "true"
        assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # no entry_points scan at a cold start
        assert fn["Properties"].get("TracingConfig", {}).get("Mode") != "Active"  # X-Ray off in dev
        if name != "event_publisher":
            assert "CANCELFLOW_TABLE" in env
    cancel = _functions(dev)["cancel_api"]["Properties"]["Environment"]["Variables"]
    assert {"CANCELFLOW_IDEMPOTENCY_TABLE", "CANCELFLOW_REVIEW_QUEUE_URL", "CANCELFLOW_REFUND_QUEUE_URL",
            "CANCELFLOW_EVIDENCE_BUCKET"} <= set(cancel)  # fmt: skip
    worker = _functions(dev)["refund_worker"]["Properties"]["Environment"]["Variables"]
    assert "CANCELFLOW_PROVIDER_SECRET_ARN" in worker
    assert PYDANTIC_ENV.items() <= FAKE_AWS.items()  # the local runtime runs as deployed


def test_shard_counts_come_from_the_environment(dev, prod):
    """GIVEN cdk.json's per-env shard counts THEN functions get them (sparse-index sharding)."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        for fn in _functions(template).values():
            assert fn["Properties"]["Environment"]["Variables"]["CANCELFLOW_DUE_SHARDS"] == str(
                ctx[env]["due_shards"]
            )


def test_log_groups_keep_logs_for_the_configured_days(dev, prod):
    """GIVEN cdk.json THEN each function logs to its own group with the env's retention."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        for name, fn in _functions(template).items():
            (group,) = tpl.refs(fn["Properties"]["LoggingConfig"]["LogGroup"])
            assert (
                template["Resources"][group]["Properties"]["RetentionInDays"]
                == ctx[env]["log_retention_days"]
            )
            assert name.replace("_", "") in group


def test_reserved_concurrency_only_where_configured(dev, prod):
    """GIVEN prod's reserved concurrency for the sweeps THEN only those functions reserve any."""
    ctx = cdk_json_context()["cancelflow"]
    for env, template in (("dev", dev), ("prod", prod)):
        got = {
            n: f["Properties"]["ReservedConcurrentExecutions"]
            for n, f in _functions(template).items()
            if "ReservedConcurrentExecutions" in f["Properties"]
        }
        assert got == ctx[env]["reserved_concurrency"]


def test_prod_api_functions_run_snapstart_behind_a_live_alias(dev, prod):
    """GIVEN cdk.json (snap_start: prod only) THEN in prod each API function has SnapStart on
    published versions, a version and a "live" alias of it, and every HTTP API integration (and
    the invoke permission) targets that alias, since $LATEST never restores from a snapshot; the
    other functions, and dev's, have none of it and are integrated directly."""
    api = {r.function for r in topology.ROUTES}
    assert cdk_json_context()["cancelflow"]["prod"]["snap_start"] is True
    assert cdk_json_context()["cancelflow"]["dev"]["snap_start"] is False
    for template, on in ((prod, True), (dev, False)):
        ids = tpl.function_ids(template)
        aliases = tpl.resources(template, "AWS::Lambda::Alias")
        versions = tpl.resources(template, "AWS::Lambda::Version")
        integrations = [
            i["Properties"]["IntegrationUri"]
            for i in tpl.resources(template, "AWS::ApiGatewayV2::Integration").values()
        ]
        permissions = [
            p["Properties"]["FunctionName"]
            for p in tpl.resources(template, "AWS::Lambda::Permission").values()
        ]
        for name, lid in ids.items():
            props = template["Resources"][lid]["Properties"]
            snap = on and name in api
            assert props.get("SnapStart") == ({"ApplyOn": "PublishedVersions"} if snap else None), name
            alias = [a for a in aliases.values() if a["Properties"]["FunctionName"] == {"Ref": lid}]
            if not snap:
                assert not alias, name
                continue
            ((alias_id, alias_res),) = [(k, a) for k, a in aliases.items() if a in alias]
            assert alias_res["Properties"]["Name"] == "live"
            version_id = alias_res["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
            assert versions[version_id]["Properties"]["FunctionName"] == {"Ref": lid}
            assert {"Ref": alias_id} in integrations, name
            assert {"Fn::GetAtt": [lid, "Arn"]} not in integrations, name
            assert {"Ref": alias_id} in permissions, name
        if not on:
            assert not aliases and not versions
            assert sum({"Fn::GetAtt": [ids[n], "Arn"]} in integrations for n in api) == len(api)


def test_a_layer_change_publishes_new_versions_for_the_live_alias(prod, tmp_path, monkeypatch):
    """GIVEN prod (SnapStart: the HTTP API calls each API function's "live" alias of its current
    version) WHEN only the shared layer's content changes THEN each API function gets a new
    version (a new logical id), so the alias moves to code with the new layer; without
    @aws-cdk/aws-lambda:recognizeLayerVersion the version's id ignored its layers and prod's API
    would go on running the old layer."""
    import json
    import shutil

    import app as cdk_app
    from infra import config

    changed = tmp_path / "layer"
    shutil.copytree(build_layer.STUB_DIR, changed)
    (changed / "python" / "changed.txt").write_text("another build of the layer\n")
    monkeypatch.setattr(build_layer, "STUB_DIR", changed)
    out = tmp_path / "cdk.out"
    app = cdk_app.build(
        {"env": "prod", config.STUB_ASSETS: "true", "aws:cdk:bundling-stacks": []}, outdir=str(out)
    )
    assembly = app.synth()
    again = json.loads((Path(assembly.directory) / "cancelflow-prod.template.json").read_text())
    before = set(tpl.resources(prod, "AWS::Lambda::Version"))
    after = set(tpl.resources(again, "AWS::Lambda::Version"))
    assert len(before) == len(after) == len({r.function for r in topology.ROUTES})
    assert not before & after
