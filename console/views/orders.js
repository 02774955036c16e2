// Support's order tools (#/orders): confirm a payment whose callback never came (applied as the
// provider's notification would be, once per trade reference), and cancel an order for a stock
// error, fraud or a supplier's failure (a full refund; keys back to stock or voided). Both ask
// for a note, kept in the order's history with who did it (docs/domain.md, "Support's tools").

import { h } from "../lib/dom.js";
import { money, parseYuan, t, tCode } from "../lib/i18n.js";
import { busyWhile } from "../ui/actions.js";
import { announce, dismissProblem, showProblem } from "../ui/problems.js";
import { api, state } from "../ui/state.js";
import { render } from "./shell.js";

const CHANNELS = ["alipay", "wechat_pay", "bank_card"];
const REASONS = ["stock_error", "fraud", "supplier_failure"];

function field(id, labelKey, control) {
  return h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), control);
}

function options(values, code) {
  return values.map((v) => h("option", { value: v }, tCode(code, v)));
}

export function ordersView() {
  const done = state.orderTool;
  return h(
    "section",
    { "aria-labelledby": "orders-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "orders-title" }, t("orders.title"))),
    h("p", { class: "muted" }, t("orders.intro")),
    h(
      "div",
      { class: "order-tools" },
      h(
        "form",
        { class: "panel lost-payment", "aria-labelledby": "lost-h", onsubmit: (e) => submit(e, confirmLostPayment) },
        h("h2", { id: "lost-h" }, t("orders.lost_title")),
        h("p", { class: "sub" }, t("orders.lost_intro")),
        field("lost-order", "field.order_id", h("input", { id: "lost-order", name: "order", required: true, autocomplete: "off" })),
        field("lost-ref", "orders.trade_ref", h("input", { id: "lost-ref", name: "reference", required: true, maxlength: 64, autocomplete: "off" })),
        field("lost-amount", "orders.amount", h("input", { id: "lost-amount", name: "amount", required: true, inputmode: "decimal", placeholder: "0.00" })),
        field("lost-channel", "orders.channel", h("select", { id: "lost-channel", name: "channel" }, ...options(CHANNELS, "channel"))),
        field("lost-note", "orders.note", h("textarea", { id: "lost-note", name: "note", rows: 2, maxlength: 500, required: true })),
        h("button", { type: "submit", class: "primary" }, t("orders.lost_submit")),
      ),
      h(
        "form",
        { class: "panel staff-cancel", "aria-labelledby": "cancel-h", onsubmit: (e) => submit(e, staffCancel) },
        h("h2", { id: "cancel-h" }, t("orders.cancel_title")),
        h("p", { class: "sub" }, t("orders.cancel_intro")),
        field("cancel-order", "field.order_id", h("input", { id: "cancel-order", name: "order", required: true, autocomplete: "off" })),
        field("cancel-reason", "orders.reason", h("select", { id: "cancel-reason", name: "reason" }, ...options(REASONS, "staff_reason"))),
        field(
          "cancel-restock",
          "orders.restock",
          h("select", { id: "cancel-restock", name: "restock" }, ...options(["stock", "void"], "restock")),
        ),
        field("cancel-note", "orders.note", h("textarea", { id: "cancel-note", name: "note", rows: 2, maxlength: 500, required: true })),
        h("button", { type: "submit", class: "danger" }, t("orders.cancel_submit")),
      ),
    ),
    done ? resultPanel(done) : null,
  );
}

function resultPanel(done) {
  const o = done.order || {};
  return h(
    "div",
    { class: "panel order-result", role: "status", dataset: { orderId: o.order_id || "" } },
    h("h2", {}, t(done.kind === "lost" ? "orders.lost_done" : "orders.cancel_done", { id: o.order_id || "" })),
    h("p", {}, t("orders.now", { status: tCode("order_status", o.status), paid: money(o.paid_amount), refunded: money(o.refunded_amount) })),
    done.replayed ? h("p", { class: "sub" }, t("orders.replayed")) : null,
    (done.refundIds || []).length ? h("p", { class: "sub" }, t("orders.refunds", { ids: done.refundIds.join(", ") })) : null,
  );
}

function submit(e, action) {
  e.preventDefault();
  const form = e.target;
  const v = Object.fromEntries(new FormData(form).entries());
  for (const k of Object.keys(v)) v[k] = String(v[k]).trim();
  action(v, form);
}

function confirmLostPayment(v, form) {
  const amount = parseYuan(v.amount);
  if (amount === null || amount <= 0) {
    announce(t("orders.amount_invalid"), "error");
    form.elements.amount.focus();
    return;
  }
  if (!window.confirm(t("orders.lost_confirm", { id: v.order, amount: money(amount), ref: v.reference }))) return;
  return busyWhile(async () => {
    try {
      const out = await api.confirmLostPayment(v.order, { payment_id: v.reference, amount, channel: v.channel, note: v.note });
      state.orderTool = { kind: "lost", order: out.order, replayed: out.replayed, refundIds: out.refund_id ? [out.refund_id] : [] };
      dismissProblem();
      announce(t(out.replayed ? "orders.replayed" : "orders.lost_done", { id: v.order }));
      render();
    } catch (err) {
      showProblem(err);
    }
  });
}

function staffCancel(v, form) {
  if (!window.confirm(t("orders.cancel_confirm", { id: v.order, reason: tCode("staff_reason", v.reason), restock: tCode("restock", v.restock) }))) return;
  return busyWhile(async () => {
    try {
      const out = await api.staffCancel(v.order, { reason: v.reason, restock: v.restock, note: v.note });
      state.orderTool = { kind: "cancel", order: out.order, refundIds: out.refund_ids || [] };
      form.reset();
      dismissProblem();
      announce(t("orders.cancel_done", { id: v.order }));
      render();
    } catch (err) {
      showProblem(err);
    }
  });
}
