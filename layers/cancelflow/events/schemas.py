"""JSON Schemas (draft 2020-12) of the published events, generated from the catalogue's
models: the whole EventBridge event as a subscriber receives it, ``detail`` included."""

from __future__ import annotations

from typing import Any

from cancelflow.events.catalogue import BY_NAME, SCHEMA_VERSION, SOURCE, EventType

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def detail_schema(etype: EventType) -> dict[str, Any]:
    return etype.model.model_json_schema(mode="serialization")


def event_schema(name: str) -> dict[str, Any]:
    etype = BY_NAME[name]
    detail = detail_schema(etype)
    defs = detail.pop("$defs", {})  # hoisted: pydantic's "#/$defs/..." refs resolve at the root
    detail["title"] = f"{name} detail"
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"https://schemas.cancelflow.example/events/{name}/{SCHEMA_VERSION}.json",
        "title": name,
        "description": etype.description,
        "type": "object",
        "required": ["detail-type", "source", "detail"],
        "properties": {
            "version": {"type": "string"},
            "id": {"type": "string", "description": "EventBridge's own id (differs per delivery)"},
            "detail-type": {"const": name},
            "source": {"const": SOURCE},
            "time": {"type": "string", "format": "date-time"},
            "detail": detail,
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema
