// All page text comes from console/i18n/<lang>.json; this module loads a table, looks keys up
// and formats money, times and countdowns for the chosen language. Business times are shown in
// China Standard Time (docs/domain.md, "Time and the business calendar"), whatever the browser's own zone.

export const LANGS = ["zh-CN", "en"];
const STORE_KEY = "cancelflow.lang";
const ZONE = "Asia/Shanghai";

let lang = "zh-CN";
let table = {};

export function currentLang() {
  return lang;
}

export function initialLang(fallback) {
  const saved = localStorage.getItem(STORE_KEY);
  return LANGS.includes(saved) ? saved : LANGS.includes(fallback) ? fallback : "zh-CN";
}

export async function setLang(next) {
  const res = await fetch(new URL(`../i18n/${next}.json`, import.meta.url));
  if (!res.ok) throw new Error(`i18n table ${next}: ${res.status}`);
  table = await res.json();
  lang = next;
  localStorage.setItem(STORE_KEY, next);
  document.documentElement.lang = next;
}

// t("queue.title"), t("sla.left", {time: "3:02"}); an unknown key shows itself (and is caught
// by tests/browser/test_i18n_tables.py before it ships).
export function t(key, params = {}) {
  const text = table[key];
  if (text === undefined) {
    console.warn("missing i18n key", key);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// t() for an open-ended code (a reason, an event): the label when there is one, else the code.
export function tCode(prefix, code) {
  if (code === undefined || code === null || code === "") return "—";
  const text = table[`${prefix}.${code}`];
  return text === undefined ? String(code) : text;
}

export function has(key) {
  return key in table;
}

// Money is integer fen; shown as ¥ with two decimals (integer arithmetic, no float drift).
export function money(fen) {
  if (fen === undefined || fen === null || Number.isNaN(Number(fen))) return "—";
  const n = Math.trunc(Number(fen));
  const sign = n < 0 ? "-" : "";
  const abs = Math.abs(n);
  const yuan = Math.trunc(abs / 100).toLocaleString(lang);
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, "0")}`;
}

// "12.34" -> 1234 fen, or null when it is not an amount with at most two decimals.
export function parseYuan(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang, {
    timeZone: ZONE,
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(d);
}

// A duration in ms as "h:mm:ss" or "m:ss" (absolute value; the caller says left or overdue).
export function clockText(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}
