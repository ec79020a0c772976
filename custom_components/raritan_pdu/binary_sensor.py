"""Binary sensors: tripped breakers, inlet/unit problems and external state sensors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry
from .entity import (
    KIND_INLET,
    KIND_OCP,
    KIND_POLE,
    KIND_UNIT,
    ObjectRef,
    RaritanFieldEntity,
    async_setup_topology_entities,
    device_info_for,
    sensors_of,
)
from .sensor import object_sensors
from .xerus.const import ReadingType, SensorType, sensor_type_info
from .xerus.models import PeripheralInfo, SensorKind, Topology

PARALLEL_UPDATES = 0

_PROBLEM = BinarySensorDeviceClass.PROBLEM


def _is(value: int) -> Callable[[int], bool]:
    return lambda state: state == value


def _is_not(value: int) -> Callable[[int], bool]:
    return lambda state: state != value


# Residual current: WARNING (1), CRITICAL (2), FAILURE (4) are problems; NORMAL and SELFTEST not.
_RESIDUAL_PROBLEM = frozenset({1, 2, 4})


@dataclass(frozen=True, kw_only=True)
class RaritanBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A state sensor, keyed by its IDL field name; ``is_on_fn`` maps the state value."""

    is_on_fn: Callable[[int], bool]


#: State sensors of Inlet/Pole/OverCurrentProtector/Pdu.Sensors (reference §5.4, §7).
BINARY_SENSOR_DESCRIPTIONS: dict[str, RaritanBinarySensorEntityDescription] = {
    d.key: d
    for d in (
        # OpenClosedState: 0 = OPEN = tripped / blown fuse, 1 = CLOSED = OK.
        RaritanBinarySensorEntityDescription(
            key="trip",
            translation_key="tripped",
            device_class=_PROBLEM,
            is_on_fn=_is(0),
        ),
        RaritanBinarySensorEntityDescription(
            key="residualCurrentStatus",
            translation_key="residual_current_status",
            device_class=_PROBLEM,
            is_on_fn=lambda state: state in _RESIDUAL_PROBLEM,
        ),
        RaritanBinarySensorEntityDescription(
            key="powerQuality",
            translation_key="power_quality",
            device_class=_PROBLEM,
            entity_category=EntityCategory.DIAGNOSTIC,
            is_on_fn=_is_not(0),
        ),
        RaritanBinarySensorEntityDescription(
            key="surgeProtectorStatus",
            translation_key="surge_protector_status",
            device_class=_PROBLEM,
            entity_category=EntityCategory.DIAGNOSTIC,
            is_on_fn=_is_not(0),
        ),
        RaritanBinarySensorEntityDescription(
            key="powerSupplyStatus",
            translation_key="power_supply_status",
            device_class=_PROBLEM,
            entity_category=EntityCategory.DIAGNOSTIC,
            is_on_fn=_is_not(0),
        ),
    )
}

_UNIQUE_KEYS = {
    "trip": "tripped",
    "residualCurrentStatus": "residual_current_status",
    "powerQuality": "power_quality",
    "surgeProtectorStatus": "surge_protector_status",
}
_PREFIX = {KIND_INLET: "inlet_", KIND_POLE: "pole_", KIND_OCP: "ocp_", KIND_UNIT: ""}


def _ext(
    sensor_type: SensorType,
    device_class: BinarySensorDeviceClass | None,
    is_on_fn: Callable[[int], bool],
) -> tuple[int, RaritanBinarySensorEntityDescription]:
    kind = sensor_type.name.lower()
    return int(sensor_type), RaritanBinarySensorEntityDescription(
        key=kind, translation_key=f"ext_{kind}", device_class=device_class, is_on_fn=is_on_fn
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
        _ext(SensorType.POWER_QUALITY, _PROBLEM, _is_not(0)),
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

#: Unknown on/off state sensors: "on" = 1, no device class.
_GENERIC_EXT = RaritanBinarySensorEntityDescription(
    key="state", translation_key="ext_state", is_on_fn=_is(1)
)


def describe_peripheral(peripheral: PeripheralInfo) -> RaritanBinarySensorEntityDescription | None:
    """Description of an external state sensor (not actuators), or ``None`` if not binary."""
    spec = peripheral.type_spec
    description = EXT_BINARY_SENSOR_DESCRIPTIONS.get(int(spec.type))
    if description is not None:
        return description
    if spec.readingtype == ReadingType.DISCRETE_ON_OFF:
        kind = sensor_type_info(int(spec.type)).kind
        return replace(_GENERIC_EXT, key=kind)
    return None


def _key(field: str) -> tuple[str, int | None]:
    """``powerSupplyStatus[1]`` → (``powerSupplyStatus``, 1); plain fields: (field, None)."""
    if field.endswith("]") and "[" in field:
        name, _, index = field[:-1].partition("[")
        if index.isdigit():
            return name, int(index)
    return field, None


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[RaritanBinarySensor]:
    """Every binary sensor entity of the topology."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for ref, obj, kind, placeholders, own_device in object_sensors(unit):
            device_info = device_info_for(unit, obj)
            for field, info in sensors_of(obj).items():
                name, index = _key(field)
                base = BINARY_SENSOR_DESCRIPTIONS.get(name)
                if base is None or info.kind is not SensorKind.STATE:
                    continue
                prefix = "" if own_device else _PREFIX.get(kind, "")
                key = _UNIQUE_KEYS.get(name, name)
                names = dict(placeholders)
                if index is not None:
                    key = f"power_supply_{index + 1}_status"
                    names["number"] = str(index + 1)
                description = replace(
                    base, key=key, translation_key=f"{prefix}{base.translation_key}"
                )
                yield RaritanBinarySensor(
                    coordinator, ref, description, device_info, field=field, placeholders=names
                )
        for peripheral in unit.peripherals:
            sensor = peripheral.sensor
            if sensor is None or peripheral.is_actuator or sensor.kind is not SensorKind.STATE:
                continue
            ext_description = describe_peripheral(peripheral)
            if ext_description is None:
                continue
            yield RaritanBinarySensor(
                coordinator,
                ObjectRef.for_peripheral(unit, peripheral),
                ext_description,
                device_info_for(unit, peripheral),
                field="device",
                name=peripheral.name or None,
            )


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
        data = self.coordinator.data
        if rid is None or data is None:
            return None
        reading = data.states.get(rid)
        if reading is None or reading.value is None:
            return None
        return self.entity_description.is_on_fn(reading.value)
