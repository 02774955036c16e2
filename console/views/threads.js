// Conversations (工单): the ones whose customer waits for support's answer, the earliest due
// first with a countdown to each due time, and one conversation with its reply box.

import { h } from "../lib/dom.js";
import { t, time } from "../lib/i18n.js";
import { sendMessage } from "../ui/actions.js";
import { state } from "../ui/state.js";
import { badge, countdown } from "../ui/widgets.js";

const link = (x) => `#/thread/${encodeURIComponent(x.orderId)}/${encodeURIComponent(x.subjectId)}`;

export function threadsView() {
  const rows = state.threads;
  return h(
    "section",
    { "aria-labelledby": "threads-title" },
    h("div", { class: "toolbar" }, h("h1", { id: "threads-title" }, t("threads.title"))),
    h("p", { class: "muted" }, t("threads.intro")),
    !rows.length
      ? h("p", { class: "empty" }, t("threads.empty"))
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "threads" },
            h("caption", { class: "sr-only" }, t("threads.caption")),
            h(
              "thead",
              {},
              h("tr", {}, ...["col.subject", "col.customer", "col.answer_due", "col.escalations"].map((k) => h("th", { scope: "col" }, t(k)))),
            ),
            h(
              "tbody",
              {},
              ...rows.map((x) =>
                h(
                  "tr",
                  { dataset: { subjectId: x.subjectId } },
                  h(
                    "td",
                    { "data-label": t("col.subject") },
                    x.priority ? badge("threads.priority", "urgent") : null,
                    x.priority ? " " : null,
                    h("a", { href: link(x) }, x.subjectId),
                    h("div", { class: "sub" }, x.orderId),
                  ),
                  h("td", { "data-label": t("col.customer") }, x.customerId),
                  h("td", { "data-label": t("col.answer_due") }, countdown(x.answerDue, "answer")),
                  h("td", { "data-label": t("col.escalations"), class: "num" }, String(x.escalations)),
                ),
              ),
            ),
          ),
        ),
  );
}

export function threadView() {
  const th = state.thread;
  if (!th) return h("section", { class: "panel" }, h("p", {}, t("thread.loading")));
  return h(
    "section",
    { "aria-labelledby": "thread-title", class: "panel" },
    h("h1", { id: "thread-title" }, t("thread.title", { id: th.subjectId })),
    h("p", { class: "sub" }, th.orderId),
    th.awaiting
      ? h("p", { class: "banner", role: "note" }, t("thread.awaiting"), " ", countdown(th.answerDue, "answer"), th.escalated ? h("span", {}, " ", badge("thread.escalated", "urgent")) : null)
      : null,
    h(
      "ol",
      { class: "thread", id: "thread-messages" },
      ...th.messages.map((m) =>
        h(
          "li",
          { dataset: { author: m.author } },
          h("strong", {}, t(`thread.author.${m.author}`), m.authorId ? ` (${m.authorId})` : ""),
          m.source !== "message" ? h("span", { class: "muted" }, " · ", t(`thread.source.${m.source}`)) : null,
          h("p", {}, m.text),
          h("div", { class: "sub" }, time(m.at)),
        ),
      ),
    ),
    th.customerReadAt ? h("p", { class: "muted" }, t("thread.customer_read", { time: time(th.customerReadAt) })) : null,
    h(
      "form",
      {
        onsubmit: (ev) => {
          ev.preventDefault();
          sendMessage(th.orderId, th.subjectId, state.reply);
        },
      },
      h("label", { for: "thread-reply" }, t("thread.reply")),
      h("textarea", { id: "thread-reply", maxlength: 500, oninput: (ev) => (state.reply = ev.target.value) }, state.reply || ""),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "thread-send" }, t("thread.send"))),
    ),
  );
}
