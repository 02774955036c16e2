"""The simulated payment providers: Alipay, WeChat Pay v3 and the acquirer's refund API over
HTTP on loopback, each on its real protocol (RSA2 / WECHATPAY2-SHA256-RSA2048 requests
verified, answers and callbacks signed, WeChat callbacks encrypted), with switchable, seeded
failure modes (docs/refunds.md, "The simulator").

Its RSA keys and certificates are made once per process at start (``keys``); the runtime gets
the merchant's side as ``CANCELFLOW_PROVIDER_CREDENTIALS`` (``DEFAULT_CREDENTIALS`` here, in
the shape of the production secrets).

It keeps its own books like a real provider: one refund record per refund number (its
idempotency key), the trades' totals, and a payout list that the tests and ``make bench`` read
back through ``GET /admin/payouts`` to prove that no refund number was ever paid twice.

Failure modes (``POST /admin/config``, rates 0..1 drawn from one seeded RNG):
``timeout`` (act, then answer after the client gave up), ``error_5xx`` (fail before acting),
``unknown_result`` (act, then answer 500 / SYSTEM_ERROR), ``insufficient_balance`` (refuse,
nothing paid), ``closed_account`` (per trade: the destination cannot receive),
``query_error`` (queries answer 500), ``bad_signature`` (an unsigned "refused", or a forged
answer or callback saying the money moved, where nothing happened, signed with a key no
provider holds),
``duplicate_callbacks`` (each callback 2-3 times) and ``late_callbacks`` (held back one drain,
so they arrive after the result was polled).

Modules: ``keys`` (key material), ``books`` (the state and the faults), ``alipay``, ``wechat``,
``bank`` (one provider's API each), ``callbacks`` (signed on delivery), ``app`` (HTTP, admin
routes, callback pusher). ``start(port=0) -> (url, stop)`` runs it in a thread (uvicorn);
``python -m local.provider_sim`` runs it alone.
"""

from typing import Any

from local.provider_sim.app import build_app, credentials_json, start, tell_trade
from local.provider_sim.books import DEFAULT_CONFIG, Sim

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_CREDENTIALS",
    "Sim",
    "build_app",
    "credentials_json",
    "start",
    "tell_trade",
]


def __getattr__(name: str) -> Any:
    # Made on first use, not at import: key generation is for whoever runs a simulator.
    if name == "DEFAULT_CREDENTIALS":
        from local.provider_sim import keys

        return keys.current().credentials()
    raise AttributeError(name)
