"""Callbacks as they leave the simulator: signed at delivery (a fresh timestamp, as a provider
resends), WeChat's resource encrypted (wechat.callback), the acquirer's plain (bank.callback);
the ``bad_signature`` fault's forged ones signed with a key no provider holds."""

from __future__ import annotations

from typing import Any

from local.provider_sim import bank, wechat
from local.provider_sim.books import Sim


def signed(sim: Sim, cb: dict[str, Any]) -> dict[str, Any]:
    rec = sim.refunds[cb["refund_no"]]
    api = wechat if cb["provider"] == "wechat_pay" else bank
    forged = bool(cb.get("forged"))
    headers, body = api.callback(sim, rec, cb["status"], forged)
    # "forged" is the simulator's own record (the tests count them); a provider's is never that
    out = {"refund_no": rec["refund_no"], "provider": cb["provider"], "headers": headers, "body": body}
    return out | ({"forged": True} if forged else {})
