"""The simulated payment provider: Alipay, WeChat Pay v3 and a bank's refund API over HTTP on
loopback, with switchable, seeded failure modes (docs/refunds.md, "The simulator").

It keeps its own books like a real provider: one refund record per refund number (its
idempotency key), and a payout list that the tests and ``make bench`` read back through
``GET /admin/payouts`` to prove that no refund number was ever paid twice.

Failure modes (``POST /admin/config``, rates 0..1 drawn from one seeded RNG):
``timeout`` (act, then answer after the client gave up), ``error_5xx`` (fail before acting),
``unknown_result`` (act, then answer 500 / SYSTEM_ERROR), ``insufficient_balance`` (refuse,
nothing paid), ``closed_account`` (per trade: the destination cannot receive),
``query_error`` (queries answer 500), ``duplicate_callbacks`` (each callback 2-3 times) and
``late_callbacks`` (held back one drain, so they arrive after the result was polled).

Modules: ``books`` (the state and the faults), ``alipay``, ``wechat``, ``bank`` (one provider's
API each), ``app`` (HTTP, admin routes, callback pusher). ``start(port=0) -> (url, stop)`` runs
it in a thread (uvicorn); ``python -m local.provider_sim`` runs it alone.
"""

from local.provider_sim.app import build_app, credentials_json, start
from local.provider_sim.books import DEFAULT_CONFIG, DEFAULT_CREDENTIALS, Sim

__all__ = ["DEFAULT_CONFIG", "DEFAULT_CREDENTIALS", "Sim", "build_app", "credentials_json", "start"]
