// The page around the views: static text, header and navigation, the shortcut help, and which
// view fills <main>; the sign-in view.

import * as auth from "../lib/auth.js";
import { h, replace } from "../lib/dom.js";
import { currentLang, t, tCode } from "../lib/i18n.js";
import { signInAs, signOut } from "../ui/actions.js";
import { renderProblem } from "../ui/problems.js";
import { $, apiBase, cfg, isReviewer, isSenior, isSupport, roleText, state, userName } from "../ui/state.js";
import { customersView } from "./customers.js";
import { ordersView } from "./orders.js";
import { appealsView, quarantineView, queueView, refundsView } from "./lists.js";
import { threadsView, threadView } from "./threads.js";
import { taskView } from "./task.js";

// Locally: the people the runtime seeded (GET /local/users) who work from the console, with
// the localised names of config.js where it has them.
export async function loadDemoUsers() {
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

export function render() {
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
      isReviewer() ? h("li", {}, link("#/queue", "nav.queue", "queue")) : null,
      isSenior() ? h("li", {}, link("#/appeals", "nav.appeals", "appeals")) : null,
      isSupport() ? h("li", {}, link("#/refunds", "nav.refunds", "refunds")) : null,
      isSupport() || isReviewer() ? h("li", {}, link("#/threads", "nav.threads", "threads")) : null,
      isSupport() ? h("li", {}, link("#/quarantine", "nav.quarantine", "quarantine")) : null,
      isSupport() ? h("li", {}, link("#/customers", "nav.customers", "customers")) : null,
      isSupport() ? h("li", {}, link("#/orders", "nav.orders", "orders")) : null,
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

export function renderMain() {
  const main = $("main");
  const view = state.route.view;
  if (view === "signin") return replace(main, signInView());
  // Each view for the roles the API lets read it (the queue and tasks: reviewers only).
  if (view === "queue") return replace(main, isReviewer() ? queueView() : notAllowed());
  if (view === "task") return replace(main, isReviewer() ? taskView() : notAllowed());
  if (view === "appeals") return replace(main, isSenior() ? appealsView() : notAllowed());
  if (view === "refunds") return replace(main, isSupport() ? refundsView() : notAllowed());
  if (view === "quarantine") return replace(main, isSupport() ? quarantineView() : notAllowed());
  if (view === "threads") return replace(main, isSupport() || isReviewer() ? threadsView() : notAllowed());
  if (view === "thread") return replace(main, isSupport() || isReviewer() ? threadView() : notAllowed());
  if (view === "customers") return replace(main, isSupport() ? customersView() : notAllowed());
  if (view === "orders") return replace(main, isSupport() ? ordersView() : notAllowed());
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
