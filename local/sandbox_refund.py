"""One refund and one query against a provider's sandbox (or, said explicitly, production),
through the same clients the refund worker uses (docs/refunds.md, "Going live").

    python -m local.sandbox_refund alipay --credentials alipay.json --trade T123 --amount 0.01

Credentials, in this order: ``--credentials FILE`` (the provider's secret JSON, exactly as
stored in Secrets Manager), ``CANCELFLOW_PROVIDER_CREDENTIALS`` (keyed by provider), or
``CANCELFLOW_PROVIDER_SECRET_ARN`` (needs AWS credentials). Without any it refuses and says
what is missing (exit 2). The secret's ``base_url`` picks the host; without one Alipay goes to
its sandbox, and WeChat Pay (which has no API v3 sandbox) and the acquirer refuse. A production
host needs ``--live``. Prints outcomes and the provider's status words, never a key.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

SANDBOX = {"alipay": "sandbox"}
PRODUCTION_HOSTS = ("openapi.alipay.com", "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com")


def _args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m local.sandbox_refund", description=__doc__.split("\n\n")[0])
    ap.add_argument("provider", choices=["alipay", "wechat_pay", "bank_card"])
    ap.add_argument("--trade", required=True, help="out_trade_no of a paid sandbox trade")
    ap.add_argument("--amount", required=True, help="refund amount in yuan, e.g. 0.01")
    ap.add_argument("--total", help="the trade's total in yuan (WeChat amount.total); default: --amount")
    ap.add_argument("--refund-no", help="out_request_no / out_refund_no; default: a new one")
    ap.add_argument("--credentials", type=Path, help="the provider's secret JSON")
    ap.add_argument("--live", action="store_true", help="allow a production host")
    return ap.parse_args(argv)


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _configure(a: argparse.Namespace) -> str | None:
    """Point the clients at the credentials; None, or why not."""
    if a.credentials:
        if not a.credentials.is_file():
            return f"{a.credentials}: no such file"
        os.environ["CANCELFLOW_PROVIDER_CREDENTIALS"] = json.dumps(
            {a.provider: json.loads(a.credentials.read_text())}
        )
        os.environ.pop("CANCELFLOW_PROVIDER_SECRET_ARN", None)
    elif not (
        os.environ.get("CANCELFLOW_PROVIDER_CREDENTIALS") or os.environ.get("CANCELFLOW_PROVIDER_SECRET_ARN")
    ):
        return (
            f"no credentials for {a.provider}: pass --credentials FILE (the provider's secret JSON, fields"
            " in docs/refunds.md, 'Going live'), or set CANCELFLOW_PROVIDER_CREDENTIALS or"
            " CANCELFLOW_PROVIDER_SECRET_ARN"
        )
    os.environ.pop("CANCELFLOW_PROVIDER_BASE_URL", None)  # never the simulator by accident
    from cancelflow.refunds import credentials
    from cancelflow.settings import reset_settings

    reset_settings()
    credentials.forget()
    try:
        creds = credentials.credentials(a.provider)
    except credentials.CredentialsMissing as e:
        return str(e)
    from cancelflow.refunds.providers.alipay import GATEWAYS

    base = creds.base_url or SANDBOX.get(a.provider, "")
    if not base:
        return f"{a.provider}: the secret has no base_url (WeChat Pay API v3 has no sandbox; a real host)"
    if any(h in GATEWAYS.get(base, base) for h in PRODUCTION_HOSTS) and not a.live:
        return f"{a.provider}: base_url is a production host; pass --live to refund real money"
    if not creds.base_url:  # Alipay without a base_url: its sandbox, said in the secret it is given
        doc = creds.model_dump() | {
            "private_key": creds.private_key.get_secret_value(),
            "apiv3_key": creds.apiv3_key.get_secret_value(),
            "base_url": base,
        }
        os.environ["CANCELFLOW_PROVIDER_CREDENTIALS"] = json.dumps({a.provider: doc})
        os.environ.pop("CANCELFLOW_PROVIDER_SECRET_ARN", None)
        reset_settings()
        credentials.forget()
    return None


def main(argv: list[str]) -> int:
    a = _args(argv)
    why = _configure(a)
    if why:
        print(f"refusing: {why}", file=sys.stderr)
        return 2
    from cancelflow import clock
    from cancelflow.domain.products import Channel
    from cancelflow.refunds.providers import for_channel
    from cancelflow.refunds.providers.base import RefundRequest

    no = a.refund_no or f"sbx{int(time.time())}"
    req = RefundRequest(
        refund_id=f"rf_{no}",
        refund_no=no,
        order_id=a.trade,
        payment_id=a.trade,
        customer_id="sandbox",
        amount=_fen(a.amount),
        paid_amount=_fen(a.total or a.amount),
        currency="CNY",
        reason="sandbox check",
    )
    provider = for_channel(Channel(a.provider))
    for step, call in (("refund", provider.submit), ("query", provider.query)):
        r = call(req, clock.now())
        print(f"{step}: {r.outcome.value} status={r.provider_status} error={r.error} ref={r.provider_ref}")
    return 0 if r.outcome.value in ("succeeded", "pending") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
