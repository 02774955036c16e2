"""Small readers over a synthesised CloudFormation template (plain dicts)."""

from __future__ import annotations

from typing import Any

from infra import topology


def resources(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource.get("Properties", {}))


def only(template: dict[str, Any], rtype: str, contains: str = "") -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in resources(template, rtype).items() if contains in k]
    assert len(found) == 1, f"expected one {rtype} containing {contains!r}, found {[k for k, _ in found]}"
    return found[0]


def function_ids(template: dict[str, Any]) -> dict[str, str]:
    """topology function name -> logical id of its AWS::Lambda::Function."""
    out = {}
    for lid in resources(template, "AWS::Lambda::Function"):
        for name in topology.FUNCTIONS:
            if lid.startswith(f"Functions{name.replace('_', '')}Function"):
                out[name] = lid
    return out


def role_id(template: dict[str, Any], function: str) -> str:
    fn = template["Resources"][function_ids(template)[function]]
    role: str = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def statements_of_role(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for res in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in res["Properties"].get("Roles", []):
            out.extend(res["Properties"]["PolicyDocument"]["Statement"])
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        out.extend(policy["PolicyDocument"]["Statement"])
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def refs(value: Any) -> set[str]:
    """Every logical id a (possibly nested) CloudFormation expression refers to."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else v.split(".")[0])
            else:
                found |= refs(v)
    elif isinstance(value, list):
        for v in value:
            found |= refs(v)
    return found
