"""Interface references (``{"rid": ..., "type": ...}``) and their type names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_VERSION_SEGMENT = re.compile(r"_\d+_\d+_\d+")


@lru_cache(maxsize=512)
def base_type_name(type_code: str) -> str:
    """Strip versions: ``"sensors.NumericSensor:4.0.5"`` → ``"sensors.NumericSensor"``."""
    return _VERSION_SEGMENT.sub("", type_code.split(":", 1)[0])


@dataclass(frozen=True, slots=True)
class Ref:
    """An interface reference: the RID to call and the most-derived type code."""

    rid: str
    type: str

    @property
    def base_type(self) -> str:
        """Type name without versions (``sensors.NumericSensor``)."""
        return base_type_name(self.type)

    @classmethod
    def from_json(cls, value: object) -> Ref | None:
        """Decode ``{"rid": ..., "type": ...}``; ``null`` or garbage gives ``None``."""
        if not isinstance(value, dict):
            return None
        rid = value.get("rid")
        if not isinstance(rid, str) or not rid:
            return None
        type_code = value.get("type")
        return cls(rid, type_code if isinstance(type_code, str) else "")


def decode_refs(value: object) -> list[Ref]:
    """Decode a vector of references, dropping ``null`` entries."""
    if not isinstance(value, list):
        return []
    return [ref for ref in (Ref.from_json(item) for item in value) if ref is not None]


__all__ = ["Ref", "base_type_name", "decode_refs"]
