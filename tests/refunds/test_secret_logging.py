"""Nothing secret is logged: a refund run on every channel, credentials read from Secrets
Manager (one secret per provider), every logger at DEBUG (botocore's too, which prints response
bodies), with faults and a broken key on the way, leaves no private key, APIv3 key or secret
document in any log line, exception text or stored refund field."""

from __future__ import annotations

import json
import logging
import re

import pytest
from cancelflow import aws
from cancelflow.refunds import credentials, lifecycle, worker
from cancelflow.settings import reset_settings

from local.provider_sim import keys
from tests.refunds.conftest import SimAdmin, deliver, later, owe_refund, paid_order


def _secret_fragments(creds: dict[str, dict[str, object]]) -> set[str]:
    """Every 24-character run of each private key's body, and each APIv3 key."""
    out: set[str] = set()
    for c in creds.values():
        body = re.sub(r"-----[A-Z ]+-----|\s", "", str(c["private_key"]))
        out |= {body[i : i + 24] for i in range(0, len(body) - 24, 24)}
        if c.get("apiv3_key"):
            out.add(str(c["apiv3_key"]))
    return out


def test_a_refund_run_logs_no_secret(
    sim: SimAdmin, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN per-provider secrets in Secrets Manager and every logger at DEBUG WHEN refunds run on
    Alipay, WeChat Pay and bank card (with unknown results, bad signatures, callbacks) and one
    attempt with a private key that does not parse THEN no fragment of any private key nor the
    APIv3 key appears in the captured logs or the refunds' stored errors, while botocore's DEBUG
    lines (which would print GetSecretValue's answer) were captured."""
    creds = keys.current().credentials()
    sm = aws.client("secretsmanager")
    arns = {
        p: sm.create_secret(Name=f"cancelflow/refunds/{p}", SecretString=json.dumps(c))["ARN"]
        for p, c in creds.items()
    }
    monkeypatch.setenv("CANCELFLOW_PROVIDER_SECRET_ARN", json.dumps(arns))
    monkeypatch.delenv("CANCELFLOW_PROVIDER_CREDENTIALS")
    reset_settings()
    credentials.forget()
    sim.config(unknown_result=0.3, bad_signature=0.3, wechat_settle_seconds=0, bank_settle_days=0)
    caplog.set_level(logging.DEBUG)

    refunds = [
        owe_refund(paid_order(f"c{i}", 5000, ch), 5000)
        for i, ch in enumerate(["alipay", "wechat_pay", "bank_card"] * 2)
    ]
    for t in (1, 5, 30, 90):
        for rid in refunds:
            worker.process(rid, later(t))
        deliver(sim, later(t))
    broken = creds["alipay"] | {"private_key": creds["alipay"]["private_key"].replace("M", "N", 3)}
    with caplog.at_level(logging.WARNING):  # the test's own write (botocore logs request bodies)
        sm.put_secret_value(SecretId=arns["alipay"], SecretString=json.dumps(broken))
    credentials.forget()
    last = owe_refund(paid_order("c9", 5000, "alipay"), 5000)
    assert worker.process(last, later(100)).result == "failed"

    logged = caplog.text + "".join(f"{r.getMessage()}{r.exc_text or ''}" for r in caplog.records)
    stored = json.dumps(
        [[r.last_error, r.provider_status] for rid in [*refunds, last] if (r := lifecycle.get_refund(rid))]
    )
    leaks = {
        f for f in _secret_fragments(creds) | _secret_fragments({"x": broken}) if f in logged or f in stored
    }
    assert not leaks
    assert any(r.name.startswith("botocore") and r.levelno == logging.DEBUG for r in caplog.records)
    assert "GetSecretValue" in caplog.text  # the secret was read while botocore logged
    credentials.forget()
