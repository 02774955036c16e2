// The console's one shared state and the facts derived from it: who is signed in and in which
// roles, the API client, and the server's clock (countdowns run on the server's time).

import { createClient } from "../lib/api.js";
import * as auth from "../lib/auth.js";
import { currentLang, tCode } from "../lib/i18n.js";

export const cfg = window.CANCELFLOW_CONFIG || {};
export const apiBase = (cfg.apiBase || "").replace(/\/$/, "");
export const $ = (id) => document.getElementById(id);

export const state = {
  session: null,
  route: { view: "signin" },
  status: "open", // the queue's status filter
  tasks: [],
  appeals: [],
  refunds: [],
  threads: [], // conversations awaiting support's answer
  thread: null, // the conversation open on #/thread/<order>/<subject>
  reply: "", // what support has typed there (kept across refreshes)
  refundFilter: "stuck", // support's refund list: stuck (all that need a person), chased, overdue, a status
  refundSort: "age", // age (oldest first) or amount (largest first); chased ones always lead
  manual: {}, // refund id -> {channel, reference, note} typed for a manual refund (kept across refresh)
  quarantine: [], // support: keys a cancellation quarantined (lib/api.js adaptKey)
  reasons: {}, // key id -> the reason typed in its row (kept across the list's live refresh)
  orderTool: null, // support's last order-tool result: {kind, order, replayed, refundIds}
  detail: null, // the open task (lib/api.js adaptDetail)
  loadedAt: null,
  offsetMs: 0, // server clock minus browser clock (countdowns use the server's time)
  localClock: false, // true once GET /local/clock answered (the local runtime)
  busy: false,
  problem: null, // {error}: the last failure, explained in the page
  demoUsers: [],
  pending: null, // "reject" or "need_info" started by a key with an empty note (Ctrl+Enter sends it)
};

export const api = createClient({
  base: apiBase,
  token: () => state.session?.token || "",
  lang: () => currentLang(),
  onUnauthenticated: () => {
    auth.clearSession();
    state.session = null;
  },
});

export const hasGroup = (g) => !!state.session?.groups?.includes(g);
export const isReviewer = () => hasGroup("reviewer") || hasGroup("senior_reviewer");
export const isSenior = () => hasGroup("senior_reviewer");
export const isSupport = () => hasGroup("support");
export const mine = (task) => !!task && task.leaseHolder === state.session?.sub && task.status === "claimed";

export function userName(user) {
  if (typeof user.name === "string") return user.name;
  return (user.name && (user.name[currentLang()] || user.name.en)) || user.sub;
}

export function roleText() {
  const roles = state.session?.groups || [];
  return roles.map((g) => tCode("role", g)).join(" · ");
}

export const serverNow = () => Date.now() + state.offsetMs;

export function syncClock(now) {
  if (now && !state.localClock) state.offsetMs = now - Date.now();
}

// The local runtime's business clock can be moved ahead (POST /local/clock) while HTTP Date
// headers keep wall time; locally the countdowns follow GET /local/clock instead.
export async function syncLocalClock() {
  if (cfg.auth === "cognito") return;
  try {
    const res = await fetch(`${apiBase}/local/clock`);
    const ms = res.ok ? Date.parse((await res.json()).now) : NaN;
    if (!Number.isNaN(ms)) {
      state.offsetMs = ms - Date.now();
      state.localClock = true;
    }
  } catch {
    /* not the local runtime: Date headers it is */
  }
}
