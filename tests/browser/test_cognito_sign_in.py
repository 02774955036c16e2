"""The cloud sign-in (Cognito Hosted UI, authorization code flow with PKCE) in a real browser.

No Cognito here: the browser's requests to the Hosted UI's host are answered by the test
(Playwright routing), which plays the authorization server of RFC 6749/7636 and checks what
the console sends it. The console's own files come from the local runtime, with a config.js
for the cloud."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Console

pytestmark = pytest.mark.browser

DOMAIN = "https://cancelflow-test.auth.ap-east-1.amazoncognito.com"
CLIENT_ID = "console-client-123"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_id_token(sub: str, groups: list[str]) -> str:
    """Shaped like Cognito's ID token; the console only reads its claims (the API verifies)."""
    claims = {"sub": sub, "cognito:groups": groups, "cognito:username": sub, "exp": int(time.time()) + 3600}
    header = b64url(json.dumps({"alg": "RS256", "kid": "k"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'signature')}"


def test_pkce_challenge_matches_rfc_7636(console: Console) -> None:
    """GIVEN the verifier of RFC 7636 appendix B WHEN the console derives its challenge (WebCrypto)
    THEN it is the RFC's S256 challenge."""
    page = console.open()
    challenge = page.evaluate(
        """async () => (await import('./lib/auth.js'))
            .pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')"""
    )
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_cognito_sign_in_with_pkce_round_trip(console: Console) -> None:
    """GIVEN a console configured for Cognito WHEN the reviewer signs in THEN the browser goes to
    the Hosted UI with response_type=code, the client id, S256 challenge and a state; WHEN the
    Hosted UI redirects back with a code and that state THEN the console exchanges the code with
    the verifier whose SHA-256 is the challenge, keeps the ID token in sessionStorage, removes the
    code from the address bar, and calls the API with it."""
    page = console.page
    base = console.url
    seen: dict[str, Any] = {}

    def config(route: Any) -> None:
        cfg = {
            "apiBase": "",
            "auth": "cognito",
            "cognito": {"domain": DOMAIN, "clientId": CLIENT_ID, "redirectUri": base, "scopes": ["openid"]},
            "demoUsers": [],
            "pollMs": 60000,
            "defaultLang": "zh-CN",
        }
        route.fulfill(content_type="text/javascript", body=f"window.CANCELFLOW_CONFIG = {json.dumps(cfg)};")

    def authorize(route: Any) -> None:
        q = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        seen["authorize"] = q
        back = f"{q['redirect_uri']}?code=the-code&state={q['state']}"
        route.fulfill(status=302, headers={"Location": back})

    def token(route: Any) -> None:
        seen["token"] = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        route.fulfill(
            json={
                "id_token": fake_id_token("rev-cloud", ["reviewer"]),
                "access_token": "a",
                "expires_in": 3600,
            }
        )

    def reviews(route: Any) -> None:
        seen.setdefault("api_auth", route.request.headers.get("authorization"))
        route.fulfill(json={"items": [], "next_cursor": None})

    page.route("**/console/config.js", config)
    page.route(f"{DOMAIN}/oauth2/authorize*", authorize)
    page.route(f"{DOMAIN}/oauth2/token", token)
    page.route("**/v1/reviews*", reviews)

    console.open()
    page.get_by_role("button", name="使用公司账号登录").click()
    page.wait_for_selector("#sign-out")

    q = seen["authorize"]
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID and q["redirect_uri"] == base
    assert q["code_challenge_method"] == "S256" and len(q["state"]) >= 16
    t = seen["token"]
    assert t["grant_type"] == "authorization_code" and t["code"] == "the-code" and t["client_id"] == CLIENT_ID
    assert b64url(hashlib.sha256(t["code_verifier"].encode()).digest()) == q["code_challenge"]
    assert "code=" not in page.url
    session = json.loads(page.evaluate("sessionStorage.getItem('cancelflow.session')"))
    assert session["sub"] == "rev-cloud" and session["groups"] == ["reviewer"]
    page.wait_for_selector("#queue-title")
    assert seen["api_auth"] == f"Bearer {session['token']}"
