// Routing (#/queue, #/task/<id>, #/appeals, #/refunds, #/quarantine), loading what the route shows, and live
// refresh while the tab is visible. Each view loads only for the roles the API lets read it:
// the queue and tasks for reviewers, the appeals for seniors, the refunds, the quarantined keys
// a customer's flag (#/customers/<id>) and the order tools (#/orders) for support.

import { ApiError } from "../lib/api.js";
import { keepFocus } from "../lib/dom.js";
import { render, renderMain } from "../views/shell.js";
import { leaseBanner } from "../views/task.js";
import { dismissProblem, showProblem } from "./problems.js";
import { api, cfg, isReviewer, isSenior, isSupport, serverNow, state, syncClock, syncLocalClock } from "./state.js";

const LISTS = ["queue", "appeals", "refunds", "quarantine", "threads", "thread"]; // refreshed while shown

export function homeRoute() {
  if (isReviewer()) return "#/queue";
  if (isSupport()) return "#/refunds";
  return "#/queue";
}

export function parseRoute() {
  const m = /^#\/(queue|task|appeals|refunds|quarantine|customers|orders|threads|thread)(?:\/(.+))?$/.exec(location.hash);
  if (!m) return { view: "home" };
  return { view: m[1], id: m[2] ? decodeURIComponent(m[2]) : null };
}

export function navigate(hash) {
  if (location.hash === hash) onRoute();
  else location.hash = hash;
}

export async function onRoute() {
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

export async function refresh() {
  const { view, id } = state.route;
  try {
    await syncLocalClock();
    if (view === "queue" && isReviewer()) {
      const page = await api.listTasks(state.status);
      syncClock(page.now);
      state.tasks = page.items;
    } else if (view === "appeals" && isSenior()) {
      const pages = await Promise.all([api.listTasks("open"), api.listTasks("claimed")]);
      syncClock(pages[0].now);
      state.appeals = pages.flatMap((p) => p.items).filter((x) => x.kind === "rejection_appeal" || x.seniorOnly);
    } else if (view === "refunds" && isSupport()) {
      const page = await api.listRefunds(state.refundFilter);
      syncClock(page.now);
      state.refunds = page.items;
    } else if (view === "quarantine" && isSupport()) {
      const page = await api.listQuarantine();
      syncClock(page.now);
      state.quarantine = page.items;
    } else if (view === "threads" && (isSupport() || isReviewer())) {
      const page = await api.listThreads();
      syncClock(page.now);
      state.threads = page.items;
    } else if (view === "thread" && id && (isSupport() || isReviewer())) {
      const [orderId, subjectId] = id.split("/");
      const shown = state.thread;
      const fresh = await api.getThread(orderId, subjectId);
      syncClock(fresh.now);
      // a first look marks it read for the customer to see; refreshes after that only re-read
      state.thread = shown && shown.subjectId === subjectId ? fresh : await api.readThread(orderId, subjectId);
    } else if (view === "customers" && id && isSupport()) {
      state.customerFlag = await api.getCustomerFlag(id);
    } else if (view === "task" && id && isReviewer()) {
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
export function stopPolling() {
  clearInterval(pollTimer);
}

export function startPolling() {
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.hidden || !state.session || state.busy) return;
    if (LISTS.includes(state.route.view)) refresh();
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

export function refreshWhenVisible() {
  if (!document.hidden && state.session && LISTS.includes(state.route.view)) refresh();
}
