"""checkov, a second rule set over every environment's synthesised template: no finding that is
neither fixed nor skipped with its reason from infra/checkov.py. checkov runs once per session
over all templates and a made-up one with known faults (which proves the check can fail)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra import checkov
from infra.config import ROOT
from infra.console_hosting import console_files_exist

CHECKOV = ROOT / "build" / "checkov" / "bin" / "checkov"
DETECTOR = "detector"  # the made-up template's name
DETECTOR_SKIP = "detector: a skip with its reason"
DETECTOR_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "PlainQueue": {"Type": "AWS::SQS::Queue", "Properties": {}},  # no encryption at rest
        "SkippedQueue": {
            "Type": "AWS::SQS::Queue",
            "Properties": {},
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_27", "comment": DETECTOR_SKIP}]}},
        },
    },
}


@dataclass
class Report:
    failed: dict[str, list[dict[str, Any]]]  # template name -> checkov's failed checks
    skipped: dict[str, list[dict[str, Any]]]
    passed: dict[str, int]


@pytest.fixture(scope="module")
def report(synth, tmp_path_factory: pytest.TempPathFactory) -> Report:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make checkov`")
    folder = tmp_path_factory.mktemp("checkov")
    for name, template in synth.templates.items():
        (folder / f"{name}.template.json").write_text(json.dumps(template))
    (folder / f"{DETECTOR}.template.json").write_text(json.dumps(DETECTOR_TEMPLATE))
    # --skip-download: no Prisma Cloud look-ups (guidelines, severities); the checks are local.
    run = subprocess.run(
        [str(CHECKOV), "-d", str(folder), "--framework", "cloudformation", "-o", "json", "--compact",
         "--skip-download"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    try:
        out = json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"checkov gave no JSON (exit {run.returncode}): {run.stderr[-2000:]}")
    results = (out if isinstance(out, dict) else {"results": {}})["results"]
    assert out.get("summary", {}).get("parsing_errors") == 0, out.get("summary")

    def by_template(checks: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for c in checks:
            found.setdefault(Path(c["file_path"]).name.removesuffix(".template.json"), []).append(c)
        return found

    passed = by_template(results.get("passed_checks", []))
    return Report(
        failed=by_template(results.get("failed_checks", [])),
        skipped=by_template(results.get("skipped_checks", [])),
        passed={k: len(v) for k, v in passed.items()},
    )


def test_checkov_finds_a_known_fault_and_honours_a_skip(report):
    """GIVEN a made-up template with an unencrypted queue, and one whose metadata skips that
    check with a reason THEN checkov reports the first and lists the second as skipped."""
    failed = {(c["check_id"], c["resource"]) for c in report.failed.get(DETECTOR, [])}
    assert ("CKV_AWS_27", "AWS::SQS::Queue.PlainQueue") in failed
    assert ("CKV_AWS_27", "AWS::SQS::Queue.SkippedQueue") not in failed
    skipped = [(c["check_id"], c["resource"], c["check_result"].get("suppress_comment"))
               for c in report.skipped.get(DETECTOR, [])]  # fmt: skip
    assert skipped == [("CKV_AWS_27", "AWS::SQS::Queue.SkippedQueue", DETECTOR_SKIP)]


def test_no_finding_is_left_unexplained(synth, report):
    """GIVEN every environment's template THEN checkov ran its checks over each and every
    finding is fixed or skipped with a reason (a new finding fails here, with what to do)."""
    for env in synth.templates:
        assert report.passed.get(env, 0) > 100, f"checkov did not check the {env} template"
    unexplained = [
        f"{env}: {c['check_id']} {c['check_name']} on {c['resource']}"
        for env in synth.templates
        for c in report.failed.get(env, [])
    ]
    assert not unexplained, (
        "checkov findings: fix them in infra/, or skip them with the reason in infra/checkov.py "
        "SKIPS (and docs/deploy.md, 'What checkov flags and why'):\n  " + "\n  ".join(unexplained)
    )


def test_every_skip_is_one_of_the_table_with_its_reason(synth, report):
    """GIVEN the skips checkov honoured THEN each came from infra/checkov.py with its reason."""
    table = checkov.by_reason()
    for env in synth.templates:
        for c in report.skipped.get(env, []):
            key = (c["check_id"], c["check_result"].get("suppress_comment"))
            assert key in table, f"{env}: {c['check_id']} on {c['resource']} skipped without a reason of ours"


def _skips_in(template: dict[str, Any]) -> list[tuple[str, dict[str, Any], checkov.Skip]]:
    """(logical id, resource, its Skip) for every skip written into the template."""
    table = checkov.by_reason()
    return [
        (lid, res, table[(s["id"], s["comment"])])
        for lid, res in template["Resources"].items()
        for s in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_what_each_skip_relies_on_holds(synth):
    """GIVEN a skip that relies on a property (SSE-SQS on, log retention set, no secret in the
    environment, the default certificate) THEN the skipped resource has it in every environment."""
    checked = 0
    for env, template in synth.templates.items():
        for lid, res, skip in _skips_in(template):
            if skip.holds is not None:
                checked += 1
                assert skip.holds(res.get("Properties", {})), f"{env}: {skip.check} on {lid}: {skip.reason}"
    assert checked > 20


def test_every_skip_in_the_table_applies_somewhere(synth):
    """GIVEN infra/checkov.py SKIPS THEN each entry is written on some resource of some
    environment (a stale entry is removed, not kept as a blanket pass)."""
    used = {(skip.check, skip.reason) for t in synth.templates.values() for _, _, skip in _skips_in(t)}
    unused = {
        (s.check, s.path)
        for s in checkov.SKIPS
        if (s.check, s.reason) not in used
        and not (s.path.startswith(checkov.BUCKET_DEPLOYMENT) and not console_files_exist())
    }
    assert not unused, f"skips that apply to nothing: {sorted(unused)}"


def test_prod_skips_what_dev_skips_or_less(synth):
    """GIVEN prod reserves concurrency where dev cannot THEN prod skips no check that dev fixes."""

    def pairs(env: str) -> set[tuple[str, str]]:
        return {(lid, skip.check) for lid, _, skip in _skips_in(synth.templates[env])}

    assert pairs("prod") <= pairs("dev")
