"""The domain core stays light to import (issue 2's cold-start budget: the shared package adds
at most 60 ms over boto3; ``make bench`` prints the figure).

pydantic alone costs about as much as the whole budget, so it lives only at the edges (HTTP
request and answer models, events, payment providers). GIVEN a fresh interpreter WHEN a core
module or a Lambda without HTTP is imported THEN pydantic has not been loaded. No timing here:
this asserts the property that makes the timing possible.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PYDANTIC_FREE = [
    "cancelflow.domain.options",
    "cancelflow.store.orders",
    "cancelflow.store.payments",
    "cancelflow.cancel.submit_cancellation",
    "cancelflow.review.intake",
    "functions.schedules.expire_orders",
    "functions.schedules.flag_refunds",
    "functions.schedules.flag_reviews",
    "functions.review.intake",
]


@pytest.mark.parametrize("module", PYDANTIC_FREE)
def test_the_core_does_not_import_pydantic(module: str) -> None:
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{module} loads {out.stdout.strip()}"
