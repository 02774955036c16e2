// What people do: claim, decide, release, retry a refund, flag a customer, sign in and out,
// switch language.
// Every action runs under busyWhile (one at a time) and explains a failure in the page.

import { ApiError } from "../lib/api.js";
import * as auth from "../lib/auth.js";
import { has, money, parseYuan, setLang, t, tCode } from "../lib/i18n.js";
import { render } from "../views/shell.js";
import { announce, dismissProblem, renderProblem, showProblem } from "./problems.js";
import { homeRoute, navigate, onRoute, parseRoute, refresh, startPolling, stopPolling } from "./routing.js";
import { $, api, apiBase, cfg, isReviewer, mine, state, userName } from "./state.js";

export async function busyWhile(work) {
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

export function claimNext() {
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

export function decide(outcome) {
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
    // A rejection records why; a question tells the customer what to send (docs/domain.md, "Review").
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

export function release() {
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

export function retryRefund(refund) {
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

// Answer the customer in a request's or refund's conversation: the answer window closes and
// the customer is told in their inbox (docs/domain.md, "Conversations").
export function sendMessage(orderId, subjectId, text) {
  const body = (text || "").trim();
  if (!body) {
    announce(t("thread.need_text"), "error");
    document.querySelector("#thread-reply")?.focus();
    return;
  }
  return busyWhile(async () => {
    try {
      state.thread = await api.postMessage(orderId, subjectId, body);
      state.reply = "";
      announce(t("thread.sent"));
      await refresh();
    } catch (e) {
      showProblem(e);
    }
  });
}

// Record that support paid a stuck refund outside the system (docs/domain.md, "Support's tools"):
// it closes that refund with the same amount; the API refuses when the provider
// paid it, is paying it or cannot say (MANUAL_REFUND_REFUSED, explained).
export function recordManualRefund(refund) {
  const typed = state.manual[refund.id] || {};
  const reference = (typed.reference || "").trim();
  const note = (typed.note || "").trim();
  if (!reference || !note) {
    announce(t("refunds.manual_need"), "error");
    document.querySelector(`input[data-manual-ref="${CSS.escape(refund.id)}"]`)?.focus();
    return;
  }
  return busyWhile(async () => {
    try {
      await api.manualRefund(refund, { channel: typed.channel || "bank_card", reference, note });
      delete state.manual[refund.id];
      announce(t("msg.manual_recorded", { id: refund.id }));
      await refresh();
    } catch (e) {
      showProblem(e);
    }
  });
}

// Release a quarantined key to stock or void it (docs/domain.md, "Quarantine"), with the reason
// typed in its row; the API decides (a key decided meanwhile: KEY_NOT_QUARANTINED, explained).
export function settleKey(key, what) {
  const input = document.querySelector(`input[data-reason-for="${CSS.escape(key.id)}"]`);
  const reason = (input?.value || "").trim();
  if (!reason) {
    announce(t("quarantine.need_reason"), "error");
    input?.focus();
    return;
  }
  return busyWhile(async () => {
    try {
      await api.settleKey(key, what, reason);
      delete state.reasons[key.id];
      announce(t(what === "release" ? "msg.key_released" : "msg.key_voided", { id: key.id }));
      await refresh();
    } catch (e) {
      showProblem(e);
    }
  });
}

export function showCustomer(customerId) {
  if (customerId) navigate(`#/customers/${encodeURIComponent(customerId)}`);
}

export function changeCustomerFlag(customerId, flagged, reason) {
  return busyWhile(async () => {
    try {
      state.customerFlag = await api.changeCustomerFlag(customerId, flagged, reason);
      dismissProblem(); // a refusal shown before (no reason given) is answered now
      announce(t(flagged ? "msg.flag_set" : "msg.flag_cleared", { id: customerId }));
      render();
    } catch (e) {
      showProblem(e);
    }
  });
}

export async function signInAs(user) {
  try {
    const session = await auth.localSignIn(apiBase, user);
    state.session = auth.saveSession({ ...session, display: user.name });
    announce(t("msg.signed_in", { name: userName(user) }));
    afterSignIn();
  } catch (e) {
    showProblem(e instanceof ApiError ? e : new ApiError(0, "SIGN_IN_FAILED", String(e)));
  }
}

export function afterSignIn() {
  state.problem = null;
  renderProblem();
  startPolling();
  if (parseRoute().view === "home") location.replace(homeRoute()); // hashchange -> onRoute
  else onRoute();
}

export function signOut() {
  auth.clearSession();
  state.session = null;
  state.problem = null;
  stopPolling();
  if (cfg.auth === "cognito" && cfg.cognito?.domain) {
    location.assign(auth.cognitoSignOutUrl(cfg.cognito));
    return;
  }
  history.replaceState(null, "", location.pathname);
  onRoute();
  renderProblem();
}

export async function switchLang(next) {
  await setLang(next);
  render();
  announce(t("msg.lang_switched"));
}
