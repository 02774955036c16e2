// Who is signed in. The token lives in sessionStorage: it ends with the tab, and another tab
// signs in on its own (two reviewers on one machine stay two people).
//
// Locally the runtime mints tokens (POST /local/token {sub, groups} -> {token}); in the cloud
// the Cognito Hosted UI signs people in with the authorization code flow and PKCE (RFC 7636):
// the page never sees a password and there is no client secret to leak.

const SESSION = "cancelflow.session";
const PKCE = "cancelflow.pkce";

function b64urlDecode(part) {
  const s = part.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(s + "=".repeat((4 - (s.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function b64url(bytes) {
  let bin = "";
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The claims are read only to show who is signed in and which views to offer; the API
// verifies the token itself, so nothing here is a security decision.
export function claimsOf(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) throw new Error("not a JWT");
  return JSON.parse(b64urlDecode(parts[1]));
}

function groupsOf(claims) {
  const g = claims["cognito:groups"];
  if (Array.isArray(g)) return g;
  if (typeof g === "string") return g.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return [];
}

export function sessionFromToken(token) {
  const c = claimsOf(token);
  return { token, sub: c.sub, name: c["cognito:username"] || c.email || c.sub, groups: groupsOf(c), exp: c.exp };
}

export function currentSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION) || "null");
    if (s && s.token && (!s.exp || s.exp * 1000 > Date.now())) return s;
  } catch {
    /* a damaged entry is the same as none */
  }
  sessionStorage.removeItem(SESSION);
  return null;
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(SESSION);
}

export async function localSignIn(apiBase, user) {
  const res = await fetch(`${apiBase}/local/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub: user.sub, groups: user.groups }),
  });
  if (!res.ok) throw new Error(`/local/token answered ${res.status}`);
  const body = await res.json();
  return saveSession(sessionFromToken(body.token));
}

// ---- Cognito Hosted UI, authorization code + PKCE

function randomString(bytes = 32) {
  return b64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return b64url(digest);
}

export async function cognitoSignIn(cfg, lang) {
  const verifier = randomString(64);
  const state = randomString(16);
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: "code",
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    scope: (cfg.scopes || ["openid"]).join(" "),
    state,
    code_challenge_method: "S256",
    code_challenge: await pkceChallenge(verifier),
    lang: lang === "en" ? "en" : "zh-CN",
  });
  location.assign(`${cfg.domain.replace(/\/$/, "")}/oauth2/authorize?${q}`);
}

// Back from the Hosted UI with ?code=&state=: exchange the code (with the verifier) for tokens.
// Returns the session, or null when the URL carries no answer from Cognito.
export async function completeCognitoSignIn(cfg) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PKCE) || "null");
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, "", location.pathname + location.hash); // the code is single-use
  if (error) throw new Error(`sign-in refused: ${error}`);
  if (!pending || pending.state !== params.get("state")) throw new Error("sign-in state mismatch");
  const res = await fetch(`${cfg.domain.replace(/\/$/, "")}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cfg.clientId,
      code,
      redirect_uri: cfg.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error(`token exchange answered ${res.status}`);
  const tokens = await res.json();
  // The ID token: its audience is the app client and it carries cognito:groups, which is what
  // the HTTP API's JWT authorizer and the handlers' role checks read.
  return saveSession(sessionFromToken(tokens.id_token));
}

export function cognitoSignOutUrl(cfg) {
  const q = new URLSearchParams({ client_id: cfg.clientId, logout_uri: cfg.redirectUri });
  return `${cfg.domain.replace(/\/$/, "")}/logout?${q}`;
}
