// Small pieces several views use: live countdowns, badges, the SLA and status cells, fact lists.

import { h } from "../lib/dom.js";
import { clockText, t, tCode } from "../lib/i18n.js";
import { serverNow, state } from "./state.js";

// One element that counts down to data-due; tick() updates every such element each second.
export function countdown(due, kind, pausedMs = null) {
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

export function tick() {
  document.querySelectorAll(".countdown[data-due]").forEach(renderCountdown);
}

export function badge(key, cls) {
  return h("span", { class: `badge ${cls}` }, t(key));
}

export function taskBadges(task, withRisk = true) {
  return [
    task.urgent ? badge("badge.urgent", "urgent") : null,
    withRisk && (task.strict || task.risk.flagged) ? badge("badge.high_risk", "risk") : null,
    task.seniorOnly ? badge("badge.senior_only", "senior") : null,
    task.escalated ? badge("badge.escalated", "late") : null,
  ];
}

export function slaCell(task) {
  if (task.status === "waiting_customer") return countdown(null, "sla", task.slaRemainingMs ?? 0);
  if (task.status === "decided") return h("span", {}, tCode("outcome", task.outcome));
  return countdown(task.decisionDue, "sla");
}

export function statusText(task) {
  if (task.status === "claimed") {
    return task.leaseHolder === state.session?.sub
      ? t("status.claimed_by_me")
      : t("status.claimed_by", { who: task.leaseHolder || "?" });
  }
  return tCode("status", task.status);
}

export function dl(pairs) {
  return h(
    "dl",
    { class: "facts" },
    ...pairs.filter(Boolean).flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v ?? "—")]),
  );
}
