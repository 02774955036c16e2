"""A frozen record whose ``repr`` leaves out what must never reach a log line (a card number, a
real name, a secret's JSON): msgspec's ``Struct`` has no per-field ``repr=False``, so the fields
named in ``HIDDEN`` are shown as ``***``. Equality, hashing and encoding are unchanged."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class Redacted(msgspec.Struct, frozen=True):
    HIDDEN: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        shown = (
            f"{name}={'***' if name in self.HIDDEN else repr(getattr(self, name))}"
            for name in self.__struct_fields__
        )
        return f"{type(self).__name__}({', '.join(shown)})"
