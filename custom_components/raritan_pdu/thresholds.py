"""Threshold numbers (issue #10), a section of the number platform (``number.py``).

The PDU's own thresholds (``NumericSensor.getThresholds`` / ``setThresholds``) of the sensors users
set them on: inlet current and power, outlet and breaker current, temperature and humidity probes.
Configuration entities, disabled by default. They cost no poll: the thresholds are read once per
sensor when the first of its entities is added, then follow the confirming read of every change
made here and the PDU's ``ThresholdsChangedEvent`` (changes made elsewhere, with events). A level
that is not active on the PDU shows as unknown; setting it activates it. The device checks the
whole structure and stores all of it or nothing: a rejected value is a translated error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Final
from weakref import WeakKeyDictionary

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.const import EntityCategory
from homeassistant.core import callback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanFieldEntity
from .helpers import object_unavailable, raritan_command
from .objects import (
    MeteredObject,
    ObjectKind,
    ObjectSensor,
    RaritanFieldDescription,
    metered_objects,
    peripheral_object,
    sensors_of,
)
from .xerus import (
    Event,
    PeripheralInfo,
    Privilege,
    SensorInfo,
    SensorType,
    Thresholds,
    ThresholdsChanged,
    Topology,
    UnitTopology,
    XerusError,
)

_INLET, _OUTLET, _OCP, _EXT = ObjectKind.INLET, ObjectKind.OUTLET, ObjectKind.OCP, ObjectKind.EXT
_UPPER: Final = ("upperCritical", "upperWarning")
_ALL: Final = ("upperCritical", "upperWarning", "lowerWarning", "lowerCritical")
#: (object kind, field) -> the levels offered.
THRESHOLD_FIELDS: Final[dict[tuple[ObjectKind, str], tuple[str, ...]]] = {
    (_INLET, "current"): _UPPER,
    (_INLET, "activePower"): _UPPER,
    (_OUTLET, "current"): _UPPER,
    (_OCP, "current"): _UPPER,
    (_EXT, "device"): _ALL,
}
#: External sensor types whose thresholds are offered.
EXT_TYPES: Final = frozenset({SensorType.TEMPERATURE, SensorType.HUMIDITY})
_LEVEL_KEYS: Final = {
    "upperCritical": "upper_critical",
    "upperWarning": "upper_warning",
    "lowerWarning": "lower_warning",
    "lowerCritical": "lower_critical",
}
_FIELD_KEYS: Final = {"current": "current_", "activePower": "active_power_", "device": ""}


@dataclass(frozen=True, kw_only=True)
class RaritanThresholdDescription(NumberEntityDescription, RaritanFieldDescription):
    """One threshold level of a sensor field (``level``: ``upperCritical`` ...)."""

    level: str


def _threshold(field: str, level: str, kinds: frozenset[ObjectKind]) -> RaritanThresholdDescription:
    # An external sensor's key names no field: ``..._ext_<sensor>_upper_critical_threshold``.
    key = f"{_FIELD_KEYS[field]}{_LEVEL_KEYS[level]}_threshold"
    return RaritanThresholdDescription(
        key=key,
        translation_key=key if field != "device" else f"ext_{key}",
        field=field,
        level=level,
        kinds=kinds,
        enabled_in=frozenset(),
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
    )


def _kinds(field: str, level: str) -> frozenset[ObjectKind]:
    return frozenset(
        kind
        for (kind, name), levels in THRESHOLD_FIELDS.items()
        if name == field and level in levels
    )


#: Every threshold description, by (field, level).
THRESHOLD_DESCRIPTIONS: Final[dict[tuple[str, str], RaritanThresholdDescription]] = {
    (field, level): _threshold(field, level, kinds)
    for field in ("current", "activePower", "device")
    for level in _ALL
    if (kinds := _kinds(field, level))
}


class ThresholdCache:
    """The thresholds read per sensor RID (one read for all levels), and who shows them."""

    def __init__(self) -> None:
        """Empty: nothing read yet."""
        self.values: dict[str, Thresholds] = {}
        self.listeners: dict[str, list[Callable[[], None]]] = {}

    @callback
    def set(self, rid: str, thresholds: Thresholds) -> None:
        """New thresholds of ``rid``: every entity of them writes its state."""
        self.values[rid] = thresholds
        for listener in list(self.listeners.get(rid, ())):
            listener()


_CACHES: WeakKeyDictionary[RaritanCoordinator, ThresholdCache] = WeakKeyDictionary()


def threshold_cache(coordinator: RaritanCoordinator) -> ThresholdCache:
    """The coordinator's cache (created on first use)."""
    cache = _CACHES.get(coordinator)
    if cache is None:
        cache = _CACHES[coordinator] = ThresholdCache()
    return cache


def _threshold_targets(unit: UnitTopology) -> Iterator[tuple[MeteredObject, str, SensorInfo]]:
    for target in metered_objects(unit):
        for name, info in sensors_of(target.obj).items():
            if (target.kind, name) in THRESHOLD_FIELDS and not info.is_state:
                yield target, name, info
    for peripheral in unit.peripherals:
        device = peripheral.sensor
        if device is None or peripheral.is_actuator or device.is_state:
            continue
        if int(peripheral.type_spec.type) in EXT_TYPES:
            yield peripheral_object(unit, peripheral), "device", device


def build_threshold_entities(
    entry: RaritanConfigEntry, topology: Topology
) -> Iterator[NumberEntity]:
    """The threshold numbers of every unit."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for target, name, info in _threshold_targets(unit):
            for level in THRESHOLD_FIELDS[(target.kind, name)]:
                description = THRESHOLD_DESCRIPTIONS[(name, level)]
                yield RaritanThresholdNumber(coordinator, target, description, name, info)


class RaritanThresholdNumber(RaritanFieldEntity, NumberEntity):
    """One threshold level of a sensor, as the PDU stores it (never polled)."""

    entity_description: RaritanThresholdDescription

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        target: MeteredObject,
        description: RaritanThresholdDescription,
        field: str,
        info: SensorInfo,
    ) -> None:
        """Initialise the threshold ``description.level`` of the sensor ``info``."""
        # A slot name set on the PDU is a placeholder here, not the entity's whole name.
        placeholders = dict(target.placeholders)
        if isinstance(target.obj, PeripheralInfo):
            placeholders["sensor"] = target.name or target.obj.display_name
        named = replace(target, name=None, placeholders=placeholders)
        super().__init__(coordinator, ObjectSensor(named, description, field, None, info))
        self._attr_native_unit_of_measurement = info.unit_symbol
        self._attr_native_step = 10.0 ** -(info.decdigits or 0)
        self._attr_native_min_value = info.range_lower if info.range_lower is not None else 0.0
        self._attr_native_max_value = (
            info.range_upper if info.range_upper is not None else 100000.0
        )
        self._cache = threshold_cache(coordinator)
        self.required_privilege = (
            Privilege.CHANGE_PERIPHERAL_CONFIGURATION
            if isinstance(target.obj, PeripheralInfo)
            else Privilege.CHANGE_PDU_CONFIGURATION
        )

    def _rids(self) -> set[str]:
        return set()  # thresholds are not in the polls

    async def async_added_to_hass(self) -> None:
        """Read the thresholds once (shared by the sensor's levels), follow changes."""
        await super().async_added_to_hass()
        rid = self.sensor_rid
        if rid is None:
            return
        listeners = self._cache.listeners.setdefault(rid, [])
        listeners.append(self.async_write_ha_state)
        self.async_on_remove(lambda: listeners.remove(self.async_write_ha_state))
        self.async_on_remove(self.coordinator.async_add_event_listener(self._handle_event))
        if rid not in self._cache.values:
            try:
                thresholds = await self.coordinator.client.get_thresholds(rid)
            except XerusError:
                return  # unknown until a change or the next start
            self._cache.set(rid, thresholds)

    @callback
    def _handle_event(self, event: Event) -> None:
        rid = self.sensor_rid
        if isinstance(event, ThresholdsChanged) and rid is not None and event.source == rid:
            self._cache.set(rid, Thresholds.from_json(event.thresholds))

    @property
    def native_value(self) -> float | None:
        """The level's value while it is active on the PDU."""
        rid = self.sensor_rid
        thresholds = self._cache.values.get(rid) if rid is not None else None
        return None if thresholds is None else thresholds.level(self.entity_description.level)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Hysteresis and assertion timeout the PDU applies to every level of the sensor."""
        rid = self.sensor_rid
        thresholds = self._cache.values.get(rid) if rid is not None else None
        if thresholds is None:
            return None
        return {
            "hysteresis": thresholds.hysteresis,
            "assertion_timeout": thresholds.assertion_timeout,
        }

    @raritan_command
    async def async_set_native_value(self, value: float) -> None:
        """Write the level (activating it); the device's answer is what is shown."""
        rid = self.sensor_rid
        if rid is None:
            raise object_unavailable(self.entity_id)
        thresholds = self._cache.values.get(rid)
        if thresholds is None:
            thresholds = await self.coordinator.client.get_thresholds(rid)
        thresh = thresholds.with_level(self.entity_description.level, value)
        self._cache.set(rid, await self.coordinator.client.set_thresholds(rid, thresh))
