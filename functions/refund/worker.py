"""The refund queue's consumer: each message is one attempt at one refund
(``cancelflow.refunds.worker``). Partial batch failures (``cancelflow.messages.consume``): a
message that fails (invalid body, a DynamoDB error) is reported back alone and retried by SQS,
then dead-lettered; provider faults are not failures here, they are recorded on the refund and
retried with backoff.

Business metrics: ``refunds`` by channel and outcome for every refund an attempt moved, and,
once per invocation, how many entered ``needs_attention`` and ``needs_customer_action`` (the
two states a person must act on; alarmed on).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from cancelflow import clock, telemetry
from cancelflow.messages import consume
from cancelflow.refunds.worker import handle_message

logger = telemetry.logger
NEEDS_A_PERSON = ("needs_attention", "needs_customer_action")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    entered: Counter[str] = Counter()

    def record_handler(body: str) -> str:
        attempt = handle_message(body, clock.now())
        logger.info("refund attempt", extra={"refund_id": attempt.refund_id, "result": attempt.result})
        if attempt.changed and attempt.refund is not None:
            telemetry.count("refunds", channel=attempt.refund.channel.value, outcome=attempt.result)
            entered[attempt.result] += 1
        return attempt.result

    try:
        return consume(event, record_handler)
    finally:  # counted even when a record raised after its refund moved
        for state in NEEDS_A_PERSON:
            telemetry.count(f"refunds_{state}", entered[state])
