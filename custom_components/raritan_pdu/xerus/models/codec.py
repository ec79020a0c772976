"""A lossless JSON form of the frozen model dataclasses, driven by their type annotations.

``encode(value)`` gives plain JSON (dicts, lists, strings, numbers, booleans, ``null``): a
dataclass becomes an object of its fields, an ``IntEnum`` its int (a ``StrEnum`` its string),
a dict with int keys a list of ``[key, value]`` pairs, a frozenset a sorted list, a
``XerusError`` its class name, message and attributes. ``decoder(cls)`` builds (once per
class) the function that turns that JSON back into the same objects, checking every type on
the way: a document that does not fit raises ``XerusStorageError``. Unknown keys are ignored
and a missing field with a default takes it, so that documents of an older model still read.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from enum import Enum, IntEnum, StrEnum
from typing import Any

from .. import exceptions
from ..const import to_enum
from ..exceptions import XerusError, XerusStorageError

type Decoder = Callable[[Any], Any]


#: Field names of each dataclass met (``None`` for other classes).
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_SCALARS = frozenset({type(None), bool, str, int, float})


def encode(value: Any) -> Any:
    """The JSON form of a model value (see the module docstring)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind not in _FIELD_NAMES:
        is_dataclass = dataclasses.is_dataclass(kind)
        fields = dataclasses.fields(kind) if is_dataclass else ()
        _FIELD_NAMES[kind] = tuple(f.name for f in fields) if is_dataclass else None
    names = _FIELD_NAMES[kind]
    if names is not None:
        return {name: encode(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    return _encode_other(value)


def _encode_other(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(encode(item) for item in value)
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: encode(item) for key, item in value.items()}
        return [[encode(key), encode(item)] for key, item in value.items()]
    if isinstance(value, XerusError):
        attrs = {
            key: item
            for key, item in vars(value).items()
            if item is None or isinstance(item, bool | int | float | str)
        }
        return {"class": type(value).__name__, "message": str(value), "attrs": attrs}
    raise TypeError(f"cannot encode {type(value).__name__}")


def _fail(what: str, value: Any) -> XerusStorageError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return XerusStorageError(f"stored topology: {what} expected, got {shown}")


def _plain(kind: type, name: str) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise _fail(name, value)

    return decode


def _float(value: Any) -> float:
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is int:
        return float(value)
    raise _fail("a number", value)


def _int_enum(enum_cls: type[IntEnum]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not int:
            raise _fail(f"an int of {enum_cls.__name__}", value)
        return to_enum(enum_cls, value)

    return decode


def _str_enum(enum_cls: type[StrEnum]) -> Decoder:
    def decode(value: Any) -> Any:
        try:
            return enum_cls(value)
        except ValueError:
            raise _fail(f"a {enum_cls.__name__}", value) from None

    return decode


def _optional(inner: Decoder) -> Decoder:
    def decode(value: Any) -> Any:
        return None if value is None else inner(value)

    return decode


def _union(args: tuple[Any, ...]) -> Decoder:
    """``X | None``, ``AnIntEnum | int`` (unknown ints stay ints), ``AnIntEnum | int | None``."""
    kinds = [arg for arg in args if arg is not type(None)]
    enums = [arg for arg in kinds if isinstance(arg, type) and issubclass(arg, IntEnum)]
    if enums and all(arg is int or arg in enums for arg in kinds):
        inner = _int_enum(enums[0])
    elif len(kinds) == 1:
        inner = decoder(kinds[0])
    else:
        raise TypeError(f"no decoder for the union {args}")
    return _optional(inner) if len(kinds) < len(args) else inner


def _list(item: Decoder, build: Callable[[list[Any]], Any]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise _fail("a list", value)
        return build([item(entry) for entry in value])

    return decode


def _fixed_tuple(items: list[Decoder]) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise _fail(f"a list of {len(items)}", value)
        return tuple(item(entry) for item, entry in zip(items, value, strict=True))

    return decode


def _dict(key: Decoder, item: Decoder, *, str_keys: bool) -> Decoder:
    def decode(value: Any) -> Any:
        if type(value) is dict and (str_keys or not value):
            return {key(k): item(v) for k, v in value.items()}
        if type(value) is not list:
            raise _fail("an object or a list of pairs", value)
        result = {}
        for pair in value:
            if type(pair) is not list or len(pair) != 2:
                raise _fail("a [key, value] pair", pair)
            result[key(pair[0])] = item(pair[1])
        return result

    return decode


_ERRORS: dict[str, type[XerusError]] = {
    name: cls
    for name in exceptions.__all__
    if isinstance(cls := getattr(exceptions, name), type) and issubclass(cls, XerusError)
}


def _error(value: Any) -> XerusError:
    """A stored ``XerusError``: the same class, message and attributes (a new object)."""
    if type(value) is not dict or type(value.get("message")) is not str:
        raise _fail("an error", value)
    cls = _ERRORS.get(value.get("class"), XerusError)  # type: ignore[arg-type]
    error = cls.__new__(cls)
    Exception.__init__(error, value["message"])
    attrs = value.get("attrs")
    if type(attrs) is dict:
        for name, item in attrs.items():
            if type(name) is str and (item is None or isinstance(item, bool | int | float | str)):
                setattr(error, name, item)
    return error


def _dataclass(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = []
    for field in dataclasses.fields(cls):
        has_default = (
            field.default is not dataclasses.MISSING
            or field.default_factory is not dataclasses.MISSING
        )
        fields.append((field.name, decoder(hints[field.name]), has_default))
    name = cls.__name__

    def decode(value: Any) -> Any:
        if type(value) is not dict:
            raise _fail(f"a {name} object", value)
        kwargs = {}
        for field_name, decode_field, has_default in fields:
            if field_name in value:
                kwargs[field_name] = decode_field(value[field_name])
            elif not has_default:
                raise _fail(f"{name}.{field_name}", None)
        return cls(**kwargs)

    return decode


def _generic(origin: Any, args: tuple[Any, ...]) -> Decoder:
    if origin is list:
        return _list(decoder(args[0]), list)
    if origin is frozenset:
        return _list(decoder(args[0]), frozenset)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _list(decoder(args[0]), tuple)
        return _fixed_tuple([decoder(arg) for arg in args])
    if origin is dict:
        return _dict(decoder(args[0]), decoder(args[1]), str_keys=args[0] is str)
    raise TypeError(f"no decoder for {origin}")


_DECODERS: dict[Any, Decoder] = {}


def decoder(hint: Any) -> Decoder:
    """The function that decodes the JSON form of ``hint`` (a type of the models), cached."""
    found = _DECODERS.get(hint)
    if found is None:
        found = _DECODERS[hint] = _build(hint)
    return found


def _build(hint: Any) -> Decoder:
    origin = typing.get_origin(hint)
    if origin is types.UnionType or origin is typing.Union:
        return _union(typing.get_args(hint))
    if origin is not None:
        return _generic(origin, typing.get_args(hint))
    if hint is float:
        return _float
    if hint in (bool, int, str):
        return _plain(hint, hint.__name__)
    if not isinstance(hint, type):
        raise TypeError(f"no decoder for {hint!r}")
    return _class(hint)


def _class(cls: type) -> Decoder:
    if issubclass(cls, XerusError):
        return _error
    if issubclass(cls, IntEnum):
        return _int_enum(cls)
    if issubclass(cls, StrEnum):
        return _str_enum(cls)
    if dataclasses.is_dataclass(cls):
        return _dataclass(cls)
    raise TypeError(f"no decoder for {cls.__name__}")


__all__ = ["decoder", "encode"]
