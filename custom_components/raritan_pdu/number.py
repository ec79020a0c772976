"""Numbers: configuration values of the PDU.

Sections (one per feature, kept apart so that they can grow independently):
* power settings (#9): an outlet's cycle delay and sequence delay, a unit's cycle delay,
  power-on delay and in-rush guard delay (``Outlet.Settings`` / ``Pdu.Settings``), below;
* thresholds (#10): the warning and critical levels of inlet, outlet, breaker and probe sensors
  (``NumericSensor.Thresholds``), in ``thresholds.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanEntity
from .helpers import (
    async_setup_topology_entities,
    async_write_outlet_settings,
    async_write_unit_settings,
    raritan_command,
)
from .objects import MeteredObject, is_switchable, outlet_object, unit_object
from .thresholds import build_threshold_entities
from .xerus import Privilege
from .xerus.models import OutletInfo, OutletSettings, Topology, UnitPowerSettings, UnitTopology

PARALLEL_UPDATES = 1


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[NumberEntity]:
    """The number entities of every section."""
    yield from build_power_setting_entities(entry, topology)
    yield from build_threshold_entities(entry, topology)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the numbers, and those of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


# --- power settings (#9): Outlet.Settings and Pdu.Settings -----------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RaritanPowerSettingDescription(NumberEntityDescription):
    """A numeric field of ``Outlet.Settings`` or ``Pdu.Settings``.

    ``field`` is the IDL field written, ``value_fn`` reads it from the decoded settings,
    ``also`` are fields written with it (an outlet's own cycle delay only counts with
    ``usePduCycleDelay`` false).
    """

    field: str
    value_fn: Callable[[Any], int | None]
    also: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _delay(
    key: str, field_name: str, value_fn: Callable[[Any], int | None], **kw: Any
) -> RaritanPowerSettingDescription:
    return RaritanPowerSettingDescription(
        key=key,
        translation_key=key,
        field=field_name,
        value_fn=value_fn,
        device_class=NumberDeviceClass.DURATION,
        entity_category=EntityCategory.CONFIG,
        mode=NumberMode.BOX,
        native_step=1,
        **kw,
    )


def _outlet_cycle_delay(settings: OutletSettings) -> int | None:
    return settings.cycle_delay


def _outlet_sequence_delay(settings: OutletSettings) -> int | None:
    return settings.sequence_delay


#: Per switchable outlet, disabled by default (two per outlet). Ranges of the firmware's
#: settings (the device answers a value out of its range with an error, shown translated).
OUTLET_SETTING_DESCRIPTIONS: tuple[RaritanPowerSettingDescription, ...] = (
    _delay(
        "cycle_delay",
        "cycleDelay",
        _outlet_cycle_delay,
        also={"usePduCycleDelay": False},
        native_min_value=0,
        native_max_value=3600,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        entity_registry_enabled_default=False,
    ),
    _delay(
        "sequence_delay",
        "sequenceDelay",
        _outlet_sequence_delay,
        native_min_value=0,
        native_max_value=3_600_000,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        entity_registry_enabled_default=False,
    ),
)


def _unit_cycle_delay(settings: UnitPowerSettings) -> int | None:
    return settings.cycle_delay


def _unit_power_on_delay(settings: UnitPowerSettings) -> int | None:
    return settings.power_on_delay


def _unit_guard_delay(settings: UnitPowerSettings) -> int | None:
    return settings.in_rush_guard_delay


#: Per unit with switchable outlets (enabled: three per unit).
UNIT_SETTING_DESCRIPTIONS: tuple[RaritanPowerSettingDescription, ...] = (
    _delay(
        "cycle_delay",
        "cycleDelay",
        _unit_cycle_delay,
        native_min_value=0,
        native_max_value=3600,
        native_unit_of_measurement=UnitOfTime.SECONDS,
    ),
    _delay(
        "power_on_delay",
        "powerOnDelay",
        _unit_power_on_delay,
        native_min_value=0,
        native_max_value=3600,
        native_unit_of_measurement=UnitOfTime.SECONDS,
    ),
    _delay(
        "in_rush_guard_delay",
        "inRushGuardDelay",
        _unit_guard_delay,
        native_min_value=100,
        native_max_value=100_000,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
    ),
)


def build_power_setting_entities(
    entry: RaritanConfigEntry, topology: Topology
) -> Iterator[NumberEntity]:
    """Outlet and unit power settings of every unit with switchable outlets."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        if not unit.identity.has_switchable_outlets:
            continue
        for description in UNIT_SETTING_DESCRIPTIONS:
            yield RaritanPowerSettingNumber(coordinator, unit_object(unit), description)
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                target = outlet_object(unit, outlet)
                for description in OUTLET_SETTING_DESCRIPTIONS:
                    yield RaritanPowerSettingNumber(coordinator, target, description)


class RaritanPowerSettingNumber(RaritanEntity, NumberEntity):
    """A power setting: shown as the PDU confirmed it (discovery or the answer to the last
    write; settings are not polled), written with the whole settings struct."""

    required_privilege = Privilege.CHANGE_PDU_CONFIGURATION

    entity_description: RaritanPowerSettingDescription

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        target: MeteredObject,
        description: RaritanPowerSettingDescription,
    ) -> None:
        """Initialise the setting ``description`` of ``target`` (an outlet or a unit)."""
        super().__init__(coordinator, target, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> int | None:
        """The setting's value."""
        obj = self.pdu_object
        if isinstance(obj, OutletInfo):
            return self.entity_description.value_fn(obj.settings)
        if isinstance(obj, UnitTopology):
            return self.entity_description.value_fn(obj.power_settings)
        return None

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.native_value)

    @raritan_command
    async def async_set_native_value(self, value: float) -> None:
        """Write the setting; the device's answer updates the entity."""
        description = self.entity_description
        changes = {description.field: round(value), **description.also}
        obj = self.pdu_object
        if isinstance(obj, UnitTopology):
            await async_write_unit_settings(self.coordinator, obj, changes)
            return
        outlet = self.command_object(OutletInfo)
        await async_write_outlet_settings(self.coordinator, outlet, changes)
