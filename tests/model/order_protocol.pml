/*
 * The order protocol of cancelflow as a Promela model (issue 17, item 7).
 * Run by tests/model/test_spin.py (make test); how to run it by hand: docs/domain.md, "Model check".
 *
 * One order (amount 2) with 2 card keys reserved at creation, at most 2 payments (each of the
 * right or a wrong amount, early or late), and the actors that write to it concurrently: the
 * customer, the payment service, fulfilment (and the order service's handler of its `aborted`
 * answers, platform/abort_answer.py), review intake, the reviewer, the schedules (clock, expiry,
 * completion, review SLA) and support. `spin -a` + `./pan` explore every interleaving.
 *
 * How the code is modelled. Every write of the code is one transaction whose condition is the
 * version and status it read (store/orders/changes.py, Change.ops): either nothing changed since
 * the read, and the write acts on exactly what it read, or it is refused (CONFLICT) and the
 * caller decides again on what is stored. So each write is ONE atomic step here, guarded by the
 * stored state at the moment of writing; a lost condition is a step that does nothing (or is
 * not enabled). What is NOT one transaction is modelled as separate steps: fulfilment's work
 * upstream (reading the keys, pushing the value) between its writes, a refund attempt (claim,
 * provider call, record), and messages sent after a commit (which a dying function can lose).
 *
 * Two checks, one file. Refund attempts touch only refund items, and nothing on the order's
 * side reads a refund's status (what is refundable is the order's refunded_amount, claimed when
 * a refund is created), so the two sides interleave without affecting each other and are
 * checked apart (the product of both is too large to explore on two cores):
 *   - the order protocol (default): every refund the order's side creates, with its trade and
 *     amount; invariant: per trade, the refunds created add up to what the trade has refunded,
 *     which is at most what it paid;
 *   - the refund attempts (-DREFUND_ATTEMPTS): one refund, two workers (a lease that runs out
 *     lets a second attempt overlap the first), the provider's duplicated callbacks, support's
 *     retry; invariant: the provider pays it at most once, and only a paid refund succeeds.
 * Together: what is paid back on a trade is at most what was refunded on it, at most what it
 * paid.
 *
 * Tags in the comments:
 *   [code]      what today's code does (the module named);
 *   [model]     a choice the issue leaves open, made here so the protocol is closed (say so
 *               in the review if you choose otherwise, and change the model with it).
 *
 * Compile-time switches (spin -D...):
 *   REFUND_ATTEMPTS            the refund check (above) instead of the order check.
 *   PEOPLE_MAY_STOP            the reviewer, the customer and fulfilment may stop acting for
 *                              ever: the liveness of holds must not rest on people (weak
 *                              fairness would otherwise force the reviewer to decide).
 *   MAX_ACTS=n                 the customer's submissions (default 4).
 * Broken variants, each of which the check must fail:
 *   BROKEN_RELEASE_READ_KEYS   a cancellation releases every reserved key to `available`,
 *                              whether or not fulfilment read it (release_ops before quarantine):
 *                              a read key is available again.
 *   BROKEN_NO_ABORT_HANDSHAKE  no abort handshake: a stop-delivery is decided by the reviewer,
 *                              whose approval cancels a delivering order at once (approve_cancel
 *                              before the handshake): the value moves upstream while the order is
 *                              cancelled and refunded (or a read key is released).
 *   BROKEN_PROVIDER_NO_DEDUP   (with REFUND_ATTEMPTS) the provider pays every submit, not once
 *                              per refund number: paid twice (a lease that ran out let a second
 *                              attempt query "not found" and submit while the first's submit was
 *                              in flight), so the refund number is what makes retries safe.
 *   BROKEN_NO_ESCALATION       the review SLA sweep never escalates: with PEOPLE_MAY_STOP a held
 *                              order waits for ever (held_decided_or_escalated fails).
 *
 * Invariants: the monitor proctype Invariants (safety, every reachable state), the assertions
 * in the steps (transitions, refunds within what is left), and the ltl blocks at the end
 * (liveness, with weak fairness: pan -a -f -N <name>).
 */

/* ---------------------------------------------------------------- values */

/* order status (domain/states.py) */
#define PENDING     1
#define PAID        2
#define DELIVERING  3
#define DELIVERED   4
#define COMPLETED   5
#define CANCELLED   6

/* key status (store/stock.py; QUAR and VOID: quarantine, store/quarantine.py) */
#define K_AVAIL 1
#define K_RES   2
#define K_QUAR  3
#define K_DELIV 4
#define K_VOID  5

/* request status (store/requests.py) */
#define R_NONE      0
#define R_REVIEW    1
#define R_INFO      2
#define R_APPROVED  3
#define R_REJECTED  4
#define R_AUTO      5
#define R_WITHDRAWN 6

/* what a request asks (domain/actions.py): a cancellation of a paid order, a stop of a
   delivering one, or a refund of goods whose value moved (appeal / after-sales) */
#define A_REQUEST 1
#define A_STOP    2
#define A_REFUND  3

/* review task (review/tasks.py) */
#define T_NONE    0
#define T_OPEN    1
#define T_WAITING 2
#define T_DONE    3

/* refund status (store/refunds/records.py) */
#define F_NONE    0
#define F_PENDING 1
#define F_PROC    2
#define F_OK      3
#define F_FAILED  4
#define F_ATTN    5

/* what a provider call comes back with (refunds/model.py Outcome, folded) */
#define RES_OK      1
#define RES_UNKNOWN 2
#define RES_RETRY   3

/* fulfilment's own progress (not stored: what fulfilment knows) */
#define PH_IDLE    0
#define PH_STARTED 1  /* delivering: stock locked */
#define PH_READ    2  /* the key secrets read (to send / show / push upstream) */
#define PH_PUSHED  3  /* value moved upstream: irreversible */
#define PH_DONE    4
#define PH_STOPPED 5  /* [code] answered `aborted`: will never push */

#define AMOUNT   2    /* the order's amount */
#define WRONG    1    /* a payment of another amount */
#define NPAY     2
#define NR       4    /* refunds: total paid is at most 4 and each refund is at least 1 */
#ifndef MAX_ACTS
#define MAX_ACTS 4    /* the customer's submissions */
#endif
#define MAX_STARTS 2  /* fulfilment's tries (a failed delivery goes back to paid) */
#define MAX_ATTEMPTS 3
#define MAX_FAILURES 2
#define MAX_CALLBACKS 2

#define IMPLIES(a, b) (!(a) || (b))

/* ---------------------------------------------------------------- stored state */

/* the order item (domain/models.py Order) */
byte ost = PENDING;
bool stock_locked;
bool ever_delivering;     /* delivery_started_at is set: kept by fail_delivery */
bool ever_delivered;      /* the order was stored delivered once */
byte applied = NPAY;      /* the applied payment (trade), NPAY: none */
byte paid_amount;         /* every trade's amount */
byte refunded_amount;     /* claimed by every refund created */
bool held;                /* open_request_id: the one request below holds the order */
bool rejection;           /* a rejection stands on the order ... */
bool rej_cancel;          /* ... of a cancellation (request/stop; else of a refund ask) */
bool abort_req;           /* [code] order.abort_requested_at: fulfilment told */

/* the trades: one per payment that arrived (store/payments.py) */
bool seen[NPAY];          /* the payment record PAY#<id>, written once */
byte tamt[NPAY];
byte trefunded[NPAY];

/* the keys (store/stock.py), all reserved for the order at creation */
byte key[2] = K_RES;

/* the request (one at a time; a new one replaces a settled one) and its review task */
byte rstat = R_NONE;
byte rkind;
bool appeal_used;         /* its one appeal against a rejection */
bool info_asked;          /* need_info asked once (bounds the model) */
byte task = T_NONE;
bool escalated;

/* the refunds (store/refunds) and what the provider knows of them */
byte nref;
byte fst[NR];
byte ftr[NR];             /* the trade it goes back on */
byte famt[NR];
byte fatt[NR];            /* claims so far */
byte ffail[NR];           /* consecutive failures */
bool flease[NR];          /* a live lease (processing) */
bool prov_has[NR];        /* the provider took this refund number */
byte payouts[NR];         /* money the provider moved for it (times) */

/* messages sent after a commit (SQS): the function may die before sending */
bool review_msg;          /* the review queue's message for the request */
bool abort_msg;           /* [code] the abort request to fulfilment */
byte lost;                /* sends lost so far (bounded) */
bool aborted_answer;      /* [code] fulfilment's `aborted`, on its way to the order */
bool fulfilment_up = true; /* false: fulfilment hung (stopped acting) */

/* what happened outside the table (only invariants read these) */
bool value_moved;         /* a key sent / shown, or a top-up pushed upstream */
bool key_read[2];         /* fulfilment read the key's secret */
byte tout[NPAY];          /* money paid back per trade */

/* time: flags the clock sets (monotone, except the review due time a sweep moves on) */
bool deadline_passed;     /* the payment deadline */
bool window_passed;       /* the auto-approval window after payment */
bool review_due;          /* the request's review is due */
bool confirm_ended;       /* the confirmation window after delivery */

/* scratch inside one atomic step (not part of the state) */
hidden byte want_;
hidden byte amt_;

/* ---------------------------------------------------------------- writes */

#define PENDING_REVIEW (rstat == R_REVIEW || rstat == R_INFO)
#define REFUNDABLE (paid_amount - refunded_amount)

/* [code] domain/states.py TRANSITIONS: the only moves any write makes */
inline goto_status(to) {
  assert((ost == PENDING && (to == PAID || to == CANCELLED)) ||
         (ost == PAID && (to == DELIVERING || to == CANCELLED)) ||
         (ost == DELIVERING && (to == DELIVERED || to == PAID || to == CANCELLED)) ||
         (ost == DELIVERED && to == COMPLETED));
  ost = to;
  if
  :: to == DELIVERED -> ever_delivered = true
  :: else -> skip
  fi
}

/* [code] store/orders/changes.py release_ops: a reserved key back to stock.
   [code] quarantine (domain/quarantine.py, store/quarantine.py quarantine_op): the keys of an
   order that reached `delivering` (fulfilment may have read them) are never made available by
   a cancellation: they go to `quarantined`, and support releases or voids them. Decided on delivery_started_at (sticky), not on the status
   or stock_locked: a failed delivery goes back to paid with stock_locked false, and the
   keys it read must still be quarantined. */
inline cancel_key(k) {
  if
  :: key[k] == K_RES ->
#ifdef BROKEN_RELEASE_READ_KEYS
     key[k] = K_AVAIL
#else
     if
     :: ever_delivering -> key[k] = K_QUAR
     :: else -> key[k] = K_AVAIL
     fi
#endif
  :: else -> skip
  fi
}

/* [code] store/refunds/owed.py owe -> records.create: one refund of amt_ on trade t, in the
   transaction of the change that owes it (the order's books raised with it) */
inline owe(t) {
  assert(nref < NR);
  fst[nref] = F_PENDING;
  ftr[nref] = t;
  famt[nref] = amt_;
  trefunded[t] = trefunded[t] + amt_;
  refunded_amount = refunded_amount + amt_;
  nref++
}

/* [code] Order.refund_slices: what is left of trade t, at most want_ */
inline slice(t) {
  if
  :: want_ > 0 && seen[t] && tamt[t] > trefunded[t] ->
     amt_ = tamt[t] - trefunded[t];
     if
     :: amt_ > want_ -> amt_ = want_
     :: else -> skip
     fi;
     owe(t);
     want_ = want_ - amt_
  :: else -> skip
  fi
}

/* a refund of want_ over the trades: the applied trade first, then the others in arrival
   order; never more than is left (owe refuses: here an assertion) */
inline refund_order() {
  if
  :: applied < NPAY -> slice(applied)
  :: else -> skip
  fi;
  if
  :: applied != 0 -> slice(0)
  :: else -> skip
  fi;
  if
  :: applied != 1 -> slice(1)
  :: else -> skip
  fi;
  assert(want_ == 0);
  amt_ = 0
}

/* [code] store/orders/cancellations.py _cancel: cancelled, stock unlocked, keys released */
inline cancel_order() {
  goto_status(CANCELLED);
  stock_locked = false;
  cancel_key(0);
  cancel_key(1)
}

/* [code] cancel_with_refunds: cancelled with a full refund, the hold lifted */
inline cancel_with_refund() {
  cancel_order();
  want_ = REFUNDABLE;
  refund_order();
  held = false
}

/* a request that holds the order for review, and its message to the review queue
   (store/requests.py open_for_review; cancel/submit_cancellation.py sends after the commit) */
inline open_request(kind) {
  held = true;
  rkind = kind;
  rstat = R_REVIEW;
  appeal_used = false;
  info_asked = false;
  task = T_NONE;
  escalated = false;
  review_due = false;
  send_review()
}

inline send_review() {
  if
  :: review_msg = true
  :: lost < 1 -> lost++    /* the function died after the commit: no message */
  fi
}

/* an upheld appeal against a rejection removes the rejection (domain/appeals.py) */
inline decided(outcome) {
  if
  :: outcome == R_APPROVED && appeal_used -> rejection = false
  :: else -> skip
  fi;
  rstat = outcome;
  task = T_DONE
}

/* ---------------------------------------------------------------- the customer */

proctype Customer() {
  byte acts = 0;
end_c:
  do
  /* [code] self_cancel: unpaid, before its deadline: cancelled at once, keys released */
  :: atomic { acts < MAX_ACTS && ost == PENDING && !deadline_passed ->
       acts++;
       cancel_order() }

  /* [code] request on a paid order, not held, no rejection of a cancellation standing.
     Auto-approved (domain/auto_approval.py) inside the window with the stock not locked:
     cancelled with its full refund at once (cancel_auto_approved, conditional on
     stock_locked = false and no hold). Otherwise (after the window, or a high-risk customer:
     either way) held for review. */
  :: atomic { acts < MAX_ACTS && ost == PAID && !held && !(rejection && rej_cancel) ->
       acts++;
       if
       :: !window_passed && !stock_locked ->
          cancel_with_refund();
          rkind = A_REQUEST;
          rstat = R_AUTO;
          appeal_used = false;
          task = T_NONE
       :: true ->
          open_request(A_REQUEST)
       fi }

  /* stop_delivery on a delivering order: always reviewed.
     [code] (store/abort_requests.py) it also puts the order in abort-requested and tells fulfilment (a message
     after the commit, which may be lost: [model] the review SLA sweep sends it again). */
  :: atomic { acts < MAX_ACTS && ost == DELIVERING && !held && !(rejection && rej_cancel) ->
       acts++;
       open_request(A_STOP);
#ifndef BROKEN_NO_ABORT_HANDSHAKE
       abort_req = true;
       if
       :: abort_msg = true
       :: lost < 1 -> lost++
       fi
#endif
     }

  /* [code] appeal (delivered) or after-sales (completed): a refund, never a cancellation */
  :: atomic { acts < MAX_ACTS && (ost == DELIVERED || ost == COMPLETED) && !held &&
              REFUNDABLE > 0 && !(rejection && !rej_cancel) ->
       acts++;
       open_request(A_REFUND) }

  /* [code] cancel/appeal_rejection.py: once per request, the order held again (its write's
     condition: still rejected, appeal unused, no hold; NOT the order's status).
     Found by this model: a request rejected on a paid order whose delivery started since can
     be appealed while the order is delivering, so the appeal holds a delivering order and
     today an approval would cancel it while fulfilment pushes (as a stop does).
     [model] such an appeal is a stop: abort requested, fulfilment told (issue 17). */
  :: atomic { acts < MAX_ACTS && rstat == R_REJECTED && !appeal_used && ost != CANCELLED &&
              !held && REFUNDABLE > 0 ->
       acts++;
       held = true;
       rstat = R_REVIEW;
       appeal_used = true;
       info_asked = false;
       task = T_NONE;          /* a new task (kind rejection_appeal) from a new message */
       escalated = false;
       review_due = false;
       send_review();
       if
       :: ost == DELIVERING && rkind != A_REFUND ->
          rkind = A_STOP;
#ifndef BROKEN_NO_ABORT_HANDSHAKE
          abort_req = true;
          if
          :: abort_msg = true
          :: lost < 1 -> lost++
          fi
#endif
       :: else -> skip
       fi }

#ifdef PEOPLE_MAY_STOP
  /* the customer may walk away at any time (and never answer a question) */
  :: break
#endif

  /* [code] cancel/answer_question.py: the answer puts the task back in the pool */
  :: atomic { rstat == R_INFO && task == T_WAITING ->
       rstat = R_REVIEW;
       task = T_OPEN }

  /* [code] cancel/withdraw_request.py: withdraw a pending request: the hold lifts, the task
     closes, in one transaction conditional on the request still pending and the order held by
     it (a decision that won the race makes it REQUEST_NOT_PENDING).
     [model] not while an abort is requested: fulfilment has been told, and only its answer
     settles a stop (else an `aborted` would meet an order nobody holds). */
  :: atomic { held && PENDING_REVIEW && !abort_req ->
       held = false;
       rstat = R_WITHDRAWN;
       task = T_DONE }
  od
}

/* ---------------------------------------------------------------- the payment service */

/* [code] store/payments.py confirm_payment. Each payment id once (its record is written only
   if absent, so a replay, or the same payment twice at once, reads it and writes nothing: no
   step here). An unpaid order past its deadline is expired first (its own write), then the
   payment is decided again on the cancelled order. A payment that cannot be applied (late,
   duplicate, wrong amount) is taken in and refunded in full on its own trade, in the same
   transaction. */
proctype Payments() {
  byte p = 0;
  byte amount;
end_p:
  do
  :: atomic { p < NPAY && ost == PENDING && deadline_passed ->
       cancel_order() }              /* expire_order (the system, payment_timeout) */
  :: atomic { p < NPAY && !(ost == PENDING && deadline_passed) ->
       if
       :: amount = AMOUNT
       :: amount = WRONG
       fi;
       seen[p] = true;
       tamt[p] = amount;
       paid_amount = paid_amount + amount;
       if
       :: ost == PENDING && amount == AMOUNT ->
          goto_status(PAID);
          applied = p
       :: else ->
          amt_ = amount;
          owe(p);
          amt_ = 0
       fi;
       amount = 0;
       p++ }
  od
}

/* ---------------------------------------------------------------- fulfilment */

/* [code] complete_delivery: keys delivered, the order delivered (conditional on delivering).
   [code] (store/orders/lifecycle.py) while an abort is requested it is accepted only as the `delivered` answer: the
   abort is over and the stop request becomes an appeal (still held, reviewed as one). */
inline complete_delivery() {
  if
  :: ost == DELIVERING ->
     goto_status(DELIVERED);
     key[0] = K_DELIV;
     key[1] = K_DELIV;
     stock_locked = false;
     if
     :: abort_req ->
        abort_req = false;
        rkind = A_REFUND
     :: else -> skip
     fi
  :: else -> skip                  /* CONFLICT: the order is no longer delivering */
  fi;
  phase = PH_DONE
}

/* [code] store/orders/lifecycle.py start_delivery / complete_delivery / fail_delivery, and
   fulfilment's own work upstream in between (not a write of ours: it acts on what it knows).
   [code] (platform/fulfil_order.py, abort_answer.py) the abort handshake: told of an abort, fulfilment answers `aborted` if the value
   has not moved (and then never pushes it), else `delivered` (its complete). */
proctype Fulfilment() {
  byte phase = PH_IDLE;
  byte starts = 0;
end_f:
  do
#ifdef PEOPLE_MAY_STOP
  /* fulfilment may hang for ever, wherever it is (the abort's liveness assumes it does not) */
  :: fulfilment_up = false; break
#endif

  /* start: paid and not held (the write's condition: attribute_not_exists(open_request_id)) */
  :: atomic { phase == PH_IDLE && starts < MAX_STARTS && ost == PAID && !held ->
       goto_status(DELIVERING);
       stock_locked = true;
       ever_delivering = true;
       starts++;
       phase = PH_STARTED }

  /* upstream: the key secrets are read to be sent or shown */
  :: atomic { phase == PH_STARTED ->
       key_read[0] = true;
       key_read[1] = true;
       phase = PH_READ }

  /* upstream: the value moves (the key reaches the customer, the top-up succeeds) */
  :: atomic { phase == PH_READ ->
       value_moved = true;
       phase = PH_PUSHED }

  /* complete_delivery (above) */
  :: atomic { phase == PH_PUSHED -> complete_delivery() }

  /* fail_delivery: the value did not move; back to paid, keys still reserved, to be retried.
     [code] while an abort is requested a failure is the `aborted` answer. */
  :: atomic { (phase == PH_STARTED || phase == PH_READ) ->
       if
       :: ost == DELIVERING && !abort_req ->
          goto_status(PAID);
          stock_locked = false;
          phase = PH_IDLE
       :: ost == DELIVERING && abort_req ->
          aborted_answer = true;
          phase = PH_STOPPED
       :: ost != DELIVERING ->
          phase = PH_IDLE
       fi }

#ifndef BROKEN_NO_ABORT_HANDSHAKE
  /* [code] the abort request arrives (again, maybe: answered each time) */
  :: atomic { abort_msg ->
       abort_msg = false;
       if
       :: phase == PH_STARTED || phase == PH_READ || phase == PH_STOPPED ->
          aborted_answer = true;
          phase = PH_STOPPED
       :: phase == PH_PUSHED ->
          complete_delivery()        /* pushed: the `delivered` answer is its complete */
       :: else -> skip               /* done: it was answered by the complete */
       fi }

#endif
  od
}

/* [code] (platform/abort_answer.py, store/aborts.py) the order service's handler of fulfilment's `aborted` answer (a message: its own
   actor): the order cancelled and refunded in full at once, no reviewer; the stop request
   decided, its task closed, the hold lifted. Conditional on the order still delivering with
   the abort requested (a repeated answer does nothing). */
proctype AbortAnswers() {
end_aa:
  do
  :: atomic { aborted_answer ->
       aborted_answer = false;
       if
       :: ost == DELIVERING && abort_req ->
          abort_req = false;
          cancel_with_refund();
          decided(R_APPROVED)
       :: else -> skip
       fi }
  od
}

/* ---------------------------------------------------------------- review */

/* [code] review/intake.py: one task per message; a cancel or stop whose order was delivered
   meanwhile becomes an appeal; a message of a settled request is ignored */
proctype Intake() {
end_i:
  do
  :: atomic { review_msg ->
       review_msg = false;
       if
       :: PENDING_REVIEW && task == T_NONE ->
          task = T_OPEN;
          if
          :: rkind != A_REFUND && (ost == DELIVERED || ost == COMPLETED) -> rkind = A_REFUND
          :: else -> skip
          fi
       :: else -> skip
       fi }
  od
}

/* [code] review/decisions.py + store/review_decisions.py: each decision one transaction on
   the task (leased), the request (under review) and the order (held by this request).
   Leases and senior-only are not modelled: one reviewer stands for every reviewer. */
proctype Reviewer() {
end_r:
  do
  /* approve a paid order: cancelled with its full refund, keys released, hold lifted */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && ost == PAID ->
       cancel_with_refund();
       decided(R_APPROVED) }

#ifdef BROKEN_NO_ABORT_HANDSHAKE
  /* [code] today approval also cancels a delivering order (approve_cancel), whatever
     fulfilment is doing upstream at that moment */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && ost == DELIVERING ->
       cancel_with_refund();
       decided(R_APPROVED) }
#endif
  /* [code] (review/claims.py passes it by; decisions refuse ABORT_PENDING) a delivering order held by a stop is not decided by a reviewer: fulfilment's
     answer decides it (no step here). */

  /* value moved before the decision: a cancel or stop becomes an appeal, decided again */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && rkind != A_REFUND &&
              (ost == DELIVERED || ost == COMPLETED) ->
       rkind = A_REFUND }

  /* approve a refund ask (appeal, after-sales): part or all of what is left, no cancel */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && rkind == A_REFUND &&
              (ost == DELIVERED || ost == COMPLETED) ->
       assert(REFUNDABLE > 0);       /* a held refund ask always has something to refund */
       if
       :: want_ = REFUNDABLE
       :: REFUNDABLE > 1 -> want_ = 1
       fi;
       refund_order();
       held = false;
       decided(R_APPROVED) }

  /* reject: the rejection stands on the order, the hold lifts (delivery goes on) */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && !abort_req ->
       held = false;
       rejection = true;
       rej_cancel = (rkind != A_REFUND);
       decided(R_REJECTED) }

#ifdef PEOPLE_MAY_STOP
  /* people need not act: the reviewer may never decide (so weak fairness cannot force a
     decision; only the machinery, intake and the schedules, is relied on) */
  :: break
#endif

  /* need_info: the task waits for the customer, the request stays due (by the answer time) */
  :: atomic { task == T_OPEN && rstat == R_REVIEW && held && !abort_req && !info_asked ->
       info_asked = true;
       rstat = R_INFO;
       task = T_WAITING;
       review_due = false }
  od
}

/* ---------------------------------------------------------------- schedules */

/* The clock and the sweeps (sweeps/expiry.py, review/sla.py, sweeps/completion.py), one process: each sweep step is a conditional write like any other. */
proctype Schedules() {
end_s:
  do
  :: atomic { !deadline_passed && ost == PENDING -> deadline_passed = true }
  :: atomic { !window_passed && applied < NPAY -> window_passed = true }
  :: atomic { !confirm_ended && ost == DELIVERED -> confirm_ended = true }
  :: atomic { !review_due && PENDING_REVIEW -> review_due = true }

  /* [code] expiry: an unpaid order past its deadline, cancelled by the system */
  :: atomic { ost == PENDING && deadline_passed -> cancel_order() }

  /* [code] (the completion sweep) completion: delivered -> completed when the confirmation window ends */
  :: atomic { ost == DELIVERED && confirm_ended -> goto_status(COMPLETED) }

  /* [code] review SLA (review/sla.py escalate_overdue): the due time moves on by one window;
     no task yet: the message again; an escalated task not waiting: nothing more; otherwise
     escalated (urgent, senior-only, back in the open pool; a waiting one is due at once).
     [model] a stop whose abort is still requested also has its abort request sent again
     (the first may have been lost after the commit, like a review message). */
  :: atomic { review_due && PENDING_REVIEW ->
       review_due = false;
       if
       :: task == T_NONE -> review_msg = true
       :: task != T_NONE && escalated && task != T_WAITING -> skip
       :: task != T_NONE && !(escalated && task != T_WAITING) ->
#ifndef BROKEN_NO_ESCALATION
          escalated = true;
#endif
          if
          :: task == T_WAITING -> task = T_OPEN; rstat = R_REVIEW
          :: else -> skip
          fi
       fi;
       if
       :: abort_req -> abort_msg = true
       :: else -> skip
       fi }
  od
}

/* ---------------------------------------------------------------- refunds */

/* [code] refunds/results.py plan/record: the provider's word applied to the refund as stored
   (a lost race re-reads and re-plans, which is the same as deciding on what is stored). */
inline record(r, res) {
  if
  :: fst[r] == F_OK -> skip
  :: fst[r] != F_OK && res == RES_OK ->
     assert(prov_has[r]);            /* success only from the provider that took it */
     fst[r] = F_OK;
     flease[r] = false
  :: fst[r] == F_PROC && res != RES_OK ->
     ffail[r]++;
     flease[r] = false;
     if
     :: ffail[r] >= MAX_FAILURES -> fst[r] = F_ATTN
     :: else -> fst[r] = F_FAILED
     fi
  :: fst[r] != F_OK && fst[r] != F_PROC && res != RES_OK -> skip   /* not in flight */
  fi
}

#define CLAIMABLE(r) ((fst[r] == F_PENDING || fst[r] == F_FAILED || (fst[r] == F_PROC && !flease[r])) \
                      && fatt[r] < MAX_ATTEMPTS)

/* the provider takes a refund number: money moves once per number (Alipay out_request_no,
   WeChat Pay out_refund_no) */
inline provider_takes(r) {
#ifdef BROKEN_PROVIDER_NO_DEDUP
  prov_has[r] = true;
  payouts[r]++;
  tout[ftr[r]] = tout[ftr[r]] + famt[r]
#else
  if
  :: !prov_has[r] ->
     prov_has[r] = true;
     payouts[r]++;
     tout[ftr[r]] = tout[ftr[r]] + famt[r]
  :: else -> skip
  fi
#endif
}

/* [code] refunds/worker.py process: claim (a conditional transition with a lease), ask the
   provider (only the very first attempt submits blind; every later one queries first), record
   the answer. Two workers: a lease that runs out lets a second attempt overlap the first. */
proctype Worker() {
  byte r;
  byte res;
  bool first;
end_w:
  do
  :: atomic {
       CLAIMABLE(0) -> r = 0;
       first = (fatt[r] == 0);
       fst[r] = F_PROC;
       fatt[r]++;
       flease[r] = true };
     /* the provider call (execute): not a write of ours, so its own step */
     atomic {
       if
       :: first ->
          if
          :: provider_takes(r);
             if
             :: res = RES_OK
             :: res = RES_UNKNOWN            /* a timeout that hid the acceptance */
             fi
          :: res = RES_RETRY                 /* refused for now: nothing taken */
          fi
       :: !first && prov_has[r] ->
          if
          :: res = RES_OK                    /* the query finds it: no submit */
          :: res = RES_UNKNOWN               /* the query timed out: no submit */
          fi
       :: !first && !prov_has[r] ->
          if
          :: provider_takes(r);              /* not found: submitted, same number */
             if
             :: res = RES_OK
             :: res = RES_UNKNOWN
             fi
          :: res = RES_RETRY
          :: res = RES_UNKNOWN               /* the query timed out: no submit */
          fi
       fi };
     atomic {
       record(r, res);
       r = 0;
       res = 0;
       first = false }
  od
}

/* the provider's success callbacks (verified; applied in any state but succeeded), each
   refund's maybe twice */
proctype Provider() {
  byte n = 0;
end_pv:
  do
  :: atomic { n < MAX_CALLBACKS && prov_has[0] -> n++; record(0, RES_OK) }
  od
}

/* [code] store/quarantine.py settle: support releases or voids a quarantined key (conditional on
   it being quarantined still: one decision per key). [model] released only once support
   has verified with fulfilment that its secret was never read; otherwise voided. */
proctype KeySupport() {
end_ks:
  do
  :: atomic { key[0] == K_QUAR && !key_read[0] -> key[0] = K_AVAIL }
  :: atomic { key[0] == K_QUAR -> key[0] = K_VOID }
  :: atomic { key[1] == K_QUAR && !key_read[1] -> key[1] = K_AVAIL }
  :: atomic { key[1] == K_QUAR -> key[1] = K_VOID }
  od
}

/* [code] refunds/support.py retry: needs_attention -> pending, failures reset (once here) */
proctype RefundSupport() {
  bool retried = false;
end_rs:
  do
  :: atomic { !retried && fst[0] == F_ATTN -> retried = true; fst[0] = F_PENDING; ffail[0] = 0 }
  od
}

/* a refund worker's lease runs out (it died, or is just slow) */
proctype Leases() {
end_l:
  do
  :: atomic { fst[0] == F_PROC && flease[0] -> flease[0] = false }
  od
}

/* ---------------------------------------------------------------- invariants (safety) */

/* never delivered and cancelled: neither stored (delivered once, then cancelled) nor in fact
   (the value moved upstream while the order is cancelled and refunded) */
#define INV_NOT_DELIVERED_AND_CANCELLED \
  (ost != CANCELLED || (!value_moved && !ever_delivered))

/* a key's state fits the order's: reserved while live, delivered once delivered, never
   reserved for a cancelled order; and never available once its secret was read */
#define KEY_OK(k) ( \
  IMPLIES(ost == PENDING || ost == PAID || ost == DELIVERING, key[k] == K_RES) && \
  IMPLIES(ost == DELIVERED || ost == COMPLETED, key[k] == K_DELIV) && \
  IMPLIES(ost == CANCELLED, key[k] == K_AVAIL || key[k] == K_QUAR || key[k] == K_VOID) )
#define INV_KEYS_CONSERVED (KEY_OK(0) && KEY_OK(1))
#define INV_READ_KEY_NEVER_AVAILABLE \
  (!(key_read[0] && key[0] == K_AVAIL) && !(key_read[1] && key[1] == K_AVAIL))

/* money: per trade refunds claimed <= paid and paid back <= claimed; the order's books add up;
   refunded <= paid */
#define ON(r, t) (ftr[r] == t -> famt[r] : 0)
#define TRADE_OK(t) (trefunded[t] <= tamt[t] && tout[t] <= trefunded[t] && \
                     trefunded[t] == ON(0, t) + ON(1, t) + ON(2, t) + ON(3, t))
#define INV_REFUNDED_LE_PAID \
  (TRADE_OK(0) && TRADE_OK(1) && refunded_amount == trefunded[0] + trefunded[1] && \
   paid_amount == tamt[0] + tamt[1] && refunded_amount <= paid_amount)

/* no refund paid twice, and none marked succeeded without its money */
#define REFUND_OK(r) (payouts[r] <= 1 && IMPLIES(fst[r] == F_OK, payouts[r] == 1))
#define INV_NO_REFUND_TWICE (REFUND_OK(0) && REFUND_OK(1) && REFUND_OK(2) && REFUND_OK(3))

/* holds: exactly while a request is pending; a held order is never started by fulfilment
   (a delivering order is held only by a stop made after the start); never cancelled held.
   [code] an abort is requested only on a delivering order held by its stop. */
#define INV_HOLDS \
  (held == PENDING_REVIEW && IMPLIES(held && ost == DELIVERING, rkind == A_STOP) && \
   IMPLIES(ost == CANCELLED, !held) && \
   IMPLIES(abort_req, ost == DELIVERING && held && rkind == A_STOP))

active proctype Invariants() {
end_inv:
  do
  :: atomic { !INV_NOT_DELIVERED_AND_CANCELLED -> assert(INV_NOT_DELIVERED_AND_CANCELLED) }
  :: atomic { !INV_KEYS_CONSERVED -> assert(INV_KEYS_CONSERVED) }
  :: atomic { !INV_READ_KEY_NEVER_AVAILABLE -> assert(INV_READ_KEY_NEVER_AVAILABLE) }
  :: atomic { !INV_NO_REFUND_TWICE -> assert(INV_NO_REFUND_TWICE) }
  :: atomic { !INV_REFUNDED_LE_PAID -> assert(INV_REFUNDED_LE_PAID) }
  :: atomic { !INV_HOLDS -> assert(INV_HOLDS) }
  od
}

#ifndef REFUND_ATTEMPTS
init {
  atomic {
    run Customer();
    run Payments();
    run Fulfilment();
#ifndef BROKEN_NO_ABORT_HANDSHAKE
    run AbortAnswers();
#endif
    run Intake();
    run Reviewer();
    run Schedules();
    run KeySupport()
  }
}
#else
/* the refund check: one refund, as a cancellation of a paid order leaves it (every refund is
   alike to the workers: its trade and amount are fixed at creation) */
init {
  atomic {
    ost = CANCELLED;
    key[0] = K_AVAIL;
    key[1] = K_AVAIL;
    seen[0] = true;
    tamt[0] = AMOUNT;
    applied = 0;
    paid_amount = AMOUNT;
    amt_ = AMOUNT;
    owe(0);
    amt_ = 0;
    run Worker();
    run Worker();
    run Provider();
    run RefundSupport();
    run Leases()
  }
}
#endif

/* ---------------------------------------------------------------- liveness (pan -a -f) */

/* every held order is eventually decided (or withdrawn, or aborted) or escalated */
ltl held_decided_or_escalated { [] (held -> <> (!held || escalated)) }

/* [code] every abort request is eventually answered (aborted or delivered) */
ltl abort_answered { ([] fulfilment_up) -> [] (abort_req -> <> !abort_req) }
