"""Which function may touch which resource, and how: THE least-privilege table.

The constructs turn each row into explicit IAM statements (infra/functions.py); the tests read
the synthesised template back and compare it with this table, so a grant cannot creep in
unnoticed. Actions are always listed in full: no ``*`` in any action.
"""

from __future__ import annotations

from dataclasses import dataclass

from cancelflow.store.schema import GSI_CUSTOMER, GSI_DUE, GSI_STATUS, GSI_STOCK

from infra import topology

# DynamoDB actions. Transactions need the per-item actions (TransactWriteItems is not an action).
TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
TABLE_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# Powertools idempotency: get, put-if-absent, update the record, delete it when the call failed.
IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
QUEUE_SEND = ("sqs:SendMessage",)
# The providers' secrets, one per provider (infra/refunds.py); Powertools' get_secret calls
# GetSecretValue alone.
SECRET_READ = ("secretsmanager:GetSecretValue",)
# The secrets' own key (infra/refunds.py), usable only through Secrets Manager (kms:ViaService).
SECRET_KEY = ("kms:Decrypt",)
BUS_PUT = ("events:PutEvents",)
EVIDENCE_PUT = ("s3:PutObject",)  # signs the presigned POST (the signer's rights are what S3 checks)
EVIDENCE_GET = ("s3:GetObject",)  # HeadObject and presigned downloads need GetObject

# Evidence objects live under this prefix; the cancel handler writes evidence/<order>/<upload>.
EVIDENCE_PREFIX = "evidence/"

# Partition-key prefixes (cancelflow.store.keys) a function must never write, enforced with an
# explicit Deny on dynamodb:LeadingKeys: e.g. the review intake cannot issue refunds or record
# payments, the refund and platform functions never touch review tasks.
TASK_KEYS = "TASK#*"
REFUND_KEYS = "REFUND#*"
PAYMENT_KEYS = "PAYMENT#*"
INBOX_KEYS = "INBOX#*"  # store.keys.inbox_pk
# Attributes only a review decision writes (cancelflow.review.decisions), enforced with an explicit
# Deny on dynamodb:Attributes for every other function: the cancel function may return a task to
# the pool when the customer answers a question (cancel.answer_question) but can never decide it.
DECISION_ATTRIBUTES = ("decided_by", "decided_at", "decision_note")
DECIDERS = frozenset({"review_api"})


@dataclass(frozen=True)
class Access:
    table_read: bool = False
    table_write: bool = False
    indexes: tuple[str, ...] = ()  # GSIs the function queries (explicit index ARNs, no index/*)
    deny_write_keys: tuple[str, ...] = ()
    # when set, the only partition-key prefixes it may write (an Allow conditioned on
    # dynamodb:LeadingKeys): for a function that writes one kind of item and nothing else
    only_write_keys: tuple[str, ...] = ()
    idempotency: bool = False
    send: tuple[str, ...] = ()  # queues (schema.QUEUES keys) it sends to
    evidence_put: bool = False
    evidence_get: bool = False
    provider_secret: bool = False
    put_events: bool = False


ACCESS: dict[str, Access] = {
    # customer routes: orders, options, cancellations (auto-approved ones create the refund
    # record; a request sent to review counts the review queue for its expected time);
    # conversations (support's list of those awaiting an answer reads the due index)
    "cancel_api": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_CUSTOMER, GSI_STATUS, GSI_DUE),
        idempotency=True,
        send=("review", "refund"),
        evidence_put=True,
        evidence_get=True,
    ),
    # platform intake: orders (reserving keys through the stock index), payments, fulfilment
    "platform_api": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_STOCK,),
        deny_write_keys=(TASK_KEYS,),
        idempotency=True,
        send=("refund",),
    ),
    # reviewer routes: tasks by status, claim, decide (approval hands the refund on)
    "review_api": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_STATUS,),
        idempotency=True,
        send=("refund",),
        evidence_get=True,
    ),
    # queue -> review task; never refunds, never evidence writes
    "review_intake": Access(
        table_read=True,
        table_write=True,
        deny_write_keys=(REFUND_KEYS, PAYMENT_KEYS),
    ),
    # support routes and provider callbacks
    "refund_api": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_STATUS, GSI_DUE),
        deny_write_keys=(TASK_KEYS,),
        idempotency=True,
        send=("refund",),
        provider_secret=True,
    ),
    # executes refunds at the providers; re-queues with a delay for backoff
    "refund_worker": Access(
        table_read=True,
        table_write=True,
        deny_write_keys=(TASK_KEYS,),
        send=("refund",),
        provider_secret=True,
    ),
    "expire_orders": Access(
        table_read=True, table_write=True, indexes=(GSI_DUE,), deny_write_keys=(TASK_KEYS, REFUND_KEYS)
    ),
    # delivered -> completed: the order and its history entry only, no stock, refund or payment
    "complete_orders": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_DUE,),
        deny_write_keys=(TASK_KEYS, REFUND_KEYS, PAYMENT_KEYS),
    ),
    "flag_refunds": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_DUE, GSI_STATUS),
        deny_write_keys=(TASK_KEYS,),
        send=("refund",),
    ),
    # escalates overdue reviews; re-sends the review message when the intake never made a task
    "flag_reviews": Access(
        table_read=True,
        table_write=True,
        indexes=(GSI_DUE,),
        deny_write_keys=(REFUND_KEYS, PAYMENT_KEYS),
        send=("review",),
    ),
    # the outbox: reads the change stream, publishes to the bus; writes the customers' notices
    # (their inbox partitions, nothing else), reading whose order an entry is
    "event_publisher": Access(
        table_read=True, table_write=True, only_write_keys=(INBOX_KEYS,), put_events=True
    ),
}


def consumes(function: str) -> tuple[str, ...]:
    """The queues that trigger ``function`` (topology.CONSUMERS; the event source grants them)."""
    return tuple(c.queue for c in topology.CONSUMERS if c.function == function)


def reads_stream(function: str) -> bool:
    """Whether the table's change stream triggers ``function`` (the event source grants it)."""
    return function in topology.STREAM_CONSUMERS


def markdown_table() -> str:
    """The table above as Markdown (docs/deploy.md embeds it; a test keeps them equal)."""
    cols = ("table", "indexes", "idempotency", "sends to", "consumes", "evidence", "secret", "bus", "stream")
    lines = ["| function | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, a in ACCESS.items():
        table = "/".join(x for x, on in (("read", a.table_read), ("write", a.table_write)) if on)
        if a.only_write_keys:
            table += " (writes only " + ", ".join(f"`{k}`" for k in a.only_write_keys) + ")"
        if a.deny_write_keys:
            table += " (never writes " + ", ".join(f"`{k}`" for k in a.deny_write_keys) + ")"
        if a.table_write and name not in DECIDERS:
            table += ", no decision attributes"
        evidence = "/".join(x for x, on in (("put", a.evidence_put), ("get", a.evidence_get)) if on)
        cells = (
            table or "-",
            ", ".join(a.indexes) or "-",
            "yes" if a.idempotency else "-",
            ", ".join(a.send) or "-",
            ", ".join(consumes(name)) or "-",
            evidence or "-",
            "read" if a.provider_secret else "-",
            "put" if a.put_events else "-",
            "read" if reads_stream(name) else "-",
        )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
