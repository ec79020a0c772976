"""JSON as the firmware prints it (reference §1.3, verified on real PX3 units).

* 3.6: one line, a space after ``{``, ``[``, ``:`` and ``,`` and before ``}``/``]``
  (``{ "jsonrpc": "2.0", "result": { "_ret_": [ ] }, "id": 1 }``), every double with C ``%f``
  (``231.689995``, ``32.000000``).
* 4.x: compact, doubles with 17 significant digits (``0.55100000000000016``), integral doubles as
  ``32.0``. (Real 4.x units print the 17th digit slightly off now and then, and ``230.9`` where the
  correctly rounded form is ``230.90000000000001``; both parse to the same double.)

Which numbers are doubles is decided by the Python type the model produced: ``float`` for IDL
``double``/``float``, ``int`` for IDL ``int``/``long``/``time``/enums (``tests/sdk`` checks that
against the bindings' type checks).
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any


class Raw(str):
    """A JSON token written exactly as given (``NaN``, ``Infinity``, ``1e400``): what Python's
    ``json`` emits for non-finite floats, and numbers no double can hold, for hostile answers
    (``malformed.py``)."""


def double_17(value: float) -> str:
    """4.x: 17 significant digits, integral values with ``.0``."""
    text = f"{value:.17g}"
    if "." in text or "e" in text or "n" in text:  # fraction, exponent, inf/nan
        return text
    return text + ".0"


def double_f(value: float) -> str:
    """3.6: C ``%f`` (six decimals)."""
    return f"{value:f}"


class _Style:
    def __init__(self, spaced: bool, double: Callable[[float], str]) -> None:
        pad = " " if spaced else ""
        self.open_obj, self.close_obj = "{" + pad, pad + "}"
        self.open_arr, self.close_arr = "[" + pad, pad + "]"
        self.empty_obj = "{ }" if spaced else "{}"
        self.empty_arr = "[ ]" if spaced else "[]"
        self.comma = "," + pad
        self.colon = ":" + pad
        self.double = double


_STYLES = {"3.6": _Style(True, double_f), "4.4": _Style(False, double_17)}


def dumps(value: Any, firmware: str) -> str:
    """``value`` as firmware ``firmware`` ("3.6" or "4.4") prints it."""
    style = _STYLES[firmware]
    parts: list[str] = []
    _write(value, parts.append, style)
    return "".join(parts)


def _write(value: Any, out: Callable[[str], None], style: _Style) -> None:
    if isinstance(value, dict):
        _write_object(value, out, style)
    elif isinstance(value, list | tuple):
        _write_array(value, out, style)
    else:
        out(_scalar(value, style))


def _scalar(value: Any, style: _Style) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return style.double(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_object(value: dict[Any, Any], out: Callable[[str], None], style: _Style) -> None:
    if not value:
        out(style.empty_obj)
        return
    out(style.open_obj)
    first = True
    for key, item in value.items():
        if not first:
            out(style.comma)
        first = False
        out(encode_basestring_ascii(str(key)))
        out(style.colon)
        _write(item, out, style)
    out(style.close_obj)


def _write_array(
    value: list[Any] | tuple[Any, ...], out: Callable[[str], None], style: _Style
) -> None:
    if not value:
        out(style.empty_arr)
        return
    out(style.open_arr)
    first = True
    for item in value:
        if not first:
            out(style.comma)
        first = False
        _write(item, out, style)
    out(style.close_arr)
