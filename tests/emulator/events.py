"""Pushed events (issue #10): ``event.Service`` at ``/eventservice``, its ``event.Channel``
objects, and the hub (``emu.events``) through which the device model reports what changed.

On the wire (bindings ``idl.Event``, ``event.UserEvent``, ``event.Channel``): an event is a
valueobject ``{"type": <typecode>, "value": {"source": <ref of the object that originated it>,
["actUserName", "actIpAddr" for a UserEvent,] <the event's own fields>}}`` - the fields of the base
classes first, as the bindings encode them. Event typecodes carry the version of their interface
in the scope: ``pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0`` (4.4), ``pdumodel.Outlet_2_1_5.
StateChangedEvent:1.0.0`` (3.6), ``cascading.CascadeManager.LinkUnitAddedEvent:1.0.0`` (an
interface of version 1.0.0 has no suffix).

Channels (what the IDL documents):

* ``createChannel()`` -> a channel reference, or null "if all channels have been used";
  ``destroyChannel(channel)`` -> 0, or 1 ``INVALID_CHANNEL``;
* filters: ``demandEventType(s)`` / ``cancelEventType(s)`` (a type from any source),
  ``demandEvent(s)`` / ``cancelEvent(s)`` (a type from one object, ``EventSelect{type, src}``). A
  demanded type also selects the types derived from it: ``idl.Event`` selects every event,
  ``event.UserEvent`` every user event, ``sensors.StateSensor.StateChangedEvent`` the breaker's
  ``TripStateChangedEvent`` too (the SDK's Lua example demands ``idl.Event`` from one sensor);
* ``pollEvents()`` blocks while the queue is empty and returns as soon as an event is queued, or
  after 30 s (``POLL_TIMEOUT``); ``pollEventsNb()`` never blocks. Both answer
  ``{"_ret_": <more events queued>, "events": [...]}`` with at most ``MAX_POLL_EVENTS`` events;
* ``subscribe``/``unsubscribe`` are "not available via JSON-RPC": -32601.

The emulator's choices where the documents say nothing [assumed]:

* a demanded typecode matches when names are equal and, for every scope, the major versions are
  equal and the device's minor is not below the client's (the Go binding's compatibility rule):
  a 4.3 client's ``Outlet_3_0_3`` selects 4.4's ``Outlet_3_0_4`` events, 3.6's ``Outlet_2_1_5``
  does not. Strings that are no typecode are stored and select nothing;
* every unit has its own service (``/eventservice``, ``/link/<n>/eventservice``) whose channels get
  the events of that unit's objects; the primary's also those of the outlet groups and of
  ``/cascade`` (link units added, released, status changes);
* a channel lives as long as the session whose token created it (logout, idle timeout,
  ``faults.session_expiry``, ``faults.expire_sessions``, reboot); one created with Basic auth
  dies after ``session_timeout`` s without a call on it. Any authenticated caller may use a
  channel (its RID is the capability). A dead channel's RID answers HTTP 404, like every RID the
  device does not know;
* a ``pollEvents`` waiting when its channel dies answers at once with no events; when the device
  reboots or loses power, the waiting request's connection is reset;
* at most ``MAX_CHANNELS`` channels; at most ``MAX_QUEUE`` events per channel, a full queue drops
  its oldest event (counted in ``stats()["events"]["dropped"]``: a client that does not poll for
  long loses events and must resynchronise by polling);
* inside a ``/bulk``, ``pollEvents`` does not block (it answers like ``pollEventsNb``);
* ``pollEvents`` costs device time like every call while the device lock is held; its wait
  happens outside the lock, so other requests (the web UI, a poll, a command) are served;
* UserEvents caused through the RPC interface name the caller (user name, client IP); changes made
  through the emulator's test API come from the PDU's front panel (``LOCAL_DISPLAY``: user "",
  address "display") unless a test says who did it: ``with emu.as_user("admin", "192.0.2.7"):``.

The device model reports changes in two ways: commands emit their UserEvents directly (``emit``),
and whatever may change state is *touched* inside a batch (``change``/``touch``); at the end of the
outermost batch (an RPC call, a timer, a test-API setter) the hub compares each touched object with
what it reported last and emits the state events (outlet state, state sensors, breaker trips,
numeric sensor states, alert states, link unit statuses). The sampler (``thresholds.py``) reports
each second's threshold and reading changes. Nothing of this runs while no channel exists: events
are only observable through channels, and a channel only gets events after it demanded them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import HttpStatusError, invalid_params
from .model import (
    ALERT_NORMAL,
    Ocp,
    Outlet,
    Peripheral,
    RpcObject,
    Sensor,
    Unit,
    arg,
    ret,
)
from .profiles import PROFILES

if TYPE_CHECKING:
    from .profiles import Profile
    from .server import CallContext, PduEmulator

POLL_TIMEOUT = 30.0
"""IDL: pollEvents returns "after a maximum wait time of 30 seconds"."""
MAX_POLL_EVENTS = 100
"""[assumed] the "implementation-defined maximum number of events" of one poll answer."""
MAX_QUEUE = 1000
"""[assumed] events queued per channel; a full queue drops its oldest event."""
MAX_CHANNELS = 32
"""[assumed] channels per device; beyond, createChannel answers null."""
INVALID_CHANNEL = 1

IDL_EVENT = "idl.Event:1.0.0"
USER_EVENT = "event.UserEvent:1.0.0"
CASCADE = "cascade"
"""Touch marker: the link units' statuses may have changed."""


# --- event types ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventType:
    iface: str
    """Profile interface key whose version is the event's scope (``Outlet`` -> ``Outlet_3_0_4``)."""
    name: str
    user: bool = False
    """An ``event.UserEvent``: ``actUserName`` and ``actIpAddr`` follow ``source``."""
    base: str | None = None
    """Key of the parent event type (other than UserEvent and idl.Event)."""
    version_36: str = "1.0.0"


def _types(iface: str, *names: str, user: bool = False) -> dict[str, EventType]:
    return {f"{iface}.{n}": EventType(iface, n, user) for n in names}


EVENT_TYPES: dict[str, EventType] = {
    **_types("Outlet", "StateChangedEvent"),
    **_types("Outlet", "PowerControlEvent", "SettingsChangedEvent", user=True),
    **_types("Pdu", "SettingsChangedEvent", "LoadSheddingModeChangedEvent", user=True),
    **_types("Inlet", "SettingsChangedEvent", "EnableStateChangedEvent", user=True),
    **_types("OverCurrentProtector", "SettingsChangedEvent", user=True),
    **_types("StateSensor", "StateChangedEvent"),
    "TripSensor.TripStateChangedEvent": EventType(
        "TripSensor", "TripStateChangedEvent", base="StateSensor.StateChangedEvent"
    ),
    **_types("Switch", "SwitchEvent", user=True),
    **_types("NumericSensor", "ReadingChangedEvent", "StateChangedEvent"),
    **_types("NumericSensor", "ThresholdsChangedEvent", user=True),
    **_types("AccumulatingNumericSensor", "ResetEvent", user=True),
    **_types("AlertedSensorManager", "AlertedSensorsChangedEvent", "MonitoredSensorsChangedEvent"),
    **_types("OutletGroupManager", "GroupCreatedEvent", "GroupDeletedEvent", user=True),
    **_types("OutletGroup", "SettingsChangedEvent", "PowerControlEvent", user=True),
    "DeviceManager.DeviceEvent": EventType("DeviceManager", "DeviceEvent", version_36="2.0.0"),
    **{
        f"DeviceManager.{n}": EventType(
            "DeviceManager", n, base="DeviceManager.DeviceEvent", version_36="2.0.0"
        )
        for n in ("DeviceAddedEvent", "DeviceRemovedEvent")
    },
    **_types("DeviceSlot", "DeviceChangedEvent"),
    **_types("DeviceSlot", "SettingsChangedEvent", user=True),
    **_types("CascadeManager", "LinkUnitStatusChangedEvent"),
    **_types("CascadeManager", "LinkUnitAddedEvent", "LinkUnitReleasedEvent", user=True),
}
"""Every event type the emulator emits (``DeviceManager.DeviceEvent`` only as a base)."""


def event_typecode(profile: Profile, key: str) -> str:
    """``Outlet.StateChangedEvent`` -> ``pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0``."""
    return _typecode(profile.name, key)


@functools.cache
def _typecode(profile_name: str, key: str) -> str:
    profile = PROFILES[profile_name]
    et = EVENT_TYPES[key]
    name, version = profile.typecode(et.iface).split(":")
    scope = name if version == "1.0.0" else f"{name}_{version.replace('.', '_')}"
    return f"{scope}.{et.name}:{'1.0.0' if profile.is_4x else et.version_36}"


def event_chain(profile: Profile, key: str) -> tuple[str, ...]:
    """The typecodes an event of type ``key`` is an instance of, most derived first."""
    return _chain(profile.name, key)


@functools.cache
def _chain(profile_name: str, key: str) -> tuple[str, ...]:
    chain = []
    part: str | None = key
    while part is not None:
        chain.append(_typecode(profile_name, part))
        part = EVENT_TYPES[part].base
    if EVENT_TYPES[key].user:
        chain.append(USER_EVENT)
    chain.append(IDL_EVENT)
    return tuple(chain)


_SCOPE = re.compile(r"(?P<name>.+?)_(?P<a>\d+)_(?P<b>\d+)_(?P<c>\d+)")
_VERSION = re.compile(r"(?P<a>\d+)\.(?P<b>\d+)\.(?P<c>\d+)")

Scopes = tuple[tuple[str, tuple[int, int, int]], ...]


@functools.cache
def parse_typecode(code: str) -> Scopes | None:
    """``a.B_3_0_4.C:1.0.0`` -> ``(("a", (1, 0, 0)), ("B", (3, 0, 4)), ("C", (1, 0, 0)))``."""
    name, sep, version = code.partition(":")
    last = _VERSION.fullmatch(version)
    if not sep or last is None or not name:
        return None
    scopes: list[tuple[str, tuple[int, int, int]]] = []
    segments = name.split(".")
    for i, segment in enumerate(segments):
        match = _SCOPE.fullmatch(segment)
        if i == len(segments) - 1:
            if match is not None:
                return None
            scopes.append((segment, (int(last["a"]), int(last["b"]), int(last["c"]))))
        elif match is not None:
            scopes.append((match["name"], (int(match["a"]), int(match["b"]), int(match["c"]))))
        else:
            scopes.append((segment, (1, 0, 0)))
    return tuple(scopes)


@functools.cache
def compatible(device: str, client: str) -> bool:
    """Whether a client that demands typecode ``client`` gets the device's type ``device``."""
    ours, theirs = parse_typecode(device), parse_typecode(client)
    if ours is None or theirs is None or len(ours) != len(theirs):
        return False
    return all(
        name == other and version[0] == wanted[0] and version[1:] >= wanted[1:]
        for (name, version), (other, wanted) in zip(ours, theirs, strict=True)
    )


def base_name(code: str) -> str:
    """The typecode without versions (``pdumodel.Outlet.StateChangedEvent``), for stats."""
    name = code.split(":", maxsplit=1)[0]
    return ".".join(_SCOPE.sub(r"\g<name>", seg) for seg in name.split("."))


@dataclass(frozen=True)
class Actor:
    """Who caused a UserEvent (``actUserName``, ``actIpAddr``)."""

    user: str
    ip: str


LOCAL_DISPLAY = Actor("", "display")
"""[assumed] the PDU's own front panel: changes made through the emulator's test API."""
_NOTHING = contextlib.nullcontext()


# --- RPC objects ---------------------------------------------------------------------------------
class EventService(RpcObject):
    """``event.Service`` of one unit (``/eventservice``)."""

    iface = "EventService"

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit, "eventService")

    def rpc_createChannel(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        channel = self.emu.events.create_channel(self.unit, ctx)
        return ret(channel.ref() if channel is not None else None)

    def rpc_destroyChannel(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if "channel" not in p:
            raise invalid_params("missing parameter 'channel'")
        ref = p["channel"]
        hub = self.emu.events
        hub.prune()
        target = self.emu.try_resolve(ref["rid"]) if isinstance(ref, dict) else None
        if not isinstance(target, Channel) or target.unit is not self.unit or not hub.has(target):
            return ret(INVALID_CHANNEL)
        hub.destroy(target)
        return ret(0)

    def rpc_pushEvent(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.emu.events.push(self.unit, [arg(p, "event", dict)])

    def rpc_pushEvents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        events = arg(p, "events", list)
        if not all(isinstance(e, dict) for e in events):
            raise invalid_params("events must be a list of event valueobjects")
        self.emu.events.push(self.unit, events)


_TIMEOUT, _EVENT, _CLOSED, _DROPPED = "timeout", "event", "closed", "dropped"


class Channel(RpcObject):
    """One ``event.Channel``: its filters and its queue."""

    iface = "EventChannel"

    def __init__(self, hub: EventHub, unit: Unit, number: int, token: str | None) -> None:
        super().__init__(unit, f"evtChannel.{number}")
        self.hub = hub
        self.number = number
        self.session_token = token
        """The token of the session that created the channel (None: Basic auth)."""
        self.last_used = unit.emu.clock.monotonic()
        self.registered_rid = self.rid
        self.types: dict[str, None] = {}
        self.selects: dict[tuple[str, RpcObject], None] = {}
        self.queue: deque[tuple[str, dict[str, Any]]] = deque()
        self.waiters: list[asyncio.Future[str]] = []
        self.closed = False

    # --- model --------------------------------------------------------------------------------
    def wants(self, chain: tuple[str, ...], source: RpcObject | None) -> bool:
        for code in self.types:
            if any(compatible(c, code) for c in chain):
                return True
        return any(
            obj is source and any(compatible(c, code) for c in chain) for code, obj in self.selects
        )

    def deliver(self, name: str, event: dict[str, Any]) -> None:
        if len(self.queue) >= MAX_QUEUE:
            lost, _ = self.queue.popleft()
            self.hub.count("dropped", lost)
        self.queue.append((name, event))
        self.hub.count("queued", name)
        self.wake(_EVENT)

    def wake(self, outcome: str) -> None:
        for future in self.waiters:
            if not future.done():
                future.set_result(outcome)

    def take(self) -> dict[str, Any]:
        events = [self.queue.popleft() for _ in range(min(MAX_POLL_EVENTS, len(self.queue)))]
        for name, _ in events:
            self.hub.count("delivered", name)
        return {"_ret_": bool(self.queue), "events": [event for _, event in events]}

    # --- RPC ----------------------------------------------------------------------------------
    def call(self, ctx: CallContext, method: str, params: dict[str, Any]) -> Any:
        hub = self.hub
        if not hub.alive(self):
            hub.destroy(self)
            raise HttpStatusError(404, "Not Found")
        self.last_used = self.emu.clock.monotonic()
        return super().call(ctx, method, params)

    def _select(self, item: Any) -> tuple[str, RpcObject | None]:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise invalid_params("an EventSelect needs a typecode 'type' and 'src'")
        return item["type"], self._source(item.get("src"))

    def _source(self, ref: Any) -> RpcObject | None:
        if ref is None:
            return None
        if not isinstance(ref, dict) or not isinstance(ref.get("rid"), str):
            raise invalid_params("src must be an object reference")
        obj = self.emu.try_resolve(ref["rid"])
        return obj if obj is not None else self  # an unknown object: selects nothing

    def _demand(self, code: str, src: RpcObject | None) -> None:
        if src is None:
            self.types[code] = None
        else:
            self.selects[(code, src)] = None
        self.hub.filters_changed()

    def _cancel(self, code: str, src: RpcObject | None) -> None:
        if src is None:
            self.types.pop(code, None)
        else:
            self.selects.pop((code, src), None)
        self.hub.filters_changed()

    def _codes(self, p: dict[str, Any]) -> list[str]:
        codes = arg(p, "types", list)
        if not all(isinstance(c, str) for c in codes):
            raise invalid_params("types must be a list of typecodes")
        return codes

    def _events(self, p: dict[str, Any]) -> list[tuple[str, RpcObject | None]]:
        return [self._select(item) for item in arg(p, "events", list)]

    def rpc_demandEventType(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._demand(arg(p, "type", str), None)

    def rpc_cancelEventType(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._cancel(arg(p, "type", str), None)

    def rpc_demandEventTypes(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        for code in self._codes(p):
            self._demand(code, None)

    def rpc_cancelEventTypes(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        for code in self._codes(p):
            self._cancel(code, None)

    def rpc_demandEvent(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._demand(*self._select({"type": p.get("type"), "src": arg(p, "src", object)}))

    def rpc_cancelEvent(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._cancel(*self._select({"type": p.get("type"), "src": arg(p, "src", object)}))

    def rpc_demandEvents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        for code, src in self._events(p):
            self._demand(code, src)

    def rpc_cancelEvents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        for code, src in self._events(p):
            self._cancel(code, src)

    def rpc_pollEvents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.queue or ctx.in_bulk:
            return self.take()
        return LongPoll(self)

    def rpc_pollEventsNb(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return self.take()


class LongPoll:
    """A ``pollEvents`` that found its channel empty: the server answers it after :meth:`result`,
    outside the device lock (``respond`` turns the result into the JSON-RPC response)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.respond: Callable[[dict[str, Any]], Any] = lambda result: result

    async def result(self) -> dict[str, Any] | None:
        """The poll's result once an event is queued or 30 s passed (None: the device went
        down while waiting, the connection is to be reset)."""
        channel = self.channel
        hub = channel.hub
        if channel.closed:
            return {"_ret_": False, "events": []}
        if channel.queue:
            return channel.take()
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def timeout() -> None:
            if not future.done():
                future.set_result(_TIMEOUT)

        channel.waiters.append(future)
        hub.waiting += 1
        timer = hub.clock.call_later(POLL_TIMEOUT, timeout)
        try:
            outcome = await future
        finally:
            timer.cancel()
            channel.waiters.remove(future)
            hub.waiting -= 1
        if outcome == _DROPPED:
            return None
        if outcome == _CLOSED:
            return {"_ret_": False, "events": []}
        return channel.take()


# --- the hub -------------------------------------------------------------------------------------
class EventHub:
    """``emu.events``: channels, the batches in which the model reports changes, who acts."""

    def __init__(self, emu: PduEmulator) -> None:
        self._emu = emu
        self.max_channels = MAX_CHANNELS
        self._channels: dict[Channel, None] = {}
        self._numbers = 0
        self._depth = 0
        self._dirty: dict[object, None] = {}
        self._actors: list[Actor] = []
        self._reading_demand: list[Sensor] | None = None
        self.waiting = 0
        self._clear_reported()
        self.reset_stats()

    @property
    def clock(self) -> Any:
        return self._emu.clock

    # --- who acts, batches ---------------------------------------------------------------------
    def actor(self) -> Actor:
        """The user of UserEvents now: the caller of the RPC being served, the one given by
        :meth:`as_user`, else the PDU's front panel."""
        return self._actors[-1] if self._actors else LOCAL_DISPLAY

    @contextlib.contextmanager
    def as_user(self, user: str, ip: str) -> Iterator[None]:
        """Changes made through the test API inside are made by ``user`` from ``ip``."""
        self._actors.append(Actor(user, ip))
        try:
            with self.batch():
                yield
        finally:
            self._actors.pop()

    def calling(self, ctx: CallContext) -> contextlib.AbstractContextManager[None]:
        """One RPC call: its UserEvents name the caller, its state events follow at its end
        (nothing to do while no channel exists)."""
        if not self._channels:
            return _NOTHING
        return self.as_user(ctx.username, ctx.remote_ip)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """State events of what is touched inside are emitted when the outermost batch ends."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._dirty:
                self.flush()

    @contextlib.contextmanager
    def change(self, *objs: object) -> Iterator[None]:
        """A change of ``objs`` (outlets, sensors, breakers, peripherals, units, ``CASCADE``)."""
        with self.batch():
            self.touch(*objs)
            yield

    def link_change(self) -> contextlib.AbstractContextManager[None]:
        """A change that may change link unit statuses (LinkUnitStatusChangedEvent)."""
        return self.change(CASCADE)

    def touch(self, *objs: object) -> None:
        if not self._channels:
            return
        for obj in objs:
            self._dirty[obj] = None
        if self._depth == 0:
            self.flush()

    # --- emitting ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether a channel exists (only then is anything reported)."""
        return bool(self._channels)

    def emit(self, key: str, source: RpcObject, **fields: Any) -> None:
        """Emit event ``key`` (see ``EVENT_TYPES``) originated by ``source``; ``fields`` in IDL
        order (the UserEvent fields are added from :meth:`actor`)."""
        if not self._channels:
            return
        profile = self._emu.profile
        value: dict[str, Any] = {"source": source.ref()}
        if EVENT_TYPES[key].user:
            actor = self.actor()
            value.update(actUserName=actor.user, actIpAddr=actor.ip)
        value.update(fields)
        code = event_typecode(profile, key)
        self._deliver(source.unit, event_chain(profile, key), source, code, value)

    def push(self, unit: Unit, events: Iterable[dict[str, Any]]) -> None:
        """``Service.pushEvent(s)``: events from a client, to this service's channels."""
        for event in events:
            code, value = event.get("type"), event.get("value")
            if not isinstance(code, str) or not isinstance(value, dict):
                raise invalid_params("an event is {'type': <typecode>, 'value': {...}}")
            src = value.get("source")
            source = self._emu.try_resolve(src["rid"]) if isinstance(src, dict) else None
            self._deliver(unit, (code, IDL_EVENT), source, code, value)

    def _deliver(
        self,
        unit: Unit,
        chain: tuple[str, ...],
        source: RpcObject | None,
        code: str,
        value: dict[str, Any],
    ) -> None:
        name = base_name(code)
        self.count("emitted", name)
        event = {"type": code, "value": value}
        for channel in list(self._channels):
            if channel.unit is unit and channel.wants(chain, source) and self.alive(channel):
                channel.deliver(name, event)

    # --- channels ------------------------------------------------------------------------------
    def create_channel(self, unit: Unit, ctx: CallContext) -> Channel | None:
        self.prune()
        if len(self._channels) >= self.max_channels:
            return None
        if not self._channels:
            self._activate()
        self._numbers += 1
        token = ctx.session.token if ctx.session is not None else None
        channel = Channel(self, unit, self._numbers, token)
        self._channels[channel] = None
        self._emu.register(channel)
        return channel

    def channels(self) -> list[Channel]:
        return list(self._channels)

    def objects(self) -> Iterator[RpcObject]:
        """The live channels (for the RID registry)."""
        yield from self._channels

    def has(self, channel: Channel) -> bool:
        return channel in self._channels

    def alive(self, channel: Channel) -> bool:
        if channel.closed:
            return False
        emu = self._emu
        now = emu.clock.monotonic()
        if channel.session_token is not None:
            session = emu.sessions.get(channel.session_token)
            return session is not None and not emu.session_expired(session, now)
        return round(now - channel.last_used, 6) < emu.config.session_timeout

    def destroy(self, channel: Channel, *, drop: bool = False) -> None:
        """The channel dies: its RID answers 404; a waiting poll answers at once (``drop``: its
        connection is reset instead, the device went down)."""
        if channel not in self._channels:
            return
        del self._channels[channel]
        channel.closed = True
        channel.queue.clear()
        self._emu.unregister(channel)
        channel.wake(_DROPPED if drop else _CLOSED)
        if not self._channels:
            self._clear_reported()
        self.filters_changed()

    def prune(self) -> None:
        """Destroy the channels whose session ended (logout, expiry)."""
        for channel in list(self._channels):
            if not self.alive(channel):
                self.destroy(channel)

    def reset(self, *, drop: bool, units: Iterable[Unit] | None = None) -> None:
        """Every channel (of ``units``) dies: reboot, power loss, a link unit released."""
        hit = None if units is None else {id(u) for u in units}
        for channel in list(self._channels):
            if hit is None or id(channel.unit) in hit:
                self.destroy(channel, drop=drop)

    def filters_changed(self) -> None:
        """A channel's filters changed: newly selected ReadingChangedEvent sources report
        changes from their reading now on."""
        self._reading_demand = None
        if self._channels:
            for sensor in self.reading_demand():
                if sensor not in self._readings:
                    self._readings[sensor] = _reading_key(sensor, sensor.reading())

    # --- reported state ------------------------------------------------------------------------
    def _clear_reported(self) -> None:
        self._outlets: dict[Outlet, dict[str, Any]] = {}
        self._states: dict[Sensor, dict[str, Any]] = {}
        self._numeric: dict[Sensor, dict[str, Any]] = {}
        self._readings: dict[Sensor, tuple[Any, ...]] = {}
        self._alerts: dict[Unit, dict[Sensor, tuple[RpcObject, int]]] = {}
        self._links: dict[int, int] = {}
        self._dirty = {}

    def _activate(self) -> None:
        """The first channel: remember the state of everything, so changes can be reported."""
        emu = self._emu
        for unit in emu.units:
            unit.tick()  # the comparators are up to date
        for unit in emu.units:
            self.baseline(unit)
        self._links = self._link_statuses()
        emu.sampler.start_timer()

    def baseline(self, unit: Unit) -> None:
        """Remember the state of a unit's objects (when the hub starts, when a unit appears)."""
        for outlet in unit.outlets:
            self._outlets[outlet] = outlet.state()
        for sensor in unit.all_sensors():
            if sensor.numeric is not None:
                self._numeric[sensor] = sensor.reading()
            else:
                self._states[sensor] = sensor.state()
        self._alerts[unit] = unit.alerted_sensor_manager.alert_states()

    def flush(self) -> None:
        """Report what changed on the touched objects."""
        while self._dirty:
            dirty, self._dirty = list(self._dirty), {}
            units: dict[Unit, None] = {}
            for obj in dirty:
                unit = self._check(obj)
                if unit is not None:
                    units[unit] = None
            for unit in units:
                self._check_alerts(unit)

    def _check(self, obj: object) -> Unit | None:
        if isinstance(obj, Outlet):
            self._check_outlet(obj)
            self._check_sensor(obj.sensors["outletState"])
        elif isinstance(obj, Ocp):
            self._check_sensor(obj.sensors["trip"])
        elif isinstance(obj, Peripheral):
            self._check_sensor(obj.sensor)
        elif isinstance(obj, Sensor):
            self._check_sensor(obj)
        elif obj == CASCADE:
            self._check_links()
            return None
        unit = getattr(obj, "unit", obj)
        return unit if isinstance(unit, Unit) and unit in self._alerts else None

    def _check_outlet(self, outlet: Outlet) -> None:
        new = outlet.state()
        old = self._outlets.get(outlet)
        self._outlets[outlet] = new
        if old is not None and old != new:
            self.emit("Outlet.StateChangedEvent", outlet, oldState=old, newState=new)

    def _check_sensor(self, sensor: Sensor) -> None:
        if sensor.numeric is not None:
            self._check_numeric(sensor)
            return
        new = sensor.state()
        old = self._states.get(sensor)
        self._states[sensor] = new
        if old is None or (old["available"], old["value"]) == (new["available"], new["value"]):
            return
        if sensor.iface != "TripSensor":
            self.emit("StateSensor.StateChangedEvent", sensor, oldState=old, newState=new)
            return
        fields: dict[str, Any] = {"tripCause": None}
        if self._emu.profile.is_4x:
            fields["tripInformation"] = sensor.trip_information()
        self.emit("TripSensor.TripStateChangedEvent", sensor, oldState=old, newState=new, **fields)

    def _check_numeric(self, sensor: Sensor) -> None:
        new = sensor.reading()
        old = self._numeric.get(sensor)
        self._numeric[sensor] = new
        if old is not None and _numeric_state(old) != _numeric_state(new):
            self.emit("NumericSensor.StateChangedEvent", sensor, oldReading=old, newReading=new)

    def _check_alerts(self, unit: Unit) -> None:
        manager = unit.alerted_sensor_manager
        new = manager.alert_states()
        old = self._alerts.get(unit)
        self._alerts[unit] = new
        if old is None:
            return
        changed = [
            {"sensor": sensor.ref(), "parent": parent.ref(), "alertState": state}
            for sensor, (parent, state) in new.items()
            if (old[sensor][1] != state if sensor in old else state != ALERT_NORMAL)
        ]
        removed = [
            sensor.ref()
            for sensor, (_, state) in old.items()
            if sensor not in new and state != ALERT_NORMAL
        ]
        counts = manager.counts(new)
        if new.keys() != old.keys():
            self.emit("AlertedSensorManager.MonitoredSensorsChangedEvent", manager, counts=counts)
        if changed or removed:
            self.emit(
                "AlertedSensorManager.AlertedSensorsChangedEvent",
                manager,
                counts=counts,
                changedSensors=changed,
                removedSensors=removed,
            )

    def _link_statuses(self) -> dict[int, int]:
        return {u.pdu_id: u.link_status for u in self._emu.units[1:]}

    def _check_links(self) -> None:
        new = self._link_statuses()
        old, self._links = self._links, new
        cascade = self._emu.site_object(0, "/cascade")
        for link_id, status in new.items():
            if link_id in old and old[link_id] != status:
                self.emit(
                    "CascadeManager.LinkUnitStatusChangedEvent",
                    cascade,
                    **self.link_fields(self._emu.unit(link_id)),
                    oldStatus=old[link_id],
                    newStatus=status,
                )

    def link_fields(self, unit: Unit) -> dict[str, Any]:
        """``linkId``, ``type`` (4.x: NETWORK) and ``host`` of a link unit's events."""
        fields: dict[str, Any] = {"linkId": unit.pdu_id}
        if self._emu.profile.is_4x:
            fields["type"] = 0
        fields["host"] = unit.link_host
        return fields

    # --- the sampler's view --------------------------------------------------------------------
    def sample_observer(self) -> Callable[[list[Sensor]], None] | None:
        """What to do after each sample of a catch-up (None: no channel, nothing to report)."""
        if not self._channels:
            return None
        numeric = list(self._emu.sampler.numeric_sensors())
        demand = self.reading_demand()

        def observe(changed: list[Sensor]) -> None:
            units: dict[Unit, None] = {}
            for sensor in changed:
                self._check_numeric(sensor)
                units[sensor.unit] = None
            for sensor in numeric:
                old = self._numeric.get(sensor)
                if old is None or old["available"] != sensor.is_available():
                    self._check_numeric(sensor)
                    units[sensor.unit] = None
            for sensor in demand:
                self._reading_changed(sensor)
            for unit in units:
                if unit in self._alerts:
                    self._check_alerts(unit)

        return observe

    def reading_demand(self) -> list[Sensor]:
        """Numeric sensors whose ``ReadingChangedEvent`` some channel selects."""
        if self._reading_demand is None:
            chain = event_chain(self._emu.profile, "NumericSensor.ReadingChangedEvent")
            units = {  # units with a channel that selects them from every source
                id(ch.unit)
                for ch in self._channels
                if any(compatible(c, code) for c in chain for code in ch.types)
            }
            wanted = {
                id(obj)
                for ch in self._channels
                for code, obj in ch.selects
                if any(compatible(c, code) for c in chain)
            }
            self._reading_demand = [
                s
                for s in self._emu.sampler.numeric_sensors()
                if id(s.unit) in units or id(s) in wanted
            ]
        return self._reading_demand

    def _reading_changed(self, sensor: Sensor) -> None:
        """``ReadingChangedEvent`` when the value changed in a displayed digit (``decdigits``) or
        available, valid or the status changed (IDL)."""
        reading = sensor.reading()
        key = _reading_key(sensor, reading)
        old = self._readings.get(sensor)
        self._readings[sensor] = key
        if old is not None and old != key:
            self.emit("NumericSensor.ReadingChangedEvent", sensor, newReading=reading)

    # --- stats ---------------------------------------------------------------------------------
    def count(self, kind: str, name: str) -> None:
        self._counts[kind][name] += 1

    def reset_stats(self) -> None:
        self._counts: dict[str, Counter[str]] = {
            kind: Counter() for kind in ("emitted", "queued", "delivered", "dropped")
        }

    def stats(self) -> dict[str, Any]:
        """``stats()["events"]``: channels open, polls waiting, events per type (versions
        stripped): ``emitted`` while a channel existed, ``queued`` into channels (once per
        channel), ``delivered`` by a poll, ``dropped`` from full queues."""
        self.prune()
        out: dict[str, Any] = {
            "channels_open": len(self._channels),
            "long_polls_waiting": self.waiting,
            "samples": self._emu.sampler.samples,
        }
        for kind, counts in self._counts.items():
            out[kind] = dict(sorted(counts.items()))
        return out


def _numeric_state(reading: dict[str, Any]) -> tuple[Any, ...]:
    return (reading["available"], reading["valid"], tuple(reading["status"].values()))


def _reading_key(sensor: Sensor, reading: dict[str, Any]) -> tuple[Any, ...]:
    """What a ReadingChangedEvent compares: the value as displayed, and the state."""
    assert sensor.numeric is not None
    return (round(reading["value"], sensor.numeric.decdigits), *_numeric_state(reading))
