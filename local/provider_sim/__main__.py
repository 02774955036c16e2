"""``python -m local.provider_sim``: the simulator alone."""

from __future__ import annotations

import argparse
import threading

from local.provider_sim.app import start

ap = argparse.ArgumentParser(description="the simulated payment provider")
ap.add_argument("--port", type=int, default=8002)
a = ap.parse_args()
u, halt_sim = start(a.port)
print(f"provider simulator on {u} (admin: {u}/admin/config)")
try:
    threading.Event().wait()
except KeyboardInterrupt:
    halt_sim()
