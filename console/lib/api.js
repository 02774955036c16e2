// The console's only door to the API (/openapi.json describes it) and the one place where the API's JSON
// shapes are mapped to what the views use. If a handler renames a field, this file changes and
// nothing else does.

export class ApiError extends Error {
  constructor(status, code, message, requestId, details) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.requestId = requestId || null;
    this.details = details || {};
  }
}

// When the body is not our error format (the gateway's own 401, a proxy's 502), the status
// still says which of our codes it means.
const CODE_FOR_STATUS = { 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "RATE_LIMITED" };

export function createClient({ base, token, lang, onUnauthenticated }) {
  async function call(method, path, { query, body } = {}) {
    const url = new URL(`${base}${path}`, location.href);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) url.searchParams.set(k, v);
    const headers = { Authorization: `Bearer ${token()}`, "Accept-Language": lang(), Accept: "application/json" };
    const init = { method, headers };
    if (method === "POST") {
      // One key per user action: a retried request (flaky network) is answered, never acted twice.
      headers["Idempotency-Key"] = crypto.randomUUID();
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new ApiError(0, "NETWORK", String(e), null, {});
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = json && json.error;
      const code = (err && err.code) || CODE_FOR_STATUS[res.status] || (res.status >= 500 ? "INTERNAL" : "UNKNOWN");
      const e = new ApiError(res.status, code, err && err.message, err && err.request_id, err && err.details);
      if (res.status === 401 && onUnauthenticated) onUnauthenticated(e);
      throw e;
    }
    return { json: json || {}, date: res.headers.get("Date") };
  }

  return {
    async listTasks(status, cursor) {
      const { json, date } = await call("GET", "/v1/reviews", { query: { status, cursor, limit: 50 } });
      return adaptPage(json, date, adaptTask);
    },
    async claimNext() {
      const { json } = await call("POST", "/v1/reviews/claim-next");
      return adaptTask(json.task || json);
    },
    async getTask(id) {
      const { json, date } = await call("GET", `/v1/reviews/${encodeURIComponent(id)}`);
      return adaptDetail(json, date);
    },
    async release(id) {
      const { json } = await call("POST", `/v1/reviews/${encodeURIComponent(id)}/release`);
      return adaptTask(json.task || json);
    },
    async decide(id, decision) {
      const { json } = await call("POST", `/v1/reviews/${encodeURIComponent(id)}/decision`, {
        body: {
          outcome: decision.outcome,
          checklist: {
            order_status_verified: !!decision.checklist.orderStatus,
            evidence_judged: !!decision.checklist.evidence,
            refund_path_confirmed: !!decision.checklist.refundPath,
          },
          note: decision.note || null,
          refund_amount: decision.refundAmount ?? null,
        },
      });
      return {
        outcome: json.outcome,
        refundId: json.refund_id || null,
        refundAmount: json.refund_amount ?? json.task?.refund_amount ?? null,
        orderStatus: json.order_status || null,
        task: json.task ? adaptTask(json.task) : null,
      };
    },
    // filter: "stuck" (every refund that needs a person: chased, overdue, needs_attention,
    // needs_customer_action; one page of each, merged) or one of those four alone
    async listRefunds(filter = "stuck") {
      const one = async (query) => {
        const { json, date } = await call("GET", "/v1/refunds", { query: { ...query, limit: 100 } });
        return adaptPage(json, date, adaptRefund);
      };
      const queries = {
        chased: [{ chased: "true" }],
        overdue: [{ overdue: "true" }],
        needs_attention: [{ status: "needs_attention" }],
        needs_customer_action: [{ status: "needs_customer_action" }],
      };
      const pages = await Promise.all((queries[filter] || Object.values(queries).flat()).map(one));
      const seen = new Map();
      for (const r of pages.flatMap((p) => p.items)) seen.set(r.id, r);
      return { ...pages[0], items: [...seen.values()] };
    },
    // a refund paid outside the system, closing the open refund it replaces (same amount)
    async manualRefund(refund, { channel, reference, note }) {
      const body = { amount: refund.amount, channel, reference, note, replaces_refund_id: refund.id };
      const { json } = await call("POST", `/v1/orders/${encodeURIComponent(refund.orderId)}/manual-refunds`, { body });
      return json;
    },
    async retryRefund(id) {
      const { json } = await call("POST", `/v1/refunds/${encodeURIComponent(id)}/retry`);
      return adaptRefund(json.refund || json);
    },
    // conversations whose customer waits for support's answer, the earliest due first
    async listThreads() {
      const { json, date } = await call("GET", "/v1/support/threads");
      return { now: date ? Date.parse(date) : null, items: (json.items || []).map(adaptThreadSummary) };
    },
    async getThread(orderId, subjectId) {
      const { json, date } = await call("GET", threadPath(orderId, subjectId));
      return { ...adaptThread(json), now: date ? Date.parse(date) : null };
    },
    async readThread(orderId, subjectId) {
      const { json } = await call("POST", `${threadPath(orderId, subjectId)}/read`);
      return adaptThread(json);
    },
    async postMessage(orderId, subjectId, text) {
      const { json } = await call("POST", `${threadPath(orderId, subjectId)}/messages`, { body: { text } });
      return adaptThread(json);
    },
    async listQuarantine(cursor) {
      const { json, date } = await call("GET", "/v1/stock/quarantine", { query: { cursor, limit: 50 } });
      return adaptPage(json, date, adaptKey);
    },
    // what: "release" (back to stock) or "void"; the reason is kept in the order's history
    async settleKey(key, what, reason) {
      const path = `/v1/stock/products/${encodeURIComponent(key.productId)}/keys/${encodeURIComponent(key.id)}/${what}`;
      const { json } = await call("POST", path, { body: { reason } });
      return adaptKey(json);
    },
    async getCustomerFlag(customerId) {
      const { json } = await call("GET", `/v1/customers/${encodeURIComponent(customerId)}/flag`);
      return adaptFlag(json);
    },
    async confirmLostPayment(orderId, body) {
      const { json } = await call("POST", `/v1/orders/${encodeURIComponent(orderId)}/lost-payments`, { body });
      return json;
    },
    async staffCancel(orderId, body) {
      const { json } = await call("POST", `/v1/orders/${encodeURIComponent(orderId)}/staff-cancel`, { body });
      return json;
    },
    async changeCustomerFlag(customerId, flagged, reason) {
      const path = `/v1/customers/${encodeURIComponent(customerId)}/flag`;
      const { json } = await call("POST", path, { body: { flagged, reason } });
      return adaptFlag(json);
    },
  };
}

// ---- shapes

function adaptFlag(j) {
  return {
    customerId: j.customer_id,
    flagged: j.flagged,
    reason: j.reason || null,
    changedBy: j.changed_by || null,
    changedAt: j.changed_at || null,
    history: (j.history || []).map((c) => ({
      flagged: c.flagged,
      reason: c.reason,
      changedBy: c.changed_by,
      changedAt: c.changed_at,
    })),
  };
}

function serverNow(json, date) {
  // The business clock can run ahead of the wall clock locally (POST /local/clock), so countdowns
  // use the server's "now" when it sends one, else its Date header, else the browser's clock.
  const stated = json.now || json.server_time;
  const ms = Date.parse(stated || date || "");
  return Number.isNaN(ms) ? null : ms;
}

// Every list of the API answers {items, next_cursor}; the cursor is opaque, passed back as is.
function adaptPage(json, date, adapt) {
  return { items: (json.items || []).map(adapt), cursor: json.next_cursor || null, now: serverNow(json, date) };
}

export function adaptTask(r) {
  const risk = r.risk || {};
  const action = r.action || "request";
  return {
    id: r.task_id,
    kind: r.kind || "cancellation",
    action,
    convertedFrom: r.converted_from || null,
    status: r.status,
    reason: r.reason_code,
    description: r.description || "",
    orderAmount: r.order_amount ?? null,
    requestedAmount: r.requested_amount ?? null,
    amount: r.requested_amount ?? r.order_amount ?? null,
    refundTo: r.refund_to || "original",
    urgent: r.priority_class === 0,
    escalated: !!r.escalated,
    strict: !!r.strict_review,
    risk: {
      windowDays: risk.window_days ?? null,
      orders: risk.orders ?? null,
      requests: risk.cancellation_requests ?? null,
      flagged: !!risk.flagged,
    },
    decisionDue: r.decision_due || null,
    firstResponseDue: r.first_response_due || null,
    firstResponseAt: r.first_response_at || null,
    slaRemainingMs: r.sla_remaining_ms ?? null,
    leaseHolder: r.lease_holder || null,
    leaseUntil: r.lease_until || null,
    seniorOnly: !!r.senior_only,
    rejectedBy: r.rejected_by || null,
    customerId: r.customer_id,
    orderId: r.order_id,
    requestId: r.request_id,
    productType: r.product_type,
    evidenceKeys: r.evidence || [],
    outcome: r.outcome || null,
    decidedBy: r.decided_by || null,
    decidedAt: r.decided_at || null,
    note: r.note || null,
    infoRequest: r.info_request || null,
    refundAmount: r.refund_amount ?? null,
    answers: (r.answers || []).map((a) => ({ at: a.at, text: a.text || "", evidence: a.evidence || [] })),
    refundId: r.refund_id || null,
    // Whether a partial amount may be refunded is the API's rule (domain/options.py), not ours.
    partialAllowed: !!r.partial_amount_allowed,
  };
}

function adaptOrder(o) {
  if (!o) return null;
  return {
    id: o.order_id,
    status: o.status,
    productId: o.product_id,
    productType: o.product_type,
    amount: o.amount ?? null,
    paid: o.paid_amount ?? null,
    refunded: o.refunded_amount ?? null,
    refundable: o.refundable ?? (o.paid_amount ?? 0) - (o.refunded_amount ?? 0),
    channel: o.payment_channel || null,
    createdAt: o.created_at || null,
    paidAt: o.paid_at || null,
    deliveredAt: o.delivered_at || null,
    held: !!o.open_request_id || !!o.held,
    // a stop on a delivering order asked fulfilment to abort: nothing to decide until it answers
    abortRequestedAt: o.abort_requested_at || null,
    target: o.target || null,
  };
}

function adaptEntry(e) {
  return {
    at: e.at,
    event: e.event,
    actor: e.actor,
    actorId: e.actor_id || null,
    reason: e.reason || null,
    from: e.from_status || null,
    to: e.to_status || null,
    detail: e.detail || {},
  };
}

// Only web links become <img src>/<a href>: never a javascript: or data: URL from a response.
const safeUrl = (u) => (typeof u === "string" && /^https?:\/\//i.test(u) ? u : null);

function adaptEvidence(e) {
  if (typeof e === "string") return { key: e, url: null };
  return { key: e.key || e.object_key || "", url: safeUrl(e.url || e.download_url) };
}

function adaptRecent(o) {
  return { orderId: o.order_id, status: o.status, amount: o.amount ?? null, at: o.created_at || o.at || null };
}

export function adaptDetail(json, date) {
  const rawTask = json.task || json;
  const task = adaptTask(rawTask);
  const customer = json.customer || {};
  const rawEvidence = json.evidence || json.evidence_urls || rawTask.evidence_urls || [];
  return {
    task,
    order: adaptOrder(json.order),
    timeline: (json.timeline || json.history || []).map(adaptEntry),
    // "the customer's recent history": the risk window's figures, plus recent orders if sent
    recent: (customer.recent_orders || json.recent_orders || []).map(adaptRecent),
    risk: json.risk ? { ...adaptTask({ risk: json.risk }).risk, flagged: !!(json.risk.flagged || json.risk.high_risk) } : task.risk,
    request: adaptRequest(json.request),
    evidence: rawEvidence.length ? rawEvidence.map(adaptEvidence) : task.evidenceKeys.map(adaptEvidence),
    now: serverNow(json, date),
  };
}

function adaptRequest(q) {
  if (!q) return { appealText: null, rejectionNote: null, rejectedBy: null, dueAt: null };
  return {
    dueAt: q.due_at || null, // while an abort waits: when fulfilment's answer is due
    appealText: (q.appeal && q.appeal.text) || null,
    rejectionNote: q.appeal_used ? q.decision_note || null : null,
    rejectedBy: q.rejected_by || null,
  };
}

export function adaptKey(k) {
  return {
    id: k.key_id,
    productId: k.product_id,
    orderId: k.order_id || null,
    status: k.status,
    since: k.quarantined_at || null,
  };
}

const RETRYABLE = ["failed", "needs_attention", "needs_customer_action"];

export function adaptRefund(r) {
  return {
    id: r.refund_id,
    orderId: r.order_id,
    customerId: r.customer_id,
    amount: r.amount,
    channel: r.channel,
    status: r.status,
    attempts: r.attempts ?? 0,
    failures: r.failures ?? 0,
    slaDue: r.sla_due_at || null,
    overdue: !!r.overdue,
    lastError: r.last_error || null,
    providerStatus: r.provider_status || null,
    updatedAt: r.updated_at || null,
    createdAt: r.created_at || null,
    chasedAt: r.chased_at || null,
    chases: r.chases ?? 0,
    retryable: RETRYABLE.includes(r.status),
  };
}

function threadPath(orderId, subjectId) {
  return `/v1/orders/${encodeURIComponent(orderId)}/threads/${encodeURIComponent(subjectId)}`;
}

function adaptThreadSummary(x) {
  return {
    subjectId: x.subject_id,
    orderId: x.order_id,
    customerId: x.customer_id,
    priority: Boolean(x.priority),
    awaitingSince: x.awaiting_since,
    answerDue: x.answer_due,
    escalations: x.escalations || 0,
  };
}

function adaptThread(x) {
  return {
    subjectId: x.subject_id,
    orderId: x.order_id,
    priority: Boolean(x.priority),
    awaiting: Boolean(x.awaiting_answer),
    answerDue: x.answer_due || null,
    escalated: Boolean(x.escalated),
    customerReadAt: x.customer_read_at || null,
    messages: (x.messages || []).map((m) => ({
      id: m.message_id,
      author: m.author,
      role: m.role,
      authorId: m.author_id || null,
      text: m.text,
      at: m.at,
      source: m.source,
    })),
  };
}
