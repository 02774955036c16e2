"""History entries (the outbox, cancelflow.store.history) into domain events.

Only entries whose ``event`` is in the catalogue are published; the rest (claims, delivery
steps, refund attempts...) stay on the customer's timeline only. An event's fields are
picked from the entry by name (``RENAMED`` where the history names them differently), so a
field added to a history entry never leaks into a published contract by accident.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cancelflow.clock import iso
from cancelflow.events.catalogue import BY_HISTORY_EVENT, SOURCE, EventDetail
from cancelflow.store.history import Entry


class DomainEvent(msgspec.Struct, frozen=True):
    """One domain event ready for PutEvents."""

    detail_type: str
    detail: EventDetail

    @property
    def event_id(self) -> str:
        return self.detail.event_id

    def entry(self, bus: str) -> dict[str, Any]:
        """One PutEvents entry."""
        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": msgspec.json.encode(self.detail).decode(),
            "EventBusName": bus,
        }


def from_history(entry: Entry) -> DomainEvent | None:
    """The event for a history entry, None when it is not published. Raises
    ``msgspec.ValidationError`` for an entry that does not fit its schema."""
    found = BY_HISTORY_EVENT.get(entry.event)
    if found is None:
        return None
    etype, constants = found
    model = etype.model
    # Times and enums as stored (clock.iso is the one stored format), so the event carries
    # exactly what the history entry says.
    base = {
        "event_id": entry.entry_id,
        "occurred_at": iso(entry.at),
        "order_id": entry.order_id,
        "actor": entry.actor.value,
        "actor_id": entry.actor_id,
        "reason": entry.reason,
        "from_status": entry.from_status.value if entry.from_status else None,
    }
    detail = entry.detail
    values: dict[str, Any] = {}
    for name in model.__struct_fields__:
        if name in constants:
            values[name] = constants[name]
        elif name in base:
            if base[name] is not None:
                values[name] = base[name]
        else:
            source = model.RENAMED.get(name, name)
            if detail.get(source) is not None:
                values[name] = detail[source]
    # strict=False: a number or a flag stored as text still converts, as it did when these
    # schemas were pydantic models (lax mode); anything else out of place is refused.
    return DomainEvent(etype.name, msgspec.convert(values, model, strict=False))
