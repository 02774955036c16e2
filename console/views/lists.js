// The lists: the review queue, the senior reviewers' appeals, support's overdue refunds and the
// card keys a cancellation quarantined.

import { h } from "../lib/dom.js";
import { money, t, tCode, time } from "../lib/i18n.js";
import { claimNext, recordManualRefund, retryRefund, settleKey } from "../ui/actions.js";
import { refresh } from "../ui/routing.js";
import { isReviewer, state } from "../ui/state.js";
import { badge, countdown, slaCell, statusText, taskBadges } from "../ui/widgets.js";
import { renderMain } from "./shell.js";

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

export function queueView() {
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

export function appealsView() {
  return h(
    "section",
    { "aria-labelledby": "appeals-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "appeals-title" }, t("appeals.title")), claimButton(), updatedLine()),
    h("p", { class: "muted" }, t("appeals.intro")),
    taskTable(state.appeals, "appeals.caption", { key: "col.rejected_by", value: (x) => x.rejectedBy || "—" }),
  );
}

// Chased refunds lead (support takes them first), then the chosen order: oldest or largest.
function sortedRefunds(rows) {
  const key = state.refundSort === "amount" ? (r) => -r.amount : (r) => r.createdAt || "";
  return [...rows].sort((a, b) => (!!b.chasedAt - !!a.chasedAt) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function listSelect(id, label, current, values, onpick) {
  return [
    h("label", { for: id }, t(label)),
    h(
      "select",
      { id, dataset: { focusKey: id }, onchange: (e) => onpick(e.target.value) },
      ...values.map((v) => h("option", { value: v, selected: v === current }, t(`${label}.${v}`))),
    ),
  ];
}

// A refund paid outside the system, closing this one (same amount): channel, reference, note
// typed in the row, kept across the live refresh.
function manualForm(r) {
  const typed = (state.manual[r.id] ||= { channel: "bank_card", reference: "", note: "" });
  const field = (name, key, { options = [], ...attrs }) => {
    const keep = (e) => {
      typed[attrs.dataset.field] = e.target.value;
    };
    const value = name === "input" ? typed[attrs.dataset.field] || "" : undefined;
    return h("label", { class: "inline" }, t(key), " ", h(name, { ...attrs, value, oninput: keep, onchange: keep }, ...options));
  };
  return h(
    "details",
    {
      class: "manual",
      open: !!typed.open,
      ontoggle: (e) => {
        typed.open = e.target.open;
      },
    },
    h("summary", {}, t("refunds.manual")),
    field("select", "refunds.manual_channel", {
      dataset: { field: "channel", focusKey: `manual-channel-${r.id}` },
      options: ["bank_card", "alipay", "wechat_pay"].map((c) =>
        h("option", { value: c, selected: c === typed.channel }, tCode("channel", c)),
      ),
    }),
    field("input", "refunds.manual_reference", {
      type: "text",
      maxlength: 64,
      dataset: { field: "reference", manualRef: r.id, focusKey: `manual-ref-${r.id}` },
    }),
    field("input", "refunds.manual_note", {
      type: "text",
      maxlength: 500,
      dataset: { field: "note", focusKey: `manual-note-${r.id}` },
    }),
    h(
      "button",
      {
        type: "button",
        "aria-label": t("refunds.manual_label", { id: r.id }),
        dataset: { focusKey: `manual-${r.id}` },
        onclick: () => recordManualRefund(r),
      },
      t("refunds.manual_record"),
    ),
  );
}

export function refundsView() {
  const rows = sortedRefunds(state.refunds);
  const filters = ["stuck", "chased", "overdue", "needs_attention", "needs_customer_action"];
  return h(
    "section",
    { "aria-labelledby": "refunds-title" },
    h(
      "div",
      { class: "toolbar" },
      h("h1", { id: "refunds-title" }, t("refunds.title")),
      ...listSelect("refunds.filter", "refunds.filter", state.refundFilter, filters, (v) => {
        state.refundFilter = v;
        state.refunds = [];
        renderMain();
        refresh();
      }),
      ...listSelect("refunds.sort", "refunds.sort", state.refundSort, ["age", "amount"], (v) => {
        state.refundSort = v;
        renderMain();
      }),
      updatedLine(),
    ),
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
                  h(
                    "td",
                    { "data-label": t("col.refund") },
                    r.chasedAt ? h("span", { class: "badge urgent" }, t("refunds.chased", { n: r.chases })) : null,
                    r.chasedAt ? " " : null,
                    r.id,
                    h("div", { class: "sub" }, r.orderId),
                  ),
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
                    r.retryable ? manualForm(r) : null,
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

export function quarantineView() {
  const rows = state.quarantine;
  const button = (key, what) =>
    h(
      "button",
      {
        type: "button",
        class: what,
        "aria-label": t(`quarantine.${what}_label`, { id: key.id }),
        dataset: { focusKey: `${what}-${key.id}` },
        onclick: () => settleKey(key, what),
      },
      t(`quarantine.${what}`),
    );
  return h(
    "section",
    { "aria-labelledby": "quarantine-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "quarantine-title" }, t("quarantine.title")), updatedLine()),
    h("p", { class: "muted" }, t("quarantine.intro")),
    !rows.length
      ? h("p", { class: "empty" }, t("quarantine.empty"))
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "quarantine" },
            h("caption", { class: "sr-only" }, t("quarantine.caption")),
            h(
              "thead",
              {},
              h("tr", {}, ...["col.key", "col.order", "col.since", "col.reason", "col.action"].map((k) => h("th", { scope: "col" }, t(k)))),
            ),
            h(
              "tbody",
              {},
              ...rows.map((k) =>
                h(
                  "tr",
                  { dataset: { keyId: k.id } },
                  h("td", { "data-label": t("col.key") }, k.id, h("div", { class: "sub" }, k.productId)),
                  h("td", { "data-label": t("col.order") }, k.orderId || "—"),
                  h("td", { "data-label": t("col.since") }, k.since ? time(k.since) : "—"),
                  h(
                    "td",
                    { "data-label": t("col.reason") },
                    h("input", {
                      type: "text",
                      maxlength: "200",
                      "aria-label": t("quarantine.reason_label", { id: k.id }),
                      placeholder: t("quarantine.reason_placeholder"),
                      value: state.reasons[k.id] || "",
                      oninput: (e) => {
                        state.reasons[k.id] = e.target.value;
                      },
                      dataset: { reasonFor: k.id, focusKey: `reason-${k.id}` },
                    }),
                  ),
                  h("td", { "data-label": t("col.action") }, button(k, "release"), " ", button(k, "void")),
                ),
              ),
            ),
          ),
        ),
  );
}
