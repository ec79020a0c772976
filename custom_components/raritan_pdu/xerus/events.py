"""Pushed events: the device's event channel (``event.Service`` at ``/eventservice``).

A client creates a channel (``createChannel``), says which event types it wants
(``demandEventTypes``) and long-polls it (``pollEvents`` answers as soon as an event is queued,
else after about 30 s). The channel dies with the session that created it (logout, idle
timeout, a reboot): its RID then answers 404 and a new channel must be created.

Typecodes carry the version of their interface (``pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0``
on firmware 4.4, ``pdumodel.Outlet_2_1_5...`` on 3.6). A demanded typecode selects the device's
type when the names are equal and, per scope, the major versions are equal and the device's minor
is not lower: :data:`DEMANDED_TYPES` lists the typecodes of both binding generations (3.6.0 and
4.4.1), so any firmware of those majors gets what is demanded. Received events are matched by
their name **without** versions (:func:`.models.refs.base_type_name`) and decoded into frozen
dataclasses; an unknown type, or an event whose fields are malformed, becomes a plain
:class:`Event` (never an exception). ``sensors.NumericSensor.ReadingChangedEvent`` is not
demanded: sent once per second per sensor whose displayed value changes, it would flood the
channel of a large stack (README "Performance").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from .const import PowerState, to_enum
from .exceptions import (
    XerusError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
)
from .models import NumericReading, OutletState, StateReading
from .models.fields import get_bool, get_int
from .models.refs import Ref, base_type_name
from .rpc import unwrap_result

_LOGGER = logging.getLogger(__name__)

RID_EVENT_SERVICE: Final = "/eventservice"
#: JSON-RPC "method not found": a firmware whose event service has no channels.
_METHOD_NOT_FOUND: Final = -32601
#: The device answers a waiting ``pollEvents`` after at most 30 s; the request may take longer
#: on a busy device, but not this long.
LONG_POLL_TIMEOUT: Final = 45.0


def _codes(scope36: str, scope44: str, *events: str, v36: str = "1.0.0") -> tuple[str, ...]:
    return tuple(
        code
        for event in events
        for code in (f"{scope36}.{event}:{v36}", f"{scope44}.{event}:1.0.0")
    )


#: An outlet's new state (``Outlet.StateChangedEvent``), in both binding generations: what the
#: channels that feed a poll's outlet states demand (:mod:`.feeds`).
OUTLET_STATE_TYPES: Final[tuple[str, ...]] = _codes(
    "pdumodel.Outlet_2_1_5", "pdumodel.Outlet_3_0_4", "StateChangedEvent"
)

#: What a channel demands: the typecodes of the 3.6.0 and the 4.4.1 bindings (same names).
DEMANDED_TYPES: Final[tuple[str, ...]] = (
    *_codes(
        "pdumodel.Outlet_2_1_5",
        "pdumodel.Outlet_3_0_4",
        "StateChangedEvent",
        "PowerControlEvent",
        "SettingsChangedEvent",
    ),
    *_codes(
        "pdumodel.OverCurrentProtectorTripSensor_1_0_5",
        "pdumodel.OverCurrentProtectorTripSensor_1_1_14",
        "TripStateChangedEvent",
    ),
    *_codes("sensors.StateSensor_4_0_3", "sensors.StateSensor_4_0_8", "StateChangedEvent"),
    *_codes(
        "sensors.NumericSensor_4_0_3",
        "sensors.NumericSensor_4_0_9",
        "StateChangedEvent",
        "ThresholdsChangedEvent",
    ),
    *_codes(
        "sensors.AlertedSensorManager_1_0_1",
        "sensors.AlertedSensorManager_1_0_6",
        "AlertedSensorsChangedEvent",
    ),
    *_codes(
        "pdumodel.Pdu_4_1_6",
        "pdumodel.Pdu_6_5_7",
        "LoadSheddingModeChangedEvent",
        "SettingsChangedEvent",
    ),
    *_codes("pdumodel.Inlet_2_0_4", "pdumodel.Inlet_3_0_4", "SettingsChangedEvent"),
    *_codes(
        "pdumodel.OverCurrentProtector_3_0_4",
        "pdumodel.OverCurrentProtector_4_0_4",
        "SettingsChangedEvent",
    ),
    *_codes(
        "pdumodel.OutletGroupManager_1_0_1",
        "pdumodel.OutletGroupManager_1_1_11",
        "GroupCreatedEvent",
        "GroupDeletedEvent",
    ),
    *_codes("pdumodel.OutletGroup_1_0_1", "pdumodel.OutletGroup_1_1_11", "SettingsChangedEvent"),
    *_codes(
        "peripheral.DeviceManager_3_0_2",
        "peripheral.DeviceManager_5_3_6",
        "DeviceAddedEvent",
        "DeviceRemovedEvent",
        v36="2.0.0",
    ),
    *_codes("peripheral.DeviceSlot_2_0_3", "peripheral.DeviceSlot_5_0_3", "SettingsChangedEvent"),
    *_codes(
        "cascading.CascadeManager",
        "cascading.CascadeManager_3_0_0",
        "LinkUnitAddedEvent",
        "LinkUnitReleasedEvent",
        "LinkUnitStatusChangedEvent",
    ),
)


#: Longest wait before a new channel after repeated failures (seconds).
CHANNEL_RETRY_MAX: Final = 300.0


def channel_retry_delay(failures: int) -> float:
    """Wait before the next channel after ``failures`` in a row: none after one, then 2, 4, ...
    up to 5 minutes."""
    return 0.0 if failures <= 1 else min(2.0 ** (failures - 1), CHANNEL_RETRY_MAX)


def event_service_rid(pdu_id: int) -> str:
    """The event service of a unit: the primary's (``pdu_id`` 0 or 1) or a link unit's, through
    the primary (``/link/<n>/eventservice``)."""
    return RID_EVENT_SERVICE if pdu_id in (0, 1) else f"/link/{pdu_id}{RID_EVENT_SERVICE}"


def channel_unsupported(err: XerusError) -> bool:
    """Whether creating a channel failed for good: the device (or this account) has no event
    channels (HTTP 404 for the service, no privilege, an unknown method), not a passing failure.
    """
    if isinstance(err, XerusNotFoundError | XerusPrivilegeError):
        return True
    return isinstance(err, XerusRpcError) and err.code == _METHOD_NOT_FOUND


# --- decoded events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """An event as received: ``type`` the typecode, ``name`` without versions
    (``pdumodel.Outlet.StateChangedEvent``), ``source`` the RID of the object it is about;
    ``user``/``ip`` who caused it (``event.UserEvent``: ``actUserName``, ``actIpAddr``; ``None``
    for other events). Types this library does not decode are plain ``Event``s."""

    type: str
    name: str
    source: str | None
    user: str | None = None
    ip: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutletStateChanged(Event):
    """``pdumodel.Outlet.StateChangedEvent``: the outlet's new ``Outlet.State``."""

    old: OutletState
    new: OutletState


@dataclass(frozen=True, slots=True, kw_only=True)
class OutletPowerControl(Event):
    """``pdumodel.Outlet.PowerControlEvent``: someone switched (or cycled) the outlet."""

    power_state: PowerState | int | None
    cycle: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NumericStateChanged(Event):
    """``sensors.NumericSensor.StateChangedEvent``: availability or threshold flags changed."""

    old: NumericReading
    new: NumericReading


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChanged(Event):
    """``sensors.StateSensor.StateChangedEvent`` (and a breaker's ``TripStateChangedEvent``)."""

    old: StateReading
    new: StateReading


@dataclass(frozen=True, slots=True, kw_only=True)
class TripStateChanged(StateChanged):
    """``pdumodel.OverCurrentProtectorTripSensor.TripStateChangedEvent``: 0 = OPEN = tripped."""

    trip_cause: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdsChanged(Event):
    """``sensors.NumericSensor.ThresholdsChangedEvent`` (the raw new thresholds)."""

    thresholds: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertedSensorsChanged(Event):
    """``sensors.AlertedSensorManager.AlertedSensorsChangedEvent``: the unit's counts."""

    total: int | None
    unavailable: int | None
    critical: int | None
    warned: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSheddingChanged(Event):
    """``pdumodel.Pdu.LoadSheddingModeChangedEvent``."""

    enabled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TopologyChanged(Event):
    """Something the topology holds changed (names, groups, peripherals, link units): settings
    of an outlet, inlet, breaker, slot or the unit, a group created or deleted, a peripheral
    added or removed, a link unit added, released or changing status."""


#: Events that change what discovery found (matched on the last two name segments).
TOPOLOGY_EVENTS: Final = frozenset(
    {
        "Outlet.SettingsChangedEvent",
        "Pdu.SettingsChangedEvent",
        "Inlet.SettingsChangedEvent",
        "OverCurrentProtector.SettingsChangedEvent",
        "OutletGroupManager.GroupCreatedEvent",
        "OutletGroupManager.GroupDeletedEvent",
        "OutletGroup.SettingsChangedEvent",
        "DeviceManager.DeviceAddedEvent",
        "DeviceManager.DeviceRemovedEvent",
        "DeviceSlot.SettingsChangedEvent",
        "CascadeManager.LinkUnitAddedEvent",
        "CascadeManager.LinkUnitReleasedEvent",
        "CascadeManager.LinkUnitStatusChangedEvent",
    }
)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _outlet_state(base: dict[str, Any], value: dict[str, Any]) -> Event:
    return OutletStateChanged(
        **base,
        old=OutletState.from_json(value.get("oldState")),
        new=OutletState.from_json(value.get("newState")),
    )


def _power_control(base: dict[str, Any], value: dict[str, Any]) -> Event:
    return OutletPowerControl(
        **base,
        power_state=to_enum(PowerState, value.get("state")),
        cycle=get_bool(value, "cycle"),
    )


def _numeric_state(base: dict[str, Any], value: dict[str, Any]) -> Event:
    return NumericStateChanged(
        **base,
        old=NumericReading.from_json(value.get("oldReading")),
        new=NumericReading.from_json(value.get("newReading")),
    )


def _state(base: dict[str, Any], value: dict[str, Any]) -> Event:
    return StateChanged(
        **base,
        old=StateReading.from_json(value.get("oldState")),
        new=StateReading.from_json(value.get("newState")),
    )


def _trip_state(base: dict[str, Any], value: dict[str, Any]) -> Event:
    cause = value.get("tripCause")
    return TripStateChanged(
        **base,
        old=StateReading.from_json(value.get("oldState")),
        new=StateReading.from_json(value.get("newState")),
        trip_cause=str(cause) if isinstance(cause, int | str) else None,
    )


def _thresholds(base: dict[str, Any], value: dict[str, Any]) -> Event:
    new = value.get("newThresholds")
    return ThresholdsChanged(**base, thresholds=dict(new) if isinstance(new, dict) else {})


def _alerted(base: dict[str, Any], value: dict[str, Any]) -> Event:
    counts = value.get("counts")
    counts = counts if isinstance(counts, dict) else {}
    return AlertedSensorsChanged(
        **base,
        total=get_int(counts, "total"),
        unavailable=get_int(counts, "unavailable"),
        critical=get_int(counts, "critical"),
        warned=get_int(counts, "warned"),
    )


def _load_shedding(base: dict[str, Any], value: dict[str, Any]) -> Event:
    return LoadSheddingChanged(**base, enabled=get_bool(value, "enabled"))


_DECODERS: Final[Mapping[str, Callable[[dict[str, Any], dict[str, Any]], Event]]] = {
    "Outlet.StateChangedEvent": _outlet_state,
    "Outlet.PowerControlEvent": _power_control,
    "NumericSensor.StateChangedEvent": _numeric_state,
    "StateSensor.StateChangedEvent": _state,
    "OverCurrentProtectorTripSensor.TripStateChangedEvent": _trip_state,
    "NumericSensor.ThresholdsChangedEvent": _thresholds,
    "AlertedSensorManager.AlertedSensorsChangedEvent": _alerted,
    "Pdu.LoadSheddingModeChangedEvent": _load_shedding,
}


def decode_event(raw: object) -> Event | None:
    """One event of a ``pollEvents`` answer (``None``: not an event valueobject at all)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        return None
    code: str = raw["type"]
    value = raw.get("value")
    value = value if isinstance(value, dict) else {}
    source = Ref.from_json(value.get("source"))
    name = base_type_name(code)
    base: dict[str, Any] = {
        "type": code,
        "name": name,
        "source": source.rid if source is not None else None,
        "user": _str(value.get("actUserName")),
        "ip": _str(value.get("actIpAddr")),
    }
    key = ".".join(name.split(".")[-2:])
    decoder = _DECODERS.get(key)
    if decoder is not None:
        return decoder(base, value)
    if key in TOPOLOGY_EVENTS:
        return TopologyChanged(**base)
    return Event(**base)


@dataclass(frozen=True, slots=True)
class EventBatch:
    """What one poll of a channel returned; ``more``: the device has more events queued."""

    events: tuple[Event, ...]
    more: bool


def decode_poll(result: object) -> EventBatch:
    """The answer of ``pollEvents``/``pollEventsNb`` (``{"_ret_": more, "events": [...]}``)."""
    if not isinstance(result, dict) or not isinstance(result.get("events"), list):
        raise XerusProtocolError("malformed answer of pollEvents")
    events = tuple(e for e in (decode_event(raw) for raw in result["events"]) if e is not None)
    return EventBatch(events, result.get("_ret_") is True)


# --- the channel ---------------------------------------------------------------------------------


class SupportsCall(Protocol):
    """What a channel needs: one authenticated JSON-RPC call with its own timeout (the
    transport; the client passes its own)."""

    async def call(
        self,
        rid: str,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool = True,
    ) -> Any: ...


class EventChannel:
    """One event channel of a unit's event service (``client.event_channel()``).

    ``open`` creates the channel and demands :data:`DEMANDED_TYPES` (two requests), ``poll``
    long-polls it (one request that waits up to ~30 s: it holds a connection of the session's
    pool, outside any bulk budget), ``close`` destroys it. Every failure is a ``XerusError``:
    a dead channel (a reboot, the session expired) answers :class:`XerusNotFoundError`, a
    firmware without the service too (``/eventservice`` unknown). Counters for benchmarks:
    ``polls`` (long-poll requests answered) and ``received`` (events decoded).
    """

    def __init__(
        self,
        caller: SupportsCall,
        *,
        service: str = RID_EVENT_SERVICE,
        types: Iterable[str] = DEMANDED_TYPES,
        poll_timeout: float = LONG_POLL_TIMEOUT,
    ) -> None:
        self._caller = caller
        self.service = service
        self.types = tuple(types)
        self.poll_timeout = poll_timeout
        self.rid: str | None = None
        self._ref_type = "event.Channel"
        self.polls = 0
        self.received = 0

    async def open(self) -> None:
        """Create the channel and demand the event types (raises ``XerusError``)."""
        ref = Ref.from_json(unwrap_result(await self._caller.call(self.service, "createChannel")))
        if ref is None:
            raise XerusProtocolError(f"{self.service} has no event channel left")
        self.rid, self._ref_type = ref.rid, ref.type or self._ref_type
        await self._caller.call(ref.rid, "demandEventTypes", {"types": list(self.types)})
        _LOGGER.debug("event channel %s: demanded %d types", ref.rid, len(self.types))

    async def poll(self) -> EventBatch:
        """Wait for events (the device answers at once when some are queued, else after about
        30 s with none)."""
        return await self._poll("pollEvents", self.poll_timeout)

    async def poll_nb(self) -> EventBatch:
        """The queued events, without waiting."""
        return await self._poll("pollEventsNb", None)

    async def _poll(self, method: str, timeout: float | None) -> EventBatch:  # noqa: ASYNC109
        if self.rid is None:
            raise XerusProtocolError("the event channel is not open")
        result = await self._caller.call(self.rid, method, timeout=timeout)
        batch = decode_poll(result)
        self.polls += 1
        self.received += len(batch.events)
        return batch

    async def close(self) -> None:
        """Destroy the channel (best effort: it dies with the session anyway)."""
        rid, self.rid = self.rid, None
        if rid is None:
            return
        try:
            await self._caller.call(
                self.service, "destroyChannel", {"channel": {"rid": rid, "type": self._ref_type}}
            )
        except XerusError as err:
            _LOGGER.debug("destroying event channel %s failed: %s", rid, err)


__all__ = [
    "CHANNEL_RETRY_MAX",
    "DEMANDED_TYPES",
    "LONG_POLL_TIMEOUT",
    "OUTLET_STATE_TYPES",
    "RID_EVENT_SERVICE",
    "AlertedSensorsChanged",
    "Event",
    "EventBatch",
    "EventChannel",
    "LoadSheddingChanged",
    "NumericStateChanged",
    "OutletPowerControl",
    "OutletStateChanged",
    "StateChanged",
    "ThresholdsChanged",
    "TopologyChanged",
    "TripStateChanged",
    "channel_retry_delay",
    "channel_unsupported",
    "decode_event",
    "decode_poll",
    "event_service_rid",
]
