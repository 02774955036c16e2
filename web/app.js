// @ts-check
// The reference customer page: my orders, one order (what I may do now and why not, cancel,
// ask, appeal, answer a question, withdraw, fix or chase a refund, the progress), my messages.
// Plain DOM and one typed client (client.js); everything the customer reads about rules comes
// from the API in their language, so this page holds no rule of its own.
import { makeClient } from "./client.js";
import { STRINGS, t as translate } from "./i18n.js";

/** @typedef {import("./client.js").Schemas} S */

const CFG = /** @type {any} */ (window).CANCELFLOW_WEB;
const SESSION = "cancelflow.web.session";
const LANG = "cancelflow.web.lang";

let lang = localStorage.getItem(LANG) || CFG.defaultLang || "zh-CN";
/** @type {{sub: string, token: string} | null} */
let session = JSON.parse(sessionStorage.getItem(SESSION) || "null");

const api = makeClient({
  apiBase: CFG.apiBase,
  token: () => session && session.token,
  lang: () => lang,
  onUnauthenticated: () => signOut(),
});

/** @param {string} key @param {Record<string, string | number>} [vars] */
const t = (key, vars) => translate(lang, key, vars);
const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

/**
 * A DOM element: h("button", {type: "button", onclick}, "text", child...).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | null | undefined | false)} kids
 */
function h(tag, attrs = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids) if (kid) el.append(kid);
  return el;
}

const yuan = (/** @type {number} */ fen) => `¥${(fen / 100).toFixed(2)}`;
const when = (/** @type {string | null | undefined} */ iso) =>
  iso
    ? new Date(iso).toLocaleString(lang, { timeZone: "Asia/Shanghai", dateStyle: "medium", timeStyle: "short" })
    : "";

/** @param {string} message */
function say(message) {
  const s = $("#status");
  s.textContent = message;
  s.dataset.message = message;
}

/** @param {{code: string, message: string, request_id: string | null} | any} error */
function sayError(error) {
  const e = (error && error.error) || error || {};
  say(t("error", { message: e.message || e.code || "?", id: e.request_id || "-" }));
}

/** @param {string} title @param {string} text @returns {Promise<boolean>} */
function confirmed(title, text) {
  const d = /** @type {HTMLDialogElement} */ ($("#confirm"));
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  d.returnValue = "";
  d.showModal();
  return new Promise((resolve) => d.addEventListener("close", () => resolve(d.returnValue === "yes"), { once: true }));
}

/** @param {string} heading @param {...Node} kids */
function page(heading, ...kids) {
  const main = $("#main");
  main.replaceChildren(h("h2", { id: "page-title" }, heading), ...kids);
  document.title = `${heading} · cancelflow`;
  main.focus();
}

// ------------------------------------------------------------------ signing in (local demo)

async function signIn(/** @type {string} */ sub) {
  const r = await fetch(`${CFG.apiBase}/local/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub, groups: ["customer"] }),
  });
  if (!r.ok) return sayError({ message: `HTTP ${r.status}` });
  session = { sub, token: (await r.json()).token };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  location.hash = "#/orders";
  route();
}

function signOut() {
  session = null;
  sessionStorage.removeItem(SESSION);
  route();
}

function signInView() {
  const users = CFG.demoCustomers.map((/** @type {any} */ u) =>
    h("li", {}, h("button", { type: "button", class: "user-choice", "data-sub": u.sub, onclick: () => signIn(u.sub) }, u.name[lang] || u.sub)),
  );
  page(t("signin"), h("ul", { class: "plain" }, ...users));
}

// ------------------------------------------------------------------ my orders

/** @param {string} [cursor] @param {HTMLElement} [list] */
async function ordersView(cursor, list) {
  const { data, error } = await api.GET("/v1/orders", { params: { query: { limit: 20, cursor } } });
  if (error) return sayError(error);
  const items = data.items.map((o) =>
    h(
      "li",
      {},
      h("a", { href: `#/orders/${o.order_id}` }, `${t("order")} ${o.order_id}`),
      h("div", { class: "muted" }, `${t(`status.${o.status}`)} · ${yuan(o.amount)} · ${when(o.created_at)}`),
    ),
  );
  if (!list) {
    list = h("ul", { class: "plain", id: "orders" });
    page(t("orders"), data.items.length ? list : h("p", {}, t("orders.none")));
  }
  list.append(...items);
  if (data.next_cursor) {
    const more = h("button", { type: "button", onclick: () => (more.remove(), ordersView(data.next_cursor, list)) }, t("more"));
    list.after(more);
  }
}

// ------------------------------------------------------------------ one order

async function orderView(/** @type {string} */ orderId) {
  const path = { order_id: orderId };
  const [detail, options, timeline] = await Promise.all([
    api.GET("/v1/orders/{order_id}", { params: { path } }),
    api.GET("/v1/orders/{order_id}/cancellation-options", { params: { path } }),
    api.GET("/v1/orders/{order_id}/timeline", { params: { path } }),
  ]);
  const failed = detail.error || options.error || timeline.error;
  if (failed) return sayError(failed);
  const o = detail.data.order;
  page(
    `${t("order")} ${o.order_id}`,
    h(
      "section",
      { "aria-labelledby": "page-title" },
      h(
        "dl",
        {},
        h("dt", {}, t("status")),
        h("dd", { id: "order-status" }, t(`status.${o.status}`)),
        h("dt", {}, t("amount")),
        h("dd", {}, yuan(o.amount)),
        h("dt", {}, t("created")),
        h("dd", {}, when(o.created_at)),
        o.status === "pending_payment" && h("dt", {}, t("deadline_pay")),
        o.status === "pending_payment" && h("dd", {}, when(o.payment_deadline)),
      ),
    ),
    actionsSection(orderId, options.data),
    requestsSection(orderId, detail.data.cancellation.requests),
    refundsSection(orderId, detail.data.cancellation.refunds),
    h(
      "section",
      { "aria-labelledby": "timeline-h" },
      h("h3", { id: "timeline-h" }, t("timeline")),
      h("ol", { class: "plain", id: "timeline" }, ...timeline.data.entries.map((e) => h("li", { "data-event": e.event }, h("strong", {}, e.title), h("div", { class: "muted" }, when(e.at))))),
    ),
  );
}

/** @param {string} orderId @param {S["CancellationOptions"]} options */
function actionsSection(orderId, options) {
  const rows = options.actions.map((a) => {
    const label = t(`action.${a.action}`);
    const whyId = `why-${a.action}`;
    const form = h("div", { class: "form", hidden: true });
    const button = h(
      "button",
      {
        type: "button",
        class: a.allowed ? "primary" : undefined,
        "data-action": a.action,
        disabled: !a.allowed,
        "aria-describedby": whyId,
        onclick: () => (a.action === "self_cancel" ? selfCancel(orderId) : openForm(form, orderId, a)),
      },
      label,
    );
    // why not (the API's words, in the reader's language), or until when it is possible
    const why = a.allowed
      ? a.deadline && `${t("until")}${when(a.deadline)}`
      : a.message || a.code;
    return h("div", { class: "action" }, button, h("p", { class: "why", id: whyId }, why || ""), form);
  });
  // after a rejection the way on is its appeal (the API names the request): one button for it
  const rejected = options.actions.find((a) => !a.allowed && a.appeal_request_id);
  if (rejected) {
    const form = h("div", { class: "form", hidden: true });
    const appeal = { ...rejected, action: /** @type {any} */ ("appeal_rejection"), allowed: true };
    rows.push(
      h(
        "div",
        { class: "action" },
        h("button", { type: "button", class: "primary", "data-action": "appeal_rejection", onclick: () => openForm(form, orderId, appeal) }, t("action.appeal_rejection")),
        form,
      ),
    );
  }
  const w = options.withdraw;
  if (w && w.allowed && w.request_id) {
    rows.push(
      h(
        "div",
        { class: "action" },
        h("button", { type: "button", "data-action": "withdraw", onclick: () => withdraw(orderId, w.request_id) }, t("withdraw")),
      ),
    );
  }
  return h("section", { "aria-labelledby": "can-h" }, h("h3", { id: "can-h" }, t("can")), ...rows);
}

async function selfCancel(/** @type {string} */ orderId) {
  if (!(await confirmed(t("action.self_cancel"), t("confirm.self_cancel")))) return;
  const { data, error } = await api.POST("/v1/orders/{order_id}/cancellations", {
    params: { path: { order_id: orderId } },
    body: { action: "self_cancel" },
  });
  if (error) return sayError(error);
  say(t(`outcome.${data.outcome}`, { when: when(data.expected_review_by) }));
  orderView(orderId);
}

async function withdraw(/** @type {string} */ orderId, /** @type {string} */ requestId) {
  if (!(await confirmed(t("withdraw"), t("confirm.withdraw")))) return;
  const { error } = await api.POST("/v1/orders/{order_id}/cancellations/{request_id}/withdraw", {
    params: { path: { order_id: orderId, request_id: requestId } },
  });
  if (error) return sayError(error);
  say(t("done"));
  orderView(orderId);
}

/** Uploads each chosen image through a presigned POST; their keys, or null when one failed.
 * @param {string} orderId @param {HTMLInputElement} input */
async function upload(orderId, input) {
  const keys = [];
  for (const file of Array.from(input.files || [])) {
    say(t("uploading"));
    const { data, error } = await api.POST("/v1/orders/{order_id}/evidence-uploads", {
      params: { path: { order_id: orderId } },
      body: { content_type: /** @type {any} */ (file.type || "image/png") },
    });
    if (error) return sayError(error), null;
    const form = new FormData();
    for (const [k, v] of Object.entries(data.fields)) form.append(k, String(v));
    form.append("file", file);
    const stored = await fetch(data.url, { method: "POST", body: form });
    if (!stored.ok) return sayError({ message: `upload: HTTP ${stored.status}` }), null;
    keys.push(data.key);
  }
  return keys;
}

/** A request's form: reason, details (with the API's hint), screenshots; or an appeal's text.
 * @param {HTMLElement} form @param {string} orderId @param {S["ActionOption"]} a */
function openForm(form, orderId, a) {
  if (!form.hidden) return void (form.hidden = true);
  const id = (/** @type {string} */ name) => `${a.action}-${name}`;
  const appealOfRejection = /** @type {string} */ (a.action) === "appeal_rejection";
  const reason = h("select", { id: id("reason") }, ...a.reasons.map((r) => h("option", { value: r }, t(`reason.${r}`))));
  const text = h("textarea", { id: id("text"), maxlength: 500, "aria-describedby": id("hint"), required: appealOfRejection || undefined });
  const files = h("input", { id: id("files"), type: "file", accept: "image/png,image/jpeg", multiple: a.max_evidence > 1 || undefined, required: a.evidence_required || undefined });
  const refundTo = h("select", { id: id("refund_to") }, h("option", { value: "original" }, t("refund_to.original")), h("option", { value: "balance" }, t("refund_to.balance")));
  const submit = h("button", { type: "submit", class: "primary" }, t("submit"));
  const el = h(
    "form",
    {
      onsubmit: async (/** @type {Event} */ ev) => {
        ev.preventDefault();
        submit.setAttribute("disabled", "");
        try {
          const evidence = await upload(orderId, /** @type {HTMLInputElement} */ (files));
          if (evidence === null) return;
          const body = /** @type {HTMLTextAreaElement} */ (text).value.trim() || undefined;
          if (appealOfRejection) {
            const { data, error } = await api.POST("/v1/orders/{order_id}/cancellations/{request_id}/appeal", {
              params: { path: { order_id: orderId, request_id: a.appeal_request_id } },
              body: { text: body || "", evidence, refund_to: /** @type {any} */ (/** @type {HTMLSelectElement} */ (refundTo).value) },
            });
            if (error) return sayError(error);
            say(t("outcome.under_review", { when: when(data.expected_review_by) }));
          } else {
            const { data, error } = await api.POST("/v1/orders/{order_id}/cancellations", {
              params: { path: { order_id: orderId } },
              body: {
                action: a.action,
                reason_code: /** @type {any} */ (/** @type {HTMLSelectElement} */ (reason).value),
                description: body,
                evidence,
              },
            });
            if (error) return sayError(error);
            say(t(`outcome.${data.outcome}`, { when: when(data.expected_review_by) }));
          }
          orderView(orderId);
        } finally {
          submit.removeAttribute("disabled");
        }
      },
    },
    !appealOfRejection && h("label", { for: id("reason") }, t("reason")),
    !appealOfRejection && reason,
    h("label", { for: id("text") }, t(appealOfRejection ? "appeal_text" : "description")),
    h("p", { class: "why", id: id("hint") }, a.description_hint || ""),
    text,
    a.max_evidence > 0 && h("label", { for: id("files") }, t(a.evidence_required ? "evidence.required" : "evidence")),
    a.max_evidence > 0 && files,
    appealOfRejection && h("label", { for: id("refund_to") }, t("refund_to")),
    appealOfRejection && refundTo,
    h("div", { class: "row" }, submit, h("button", { type: "button", onclick: () => (form.hidden = true) }, t("cancel_form"))),
  );
  form.replaceChildren(el);
  form.hidden = false;
  /** @type {HTMLElement} */ (el.querySelector("select, textarea")).focus();
}

/** @param {string} orderId @param {S["RequestSummary"][]} requests */
function requestsSection(orderId, requests) {
  if (!requests.length) return null;
  const items = requests.map((r) => {
    const li = h("li", { "data-request": r.request_id }, h("strong", {}, `${t(`action.${r.action}`)} · ${t(`reason.${r.reason_code}`)}`), h("div", { class: "muted" }, r.status));
    if (r.rejection_reason) li.append(h("p", {}, t("rejected_because") + r.rejection_reason));
    li.append(conversation(orderId, r.request_id));
    if (r.status === "need_info" && r.question) {
      const answerId = `answer-${r.request_id}`;
      const box = h("textarea", { id: answerId, maxlength: 500, required: true });
      li.append(
        h("p", {}, `${t("question")}: ${r.question}`),
        h("p", { class: "why" }, t("answer_by") + when(r.answer_by)),
        h(
          "form",
          {
            onsubmit: async (/** @type {Event} */ ev) => {
              ev.preventDefault();
              const { error } = await api.POST("/v1/orders/{order_id}/cancellations/{request_id}/answer", {
                params: { path: { order_id: orderId, request_id: r.request_id } },
                body: { text: /** @type {HTMLTextAreaElement} */ (box).value.trim() },
              });
              if (error) return sayError(error);
              say(t("sent"));
              orderView(orderId);
            },
          },
          h("label", { for: answerId }, t("answer")),
          box,
          h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("submit"))),
        ),
      );
    }
    return li;
  });
  return h("section", { "aria-labelledby": "req-h" }, h("h3", { id: "req-h" }, t("requests")), h("ul", { class: "plain" }, ...items));
}

/** @param {string} orderId @param {S["RefundSummary"][]} refunds */
function refundsSection(orderId, refunds) {
  if (!refunds.length) return null;
  const items = refunds.map((r) => {
    const li = h("li", { "data-refund": r.refund_id, "data-status": r.status }, h("strong", {}, `${yuan(r.amount)} · ${r.channel}`), h("div", { class: "muted" }, r.status));
    const rec = r.recovery;
    if (rec) {
      li.append(h("p", {}, rec.hint));
      const row = h("div", { class: "row" });
      // (a new card is a form of its own, WeChat Pay's: not on this page)
      for (const fix of /** @type {S["FixIn"]["fix"][]} */ (rec.fixes.filter((f) => f !== "new_card"))) {
        row.append(h("button", { type: "button", "data-fix": fix, onclick: () => fixRefund(orderId, r.refund_id, fix) }, t(`fix.${fix}`)));
      }
      if (rec.may_chase) row.append(h("button", { type: "button", "data-chase": "", onclick: () => chase(orderId, r.refund_id) }, t("chase")));
      li.append(row);
    }
    li.append(conversation(orderId, r.refund_id));
    return li;
  });
  return h("section", { "aria-labelledby": "ref-h" }, h("h3", { id: "ref-h" }, t("refunds")), h("ul", { class: "plain" }, ...items));
}

/** @param {string} orderId @param {string} refundId @param {S["FixIn"]["fix"]} fix */
async function fixRefund(orderId, refundId, fix) {
  const { error } = await api.POST("/v1/orders/{order_id}/refunds/{refund_id}/fix", {
    params: { path: { order_id: orderId, refund_id: refundId } },
    body: { fix },
  });
  if (error) return sayError(error);
  say(t("done"));
  orderView(orderId);
}

async function chase(/** @type {string} */ orderId, /** @type {string} */ refundId) {
  const { error } = await api.POST("/v1/orders/{order_id}/refunds/{refund_id}/chase", {
    params: { path: { order_id: orderId, refund_id: refundId } },
  });
  if (error) return sayError(error);
  say(t("done"));
  orderView(orderId);
}

/** The request's or refund's conversation with support, loaded when opened (and marked read).
 * @param {string} orderId @param {string} subjectId */
function conversation(orderId, subjectId) {
  const path = { order_id: orderId, subject_id: subjectId };
  const list = h("ol", { class: "plain thread" });
  const note = h("p", { class: "why" });
  const boxId = `msg-${subjectId}`;
  const box = h("textarea", { id: boxId, maxlength: 500, required: true });
  const filesId = `msg-files-${subjectId}`;
  const files = h("input", { id: filesId, type: "file", accept: "image/png,image/jpeg", multiple: true });
  /** @param {S["ThreadOut"]} th */
  const show = (th) => {
    list.replaceChildren(
      ...th.messages.map((m) =>
        h(
          "li",
          { "data-author": m.author },
          h("strong", {}, t(`author.${m.author}`)),
          h("p", {}, m.text),
          m.evidence.length ? h("div", { class: "muted", "data-images": m.evidence.length }, t("images", { n: m.evidence.length })) : null,
          h("div", { class: "muted" }, when(m.at)),
        ),
      ),
    );
    note.textContent = th.awaiting_answer ? t("answer_due", { when: when(th.answer_due) }) : th.staff_read_at ? t("seen", { when: when(th.staff_read_at) }) : "";
  };
  const panel = h(
    "details",
    {
      class: "conversation",
      "data-thread": subjectId,
      ontoggle: async () => {
        if (!(/** @type {HTMLDetailsElement} */ (panel).open)) return;
        const { data, error } = await api.POST("/v1/orders/{order_id}/threads/{subject_id}/read", { params: { path } });
        if (error) return sayError(error);
        show(data);
      },
    },
    h("summary", {}, t("conversation")),
    list,
    note,
    h(
      "form",
      {
        onsubmit: async (/** @type {Event} */ ev) => {
          ev.preventDefault();
          const text = /** @type {HTMLTextAreaElement} */ (box).value.trim();
          if (!text) return;
          const evidence = await upload(orderId, /** @type {HTMLInputElement} */ (files));
          if (evidence === null) return;
          const { data, error } = await api.POST("/v1/orders/{order_id}/threads/{subject_id}/messages", { params: { path }, body: { text, evidence } });
          if (error) return sayError(error);
          /** @type {HTMLTextAreaElement} */ (box).value = "";
          /** @type {HTMLInputElement} */ (files).value = "";
          show(data);
          say(t("sent"));
        },
      },
      h("label", { for: boxId }, t("write")),
      box,
      h("label", { for: filesId }, t("evidence")),
      files,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, t("send"))),
    ),
  );
  return panel;
}

// ------------------------------------------------------------------ my messages

/** @param {string} [cursor] @param {HTMLElement} [list] */
async function inboxView(cursor, list) {
  const { data, error } = await api.GET("/v1/inbox", { params: { query: { limit: 20, cursor } } });
  if (error) return sayError(error);
  const items = data.items.map((n) => {
    const li = h(
      "li",
      { class: n.read ? undefined : "unread", "data-notice": n.notice_id, "data-kind": n.kind },
      h("strong", {}, n.title),
      h("p", {}, n.body),
      h("div", { class: "muted" }, when(n.at)),
    );
    const row = h("div", { class: "row" }, h("a", { href: `#/orders/${n.order_id}` }, t("open_order")));
    if (!n.read) {
      const mark = h(
        "button",
        {
          type: "button",
          "data-mark": "",
          onclick: async () => {
            const r = await api.POST("/v1/inbox/{notice_id}/read", { params: { path: { notice_id: n.notice_id } } });
            if (r.error) return sayError(r.error);
            li.classList.remove("unread");
            mark.replaceWith(h("span", { class: "muted" }, t("read")));
            refreshUnread();
          },
        },
        t("mark_read"),
      );
      row.append(mark);
    }
    li.append(row);
    return li;
  });
  if (!list) {
    list = h("ul", { class: "plain", id: "inbox" });
    page(t("inbox"), h("p", { id: "unread-line" }, t("unread_n", { n: data.unread })), data.items.length ? list : h("p", {}, t("inbox.none")));
  }
  list.append(...items);
  if (data.next_cursor) {
    const more = h("button", { type: "button", onclick: () => (more.remove(), inboxView(data.next_cursor, list)) }, t("more"));
    list.after(more);
  }
}

async function refreshUnread() {
  if (!session) return;
  const { data } = await api.GET("/v1/inbox/unread-count");
  const badge = $("#unread");
  if (!data) return;
  badge.textContent = String(data.unread);
  badge.hidden = data.unread === 0;
  badge.setAttribute("aria-label", t("unread_n", { n: data.unread }));
  const line = document.querySelector("#unread-line");
  if (line) line.textContent = t("unread_n", { n: data.unread });
}

// ------------------------------------------------------------------ the frame

function translateFrame() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(/** @type {string} */ (/** @type {HTMLElement} */ (el).dataset.t));
  /** @type {HTMLSelectElement} */ ($("#lang")).value = lang;
}

function route() {
  translateFrame();
  $("#nav").hidden = !session;
  $("#sign-out").hidden = !session;
  if (!session) return signInView();
  refreshUnread();
  const [, what, id] = location.hash.split("/");
  if (what === "orders" && id) return orderView(id);
  if (what === "inbox") return inboxView();
  return ordersView();
}

$("#lang").addEventListener("change", (ev) => {
  lang = /** @type {HTMLSelectElement} */ (ev.target).value in STRINGS ? /** @type {HTMLSelectElement} */ (ev.target).value : "zh-CN";
  localStorage.setItem(LANG, lang);
  route();
});
$("#sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();
document.body.dataset.ready = "true";
