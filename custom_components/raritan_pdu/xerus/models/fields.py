"""Tolerant accessors for decoded JSON: the one place that turns untrusted values into types.

Every model module decodes through these helpers, so a device that sends ``null``, a string where
a number belongs or an unknown field never makes decoding raise: a wrong type gives the default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

type JsonDict = dict[str, Any]


def as_dict(value: object) -> JsonDict:
    """``value`` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def get_str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    """A string field (``default`` if missing or not a string)."""
    value = data.get(key)
    return value if isinstance(value, str) else default


def get_opt_str(data: Mapping[str, Any], key: str) -> str | None:
    """A string field, ``None`` if missing or not a string."""
    value = data.get(key)
    return value if isinstance(value, str) else None


def get_bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """A boolean field (``default`` if missing or not a boolean)."""
    value = data.get(key)
    return value if isinstance(value, bool) else default


def get_int(data: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    """An integer field (integral floats accepted; booleans are not integers here)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return default
    return value


def get_float(data: Mapping[str, Any], key: str) -> float | None:
    """A number field as a finite float, ``None`` if missing, not a number or not finite."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of 309 digits or more
        return None
    return number if math.isfinite(number) else None


def decode_map(value: object) -> dict[Any, Any]:
    """Decode an IDL ``map<K, V>`` (a JSON array of ``{"key": K, "value": V}``).

    A plain JSON object is accepted as well.
    """
    if isinstance(value, dict):
        return dict(value)
    result: dict[Any, Any] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "key" in item:
                key = item["key"]
                if isinstance(key, list | dict):
                    continue
                result[key] = item.get("value")
    return result


def is_void_result(value: object) -> bool:
    """True for the result of a void method: ``null`` or ``{}``."""
    return value is None or value == {}


__all__ = [
    "JsonDict",
    "as_dict",
    "decode_map",
    "get_bool",
    "get_float",
    "get_int",
    "get_opt_str",
    "get_str",
    "is_void_result",
]
