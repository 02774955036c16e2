// The review console: sign-in, the queue, a task, the senior reviewers' appeals, support's
// overdue refunds. Plain ES modules, no build step. Views are functions that rebuild their
// part of the page from `state`; all text comes from the i18n tables; all API shapes are
// mapped in lib/api.js.

import { ApiError, createClient } from "./lib/api.js";
import * as auth from "./lib/auth.js";
import { h, keepFocus, replace } from "./lib/dom.js";
import { LANGS, clockText, currentLang, has, initialLang, money, parseYuan, setLang, t, tCode, time } from "./lib/i18n.js";

const cfg = window.CANCELFLOW_CONFIG || {};
const apiBase = (cfg.apiBase || "").replace(/\/$/, "");
const $ = (id) => document.getElementById(id);

const state = {
  session: null,
  route: { view: "signin" },
  status: "open", // the queue's status filter
  tasks: [],
  appeals: [],
  refunds: [],
  detail: null, // the open task (lib/api.js adaptDetail)
  loadedAt: null,
  offsetMs: 0, // server clock minus browser clock (countdowns use the server's time)
  localClock: false, // true once GET /local/clock answered (the local runtime)
  busy: false,
  problem: null, // {error}: the last failure, explained in the page
  demoUsers: [],
  pending: null, // "reject" or "need_info" started by a key with an empty note (Ctrl+Enter sends it)
};

const api = createClient({
  base: apiBase,
  token: () => state.session?.token || "",
  lang: () => currentLang(),
  onUnauthenticated: () => {
    auth.clearSession();
    state.session = null;
  },
});

// ---------------------------------------------------------------- roles

const hasGroup = (g) => !!state.session?.groups?.includes(g);
const isReviewer = () => hasGroup("reviewer") || hasGroup("senior_reviewer");
const isSenior = () => hasGroup("senior_reviewer");
const isSupport = () => hasGroup("support");

function homeRoute() {
  if (isReviewer()) return "#/queue";
  if (isSupport()) return "#/refunds";
  return "#/queue";
}

// ---------------------------------------------------------------- clock and countdowns

const serverNow = () => Date.now() + state.offsetMs;

function syncClock(now) {
  if (now && !state.localClock) state.offsetMs = now - Date.now();
}

// The local runtime's business clock can be moved ahead (POST /local/clock) while HTTP Date
// headers keep wall time; locally the countdowns follow GET /local/clock instead.
async function syncLocalClock() {
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

// One element that counts down to data-due; tick() updates every such element each second.
function countdown(due, kind, pausedMs = null) {
  const el = h("span", { class: "countdown", dataset: { due: due || "", kind } });
  if (pausedMs !== null && pausedMs !== undefined) {
    el.dataset.paused = String(pausedMs);
  }
  renderCountdown(el);
  return el;
}

function renderCountdown(el) {
  const { due, kind, paused } = el.dataset;
  if (paused !== undefined) {
    el.textContent = t("sla.paused", { time: clockText(Number(paused)) });
    el.className = "countdown paused";
    return;
  }
  if (!due) {
    el.textContent = "—";
    return;
  }
  const left = Date.parse(due) - serverNow();
  const late = left <= 0;
  el.textContent = t(`${kind}.${late ? "overdue" : "left"}`, { time: clockText(left) });
  el.className = `countdown ${late ? "late" : left < 5 * 60 * 1000 ? "soon" : ""}`;
}

function tick() {
  document.querySelectorAll(".countdown[data-due]").forEach(renderCountdown);
}

// ---------------------------------------------------------------- messages and problems

function announce(text, kind = "info") {
  // aria-live="polite": screen readers read it; the tests read it too.
  const el = $("status");
  el.textContent = "";
  requestAnimationFrame(() => {
    el.textContent = text;
  });
  el.dataset.message = text;
  el.dataset.kind = kind;
}

// An API error in the page's language: what happened, what to do next, and a reference for support.
function problemPanel(problem) {
  const err = problem.error;
  const code = err instanceof ApiError ? err.code : "NETWORK";
  const what = has(`error.${code}`) ? t(`error.${code}`) : err.message || t("error.UNKNOWN");
  const next = has(`next.${code}`) ? t(`next.${code}`) : t("next.default");
  const extra = [];
  if (code === "TASK_ALREADY_DECIDED" && (err.details?.outcome || err.details?.request_status)) {
    extra.push(h("p", {}, t("problem.outcome", { outcome: tCode("outcome", err.details.outcome || err.details.request_status) })));
  }
  if (code === "VALIDATION_FAILED" && err.details?.field) {
    extra.push(h("p", {}, t("problem.field", { field: tCode("field", err.details.field) })));
  }
  const actions = [];
  if (["LEASE_NOT_HELD", "TASK_ALREADY_DECIDED", "TASK_NOT_FOUND", "CONFLICT"].includes(code) && isReviewer()) {
    actions.push(h("button", { type: "button", onclick: () => navigate("#/queue") }, t("problem.back_to_queue")));
    actions.push(h("button", { type: "button", class: "primary", onclick: claimNext }, t("queue.claim_next")));
  }
  if (code === "UNAUTHENTICATED") {
    actions.push(h("button", { type: "button", class: "primary", onclick: signOut }, t("problem.sign_in_again")));
  }
  actions.push(h("button", { type: "button", class: "link", onclick: dismissProblem }, t("problem.dismiss")));
  return h(
    "div",
    { class: "problem", dataset: { code } },
    h("h2", {}, what),
    ...extra,
    h("p", { class: "next" }, h("strong", {}, t("problem.next")), " ", next),
    err.requestId ? h("p", { class: "ref" }, t("problem.reference", { id: err.requestId })) : null,
    h("div", { class: "actions" }, ...actions),
  );
}

function showProblem(error, source = "action") {
  if (!(error instanceof ApiError)) console.error(error);
  const same = state.problem?.error?.code === error.code && error.code !== undefined;
  state.problem = { error, source };
  renderProblem(!same); // a poll failing again does not pull focus away each time
  if (same) return;
  announce(has(`error.${error.code}`) ? t(`error.${error.code}`) : error.message, "error");
}

function renderProblem(focus = false) {
  const box = $("problem");
  if (state.problem) {
    replace(box, problemPanel(state.problem));
    box.hidden = false;
    if (focus) box.querySelector("button")?.focus({ preventScroll: true });
  } else {
    replace(box);
    box.hidden = true;
  }
}

function dismissProblem() {
  state.problem = null;
  renderProblem();
}

// ---------------------------------------------------------------- routing

function parseRoute() {
  const m = /^#\/(queue|task|appeals|refunds)(?:\/(.+))?$/.exec(location.hash);
  if (!m) return { view: "home" };
  return { view: m[1], id: m[2] ? decodeURIComponent(m[2]) : null };
}

function navigate(hash) {
  if (location.hash === hash) onRoute();
  else location.hash = hash;
}

async function onRoute() {
  if (!state.session) {
    state.route = { view: "signin" };
    render();
    return;
  }
  const route = parseRoute();
  if (route.view === "home") {
    location.replace(homeRoute());
    return;
  }
  if (state.route.view !== route.view || state.route.id !== route.id) state.problem = null;
  state.route = route;
  if (route.view === "task") state.detail = null;
  render();
  await refresh();
}

// ---------------------------------------------------------------- loading

async function refresh() {
  const { view, id } = state.route;
  try {
    await syncLocalClock();
    if (view === "queue") {
      const page = await api.listTasks(state.status);
      syncClock(page.now);
      state.tasks = page.items;
    } else if (view === "appeals" && isSenior()) {
      const pages = await Promise.all([api.listTasks("open"), api.listTasks("claimed")]);
      syncClock(pages[0].now);
      state.appeals = pages.flatMap((p) => p.items).filter((x) => x.kind === "rejection_appeal" || x.seniorOnly);
    } else if (view === "refunds" && isSupport()) {
      const page = await api.listRefunds();
      syncClock(page.now);
      state.refunds = page.items;
    } else if (view === "task" && id) {
      const detail = await api.getTask(id);
      syncClock(detail.now);
      state.detail = detail;
    } else {
      return;
    }
    state.loadedAt = serverNow();
    if (state.problem?.source === "load") dismissProblem(); // it works again
    if (state.route.view === view && state.route.id === id) keepFocus(renderMain);
  } catch (e) {
    if (e instanceof ApiError && e.code === "UNAUTHENTICATED") {
      render();
    }
    showProblem(e, "load");
  }
}

// Live refresh of the lists, paused while the tab is hidden (no work for nobody watching).
let pollTimer = null;
function startPolling() {
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.hidden || !state.session || state.busy) return;
    if (["queue", "appeals", "refunds"].includes(state.route.view)) refresh();
    else if (state.route.view === "task") watchTask();
  }, cfg.pollMs || 5000);
}

// On a task page: re-read the task and update only the banner that says who holds it, so a
// reviewer sees at once that their lease ran out or someone else decided, without losing what
// they typed. The buttons stay: the API is the judge, and its answer is explained if they act.
async function watchTask() {
  const shown = state.detail;
  if (!shown) return;
  try {
    const fresh = await api.getTask(shown.task.id);
    const banner = document.querySelector(".lease");
    if (state.detail !== shown || !banner) return;
    const a = shown.task;
    const b = fresh.task;
    if (a.status !== b.status || a.leaseHolder !== b.leaseHolder || a.leaseUntil !== b.leaseUntil) {
      banner.replaceWith(leaseBanner(b));
    }
  } catch {
    /* a failed background check changes nothing on the page */
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.session && ["queue", "appeals", "refunds"].includes(state.route.view)) refresh();
});

// ---------------------------------------------------------------- actions

async function busyWhile(work) {
  if (state.busy) return;
  state.busy = true;
  document.body.setAttribute("aria-busy", "true");
  try {
    await work();
  } finally {
    state.busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

function claimNext() {
  if (!isReviewer()) return;
  return busyWhile(async () => {
    try {
      const task = await api.claimNext();
      state.problem = null;
      announce(t("msg.claimed", { id: task.id }));
      navigate(`#/task/${encodeURIComponent(task.id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.code === "NO_TASK_AVAILABLE") {
        announce(t("msg.no_task"));
        return;
      }
      showProblem(e);
    }
  });
}

function decisionInput() {
  const form = $("decision");
  if (!form) return null;
  return {
    form,
    checklist: {
      orderStatus: form.querySelector("#chk-order").checked,
      evidence: form.querySelector("#chk-evidence").checked,
      refundPath: form.querySelector("#chk-refund").checked,
    },
    note: form.querySelector("#note").value.trim(),
    amountText: form.querySelector("#amount")?.value.trim() || "",
  };
}

function inlineError(text, focusSelector) {
  const box = $("decision-error");
  if (box) box.textContent = text;
  announce(text, "error");
  if (focusSelector) document.querySelector(focusSelector)?.focus();
}

function decide(outcome) {
  const detail = state.detail;
  if (!detail || !mine(detail.task)) return;
  const input = decisionInput();
  if (!input) return;
  if (outcome === "approve") {
    const missing = [
      ["orderStatus", "#chk-order"],
      ["evidence", "#chk-evidence"],
      ["refundPath", "#chk-refund"],
    ].find(([k]) => !input.checklist[k]);
    if (missing) return inlineError(t("decision.need_checklist"), missing[1]);
  } else if (!input.note) {
    // A rejection records why; a question tells the customer what to send (DOMAIN.md, "Review").
    state.pending = outcome;
    return inlineError(t(outcome === "reject" ? "decision.need_reason" : "decision.need_question"), "#note");
  }
  let refundAmount = null;
  if (outcome === "approve" && detail.task.partialAllowed && input.amountText) {
    refundAmount = parseYuan(input.amountText);
    if (refundAmount === null || refundAmount < 1) return inlineError(t("decision.bad_amount"), "#amount");
  }
  return busyWhile(async () => {
    try {
      const result = await api.decide(detail.task.id, { outcome, checklist: input.checklist, note: input.note, refundAmount });
      state.problem = null;
      state.pending = null;
      const key = `msg.decided.${result.outcome}`;
      announce(
        t(has(key) ? key : "msg.decided.other", {
          id: detail.task.id,
          amount: money(result.refundAmount ?? detail.task.amount),
          refund: result.refundId || "",
        }),
      );
      if (result.outcome === "converted_to_appeal") {
        await refresh(); // still leased: the reviewer decides the appeal now
      } else {
        navigate("#/queue");
      }
    } catch (e) {
      showProblem(e);
      // Show the task as it is now (decided by someone else, lease gone), keeping the explanation.
      if (e instanceof ApiError && e.status === 409) {
        const problem = state.problem;
        await refresh();
        state.problem = problem;
        renderProblem(true);
      }
    }
  });
}

function release() {
  const detail = state.detail;
  if (!detail || !mine(detail.task)) return;
  return busyWhile(async () => {
    try {
      await api.release(detail.task.id);
      announce(t("msg.released", { id: detail.task.id }));
      navigate("#/queue");
    } catch (e) {
      showProblem(e);
    }
  });
}

function retryRefund(refund) {
  return busyWhile(async () => {
    try {
      const r = await api.retryRefund(refund.id);
      announce(t("msg.retried", { id: refund.id, status: tCode("refund_status", r.status) }));
      await refresh();
    } catch (e) {
      showProblem(e);
    }
  });
}

async function signInAs(user) {
  try {
    const session = await auth.localSignIn(apiBase, user);
    state.session = auth.saveSession({ ...session, display: user.name });
    announce(t("msg.signed_in", { name: userName(user) }));
    afterSignIn();
  } catch (e) {
    showProblem(e instanceof ApiError ? e : new ApiError(0, "SIGN_IN_FAILED", String(e)));
  }
}

function afterSignIn() {
  state.problem = null;
  renderProblem();
  startPolling();
  if (parseRoute().view === "home") location.replace(homeRoute()); // hashchange -> onRoute
  else onRoute();
}

function signOut() {
  auth.clearSession();
  state.session = null;
  state.problem = null;
  clearInterval(pollTimer);
  if (cfg.auth === "cognito" && cfg.cognito?.domain) {
    location.assign(auth.cognitoSignOutUrl(cfg.cognito));
    return;
  }
  history.replaceState(null, "", location.pathname);
  onRoute();
  renderProblem();
}

async function switchLang(next) {
  await setLang(next);
  render();
  announce(t("msg.lang_switched"));
}

// ---------------------------------------------------------------- views

const mine = (task) => !!task && task.leaseHolder === state.session?.sub && task.status === "claimed";

function userName(user) {
  if (typeof user.name === "string") return user.name;
  return (user.name && (user.name[currentLang()] || user.name.en)) || user.sub;
}

// Locally: the people the runtime seeded (GET /local/users) who work from the console, with
// the localised names of config.js where it has them.
async function loadDemoUsers() {
  const configured = cfg.demoUsers || [];
  try {
    const res = await fetch(`${apiBase}/local/users`);
    if (!res.ok) return configured;
    const staff = ["reviewer", "senior_reviewer", "support"];
    const users = ((await res.json()).users || []).filter((u) => u.groups.some((g) => staff.includes(g)));
    return users.map((u) => ({ ...u, name: configured.find((c) => c.sub === u.sub)?.name || u.name }));
  } catch {
    return configured;
  }
}

function roleText() {
  const roles = state.session?.groups || [];
  return roles.map((g) => tCode("role", g)).join(" · ");
}

function render() {
  applyStatic();
  renderHeader();
  renderProblem();
  renderMain();
  renderHelp();
}

// Static text in index.html: data-i18n (text), data-i18n-label (aria-label).
function applyStatic() {
  document.title = t("app.title");
  document.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  document.querySelectorAll("[data-i18n-label]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  });
  const select = $("lang");
  select.value = currentLang();
}

function renderHeader() {
  const nav = $("nav");
  const user = $("user");
  if (!state.session) {
    replace(nav);
    replace(user);
    return;
  }
  const link = (hash, key, view) =>
    h("a", { href: hash, "aria-current": state.route.view === view ? "page" : null }, t(key));
  replace(
    nav,
    h(
      "ul",
      {},
      h("li", {}, link("#/queue", "nav.queue", "queue")),
      isSenior() ? h("li", {}, link("#/appeals", "nav.appeals", "appeals")) : null,
      isSupport() ? h("li", {}, link("#/refunds", "nav.refunds", "refunds")) : null,
    ),
  );
  replace(
    user,
    h("span", { class: "who" }, state.session.display
        ? userName({ name: state.session.display }) // demo names already say the role
        : t("header.signed_in_as", { name: state.session.name, roles: roleText() })),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, t("header.sign_out")),
  );
}

function renderHelp() {
  const keys = isReviewer()
    ? [
        ["N", "help.claim_next"],
        ["A", "help.approve"],
        ["R", "help.reject"],
        ["I", "help.need_info"],
        ["1 2 3", "help.checklist"],
        ["Ctrl+Enter", "help.submit_note"],
        ["Esc", "help.back"],
      ]
    : state.session
      ? [["Esc", "help.back"]]
      : [];
  replace(
    $("help"),
    keys.length ? h("span", { class: "help-title" }, t("help.title")) : null,
    ...keys.map(([k, label]) => h("span", { class: "help-item" }, h("kbd", {}, k), " ", t(label))),
  );
}

function renderMain() {
  const main = $("main");
  const view = state.route.view;
  if (view === "signin") return replace(main, signInView());
  if (view === "queue") return replace(main, queueView());
  if (view === "task") return replace(main, taskView());
  if (view === "appeals") return replace(main, isSenior() ? appealsView() : notAllowed());
  if (view === "refunds") return replace(main, isSupport() ? refundsView() : notAllowed());
  replace(main);
}

function notAllowed() {
  return h("section", { class: "panel" }, h("h1", {}, t("error.FORBIDDEN")), h("p", {}, t("next.FORBIDDEN")));
}

function signInView() {
  const local = cfg.auth !== "cognito";
  return h(
    "section",
    { class: "panel signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, t("signin.title")),
    h("p", {}, t(local ? "signin.local_intro" : "signin.cloud_intro")),
    local
      ? h(
          "ul",
          { class: "users" },
          ...state.demoUsers.map((u) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", class: "user-choice", dataset: { sub: u.sub }, onclick: () => signInAs(u) },
                t("signin.as", { name: userName(u) }),
              ),
              h("span", { class: "roles" }, u.groups.map((g) => tCode("role", g)).join(" · ")),
            ),
          ),
        )
      : h(
          "button",
          { type: "button", class: "primary", onclick: () => auth.cognitoSignIn(cfg.cognito, currentLang()) },
          t("signin.cognito"),
        ),
  );
}

function badge(key, cls) {
  return h("span", { class: `badge ${cls}` }, t(key));
}

function taskBadges(task, withRisk = true) {
  return [
    task.urgent ? badge("badge.urgent", "urgent") : null,
    withRisk && (task.strict || task.risk.flagged) ? badge("badge.high_risk", "risk") : null,
    task.seniorOnly ? badge("badge.senior_only", "senior") : null,
    task.escalated ? badge("badge.escalated", "late") : null,
  ];
}

function slaCell(task) {
  if (task.status === "waiting_customer") return countdown(null, "sla", task.slaRemainingMs ?? 0);
  if (task.status === "decided") return h("span", {}, tCode("outcome", task.outcome));
  return countdown(task.decisionDue, "sla");
}

function statusText(task) {
  if (task.status === "claimed") {
    return task.leaseHolder === state.session?.sub
      ? t("status.claimed_by_me")
      : t("status.claimed_by", { who: task.leaseHolder || "?" });
  }
  return tCode("status", task.status);
}

function taskTable(tasks, captionKey, extraColumn) {
  if (!tasks.length) return h("p", { class: "empty" }, t("queue.empty"));
  const head = ["col.priority", "col.task", "col.reason", "col.amount", "col.risk", "col.sla", "col.status"];
  if (extraColumn) head.splice(2, 0, extraColumn.key);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "tasks" },
      h("caption", { class: "sr-only" }, t(captionKey)),
      h("thead", {}, h("tr", {}, ...head.map((k) => h("th", { scope: "col" }, t(k))))),
      h(
        "tbody",
        {},
        ...tasks.map((task, i) => {
          const cells = [
            h("td", { "data-label": t("col.priority") }, h("span", { class: "rank" }, String(i + 1)), " ", ...taskBadges(task, false)),
            h(
              "td",
              { "data-label": t("col.task") },
              h(
                "a",
                { href: `#/task/${encodeURIComponent(task.id)}`, class: "task-link", dataset: { focusKey: `task-${task.id}` } },
                task.id,
              ),
              h("div", { class: "sub" }, tCode("action", task.action), " · ", task.orderId),
            ),
            h("td", { "data-label": t("col.reason") }, tCode("reason", task.reason)),
            h("td", { "data-label": t("col.amount"), class: "num" }, money(task.amount)),
            h(
              "td",
              { "data-label": t("col.risk") },
              task.strict || task.risk.flagged
                ? badge("badge.high_risk", "risk")
                : h("span", { class: "muted" }, t("risk.normal")),
            ),
            h("td", { "data-label": t("col.sla") }, slaCell(task)),
            h("td", { "data-label": t("col.status") }, statusText(task)),
          ];
          if (extraColumn) cells.splice(2, 0, h("td", { "data-label": t(extraColumn.key) }, extraColumn.value(task)));
          return h("tr", { dataset: { taskId: task.id } }, ...cells);
        }),
      ),
    ),
  );
}

function claimButton() {
  return isReviewer()
    ? h(
        "button",
        { type: "button", class: "primary", id: "claim-next", onclick: claimNext, "aria-keyshortcuts": "N", dataset: { focusKey: "claim-next" } },
        t("queue.claim_next"),
        " ",
        h("kbd", { "aria-hidden": "true" }, "N"),
      )
    : null;
}

function updatedLine() {
  return h(
    "span",
    { class: "muted updated" },
    state.loadedAt ? t("queue.updated", { time: time(new Date(state.loadedAt).toISOString()) }) : t("queue.loading"),
  );
}

function queueView() {
  const select = h(
    "select",
    {
      id: "status-filter",
      dataset: { focusKey: "status-filter" },
      onchange: (e) => {
        state.status = e.target.value;
        state.tasks = [];
        state.loadedAt = null;
        renderMain();
        refresh();
      },
    },
    ...["open", "claimed", "waiting_customer", "decided"].map((s) =>
      h("option", { value: s, selected: s === state.status }, tCode("status", s)),
    ),
  );
  return h(
    "section",
    { "aria-labelledby": "queue-title" },
    h(
      "div",
      { class: "toolbar" },
      h("h1", { id: "queue-title" }, t("queue.title")),
      h("label", { for: "status-filter" }, t("queue.filter")),
      select,
      claimButton(),
      updatedLine(),
    ),
    h("p", { class: "muted" }, t(state.status === "open" ? "queue.order_note" : "queue.other_note")),
    taskTable(state.tasks, "queue.caption"),
  );
}

function appealsView() {
  return h(
    "section",
    { "aria-labelledby": "appeals-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "appeals-title" }, t("appeals.title")), claimButton(), updatedLine()),
    h("p", { class: "muted" }, t("appeals.intro")),
    taskTable(state.appeals, "appeals.caption", { key: "col.rejected_by", value: (x) => x.rejectedBy || "—" }),
  );
}

function refundsView() {
  const rows = state.refunds;
  return h(
    "section",
    { "aria-labelledby": "refunds-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "refunds-title" }, t("refunds.title")), updatedLine()),
    h("p", { class: "muted" }, t("refunds.intro")),
    !rows.length
      ? h("p", { class: "empty" }, t("refunds.empty"))
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "refunds" },
            h("caption", { class: "sr-only" }, t("refunds.caption")),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ...["col.refund", "col.amount", "col.channel", "col.status", "col.sla", "col.attempts", "col.last_error", "col.action"].map(
                  (k) => h("th", { scope: "col" }, t(k)),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              ...rows.map((r) =>
                h(
                  "tr",
                  { dataset: { refundId: r.id } },
                  h("td", { "data-label": t("col.refund") }, r.id, h("div", { class: "sub" }, r.orderId)),
                  h("td", { "data-label": t("col.amount"), class: "num" }, money(r.amount)),
                  h("td", { "data-label": t("col.channel") }, tCode("channel", r.channel)),
                  h("td", { "data-label": t("col.status") }, tCode("refund_status", r.status)),
                  h("td", { "data-label": t("col.sla") }, countdown(r.slaDue, "refund_sla")),
                  h("td", { "data-label": t("col.attempts"), class: "num" }, String(r.attempts)),
                  h("td", { "data-label": t("col.last_error") }, r.lastError || r.providerStatus || "—"),
                  h(
                    "td",
                    { "data-label": t("col.action") },
                    h(
                      "button",
                      {
                        type: "button",
                        class: "retry",
                        disabled: !r.retryable,
                        "aria-label": t("refunds.retry_label", { id: r.id }),
                        title: r.retryable ? null : t("refunds.not_retryable"),
                        dataset: { focusKey: `retry-${r.id}` },
                        onclick: () => retryRefund(r),
                      },
                      t("refunds.retry"),
                    ),
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

function dl(pairs) {
  return h(
    "dl",
    { class: "facts" },
    ...pairs.filter(Boolean).flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v ?? "—")]),
  );
}

function leaseBanner(task) {
  if (mine(task)) {
    return h("p", { class: "lease mine" }, t("task.lease_mine"), " ", countdown(task.leaseUntil, "lease"));
  }
  if (task.status === "claimed") return h("p", { class: "lease other" }, t("task.lease_other", { who: task.leaseHolder }));
  if (task.status === "decided") {
    return h(
      "p",
      { class: "lease decided" },
      t("task.decided", { outcome: tCode("outcome", task.outcome), who: task.decidedBy || "?", at: time(task.decidedAt) }),
    );
  }
  if (task.status === "waiting_customer") return h("p", { class: "lease other" }, t("task.waiting", { question: task.infoRequest || "" }));
  return h("p", { class: "lease" }, t("task.not_claimed"));
}

function taskView() {
  const d = state.detail;
  const back = h("a", { href: "#/queue", class: "back" }, "← ", t("task.back"), " ", h("kbd", { "aria-hidden": "true" }, "Esc"));
  if (!d) return h("section", {}, back, h("p", { class: "muted" }, t("queue.loading")));
  const task = d.task;
  const o = d.order;
  const canDecide = mine(task);
  return h(
    "section",
    { "aria-labelledby": "task-title", class: "task" },
    h(
      "div",
      { class: "toolbar" },
      back,
      h("h1", { id: "task-title" }, t("task.title", { action: tCode("action", task.action) })),
      ...taskBadges(task),
      h("span", { class: "muted" }, task.id),
    ),
    leaseBanner(task),
    h(
      "div",
      { class: "task-grid" },
      h(
        "div",
        { class: "facts-col" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "req-h" },
          h("h2", { id: "req-h" }, t("task.request")),
          dl([
            ["field.reason", tCode("reason", task.reason)],
            ["field.description", task.description || "—"],
            ["field.action", tCode("action", task.action)],
            task.convertedFrom ? ["field.converted_from", tCode("action", task.convertedFrom)] : null,
            ["field.amount_requested", money(task.amount)],
            ["field.refund_to", tCode("refund_to", task.refundTo)],
            ["field.sla", slaCell(task)],
            task.rejectedBy ? ["field.rejected_by", task.rejectedBy] : null,
            d.request.rejectionNote ? ["field.rejection_note", d.request.rejectionNote] : null,
            d.request.appealText ? ["field.appeal_text", d.request.appealText] : null,
            task.infoRequest ? ["field.info_request", task.infoRequest] : null,
            ...task.answers.map((a) => ["field.answer", `${time(a.at)} · ${a.text}`]),
          ]),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "order-h" },
          h("h2", { id: "order-h" }, t("task.order")),
          o
            ? dl([
                ["field.order_id", o.id],
                ["field.order_status", tCode("order_status", o.status)],
                ["field.product", `${tCode("product_type", o.productType)} · ${o.productId || ""}`],
                ["field.order_amount", money(o.amount)],
                ["field.paid", `${money(o.paid)} · ${tCode("channel", o.channel)}`],
                ["field.refunded", money(o.refunded)],
                ["field.refundable", money(o.refundable)],
                ["field.created_at", time(o.createdAt)],
                ["field.paid_at", time(o.paidAt)],
                o.deliveredAt ? ["field.delivered_at", time(o.deliveredAt)] : null,
                ["field.held", o.held ? t("yes") : t("no")],
              ])
            : dl([
                ["field.order_id", task.orderId],
                ["field.order_amount", money(task.orderAmount)],
              ]),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "cust-h" },
          h("h2", { id: "cust-h" }, t("task.customer")),
          dl([
            ["field.customer", task.customerId],
            [
              "field.risk",
              d.risk.flagged || task.strict ? badge("badge.high_risk", "risk") : h("span", {}, t("risk.normal")),
            ],
            [
              "field.recent",
              t("risk.figures", { days: d.risk.windowDays ?? "?", orders: d.risk.orders ?? "?", requests: d.risk.requests ?? "?" }),
            ],
          ]),
          d.recent.length
            ? h(
                "ul",
                { class: "recent" },
                ...d.recent.map((r) =>
                  h("li", {}, `${time(r.at)} · ${r.orderId} · ${tCode("order_status", r.status)} · ${money(r.amount)}`),
                ),
              )
            : null,
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "ev-h" },
          h("h2", { id: "ev-h" }, t("task.evidence")),
          d.evidence.length
            ? h(
                "ul",
                { class: "evidence" },
                ...d.evidence.map((e, i) =>
                  h(
                    "li",
                    {},
                    e.url
                      ? h(
                          "a",
                          { href: e.url, target: "_blank", rel: "noopener noreferrer", download: "" },
                          h("img", { src: e.url, alt: t("task.evidence_alt", { n: i + 1 }), loading: "lazy" }),
                          h("span", {}, t("task.evidence_open", { n: i + 1 })),
                        )
                      : h("span", {}, e.key),
                  ),
                ),
              )
            : h("p", { class: "muted" }, t("task.no_evidence")),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "tl-h" },
          h("h2", { id: "tl-h" }, t("task.timeline")),
          d.timeline.length
            ? h(
                "ol",
                { class: "timeline" },
                ...d.timeline.map((e) =>
                  h(
                    "li",
                    {},
                    h("time", { datetime: e.at }, time(e.at)),
                    " ",
                    h("strong", {}, tCode("event", e.event)),
                    e.to ? ` ${e.from ? `${tCode("order_status", e.from)} → ` : "→ "}${tCode("order_status", e.to)}` : "",
                    h("span", { class: "muted" }, ` · ${tCode("actor", e.actor)}${e.actorId ? ` ${e.actorId}` : ""}`),
                    e.reason ? h("span", { class: "muted" }, ` · ${tCode("reason", e.reason)}`) : null,
                  ),
                ),
              )
            : h("p", { class: "muted" }, t("task.no_timeline")),
        ),
      ),
      decisionPanel(task, o, canDecide),
    ),
  );
}

function decisionPanel(task, order, canDecide) {
  const check = (id, key) =>
    h(
      "div",
      { class: "check" },
      h("input", { type: "checkbox", id, name: id, disabled: !canDecide, dataset: { focusKey: id } }),
      h("label", { for: id }, t(key)),
    );
  const max = order ? order.refundable : task.amount;
  // left empty, the API refunds what the customer asked for, or everything refundable
  const fallback = task.requestedAmount ?? max;
  return h(
    "section",
    { class: "panel decision", "aria-labelledby": "dec-h" },
    h("h2", { id: "dec-h" }, t("decision.title")),
    canDecide ? null : h("p", { class: "muted" }, t(task.status === "decided" ? "decision.closed" : "decision.claim_first")),
    h(
      "form",
      { id: "decision", onsubmit: (e) => e.preventDefault(), novalidate: true },
      h(
        "fieldset",
        {},
        h("legend", {}, t("decision.checklist")),
        check("chk-order", "check.order_status"),
        check("chk-evidence", "check.evidence"),
        check("chk-refund", "check.refund_path"),
      ),
      task.partialAllowed
        ? h(
            "div",
            { class: "field" },
            h("label", { for: "amount" }, t("decision.amount")),
            h("input", {
              id: "amount",
              name: "amount",
              inputmode: "decimal",
              autocomplete: "off",
              placeholder: (fallback / 100).toFixed(2),
              disabled: !canDecide,
              "aria-describedby": "amount-hint",
            }),
            h("p", { id: "amount-hint", class: "hint" }, t("decision.amount_hint", { default: money(fallback), max: money(max) })),
          )
        : null,
      h(
        "div",
        { class: "field" },
        h("label", { for: "note" }, t("decision.note")),
        h("textarea", { id: "note", name: "note", rows: 3, maxlength: 1000, disabled: !canDecide, "aria-describedby": "note-hint" }),
        h("p", { id: "note-hint", class: "hint" }, t("decision.note_hint")),
      ),
      h("p", { id: "decision-error", class: "inline-error", role: "alert" }),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", id: "approve", class: "primary", disabled: !canDecide, onclick: () => decide("approve"), "aria-keyshortcuts": "A" },
          t("decision.approve"),
          " ",
          h("kbd", { "aria-hidden": "true" }, "A"),
        ),
        h(
          "button",
          { type: "button", id: "reject", class: "danger", disabled: !canDecide, onclick: () => decide("reject"), "aria-keyshortcuts": "R" },
          t("decision.reject"),
          " ",
          h("kbd", { "aria-hidden": "true" }, "R"),
        ),
        h(
          "button",
          { type: "button", id: "need-info", disabled: !canDecide, onclick: () => decide("need_info"), "aria-keyshortcuts": "I" },
          t("decision.need_info"),
          " ",
          h("kbd", { "aria-hidden": "true" }, "I"),
        ),
        h("button", { type: "button", id: "release", class: "link", disabled: !canDecide, onclick: release }, t("decision.release")),
      ),
    ),
  );
}

// ---------------------------------------------------------------- keyboard

function typingIn(el) {
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

document.addEventListener("keydown", (e) => {
  if (!state.session) return;
  const target = e.target;
  if (typingIn(target)) {
    if (e.key === "Escape") target.blur(); // leave the field first; a second Esc goes back
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && target.id === "note") {
      e.preventDefault();
      decide(state.pending || "reject");
    }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const inTask = state.route.view === "task";
  const toggle = { 1: "#chk-order", 2: "#chk-evidence", 3: "#chk-refund" }[e.key];
  if (e.key === "n" || e.key === "N") claimNext();
  else if (inTask && (e.key === "a" || e.key === "A")) decide("approve");
  else if (inTask && (e.key === "r" || e.key === "R")) decide("reject");
  else if (inTask && (e.key === "i" || e.key === "I")) decide("need_info");
  else if (inTask && toggle) {
    const box = document.querySelector(toggle);
    if (box && !box.disabled) box.checked = !box.checked;
  } else if (e.key === "Escape") {
    if (state.problem) dismissProblem();
    else if (state.route.view === "task") navigate("#/queue");
  } else return;
  e.preventDefault();
});

// ---------------------------------------------------------------- start

async function boot() {
  await setLang(initialLang(cfg.defaultLang));
  const select = $("lang");
  replace(select, ...LANGS.map((l) => h("option", { value: l }, l === "zh-CN" ? "中文" : "English")));
  select.addEventListener("change", () => switchLang(select.value));
  if (cfg.auth !== "cognito") state.demoUsers = await loadDemoUsers();
  state.session = auth.currentSession();
  if (!state.session && cfg.auth === "cognito") {
    try {
      state.session = await auth.completeCognitoSignIn(cfg.cognito);
    } catch (e) {
      state.problem = { error: new ApiError(0, "SIGN_IN_FAILED", String(e)) };
    }
  }
  window.addEventListener("hashchange", onRoute);
  setInterval(tick, 1000);
  render();
  if (state.session) afterSignIn();
  document.body.dataset.ready = "true"; // for the browser tests: the first render is done
}

boot();
