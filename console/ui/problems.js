// Messages and problems: the live status line, and an API error explained in the page's
// language (what happened, what to do next, a reference for support).

import { ApiError } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { has, t, tCode } from "../lib/i18n.js";
import { claimNext, signOut } from "./actions.js";
import { navigate } from "./routing.js";
import { $, isReviewer, state } from "./state.js";

export function announce(text, kind = "info") {
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
  if (["LEASE_NOT_HELD", "TASK_ALREADY_DECIDED", "REQUEST_WITHDRAWN", "ABORT_PENDING", "TASK_NOT_FOUND", "CONFLICT"].includes(code) && isReviewer()) {
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

export function showProblem(error, source = "action") {
  if (!(error instanceof ApiError)) console.error(error);
  const same = state.problem?.error?.code === error.code && error.code !== undefined;
  state.problem = { error, source };
  renderProblem(!same); // a poll failing again does not pull focus away each time
  if (same) return;
  announce(has(`error.${error.code}`) ? t(`error.${error.code}`) : error.message, "error");
}

export function renderProblem(focus = false) {
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

export function dismissProblem() {
  state.problem = null;
  renderProblem();
}
