"""Who is calling: the claims API Gateway's JWT authorizer verified, never anything else.

A missing, empty or blank claim is no identity at all (401): in the cloud the authorizer
answers 401 before the Lambda runs, but the handler must not rely on that (a misconfigured
route, the local runtime, a test) and never trusts a missing claim. A subject is used exactly
as verified, never trimmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from cancelflow.errors import DomainError, ErrorCode

# Roles (cognito:groups): each route names its tuple in its decorator (functions/*/api.py), the
# one declaration infra.topology.ROUTES, API Gateway and the OpenAPI document are read from.
CUSTOMER = ("customer",)
REVIEWERS = ("reviewer", "senior_reviewer")
SUPPORT = ("support",)
STAFF = (*REVIEWERS, *SUPPORT)  # the platform's people: they see every order and conversation
PLATFORM = ("platform",)
ANY_SIGNED_IN: tuple[str, ...] = ()

_SPLIT = re.compile(r"[\s,]+")


def parse_groups(raw: Any) -> frozenset[str]:
    """``cognito:groups`` as API Gateway passes it: a JSON list, or a string such as
    ``"[customer reviewer]"`` (how HTTP APIs flatten a list claim) or ``"customer,reviewer"``."""
    if raw is None:
        return frozenset()
    if isinstance(raw, str):
        items: Iterable[Any] = _SPLIT.split(raw.strip().strip("[]"))
    elif isinstance(raw, Iterable):
        items = raw
    else:
        return frozenset()
    out = set()
    for item in items:
        if isinstance(item, str):
            out |= {p.strip().strip("\"'") for p in _SPLIT.split(item.strip().strip("[]"))}
    return frozenset(g for g in out if g)


class Caller(msgspec.Struct, frozen=True):
    """The signed-in caller: the JWT's subject and Cognito groups."""

    sub: str
    groups: frozenset[str]

    def has_any(self, roles: Iterable[str]) -> bool:
        return bool(self.groups & set(roles))


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    ctx = event.get("requestContext") or {}
    authorizer = ctx.get("authorizer") or {} if isinstance(ctx, Mapping) else {}
    jwt = authorizer.get("jwt") or {} if isinstance(authorizer, Mapping) else {}
    claims = jwt.get("claims") if isinstance(jwt, Mapping) else None
    return claims if isinstance(claims, Mapping) else {}


def caller_from(event: Mapping[str, Any]) -> Caller | None:
    claims = claims_of(event)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        return None
    # Byte for byte: " secA " is not "secA". Stripping (or any normalising) would let a token
    # whose subject merely resembles another caller's read that caller's orders.
    return Caller(sub=sub, groups=parse_groups(claims.get("cognito:groups")))


def authorize(caller: Caller | None, roles: tuple[str, ...]) -> Caller:
    """The caller if allowed: no identity -> 401; a role outside ``roles`` -> 403.
    ``roles == ()`` admits anyone signed in."""
    if caller is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED)
    if roles and not caller.has_any(roles):
        raise DomainError(ErrorCode.FORBIDDEN, {"roles": list(roles)})
    return caller
