// One task: the request, the order, the customer's risk, evidence, the timeline, and the
// decision form (checklist, partial amount, note).

import { h } from "../lib/dom.js";
import { money, t, tCode, time } from "../lib/i18n.js";
import { decide, release } from "../ui/actions.js";
import { mine, state } from "../ui/state.js";
import { badge, countdown, dl, slaCell, taskBadges } from "../ui/widgets.js";

// A titled panel of the task page (the heading labels the section for screen readers).
function panel(id, titleKey, ...content) {
  return h("section", { class: "panel", "aria-labelledby": id }, h("h2", { id }, t(titleKey)), ...content);
}

// A stop waiting for fulfilment's answer to the abort: only that answer settles it (the API
// refuses a decision with ABORT_PENDING), so the page says so instead of offering a decision.
function abortBanner(order, request) {
  return h(
    "p",
    { class: "lease other", role: "status" },
    t("task.abort_waiting", { at: time(order.abortRequestedAt) }),
    " ",
    request.dueAt ? countdown(request.dueAt, "abort") : null,
  );
}

export function leaseBanner(task) {
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

export function taskView() {
  const d = state.detail;
  const back = h("a", { href: "#/queue", class: "back" }, "← ", t("task.back"), " ", h("kbd", { "aria-hidden": "true" }, "Esc"));
  if (!d) return h("section", {}, back, h("p", { class: "muted" }, t("queue.loading")));
  const task = d.task;
  const o = d.order;
  const waiting = !!(o && o.abortRequestedAt);
  const canDecide = mine(task) && !waiting;
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
    waiting ? abortBanner(o, d.request) : leaseBanner(task),
    h(
      "div",
      { class: "task-grid" },
      h(
        "div",
        { class: "facts-col" },
        panel("req-h", "task.request",
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
        panel("order-h", "task.order",
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
                o.abortRequestedAt ? ["field.abort_requested_at", time(o.abortRequestedAt)] : null,
              ])
            : dl([
                ["field.order_id", task.orderId],
                ["field.order_amount", money(task.orderAmount)],
              ]),
        ),
        panel("cust-h", "task.customer",
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
        panel("ev-h", "task.evidence",
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
        panel("tl-h", "task.timeline",
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

function whyNot(task, order) {
  if (task.status === "decided") return "decision.closed";
  return order && order.abortRequestedAt ? "decision.abort_waiting" : "decision.claim_first";
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
    canDecide ? null : h("p", { class: "muted" }, t(whyNot(task, order))),
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
        h("button", { type: "button", id: "release", class: "link", disabled: !mine(task), onclick: release }, t("decision.release")),
      ),
    ),
  );
}
