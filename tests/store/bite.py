"""Proof that each guard test bites: ``python -m tests.store.bite [-v] [name ...]``.

For every clause below: copy ``layers/`` to a scratch directory, take the clause out of the
copy (a condition part becomes ``part OR attribute_exists(pk)``, true for any stored item,
so the write stays valid and only the guard is gone), run the clause's tests against the copy
(it comes first on ``PYTHONPATH``, ahead of the editable install) and expect them to FAIL.
The tests must pass on the untouched copy first. Nothing under ``layers/`` is ever written.
docs/guards.md lists the same clauses with what each protects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Clause:
    name: str
    path: str  # under layers/cancelflow/
    after: str  # an anchor (a def line): the clause is the first ``part`` after it
    part: str  # a condition, or one clause of it, exactly as written
    tests: tuple[str, ...]  # node ids under tests/store/

    def without(self, source: str, at: int) -> str:
        """The part at ``at``, no longer guarding anything: true for every stored item, and still
        using its placeholders (DynamoDB refuses unused expression values). Parenthesised inside
        a longer condition; not when it is a whole string (DynamoDB refuses redundant ones)."""
        whole = source[at - 1] == '"' and source[at + len(self.part)] == '"'
        loose = f"{self.part} OR attribute_exists(pk)"
        return loose if whole else f"({loose})"


NEW = "attribute_not_exists(pk)"  # a Put that must not overwrite


def tests(module: str, *names: str) -> tuple[str, ...]:
    return tuple(f"test_{module}_guards.py::test_{n}" for n in names)


CLAUSES: list[Clause] = [
    # ---------------------------------------------------------------- store/stock.py
    Clause(
        "stock.add_keys: key id new",
        "store/stock.py",
        "def add_keys",
        NEW,
        tests("stock", "re_adding_a_key_id_that_is_reserved_is_refused"),
    ),
    Clause(
        "stock.reserve_op: key available",
        "store/stock.py",
        "def reserve_op",
        "#s = :a",
        tests(
            "stock",
            "reserving_a_key_another_order_holds_is_refused",
            "reserving_a_delivered_key_is_refused",
        ),
    ),
    Clause(
        "stock.release_op: key reserved",
        "store/stock.py",
        "def release_op",
        "#s = :r",
        tests("stock", "releasing_a_delivered_key_is_refused"),
    ),
    Clause(
        "stock.release_op: this order's key",
        "store/stock.py",
        "def release_op",
        "order_id = :o",
        tests("stock", "releasing_a_key_reserved_by_another_order_is_refused"),
    ),
    Clause(
        "stock.deliver_op: key reserved",
        "store/stock.py",
        "def deliver_op",
        "#s = :r",
        tests("stock", "delivering_a_key_that_is_not_reserved_is_refused"),
    ),
    Clause(
        "stock.deliver_op: this order's key",
        "store/stock.py",
        "def deliver_op",
        "order_id = :o",
        tests("stock", "delivering_a_key_reserved_by_another_order_is_refused"),
    ),
    # ---------------------------------------------------------------- store/quarantine.py
    Clause(
        "quarantine.quarantine_op: key reserved",
        "store/quarantine.py",
        "def quarantine_op",
        "#s = :r",
        tests("quarantine", "quarantining_a_delivered_key_is_refused"),
    ),
    Clause(
        "quarantine.quarantine_op: this order's key",
        "store/quarantine.py",
        "def quarantine_op",
        "order_id = :o",
        tests("quarantine", "quarantining_a_key_another_order_holds_is_refused"),
    ),
    Clause(
        "quarantine.settle: key quarantined still",
        "store/quarantine.py",
        "def _settle_op",
        "#s = :q",
        tests("quarantine", "a_decision_on_a_key_voided_since_the_read_is_refused"),
    ),
    Clause(
        "quarantine.settle: from the order read",
        "store/quarantine.py",
        "def _settle_op",
        "order_id = :o",
        tests("quarantine", "a_decision_on_a_key_quarantined_from_another_order_since_the_read_is_refused"),
    ),
    Clause(
        "quarantine.settle: the quarantine read",
        "store/quarantine.py",
        "def _settle_op",
        "quarantined_at = :qa",
        tests("quarantine", "a_decision_on_a_key_quarantined_again_since_the_read_is_refused"),
    ),
    # ---------------------------------------------------------------- store/orders/
    Clause(
        "orders.Change: version read",
        "store/orders/changes.py",
        "def ops",
        "#cv = :cv",
        tests("order", "a_change_decided_on_an_older_version_is_refused"),
    ),
    Clause(
        "orders.Change: status read",
        "store/orders/changes.py",
        "def ops",
        "#cs = :cs",
        tests("order", "a_change_decided_on_another_status_is_refused"),
    ),
    Clause(
        "orders.create_order: order id new",
        "store/orders/lifecycle.py",
        "def create_order",
        NEW,
        tests("order", "creating_an_order_with_an_id_in_use_is_refused"),
    ),
    Clause(
        "orders.start_delivery: not held",
        "store/orders/lifecycle.py",
        "def start_delivery",
        "attribute_not_exists(open_request_id)",
        tests("order", "starting_delivery_of_an_order_a_request_holds_is_refused"),
    ),
    Clause(
        "orders.self_cancel: before the deadline",
        "store/orders/cancellations.py",
        "def self_cancel",
        "payment_deadline > :now",
        tests("order", "a_customer_cancel_after_the_payment_deadline_is_refused"),
    ),
    Clause(
        "orders.expire_order: after the deadline",
        "store/orders/cancellations.py",
        "def expire_order",
        "payment_deadline <= :now",
        tests("order", "expiring_an_order_before_its_payment_deadline_is_refused"),
    ),
    # ---------------------------------------------------------------- store/payments.py
    Clause(
        "payments: payment id new",
        "store/payments.py",
        "def _payment_item",
        NEW,
        tests("payment", "a_payment_id_recorded_for_one_order_is_not_applied_to_another"),
    ),
    Clause(
        "payments.confirm_payment: before the deadline",
        "store/payments.py",
        "def confirm_payment",
        "payment_deadline > :now",
        tests("payment", "a_payment_after_the_deadline_is_not_applied"),
    ),
    # ---------------------------------------------------------------- store/history.py, requests.py
    Clause(
        "history.entry_put: entry new",
        "store/history.py",
        "def entry_put",
        NEW,
        tests("order", "a_history_entry_is_written_once"),
    ),
    Clause(
        "requests.put_op: request id new",
        "store/requests.py",
        "def put_op",
        NEW,
        tests("request", "a_request_id_in_use_is_not_overwritten"),
    ),
    Clause(
        "requests.open_for_review: not held",
        "store/requests.py",
        "def open_for_review",
        "attribute_not_exists(open_request_id)",
        tests("request", "opening_a_review_on_an_order_already_held_is_refused"),
    ),
    # ---------------------------------------------------------------- refunds
    Clause(
        "refunds.create: refund id new",
        "store/refunds/records.py",
        "def create",
        NEW,
        tests("refund", "a_refund_id_in_use_is_not_overwritten"),
    ),
    Clause(
        "ledger.credit: refund number new",
        "store/ledger.py",
        "def credit",
        NEW,
        tests("refund", "a_refund_number_is_credited_to_the_balance_once"),
    ),
    Clause(
        "refunds transition: status read",
        "store/refunds/writes.py",
        "def _versioned_update",
        "#cs = :cs",
        tests("refund", "a_refund_transition_decided_on_another_status_is_refused"),
    ),
    Clause(
        "refunds transition: version read",
        "store/refunds/writes.py",
        "def _versioned_update",
        "#cv = :cv",
        tests(
            "refund",
            "a_refund_transition_decided_on_an_older_version_is_refused",
            "a_refund_poll_on_an_older_version_is_refused",
        ),
    ),
    Clause(
        "refunds.overdue_ops: still in the due index",
        "store/refunds/writes.py",
        "def overdue_ops",
        "attribute_exists(due_pk)",
        tests("refund", "flagging_a_refund_no_longer_in_the_due_index_is_refused"),
    ),
    Clause(
        "refunds.overdue_ops: due",
        "store/refunds/writes.py",
        "def overdue_ops",
        "due_at <= :now",
        tests("refund", "flagging_a_refund_not_yet_due_is_refused"),
    ),
    Clause(
        "refunds.overdue_ops: not succeeded",
        "store/refunds/writes.py",
        "def overdue_ops",
        "#s <> :ok",
        tests("refund", "flagging_a_succeeded_refund_is_refused"),
    ),
    Clause(
        "refunds.overdue_ops: version read",
        "store/refunds/writes.py",
        "def overdue_ops",
        "version = :v",
        tests("refund", "flagging_a_refund_changed_since_it_was_read_is_refused"),
    ),
    Clause(
        "refunds.mark_handed_back: status read",
        "store/refunds/writes.py",
        "def mark_handed_back",
        "#s = :s",
        tests("refund", "handing_back_a_refund_in_another_status_is_refused"),
    ),
    Clause(
        "refunds.mark_handed_back: version read",
        "store/refunds/writes.py",
        "def mark_handed_back",
        "version = :v",
        tests("refund", "handing_back_a_refund_changed_since_it_was_read_is_refused"),
    ),
    Clause(
        "refunds.mark_handed_back: once per window",
        "store/refunds/writes.py",
        "def mark_handed_back",
        "handed_back_at <= :cut",
        tests("refund", "handing_back_a_refund_handed_back_in_this_window_is_refused"),
    ),
    # ---------------------------------------------------------------- review: store/tasks.py, review_*.py
    Clause(
        "review_steps.create: task new",
        "store/review_steps.py",
        "def create",
        NEW,
        tests("review", "a_redelivered_review_message_does_not_reset_its_task"),
    ),
    Clause(
        "tasks.lease: task open",
        "store/tasks.py",
        "def lease",
        "#s = :open",
        tests("review", "claiming_a_task_decided_since_the_index_read_is_refused"),
    ),
    Clause(
        "tasks.lease: no live lease",
        "store/tasks.py",
        "def claimable_filter",
        "lease_until <= :now",
        tests("review", "claiming_a_task_another_reviewer_holds_is_refused"),
    ),
    Clause(
        "tasks.lease: senior-only for seniors",
        "store/tasks.py",
        "def claimable_filter",
        "senior_only = :f",
        tests("review", "a_plain_reviewer_claiming_a_senior_only_task_is_refused"),
    ),
    Clause(
        "tasks.lease: not the rejecter",
        "store/tasks.py",
        "def claimable_filter",
        "rejected_by <> :me",
        tests("review", "a_senior_claiming_an_appeal_against_their_own_rejection_is_refused"),
    ),
    Clause(
        "tasks._first_lease: version read",
        "store/tasks.py",
        "def _first_lease",
        "version = :v",
        tests("review", "a_first_claim_of_a_task_changed_since_the_index_read_is_refused"),
    ),
    Clause(
        "review_steps.holder_condition: the lease holder",
        "store/review_steps.py",
        "def holder_condition",
        "lease_holder = :me",
        tests(
            "review",
            "a_review_step_under_another_reviewers_lease_is_refused",
            "releasing_a_task_another_reviewer_holds_is_refused",
        ),
    ),
    Clause(
        "review_steps.holder_condition: lease live",
        "store/review_steps.py",
        "def holder_condition",
        "lease_until > :now",
        tests("review", "a_review_step_after_the_lease_ran_out_is_refused"),
    ),
    Clause(
        "review_steps.holder_condition: version read",
        "store/review_steps.py",
        "def holder_condition",
        "version = :v",
        tests("review", "a_review_step_on_an_older_version_is_refused"),
    ),
    Clause(
        "review_steps.holder_condition: status read",
        "store/review_steps.py",
        "def holder_condition",
        "#s = :st",
        tests("review", "a_review_step_on_a_task_in_another_status_is_refused"),
    ),
    Clause(
        "review_steps.decider_condition: senior-only for seniors",
        "store/review_steps.py",
        "def decider_condition",
        "senior_only = :nsf",
        tests("review", "a_plain_reviewers_step_on_a_task_escalated_to_seniors_is_refused"),
    ),
    Clause(
        "review_steps.decider_condition: not the rejecter",
        "store/review_steps.py",
        "def decider_condition",
        "rejected_by <> :me",
        tests("review", "a_seniors_step_on_an_appeal_against_their_own_rejection_is_refused"),
    ),
    Clause(
        "review_steps.request_update: under review",
        "store/review_steps.py",
        "def request_update",
        "#s = :ur",
        tests("review", "deciding_a_request_no_longer_under_review_is_refused"),
    ),
    Clause(
        "review_decisions._held_by: held by this request",
        "store/review_decisions.py",
        "def _held_by",
        "open_request_id = :rid",
        tests(
            "review",
            *(
                f"a_decision_on_an_order_held_by_another_request_is_refused[{i}]"
                for i in ("approve-cancel", "reject", "approve-refund-only")
            ),
        ),
    ),
    Clause(
        "review_escalations.rearm_op: due time read",
        "store/review_escalations.py",
        "def rearm_op",
        "due_at = :seen",
        tests("request", "escalating_a_review_another_sweep_escalated_is_refused"),
    ),
    Clause(
        "review_escalations.rearm_op: still undecided",
        "store/review_escalations.py",
        "def rearm_op",
        "#s IN (:ur, :ni)",
        tests("request", "escalating_a_review_decided_since_the_read_is_refused"),
    ),
    Clause(
        "review_escalations.escalation_op: version read",
        "store/review_escalations.py",
        "def escalation_op",
        "version = :v",
        tests("request", "escalating_a_task_claimed_since_the_read_is_refused"),
    ),
    Clause(
        "review_escalations.escalation_op: not decided",
        "store/review_escalations.py",
        "def escalation_op",
        "#s <> :d",
        tests("request", "escalating_a_decided_task_is_refused"),
    ),
    # ---------------------------------------------------------------- the cancel step's writes
    Clause(
        "orders.cancel_auto_approved: stock unlocked",
        "store/orders/auto_approved.py",
        "def _write",
        "stock_locked = :f",
        tests("request", "auto_approval_of_an_order_locked_or_held_since_the_read_is_refused[stock-locked]"),
    ),
    Clause(
        "orders.cancel_auto_approved: not held",
        "store/orders/auto_approved.py",
        "def _write",
        "attribute_not_exists(open_request_id)",
        tests("request", "auto_approval_of_an_order_locked_or_held_since_the_read_is_refused[held]"),
    ),
    Clause(
        "customers.guarded_count_op: no request counted since the read",
        "store/customers.py",
        "def guarded_count_op",
        "attribute_not_exists(#f) OR #f <= :seen",
        tests("request", "auto_approval_after_a_request_counted_since_the_read_is_refused"),
    ),
    Clause(
        "customers.unflagged_check: not flagged since the read",
        "store/customers.py",
        "def unflagged_check",
        "attribute_not_exists(flagged) OR flagged = :f",
        tests("request", "auto_approval_of_a_customer_flagged_since_the_read_is_refused"),
    ),
    Clause(
        "request_changes.appeal: request rejected",
        "store/request_changes.py",
        "def appeal",
        "#s = :rj",
        tests("request", "an_appeal_on_a_request_changed_since_the_read_is_refused[no-longer-rejected]"),
    ),
    Clause(
        "request_changes.appeal: once",
        "store/request_changes.py",
        "def appeal",
        "appeal_used = :f",
        tests("request", "an_appeal_on_a_request_changed_since_the_read_is_refused[appeal-used]"),
    ),
    Clause(
        "request_changes.appeal: order not held",
        "store/request_changes.py",
        "def appeal",
        "attribute_not_exists(open_request_id)",
        tests("request", "an_appeal_on_an_order_held_since_the_read_is_refused"),
    ),
    Clause(
        "review_steps.answered_op: task waiting",
        "store/review_steps.py",
        "def answered_op",
        "#s = :w",
        tests("request", "an_answer_to_a_question_no_longer_open_is_refused[task-no-longer-waiting]"),
    ),
    Clause(
        "review_steps.answered_op: task version read",
        "store/review_steps.py",
        "def answered_op",
        "version = :v",
        tests("request", "an_answer_to_a_question_no_longer_open_is_refused[task-changed]"),
    ),
    Clause(
        "request_changes.answer: request asked",
        "store/request_changes.py",
        "def answer",
        "#s = :ni",
        tests("request", "an_answer_to_a_question_no_longer_open_is_refused[request-no-longer-asked]"),
    ),
]


def apply(source: str, clause: Clause) -> str:
    """``source`` with the clause's first ``part`` inside the anchored function taken out."""
    start = source.index(clause.after + "(")
    end = source.find("\ndef ", start + 1)
    at = source.find(clause.part, start, end if end > 0 else len(source))
    if at < 0:
        raise LookupError(f"{clause.name}: {clause.part!r} not found in {clause.path} (changed?)")
    return source[:at] + clause.without(source, at) + source[at + len(clause.part) :]


def run_tests(layers: Path, tests: tuple[str, ...]) -> tuple[int, bool, str]:
    """pytest's exit code (1: a test failed), whether every test failed, and the first line saying why."""
    env = {**os.environ, "PYTHONPATH": str(layers), "PYTHONDONTWRITEBYTECODE": "1"}
    args = ["-q", "-p", "no:cacheprovider", "--no-header", "--tb=line", "-o", "addopts="]
    cmd = [sys.executable, "-m", "pytest", *args, *(f"tests/store/{t}" for t in tests)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = done.stdout.splitlines()
    why = next((ln for ln in lines if ln.startswith(("E ", "/"))), "")
    every = bool(lines) and " passed" not in lines[-1]
    return done.returncode, every, why.strip()


def main(names: list[str]) -> int:
    verbose = "-v" in names
    names = [n for n in names if n != "-v"]
    chosen = [c for c in CLAUSES if not names or any(n in c.name for n in names)]
    scratch = Path(tempfile.mkdtemp(prefix="guards-"))
    try:
        layers = scratch / "layers"
        shutil.copytree(ROOT / "layers", layers, ignore=shutil.ignore_patterns("__pycache__"))
        probe = [sys.executable, "-c", "import cancelflow; print(cancelflow.__file__)"]
        where = subprocess.run(probe, env={**os.environ, "PYTHONPATH": str(layers)}, capture_output=True)
        assert where.stdout.decode().startswith(str(layers)), "the scratch copy must be imported"
        everything = tuple(dict.fromkeys(t for c in chosen for t in c.tests))
        if run_tests(layers, everything)[0] != 0:
            print("the guard tests fail on the untouched code: fix that first")
            return 2
        toothless = []
        for c in chosen:
            target = layers / "cancelflow" / c.path
            original = target.read_text()
            target.write_text(apply(original, c))
            try:
                rc, every, why = run_tests(layers, c.tests)
            finally:
                target.write_text(original)
            # a failure that is DynamoDB refusing the edited expression proves nothing
            bites = rc == 1 and every and "ValidationException" not in why
            verdict = "bites" if bites else "DOES NOT BITE" if rc == 0 else "error"
            print(f"{verdict:>14}  {c.name}")
            if (verbose or not bites) and why:
                print(f"{'':16}{why[:300]}")
            if not bites:
                toothless.append(c.name)
        print(f"{len(chosen) - len(toothless)}/{len(chosen)} clauses caught by their tests")
        return 1 if toothless else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
