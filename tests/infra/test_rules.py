"""cdk-nag (AwsSolutions + Serverless) and cfn-lint gate every synth; every acknowledgement
names its reason and is in use."""

from __future__ import annotations

import pytest

from infra import lint, nag


def test_cdk_nag_packs_pass_with_only_named_acknowledgements(synth):
    """GIVEN both environments synthesised (synth raises on any unacknowledged finding) THEN both
    packs ran and concluded success."""
    assert synth.report is not None
    conclusions = {p["pluginName"]: p["conclusion"] for p in synth.report["pluginReports"]}
    assert conclusions["AwsSolutions"] == "success"
    assert conclusions["Serverless"] == "success"


def test_every_acknowledgement_has_a_reason_and_matches_something(synth):
    """GIVEN infra/nag.ACKNOWLEDGED THEN each entry has a reason, and each that applies to an
    environment of cdk.json matches at least one construct (no stale acknowledgements)."""
    used = {id(ack) for stack in synth.stacks.values() for ack, _ in stack.acknowledged}
    for ack in nag.ACKNOWLEDGED:
        assert len(ack.reason) > 20, ack
        assert ack.rule.split("::")[0] in ("AwsSolutions", "Serverless"), ack
        if any(nag._applies(ack, stack.cfg) for stack in synth.stacks.values()):
            assert id(ack) in used, f"stale acknowledgement {ack.path} {ack.rule}"


def test_an_unacknowledged_finding_fails_synthesis(tmp_path):
    """GIVEN a stack with a queue that has no DLQ and allows plain HTTP WHEN synthesised with the
    same checks THEN synthesis fails."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    app = App(outdir=str(tmp_path))
    nag.add_checks(app)
    stack = Stack(app, "bad")
    sqs.Queue(stack, "Q")
    with pytest.raises(Exception, match=r"ValidationFailed|Validation failed"):
        app.synth()


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_cfn_lint_is_clean(synth, env):
    """GIVEN each synthesised template THEN cfn-lint reports nothing beyond the listed ignores."""
    stack = synth.stacks[env]
    template = synth.outdir / f"{stack.stack_name}.template.json"
    assert lint.cfn_lint(template, region=stack.cfg.region) == []


def test_ignored_lint_rules_have_reasons():
    assert all(len(reason) > 20 for reason in lint.IGNORED_RULES.values())
