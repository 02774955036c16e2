"""JSON Schemas (draft 2020-12) of the published events, generated from the catalogue: the
whole EventBridge event as a subscriber receives it, ``detail`` included.

The catalogue's classes are msgspec Structs (the publisher's cold path has no pydantic); their
schemas are written by pydantic, from a pydantic model mirroring each Struct field for field
(same names, order, types, defaults, bounds, descriptions and docstrings), so the document keeps
pydantic's form. Only the document and the tests import this module.
"""

from __future__ import annotations

import functools
import inspect
import typing
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from pydantic import BaseModel, ConfigDict, Field, create_model

from cancelflow.events import catalogue
from cancelflow.events.catalogue import BY_NAME, SCHEMA_VERSION, SOURCE, EventDetail, EventType

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Every field is always sent (null where it does not apply), so the schema requires them all.
_CONFIG = ConfigDict(extra="forbid", frozen=True, json_schema_serialization_defaults_required=True)
# msgspec.Meta's keywords as pydantic's Field calls them (the others are not used by the catalogue)
_META_TO_FIELD = {"ge": "ge", "description": "description", "extra_json_schema": "json_schema_extra"}
_META_KEYS = tuple(inspect.signature(msgspec.Meta).parameters)


def _plain(hint: Any) -> tuple[Any, dict[str, Any]]:
    """``hint`` without its ``Meta`` (also inside ``X | None``), and the Field keywords it gave."""
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        kwargs: dict[str, Any] = {}
        for meta in extras:
            for key in _META_KEYS:
                value = getattr(meta, key)
                if value is not None:
                    if key not in _META_TO_FIELD:
                        raise TypeError(f"Meta({key}=...) has no Field equivalent here")
                    kwargs[_META_TO_FIELD[key]] = value
        return base, kwargs
    if get_origin(hint) in (Union, UnionType):
        arms = [_plain(arm) for arm in get_args(hint)]
        merged = {k: v for _, kw in arms for k, v in kw.items()}
        return functools.reduce(lambda a, b: a | b, (t for t, _ in arms)), merged
    return hint, {}


@functools.cache
def model_of(struct: type[EventDetail]) -> type[BaseModel]:
    """The pydantic model that mirrors a catalogue Struct (its parent's mirror as its base)."""
    hints = typing.get_type_hints(struct, vars(catalogue), include_extras=True)
    own = inspect.get_annotations(struct)
    fields: dict[str, Any] = {}
    for f in msgspec.structs.fields(struct):
        if f.name not in own:
            continue  # inherited: the parent's mirror has it
        base, kwargs = _plain(hints[f.name])
        if f.default is not msgspec.NODEFAULT:
            kwargs["default"] = f.default
        fields[f.name] = (base, Field(**kwargs))
    parent = struct.__mro__[1]
    doc = struct.__dict__.get("__doc__")
    if struct is EventDetail:
        return create_model(struct.__name__, __config__=_CONFIG, __doc__=doc, **fields)
    return create_model(struct.__name__, __base__=model_of(parent), __doc__=doc, **fields)


def detail_schema(etype: EventType) -> dict[str, Any]:
    return model_of(etype.model).model_json_schema(mode="serialization")


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
