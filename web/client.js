// @ts-check
// The typed API client: openapi-fetch over the paths generated from docs/openapi.json into
// src/api.d.ts (openapi-typescript; `make web-client` regenerates it, a test fails when it is
// stale). Every call names a documented path, and tsc checks its parameters and body.
//
// Errors: the API answers `{"error": {code, message, request_id, details}}`; API Gateway's own
// answers in the cloud (its JWT authorizer, unknown routes, throttling, a body over 10 MB, a
// crashed or timed-out function) are `{"message": "..."}`. The middleware below turns those
// into the API's format by their status (docs/deploy.md, "Errors API Gateway makes itself"), so
// the page handles one shape; a network failure becomes one too (code NETWORK).
import createClient from "openapi-fetch";

/** @typedef {import("./src/api").paths} Paths */
/** @typedef {import("./src/api").components["schemas"]} Schemas */
/** @typedef {{code: string, message: string, request_id: string | null, details: Record<string, any>}} ApiError */

// status -> the API's code for API Gateway's own answers
const GATEWAY_CODES = {
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
  500: "INTERNAL",
  502: "INTERNAL",
  503: "RATE_LIMITED",
  504: "INTERNAL",
};

/**
 * The body of a failed answer, in the API's format whatever made it.
 * @param {number} status
 * @param {any} body
 * @param {Headers} headers
 * @returns {{error: ApiError}}
 */
export function normalised(status, body, headers) {
  if (body && typeof body === "object" && body.error && typeof body.error.code === "string") return body;
  const code = GATEWAY_CODES[status] || (status >= 500 ? "INTERNAL" : "VALIDATION_FAILED");
  const message = body && typeof body.message === "string" ? body.message : `HTTP ${status}`;
  // API Gateway's own id for the request: what support asks for
  const id = headers.get("x-request-id") || headers.get("apigw-requestid");
  return { error: { code, message, request_id: id, details: { gateway: true } } };
}

/**
 * @param {{apiBase: string, token: () => string | null, lang: () => string, onUnauthenticated: () => void}} opts
 */
export function makeClient(opts) {
  /** @type {import("openapi-fetch").Client<Paths>} */
  const client = createClient({ baseUrl: opts.apiBase || window.location.origin });
  client.use({
    onRequest({ request }) {
      const token = opts.token();
      if (token) request.headers.set("Authorization", `Bearer ${token}`);
      request.headers.set("Accept-Language", opts.lang());
      if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
        // one key per attempt the person makes: a retry of this same request replays its answer
        request.headers.set("Idempotency-Key", crypto.randomUUID());
      }
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) return response;
      if (response.status === 401) opts.onUnauthenticated();
      let body = null;
      try {
        body = await response.clone().json();
      } catch {
        /* not JSON: API Gateway's or a proxy's page */
      }
      const fixed = normalised(response.status, body, response.headers);
      return new Response(JSON.stringify(fixed), {
        status: response.status,
        headers: { "Content-Type": "application/json" },
      });
    },
    onError({ error }) {
      const message = error instanceof Error ? error.message : String(error);
      const body = { error: { code: "NETWORK", message, request_id: null, details: {} } };
      return new Response(JSON.stringify(body), { status: 599, headers: { "Content-Type": "application/json" } });
    },
  });
  return client;
}
