"""The local identity provider and the gateway's JWT check.

In the cloud Cognito issues ID tokens and API Gateway's JWT authorizer verifies them against
the pool's JWKS (signature, issuer, audience, expiry) before any Lambda runs; the authorizer only
authenticates, the handlers decide roles from ``cognito:groups``. Locally one RSA key made at
start-up plays Cognito: ``/local/token`` mints tokens with the same claims, the JWKS is served at
``/.well-known/jwks.json``, and :meth:`Issuer.verify` rejects what the authorizer would reject.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "cancelflow-local"  # the Cognito app client id in the cloud
ALGORITHM = "RS256"
DEFAULT_TTL = 3600
MAX_TTL = 7 * 24 * 3600


class Unauthorized(Exception):
    """A request API Gateway's JWT authorizer would answer with 401; the message says why."""


@dataclass
class Issuer:
    """One signing key, its JWKS, token minting and verification."""

    issuer: str
    audience: str = AUDIENCE
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    _key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048), repr=False)

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code", "token"],
        }

    def mint(self, sub: str, groups: list[str], ttl_seconds: int = DEFAULT_TTL) -> tuple[str, int]:
        """An ID token shaped like Cognito's. Expiry is real (wall-clock) time, as the
        authorizer's clock is: moving the business clock never expires a token."""
        now = int(time.time())
        exp = now + ttl_seconds
        claims = {
            "sub": sub,
            "cognito:groups": groups,
            "cognito:username": sub,
            "iss": self.issuer,
            "aud": self.audience,
            "token_use": "id",
            "auth_time": now,
            "iat": min(now, exp - 1),
            "exp": exp,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})
        return token, exp

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid bearer token, or :class:`Unauthorized`.

        Like the authorizer: the identity source is the ``Authorization`` header (a ``Bearer``
        prefix is accepted), the key is chosen by ``kid``, only RS256, and ``iss``, ``aud``,
        ``exp`` (plus ``nbf``/``iat`` when present) are checked.
        """
        if not authorization or not authorization.strip():
            raise Unauthorized("missing token")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise Unauthorized("malformed token") from e
        if header.get("kid") != self.kid:
            raise Unauthorized("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise Unauthorized("token expired") from e
        except jwt.PyJWTError as e:
            raise Unauthorized(f"invalid token: {type(e).__name__}") from e
        return claims
