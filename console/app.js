// The review console: sign-in, the queue, a task, the senior reviewers' appeals, support's
// overdue refunds. Plain ES modules, no build step: ui/ (state, routing, actions, problems,
// shortcuts, widgets), views/ (shell, lists, task), lib/ (API, auth, i18n, DOM). Views are
// functions that rebuild their part of the page from `state`; all text comes from the i18n
// tables; all API shapes are mapped in lib/api.js. This file starts it all.

import { ApiError } from "./lib/api.js";
import * as auth from "./lib/auth.js";
import { h, replace } from "./lib/dom.js";
import { LANGS, initialLang, setLang } from "./lib/i18n.js";
import { afterSignIn, switchLang } from "./ui/actions.js";
import { installShortcuts } from "./ui/keyboard.js";
import { onRoute, refreshWhenVisible } from "./ui/routing.js";
import { $, cfg, state } from "./ui/state.js";
import { tick } from "./ui/widgets.js";
import { loadDemoUsers, render } from "./views/shell.js";

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
  document.addEventListener("visibilitychange", refreshWhenVisible);
  installShortcuts();
  setInterval(tick, 1000);
  render();
  if (state.session) afterSignIn();
  document.body.dataset.ready = "true"; // for the browser tests: the first render is done
}

boot();
