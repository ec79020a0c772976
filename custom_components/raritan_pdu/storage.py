"""What a config entry keeps between Home Assistant starts and between setup attempts.

``RaritanStore`` is one per entry, created at its first setup attempt and kept in
``hass.data`` until the entry is removed:

* in Home Assistant's storage (``.storage/raritan_pdu.<entry id>``, versioned, removed with the
  entry): the last good topology, when it was discovered, and what the client learned about
  the device (its timing model), so that a restart or a setup retry creates the entities at
  once instead of rediscovering the PDU;
* in memory only: the last error, the discovery backoff and the count of rejected
  credentials, which survive setup retries and feed the diagnostics in every entry state.

The topology is written as the protocol library's own JSON (``Topology.to_json`` /
``Topology.from_json``) when the library has it; until then with the generic dataclass codec
below, which round-trips the library's frozen models by their type hints. A document that does
not decode (another version, a model that changed) is ignored: the entry rediscovers once.
"""

from __future__ import annotations

import dataclasses
import time
import types
from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any, Final, Union, get_args, get_origin, get_type_hints

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import (
    DISCOVERY_BACKOFF,
    DISCOVERY_BACKOFF_MAX,
    DOMAIN,
    STORAGE_KEY,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
)
from .xerus import Topology, XerusError

DATA_STORES: HassKey[dict[str, RaritanStore]] = HassKey(f"{DOMAIN}_stores")

#: ``codec`` of a topology written by this module's generic codec.
GENERIC_CODEC: Final = "dataclasses-1"
#: ``codec`` of a topology written by the library (``Topology.to_json``).
LIBRARY_CODEC: Final = "xerus"


# --- the topology as JSON --------------------------------------------------------------------


class TopologyDecodeError(ValueError):
    """A stored document does not describe a topology of this version."""


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def encode_value(value: Any) -> Any:
    """JSON-friendly form of a library model (dataclasses, enums, containers)."""
    if value is None or isinstance(value, bool | int | float | str):
        # Enums are ints or strings: their value.
        return value.value if isinstance(value, Enum) else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: encode_value(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        # Pairs, not an object: keys keep their type (link unit ids are ints).
        return [[encode_value(key), encode_value(item)] for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [encode_value(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(encode_value(item) for item in value)
    if isinstance(value, BaseException):
        return str(value)
    raise TypeError(f"cannot store a {type(value).__name__}")


type _Decoder = Callable[[Any], Any]


def _union_decoder(args: tuple[Any, ...]) -> _Decoder:
    optional = type(None) in args
    decoders = [_decoder(arg) for arg in args if arg is not type(None)]

    def decode(value: Any) -> Any:
        if value is None:
            if optional:
                return None
            raise TopologyDecodeError("null for a required value")
        for decoder in decoders:
            try:
                return decoder(value)
            except (TopologyDecodeError, ValueError, TypeError, KeyError):
                continue
        raise TopologyDecodeError(f"{value!r} matches no type of {args}")

    return decode


def _checked_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TopologyDecodeError(f"a list expected, not {type(value).__name__}")
    return value


def _container_decoder(origin: Any, args: tuple[Any, ...]) -> _Decoder:
    if origin is dict:
        key, item = _decoder(args[0]), _decoder(args[1])
        return lambda value: {key(k): item(v) for k, v in _checked_list(value)}
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        items = [_decoder(arg) for arg in args]
        return lambda value: tuple(
            d(v) for d, v in zip(items, _checked_list(value), strict=True)
        )
    element = _decoder(args[0])
    build: Callable[[Any], Any] = {tuple: tuple, frozenset: frozenset, set: frozenset}.get(
        origin, list
    )
    return lambda value: build([element(v) for v in _checked_list(value)])


def _dataclass_decoder(cls: type) -> _Decoder:
    hints = get_type_hints(cls)
    fields = [(name, _decoder(hints[name])) for name in _field_names(cls)]

    def decode(value: Any) -> Any:
        if not isinstance(value, dict):
            raise TopologyDecodeError(f"an object expected for {cls.__name__}")
        return cls(**{name: d(value[name]) for name, d in fields if name in value})

    return decode


def _exact(cls: type) -> _Decoder:
    def decode(value: Any) -> Any:
        if type(value) is not cls:
            raise TopologyDecodeError(f"{value!r} is no {cls.__name__}")
        return value

    return decode


def _float(value: Any) -> float:
    if type(value) not in (int, float):
        raise TopologyDecodeError(f"{value!r} is no number")
    return float(value)


def _error(cls: type[BaseException]) -> _Decoder:
    return lambda value: cls(_exact(str)(value))


@cache
def _decoder(tp: Any) -> _Decoder:  # noqa: PLR0911 - one return per kind of type
    """The decoder of values of type ``tp`` that :func:`encode_value` wrote."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _union_decoder(get_args(tp))
    if origin in (dict, list, tuple, frozenset, set):
        return _container_decoder(origin, get_args(tp))
    if tp is Any:
        return lambda value: value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    if tp is float:
        return _float
    if isinstance(tp, type) and issubclass(tp, BaseException):
        return _error(tp)
    if tp in (int, str, bool):
        return _exact(tp)
    raise TopologyDecodeError(f"cannot decode {tp!r}")


def decode_value(tp: Any, value: Any) -> Any:
    """The value of type ``tp`` that :func:`encode_value` wrote (raises if it does not fit)."""
    return _decoder(tp)(value)


def topology_to_json(topology: Topology) -> dict[str, Any]:
    """The stored form of a topology (the library's own JSON when it has one)."""
    to_json = getattr(topology, "to_json", None)
    if callable(to_json):
        return {"codec": LIBRARY_CODEC, "data": to_json()}
    return {"codec": GENERIC_CODEC, "data": encode_value(topology)}


def topology_from_json(document: Any) -> Topology:
    """The topology of a stored document; raises ``TopologyDecodeError`` if it does not fit."""
    if not isinstance(document, dict):
        raise TopologyDecodeError("not a stored topology")
    codec, data = document.get("codec"), document.get("data")
    if codec == LIBRARY_CODEC:
        from_json = getattr(Topology, "from_json", None)
        if not callable(from_json):
            raise TopologyDecodeError("written by a newer version")
        try:
            topology = from_json(data)
        except XerusError as err:
            raise TopologyDecodeError(str(err)) from err
    elif codec == GENERIC_CODEC:
        topology = decode_value(Topology, data)
    else:
        raise TopologyDecodeError(f"unknown codec {codec!r}")
    if not isinstance(topology, Topology):
        raise TopologyDecodeError("not a topology")
    return topology


def timing_to_json(timing: Any) -> Any:
    """What the client learned about the device's speed, as JSON (``None`` if it has nothing)."""
    if timing is None:
        return None
    to_json = getattr(timing, "to_json", None)
    if callable(to_json):
        return to_json()
    if dataclasses.is_dataclass(timing) and not isinstance(timing, type):
        return encode_value(timing)
    if isinstance(timing, dict):
        return {str(key): encode_value(value) for key, value in timing.items()}
    return None


# --- the per-entry store ---------------------------------------------------------------------


class RaritanStore:
    """The stored topology of one entry, and what its setup attempts learned."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store of ``entry_id`` (no I/O)."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{STORAGE_KEY}.{entry_id}", private=True, atomic_writes=True
        )
        self._loaded = False
        self._removed = False
        self.topology: Topology | None = None
        #: Unix time of the stored topology's discovery.
        self.discovered_at: float | None = None
        self.timing: Any = None
        #: Why the stored document was not used (diagnostics).
        self.load_error: str | None = None
        # In memory only: they describe this Home Assistant run.
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.discovery_failures = 0
        self._next_discovery = 0.0
        self.auth_failures = 0

    async def async_load(self) -> None:
        """Read the stored document once (a document that does not decode is ignored)."""
        if self._loaded:
            return
        self._loaded = True
        document = await self._store.async_load()
        if not document:
            return
        try:
            # A few hundred milliseconds for a large stack: not in the event loop.
            self.topology = await self._hass.async_add_executor_job(
                topology_from_json, document.get("topology")
            )
        except (TopologyDecodeError, ValueError, TypeError, KeyError) as err:
            self.load_error = str(err) or type(err).__name__
            return
        discovered = document.get("discovered_at")
        self.discovered_at = float(discovered) if isinstance(discovered, int | float) else None
        self.timing = document.get("timing")

    @callback
    def async_set_topology(self, topology: Topology, timing: Any = None) -> None:
        """Keep a freshly discovered topology (written a few seconds later)."""
        self.topology = topology
        self.discovered_at = time.time()
        self.timing = timing_to_json(timing)
        self.discovery_failures = 0
        self._next_discovery = 0.0
        self._hass.async_create_background_task(
            self._async_save(topology), f"{DOMAIN} store topology", eager_start=False
        )

    async def _async_save(self, topology: Topology) -> None:
        encoded = await self._hass.async_add_executor_job(topology_to_json, topology)
        if topology is not self.topology or self._removed:
            return  # a newer one is being encoded, or the entry is gone
        document = {"topology": encoded, "discovered_at": self.discovered_at, "timing": self.timing}
        self._store.async_delay_save(lambda: document, STORAGE_SAVE_DELAY)

    async def async_remove(self) -> None:
        """Delete the stored document (the entry was removed)."""
        self._removed = True
        await self._store.async_remove()

    # errors and backoff (memory only)

    @callback
    def async_set_error(self, error: str | None) -> None:
        """The last error of a setup attempt or a poll (``None``: it works again)."""
        if error is not None:
            self.last_error, self.last_error_at = error, time.time()

    @callback
    def async_discovery_failed(self) -> None:
        """A discovery failed after the device answered: wait longer before the next one."""
        self.discovery_failures += 1
        delay = DISCOVERY_BACKOFF.total_seconds() * 2 ** (self.discovery_failures - 1)
        delay = min(delay, DISCOVERY_BACKOFF_MAX.total_seconds())
        self._next_discovery = time.monotonic() + delay

    @property
    def discovery_wait(self) -> float:
        """Seconds until the next discovery is allowed (0: now)."""
        return max(0.0, self._next_discovery - time.monotonic())


def async_get_store(hass: HomeAssistant, entry_id: str) -> RaritanStore:
    """The store of an entry (created at the first call; kept until the entry is removed)."""
    stores = hass.data.setdefault(DATA_STORES, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = RaritanStore(hass, entry_id)
    return store


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget an entry's store and delete its file."""
    store = hass.data.get(DATA_STORES, {}).pop(entry_id, None) or RaritanStore(hass, entry_id)
    await store.async_remove()
