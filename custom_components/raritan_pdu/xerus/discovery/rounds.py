"""One discovery round trip: the calls of every unit's current step in one ``/bulk``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..exceptions import XerusError
from ..models import SensorInfo, SensorKind
from ..rpc import BulkCall, BulkResult

_LOGGER = logging.getLogger(__name__)

#: Receives the value of one call, or the ``XerusError`` of its failure.
type Handler = Callable[[Any], None]


class SupportsBulk(Protocol):
    """What discovery needs from a client: many calls in one ``/bulk`` request."""

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        """Per-call value or error, in call order."""


class Warnings:
    """Warnings about malformed objects, each logged once (at debug level afterwards).

    ``seen`` is kept by the caller (the client) across discoveries, so that a device that keeps
    sending one bad object does not log it again at every topology refresh.
    """

    def __init__(self, seen: set[str] | None = None) -> None:
        self.seen: set[str] = set() if seen is None else seen

    def warn(self, pdu_id: int, what: str, value: object) -> None:
        """``what`` of unit ``pdu_id`` was malformed (``value``, shortened) and is left out."""
        text = repr(value)
        if len(text) > 80:
            text = text[:77] + "..."
        message = f"unit {pdu_id}: {what} is malformed ({text}), left out"
        if message in self.seen:
            _LOGGER.debug("%s", message)
            return
        if len(self.seen) < 1000:
            self.seen.add(message)
        _LOGGER.warning("%s", message)


class Round:
    """The calls of one round trip and the handlers of their results."""

    def __init__(self) -> None:
        self.calls: list[BulkCall] = []
        self.handlers: list[Handler] = []

    def add(
        self, rid: str, method: str, handler: Handler, params: dict[str, Any] | None = None
    ) -> None:
        self.calls.append(BulkCall(rid, method, params))
        self.handlers.append(handler)

    async def run(self, sender: SupportsBulk) -> None:
        results = await sender.bulk(self.calls)
        for handler, result in zip(self.handlers, results, strict=True):
            handler(result.value if result.error is None else result.error)


def optional(pdu_id: int, what: str, store: Callable[[Any], None]) -> Handler:
    """A handler for a call whose failure only costs details: logged, nothing stored."""

    def handler(value: Any) -> None:
        if isinstance(value, XerusError):
            _LOGGER.debug("unit %s: %s failed: %s", pdu_id, what, value)
        else:
            store(value)

    return handler


def needs_metadata(info: SensorInfo) -> bool:
    """A struct field the catalogue does not know (its type spec must be read)."""
    return not info.catalogued and not info.device_metadata


def add_sensor_metadata(
    rnd: Round,
    sensors: dict[str, SensorInfo],
    *,
    numeric_only: bool = False,
    wanted: Callable[[SensorInfo], bool] = needs_metadata,
) -> None:
    """getMetaData (numeric) / getTypeSpec (state) for the ``wanted`` sensors.

    Failures keep what the sensor has (catalogue values or an UNSPECIFIED type spec).
    """
    for key, info in sensors.items():
        if not wanted(info):
            continue
        if info.kind is SensorKind.STATE:
            if numeric_only:
                continue

            def on_spec(value: Any, key: str = key) -> None:
                if not isinstance(value, XerusError):
                    sensors[key] = sensors[key].with_type_spec(value)

            rnd.add(info.rid, "getTypeSpec", on_spec)
        else:

            def on_meta(value: Any, key: str = key) -> None:
                if not isinstance(value, XerusError):
                    sensors[key] = sensors[key].with_numeric_metadata(value)

            rnd.add(info.rid, "getMetaData", on_meta)


__all__ = [
    "Handler",
    "Round",
    "SupportsBulk",
    "Warnings",
    "add_sensor_metadata",
    "needs_metadata",
    "optional",
]
