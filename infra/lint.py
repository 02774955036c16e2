"""cfn-lint on a synthesised template, with THE list of ignored rules and why."""

from __future__ import annotations

from pathlib import Path

# rule -> reason it is ignored
IGNORED_RULES: dict[str, str] = {
    "W3005": "CDK emits a DependsOn that the Ref/GetAtt already implies (redundant, harmless)",
}


def cfn_lint(template: Path, region: str = "ap-east-1") -> list[str]:
    """Findings as 'RULE path: message' lines; empty when clean."""
    from cfnlint.api import ManualArgs, lint_file  # lazy: cfn-lint loads its specs on import

    matches = lint_file(template, config=ManualArgs(ignore_checks=list(IGNORED_RULES), regions=[region]))
    return [f"{m.rule.id} {'/'.join(str(p) for p in m.path or [])}: {m.message}" for m in matches]
