"""The policies orders were bought under, one stored copy per version (docs/domain.md,
"Products and policies": pinning). A version is the hash of a policy's values, so a copy never
changes: it is written with the first order a process creates under it (in that order's own
transaction, so no order points at a version that is not stored) and read once per process
when an order of an older version is judged.
"""

from __future__ import annotations

from typing import Any

from cancelflow.domain import policy as policies
from cancelflow.domain.policy import CancellationPolicy
from cancelflow.store import ddb

SK = "POLICY"
_STORED: set[str] = set()  # versions this process wrote (or read): no need to write them again


def _pk(version: str) -> str:
    return f"POLICY#{version}"


def pin_op(policy: CancellationPolicy) -> tuple[str, list[dict[str, Any]]]:
    """The version of ``policy`` and, the first time this process pins it, the Put of its copy
    for the creating order's transaction (unconditional: every copy of a version is the same)."""
    version = policies.remember(policy)
    if version in _STORED:
        return version, []
    item = {
        "pk": _pk(version),
        "sk": SK,
        "type": "policy",
        "product_type": policy.product_type.value,
        "policy": policies.policy_json(policy).decode(),
    }
    return version, [{"Put": {"Item": ddb.to_item(item)}}]


def stored(version: str) -> None:
    """The transaction with ``pin_op``'s Put committed: the copy is there."""
    _STORED.add(version)


def load(version: str) -> CancellationPolicy:
    item = ddb.get(_pk(version), SK, consistent=False)  # written before any order that names it
    if item is None:
        raise LookupError(f"no stored policy {version}")
    _STORED.add(version)
    return policies.decode_policy(item["policy"])


def forget() -> None:
    _STORED.clear()


policies.set_loader(load)
