"""An order is judged by the policy it was bought under (docs/domain.md, "Products and
policies", pinning): a policy changed later applies to new orders only, in this process and in a
fresh one that reads the stored copy."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from cancelflow.domain import policy as policy_module
from cancelflow.domain.options import Action, cancellation_options
from cancelflow.domain.policy import policy_version
from cancelflow.domain.products import ProductType
from cancelflow.domain.risk import RiskProfile
from cancelflow.settings import get_settings
from cancelflow.store import orders, policies

from tests.store import world
from tests.store.world import NOW

AT_15_MIN = NOW + timedelta(minutes=15)


def _request_option(order_id: str) -> tuple[bool, str | None]:
    """Whether the customer's cancel request 15 minutes after payment needs no reviewer."""
    order = orders.require_order(order_id)
    got = cancellation_options(order, AT_15_MIN, get_settings().policies, RiskProfile(window_days=30))
    option = next(a for a in got.actions if a.action is Action.REQUEST)
    return option.needs_review, option.outcome


@contextmanager
def game_card_window(minutes: int) -> Iterator[None]:
    """The game card's auto-approval window changed to ``minutes`` (the suite's other values kept)."""
    before = os.environ["CANCELFLOW_POLICY_OVERRIDES"]
    changed = json.loads(before)
    changed.setdefault("game_card", {})["auto_approve_minutes"] = minutes
    os.environ["CANCELFLOW_POLICY_OVERRIDES"] = json.dumps(changed)
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ["CANCELFLOW_POLICY_OVERRIDES"] = before
        get_settings.cache_clear()


def test_a_changed_policy_leaves_an_order_placed_before_as_it_was(product: str) -> None:
    """GIVEN an order paid under the 10-minute auto-approval window WHEN the window becomes 30
    minutes THEN at 15 minutes the old order's request still needs a reviewer (its window
    closed), a new order's does not; the two orders name different versions."""
    old = world.paid(NOW)
    assert old.policy_version == policy_version(get_settings().policies.for_type(ProductType.GAME_CARD))
    assert _request_option(old.order_id)[0] is True
    with game_card_window(30):
        new = world.paid(NOW)
        assert new.policy_version != old.policy_version
        assert _request_option(old.order_id)[0] is True  # judged by its own policy: reviewed
        assert _request_option(new.order_id)[0] is False  # the new policy: inside the window


def test_a_fresh_process_reads_the_pinned_policy_from_its_stored_copy(product: str) -> None:
    """GIVEN an order pinned to a policy that is no longer current and a process that never met
    that version WHEN the order is judged THEN its policy is read from the stored copy, and is
    the one it was bought under."""
    bought_under = get_settings().policies.for_type(ProductType.GAME_CARD)
    old = world.paid(NOW)
    with game_card_window(30):
        policy_module._PINNED.clear()  # a new process: only the store knows the old version
        policies.forget()
        order = orders.require_order(old.order_id)
        assert get_settings().policies.for_order(order) == bought_under
        assert _request_option(old.order_id)[0] is True
