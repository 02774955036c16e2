// Support's customer view (#/customers/<id>): whether support flagged the customer high-risk,
// why, and the flag's audit trail; set or clear it with a reason. A flagged customer gets no
// auto-approval and a senior decides their requests (docs/domain.md, "Risk").

import { h } from "../lib/dom.js";
import { t, time } from "../lib/i18n.js";
import { changeCustomerFlag, showCustomer } from "../ui/actions.js";
import { state } from "../ui/state.js";

export function customersView() {
  const id = state.route.id || "";
  const flag = state.customerFlag && state.customerFlag.customerId === id ? state.customerFlag : null;
  return h(
    "section",
    { "aria-labelledby": "customers-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "customers-title" }, t("customers.title"))),
    h("p", { class: "muted" }, t("customers.intro")),
    h(
      "form",
      {
        class: "customer-lookup",
        onsubmit: (e) => {
          e.preventDefault();
          showCustomer(e.target.elements.customer.value.trim());
        },
      },
      h("label", { for: "customer-id" }, t("customers.lookup")),
      h("input", { id: "customer-id", name: "customer", value: id, required: true, autocomplete: "off" }),
      h("button", { type: "submit" }, t("customers.show")),
    ),
    flag ? flagPanel(flag) : null,
  );
}

function flagPanel(flag) {
  return h(
    "div",
    { class: "panel customer-flag", dataset: { customerId: flag.customerId } },
    h(
      "p",
      { class: flag.flagged ? "flag-state flagged" : "flag-state" },
      flag.flagged ? t("customers.flagged") : t("customers.not_flagged"),
    ),
    flag.reason
      ? h("p", { class: "sub" }, t("customers.last_change", { reason: flag.reason, by: flag.changedBy, at: time(flag.changedAt) }))
      : null,
    h("label", { for: "flag-reason" }, t("customers.reason")),
    h("textarea", { id: "flag-reason", rows: 2, maxlength: 500, dataset: { focusKey: "flag-reason" } }),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", class: "flag-set", onclick: () => changeCustomerFlag(flag.customerId, true, reasonText()) },
        t("customers.set"),
      ),
      h(
        "button",
        { type: "button", class: "flag-clear", onclick: () => changeCustomerFlag(flag.customerId, false, reasonText()) },
        t("customers.clear"),
      ),
    ),
    h("h2", {}, t("customers.history")),
    !flag.history.length
      ? h("p", { class: "empty" }, t("customers.no_history"))
      : h(
          "table",
          { class: "flag-history" },
          h("caption", { class: "sr-only" }, t("customers.history")),
          h(
            "thead",
            {},
            h("tr", {}, ...["col.when", "col.change", "col.reason", "col.by"].map((k) => h("th", { scope: "col" }, t(k)))),
          ),
          h(
            "tbody",
            {},
            ...flag.history.map((c) =>
              h(
                "tr",
                {},
                h("td", { "data-label": t("col.when") }, time(c.changedAt)),
                h("td", { "data-label": t("col.change") }, c.flagged ? t("customers.change_set") : t("customers.change_clear")),
                h("td", { "data-label": t("col.reason") }, c.reason),
                h("td", { "data-label": t("col.by") }, c.changedBy),
              ),
            ),
          ),
        ),
  );
}

function reasonText() {
  return document.getElementById("flag-reason")?.value || "";
}
