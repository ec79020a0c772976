"""Alarms: the threshold states of the readings the polls already fetch (issue #10).

Every numeric reading carries the device's own threshold flags (``aboveUpperCritical`` ...,
:attr:`~.xerus.NumericReading.threshold_state`). An object's alarm level and a unit's "Alarm"
look only at the sensors that the default entities poll anyway (:data:`ALARM_FIELDS`), so they
cost no sub-request; a breaker's trip sensor counts as critical.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Any, Final

from .coordinator import RaritanCoordinator
from .entity import RaritanEntity
from .objects import (
    MeteredObject,
    ObjectKind,
    PduObject,
    metered_objects,
    peripheral_object,
    repeats_unit_total,
    sensors_of,
)
from .xerus import Readings, SensorInfo, ThresholdState, UnitTopology
from .xerus.models import InletInfo, OcpInfo, OutletInfo, PeripheralInfo, PoleInfo

#: Per object kind, the numeric fields whose threshold states count: the fields that the
#: entities enabled by default read in every poll (no extra sub-request for an alarm).
ALARM_FIELDS: Final[Mapping[ObjectKind, frozenset[str]]] = MappingProxyType(
    {
        ObjectKind.UNIT: frozenset({"activePower", "apparentPower"}),
        ObjectKind.INLET: frozenset(
            {"current", "activePower", "apparentPower", "powerFactor", "voltage", "residualCurrent"}
        ),
        ObjectKind.POLE: frozenset(
            {"current", "activePower", "apparentPower", "powerFactor", "voltage", "voltageLN"}
        ),
        ObjectKind.OCP: frozenset({"current", "activePower"}),
        ObjectKind.OUTLET: frozenset({"current", "activePower"}),
        ObjectKind.EXT: frozenset({"device"}),
    }
)
#: OpenClosedState of a breaker's trip sensor: 0 = open = tripped.
TRIPPED: Final = 0
_SEVERITY: Final = {ThresholdState.NORMAL: 0, ThresholdState.WARNING: 1, ThresholdState.CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class Watched:
    """A sensor an alarm looks at: its object, field and a label for attributes."""

    target: MeteredObject
    field: str
    info: SensorInfo
    #: ``info.rid``, and whether it is a breaker's trip sensor (a state, not a reading).
    rid: str = dataclass_field(init=False)
    trip: bool = dataclass_field(init=False)
    #: ``Outlet 3 current``, ``Inlet I1 voltage``, ``Breaker 1 tripped``, ``Temperature 1``
    #: (made once: a watched sensor lives as long as its topology).
    label: str = dataclass_field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rid", self.info.rid)
        object.__setattr__(self, "trip", self.field == "trip")
        object.__setattr__(self, "label", _label(self.target, self.field))


def _label(target: MeteredObject, field: str) -> str:
    name = object_label(target)
    if field == "device":
        return name
    if field == "trip":
        return f"{name} tripped"
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in field)
    return f"{name} {words.replace(' l n', ' LN')}"


def object_label(target: MeteredObject) -> str:
    """How alarm attributes name an object (labels from the PDU, stable across renames)."""
    obj = target.obj
    if isinstance(obj, OutletInfo):
        return obj.display_name
    if isinstance(obj, InletInfo):
        return f"Inlet {obj.label}"
    if isinstance(obj, PoleInfo):
        return target.placeholders.get("line", obj.label)
    if isinstance(obj, OcpInfo):
        return f"Breaker {obj.label}"
    if isinstance(obj, PeripheralInfo):
        return obj.display_name
    return "Total"


def object_watched(unit: UnitTopology, target: MeteredObject) -> Iterator[Watched]:
    """The numeric sensors of one object whose threshold states count."""
    fields = ALARM_FIELDS.get(target.kind, frozenset())
    for name, info in sensors_of(target.obj).items():
        if name not in fields or info.is_state:
            continue
        if repeats_unit_total(unit, target.kind, name):
            continue
        yield Watched(target, name, info)


def unit_watched(unit: UnitTopology) -> Iterator[Watched]:
    """Everything a unit's "Alarm" looks at: the watched numeric sensors of every object, the
    external numeric sensors and the breakers' trip sensors."""
    for target in metered_objects(unit):
        yield from object_watched(unit, target)
        if isinstance(target.obj, OcpInfo) and (trip := target.obj.sensors.get("trip")):
            yield Watched(target, "trip", trip)
    for peripheral in unit.peripherals:
        info = peripheral.sensor
        if info is not None and not peripheral.is_actuator and not info.is_state:
            yield from object_watched(unit, peripheral_object(unit, peripheral))


def sensor_state(watched: Watched, data: Readings) -> ThresholdState | None:
    """The alarm state of one watched sensor from the merged readings (``None``: unknown)."""
    if watched.trip:
        state = data.states.get(watched.rid)
        if state is None or state.value is None:
            return None
        return ThresholdState.CRITICAL if state.value == TRIPPED else ThresholdState.NORMAL
    reading = data.numeric.get(watched.rid)
    return None if reading is None else reading.threshold_state


@dataclass(frozen=True, slots=True)
class AlarmSummary:
    """The alarm states of a set of watched sensors: the worst, and which are in alarm."""

    state: ThresholdState | None
    warning: tuple[str, ...] = ()
    critical: tuple[str, ...] = ()


def summarize(watched: list[Watched], data: Readings) -> AlarmSummary:
    """Worst state of ``watched`` (``None`` if none is known) and the labels in alarm."""
    worst: ThresholdState | None = None
    warning: list[str] = []
    critical: list[str] = []
    numeric = data.numeric
    for item in watched:
        # sensor_state(), inlined for the numeric readings (a unit's alarm watches a hundred,
        # summarized whenever one of them changed)
        if item.trip:
            state = sensor_state(item, data)
        else:
            try:
                state = numeric[item.rid].threshold_state
            except KeyError:
                continue
        if state is None:
            continue
        if worst is None or _SEVERITY[state] > _SEVERITY[worst]:
            worst = state
        if state is ThresholdState.WARNING:
            warning.append(item.label)
        elif state is ThresholdState.CRITICAL:
            critical.append(item.label)
    return AlarmSummary(worst, tuple(warning), tuple(critical))


def severity(state: ThresholdState | None) -> int:
    """0 normal or unknown, 1 warning, 2 critical (for comparisons)."""
    return 0 if state is None else _SEVERITY[state]


class RaritanAlarmEntity(RaritanEntity):
    """Base of the alarm entities: the sensors they watch (re-resolved with every topology),
    the summary, its attributes (``warning``, ``critical``) and what is compared before a write.

    Available while the unit answers: one sensor's failed read is no unknown alarm. Told by
    the coordinator only when a watched reading's threshold state changed (a unit's alarm
    watches a hundred readings whose values move with every poll); the summary is made once
    per write (:meth:`_shown`, which every write runs first) and the state and attributes
    show that one.
    """

    _thresholds_only = True

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject, key: str) -> None:
        """Initialise the alarm entity ``key`` of ``target``."""
        super().__init__(coordinator, target, key)
        self._watched: list[Watched] = []
        self._shown_summary: AlarmSummary | None = None

    def _watch(self, unit: UnitTopology, obj: PduObject) -> Iterator[Watched]:
        """What the entity watches in the current topology."""
        raise NotImplementedError

    def _resolved_again(self) -> None:
        resolved = self._resolved
        self._watched = list(self._watch(*resolved)) if resolved is not None else []

    def _rids(self) -> set[str]:
        self._resolve()
        return {item.rid for item in self._watched}

    def _summary(self) -> AlarmSummary:
        """The summary of the state written last (:meth:`_shown` makes it before each write;
        made here only before the first)."""
        summary = self._shown_summary
        if summary is None:
            self._resolve()
            summary = summarize(self._watched, self.coordinator.data)
        return summary

    @property
    def available(self) -> bool:
        """Available while the polls succeed and the unit answers."""
        if not self.coordinator.last_update_success:
            return False
        self._resolve()
        return self._resolved is not None and self._unit_ok

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The watched sensors in warning and critical state (``Outlet 3 current``)."""
        summary = self._summary()
        return {"warning": list(summary.warning), "critical": list(summary.critical)}

    def _shown(self) -> tuple[Any, ...]:
        self._resolve()
        self._shown_summary = summary = summarize(self._watched, self.coordinator.data)
        return (self.available, summary.state, summary.warning, summary.critical)
