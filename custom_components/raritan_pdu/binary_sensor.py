"""Binary sensors: tripped breakers, inlet/unit problems, external state sensors, and the
outlets' on/off state for a PDU account that may not switch them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarms import RaritanAlarmEntity, Watched, unit_watched
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanFieldEntity, RaritanOutletEntity
from .helpers import async_setup_topology_entities
from .objects import (
    MeteredObject,
    ObjectKind,
    ObjectSensor,
    PduObject,
    RaritanFieldDescription,
    is_switchable,
    object_sensors,
    outlet_object,
    peripheral_object,
    unit_object,
)
from .xerus import Privilege, ThresholdState
from .xerus.const import ReadingType, SensorType, sensor_type_info
from .xerus.models import PeripheralInfo, Topology, UnitTopology

PARALLEL_UPDATES = 0

_PROBLEM = BinarySensorDeviceClass.PROBLEM
_DIAG = EntityCategory.DIAGNOSTIC
_INLET, _POLE, _OCP = ObjectKind.INLET, ObjectKind.POLE, ObjectKind.OCP
_EXT = frozenset({ObjectKind.EXT})


def _states(on: Iterable[int], off: Iterable[int]) -> Callable[[int], bool | None]:
    """Map the state values the sensor's enumeration defines; any other value is unknown (a
    firmware newer than this integration, a broken probe): never shown as a definite state."""
    on_values, off_values = frozenset(on), frozenset(off)

    def is_on(state: int) -> bool | None:
        if state in on_values:
            return True
        return False if state in off_values else None

    return is_on


def _is(value: int) -> Callable[[int], bool | None]:
    """On for ``value`` of a two-state enumeration (0/1), off for the other one."""
    return _states({value}, {1 - value})


def _is_not(value: int) -> Callable[[int], bool | None]:
    """Off for ``value`` of a two-state enumeration (0/1), on for the other one."""
    return _states({1 - value}, {value})


# Residual current: WARNING (1), CRITICAL (2), FAILURE (4) are problems; NORMAL and SELFTEST not.
_RESIDUAL = _states({1, 2, 4}, {0, 3})
# Power quality: WARNING (1) and CRITICAL (2) are problems.
_POWER_QUALITY = _states({1, 2}, {0})


@dataclass(frozen=True, kw_only=True)
class RaritanBinarySensorEntityDescription(
    BinarySensorEntityDescription, RaritanFieldDescription
):
    """A state sensor field (or external state sensor); ``is_on_fn`` maps the state value
    (``None``: a value the sensor's enumeration does not define)."""

    is_on_fn: Callable[[int], bool | None]


#: State sensor fields of Inlet/Pole/OverCurrentProtector/Pdu.Sensors (reference §5.4, §7), with
#: the object kinds that have them in firmware 3.6 or 4.4.
BINARY_SENSOR_DESCRIPTIONS: dict[str, RaritanBinarySensorEntityDescription] = {
    d.field: d
    for d in (
        # OpenClosedState: 0 = OPEN = tripped / blown fuse, 1 = CLOSED = OK.
        RaritanBinarySensorEntityDescription(
            key="tripped",
            translation_key="tripped",
            field="trip",
            kinds=frozenset({_OCP}),
            device_class=_PROBLEM,
            is_on_fn=_is(0),
        ),
        RaritanBinarySensorEntityDescription(
            key="residual_current_status",
            translation_key="residual_current_status",
            field="residualCurrentStatus",
            kinds=frozenset({_INLET, _POLE, _OCP}),
            device_class=_PROBLEM,
            is_on_fn=_RESIDUAL,
        ),
        RaritanBinarySensorEntityDescription(
            key="power_quality",
            translation_key="power_quality",
            field="powerQuality",
            kinds=frozenset({_INLET}),
            device_class=_PROBLEM,
            entity_category=_DIAG,
            is_on_fn=_POWER_QUALITY,
        ),
        RaritanBinarySensorEntityDescription(
            key="surge_protector_status",
            translation_key="surge_protector_status",
            field="surgeProtectorStatus",
            kinds=frozenset({_INLET}),
            device_class=_PROBLEM,
            entity_category=_DIAG,
            is_on_fn=_is_not(0),
        ),
        # A vector: one entity per power supply. A unit's power supply is no "total".
        RaritanBinarySensorEntityDescription(
            key="power_supply_status",
            indexed_key="power_supply_{number}_status",
            translation_key="power_supply_status",
            prefixed=False,
            field="powerSupplyStatus",
            kinds=frozenset({ObjectKind.UNIT}),
            device_class=_PROBLEM,
            entity_category=_DIAG,
            is_on_fn=_is_not(0),
        ),
    )
}


def _ext(
    sensor_type: SensorType,
    device_class: BinarySensorDeviceClass | None,
    is_on_fn: Callable[[int], bool | None],
    translation_key: str | None = None,
) -> tuple[int, RaritanBinarySensorEntityDescription]:
    kind = sensor_type.name.lower()
    return int(sensor_type), RaritanBinarySensorEntityDescription(
        key=kind,
        translation_key=translation_key or f"ext_{kind}",
        field="device",
        kinds=_EXT,
        device_class=device_class,
        is_on_fn=is_on_fn,
    )


_ALARMED = _is(1)
_OPEN = _is(0)

#: External state sensors per sensor type (reference §8.5): NormalAlarmedState 1 = alarmed,
#: OnOffState 1 = on, OpenClosedState 0 = open (door open, lock unlocked, breaker tripped).
EXT_BINARY_SENSOR_DESCRIPTIONS: dict[int, RaritanBinarySensorEntityDescription] = dict(
    (
        _ext(SensorType.CONTACT_CLOSURE, None, _ALARMED),
        _ext(SensorType.ON_OFF_SENSOR, BinarySensorDeviceClass.POWER, _is(1)),
        _ext(SensorType.TRIP_SENSOR, _PROBLEM, _OPEN),
        _ext(SensorType.VIBRATION, BinarySensorDeviceClass.VIBRATION, _ALARMED),
        _ext(SensorType.WATER_LEAK, BinarySensorDeviceClass.MOISTURE, _ALARMED),
        _ext(SensorType.SMOKE_DETECTOR, BinarySensorDeviceClass.SMOKE, _ALARMED),
        _ext(SensorType.MAGNETIC_FIELD_STRENGTH, None, _ALARMED),
        _ext(SensorType.FAULT_STATE, _PROBLEM, _is_not(0)),
        # The inlet's field of the same meaning names it.
        _ext(SensorType.POWER_QUALITY, _PROBLEM, _POWER_QUALITY, "power_quality"),
        _ext(SensorType.MOTION, BinarySensorDeviceClass.MOTION, _ALARMED),
        _ext(SensorType.OCCUPANCY, BinarySensorDeviceClass.OCCUPANCY, _ALARMED),
        _ext(SensorType.TAMPER, BinarySensorDeviceClass.TAMPER, _ALARMED),
        _ext(SensorType.DRY_CONTACT, None, _is(1)),
        _ext(SensorType.POWERED_DRY_CONTACT, None, _is(1)),
        _ext(SensorType.DOOR_STATE, BinarySensorDeviceClass.DOOR, _OPEN),
        # LOCK: on means unlocked; OPEN (0) = lock open.
        _ext(SensorType.DOOR_LOCK_STATE, BinarySensorDeviceClass.LOCK, _OPEN),
        _ext(SensorType.DOOR_HANDLE_LOCK, BinarySensorDeviceClass.LOCK, _OPEN),
        _ext(SensorType.SHELF_POWER_SUPPLY_FAULT, _PROBLEM, _is_not(0)),
    )
)

#: Other on/off state sensors: "on" = 1, no device class, keyed by their type name.
EXT_STATE_DESCRIPTION = RaritanBinarySensorEntityDescription(
    key="state", translation_key="ext_state", field="device", kinds=_EXT, is_on_fn=_is(1)
)


def describe_peripheral(peripheral: PeripheralInfo) -> RaritanBinarySensorEntityDescription | None:
    """Description of an external state sensor (not actuators), or ``None`` if not binary."""
    spec = peripheral.type_spec
    description = EXT_BINARY_SENSOR_DESCRIPTIONS.get(int(spec.type))
    if description is not None:
        return description
    if spec.readingtype == ReadingType.DISCRETE_ON_OFF:
        return replace(EXT_STATE_DESCRIPTION, key=sensor_type_info(int(spec.type)).kind)
    return None


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[BinarySensorEntity]:
    """Every binary sensor entity of the topology."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        yield RaritanAlarmBinarySensor(coordinator, unit)
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                yield RaritanOutletBinarySensor(coordinator, outlet_object(unit, outlet))
        for sensor in object_sensors(unit, BINARY_SENSOR_DESCRIPTIONS, state=True):
            yield RaritanBinarySensor(coordinator, sensor)
        for peripheral in unit.peripherals:
            info = peripheral.sensor
            if info is None or peripheral.is_actuator or not info.is_state:
                continue
            description = describe_peripheral(peripheral)
            if description is not None:
                target = peripheral_object(unit, peripheral)
                sensor = ObjectSensor(target, description, "device", None, info)
                yield RaritanBinarySensor(coordinator, sensor)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of every unit, and of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanBinarySensor(RaritanFieldEntity, BinarySensorEntity):
    """A state sensor of a PDU object or an external sensor, as a binary sensor."""

    entity_description: RaritanBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The mapped state; ``None`` (unknown) when the sensor reports no valid state."""
        rid = self.sensor_rid
        reading = None if rid is None else self.coordinator.data.states.get(rid)
        if reading is None or reading.value is None:
            return None
        return self.entity_description.is_on_fn(reading.value)

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on)


#: A switchable outlet's on/off state, named like its outlet device (as its switch is).
OUTLET_DESCRIPTION = BinarySensorEntityDescription(
    key="power_state",
    translation_key="outlet",
    device_class=BinarySensorDeviceClass.POWER,
    name=None,
)


class RaritanOutletBinarySensor(RaritanOutletEntity, BinarySensorEntity):
    """Whether a switchable outlet is on, for an account without *Switch Outlet* (#12): it
    stands in for the outlet's switch, with the same state, attributes and availability."""

    only_without_privilege = Privilege.SWITCH_OUTLET

    entity_description = OUTLET_DESCRIPTION
    _attr_name = None

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the on/off state of the outlet ``target``."""
        super().__init__(coordinator, target, OUTLET_DESCRIPTION.key)


# --- alarms (issue #10) ----------------------------------------------------------------------

#: The unit's "Alarm": on while any sensor it watches is in warning or critical state
#: (:func:`.alarms.unit_watched`: the readings the default entities poll, breakers' trips).
ALARM_DESCRIPTION = BinarySensorEntityDescription(
    key="alarm", translation_key="alarm", device_class=_PROBLEM
)


class RaritanAlarmBinarySensor(RaritanAlarmEntity, BinarySensorEntity):
    """A unit's alarm, with the sensors in warning and critical state as attributes."""

    entity_description = ALARM_DESCRIPTION

    def __init__(self, coordinator: RaritanCoordinator, unit: UnitTopology) -> None:
        """Initialise the alarm of ``unit``."""
        super().__init__(coordinator, unit_object(unit), ALARM_DESCRIPTION.key)

    def _watch(self, unit: UnitTopology, obj: PduObject) -> Iterator[Watched]:
        return unit_watched(unit)

    @property
    def is_on(self) -> bool | None:
        """On while a watched sensor is in warning or critical state."""
        state = self._summary().state
        return None if state is None else state is not ThresholdState.NORMAL
