"""Switches: switchable outlets, outlet groups, load shedding, the outlets' non-critical
setting and external dry-contact actuators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import (
    RaritanActuatorEntity,
    RaritanEntity,
    RaritanOutletEntity,
    RaritanUnitReadEntity,
)
from .helpers import (
    async_command,
    async_outlets_command,
    async_setup_topology_entities,
    async_unit_command,
    async_write_outlet_settings,
    raritan_command,
)
from .objects import (
    MeteredObject,
    group_members,
    group_object,
    is_switchable,
    outlet_object,
    peripheral_object,
    unit_object,
)
from .xerus import Privilege
from .xerus.const import OnOffState, PowerState, SensorType
from .xerus.models import (
    OutletGroupInfo,
    OutletInfo,
    OutletState,
    Topology,
    UnitTopology,
)
from .xerus.plan import ReadTarget

PARALLEL_UPDATES = 1

_ON_OFF: dict[int, bool] = {OnOffState.ON: True, OnOffState.OFF: False}

OUTLET_DESCRIPTION = SwitchEntityDescription(
    key="switch",
    translation_key="outlet",
    device_class=SwitchDeviceClass.OUTLET,
    name=None,
)

#: Peripheral actuators shown as switches (OnOffState: 1 = on); door locks are ``lock`` entities.
ACTUATOR_DESCRIPTIONS: dict[int, SwitchEntityDescription] = {
    int(sensor_type): SwitchEntityDescription(
        key=sensor_type.name.lower(),
        translation_key=f"ext_{sensor_type.name.lower()}",
        device_class=SwitchDeviceClass.SWITCH,
    )
    for sensor_type in (SensorType.DRY_CONTACT, SensorType.POWERED_DRY_CONTACT)
}


GROUP_DESCRIPTION = SwitchEntityDescription(
    key="switch",
    translation_key="group",
    device_class=SwitchDeviceClass.OUTLET,
    name=None,
)
LOAD_SHEDDING_DESCRIPTION = SwitchEntityDescription(
    key="load_shedding",
    translation_key="load_shedding",
    device_class=SwitchDeviceClass.SWITCH,
)
#: Per outlet, config: whether load shedding switches it off. Disabled by default (one per
#: outlet: 384 on the largest stacks); the value comes from discovery and each write's answer.
NON_CRITICAL_DESCRIPTION = SwitchEntityDescription(
    key="non_critical",
    translation_key="non_critical",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)
#: Per outlet, config: power cycles use the unit's cycle delay (else the outlet's own).
USE_PDU_CYCLE_DELAY_DESCRIPTION = SwitchEntityDescription(
    key="use_pdu_cycle_delay",
    translation_key="use_pdu_cycle_delay",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[SwitchEntity]:
    """A switch per switchable outlet (none on metered-only units), its config switches, per
    outlet group, load shedding per unit with switchable outlets, and per dry contact."""
    coordinator = entry.runtime_data
    for group in topology.primary.groups:
        yield RaritanGroupSwitch(coordinator, group_object(topology.primary, group))
    for unit in topology.units:
        if unit.identity.has_switchable_outlets:
            yield RaritanLoadSheddingSwitch(coordinator, unit_object(unit))
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                target = outlet_object(unit, outlet)
                yield RaritanOutletSwitch(coordinator, target)
                yield RaritanOutletSettingSwitch(coordinator, target, NON_CRITICAL_DESCRIPTION)
                yield RaritanOutletSettingSwitch(
                    coordinator, target, USE_PDU_CYCLE_DELAY_DESCRIPTION
                )
        for peripheral in unit.peripherals:
            description = ACTUATOR_DESCRIPTIONS.get(int(peripheral.type_spec.type))
            if description is None or not peripheral.is_actuator or peripheral.sensor is None:
                continue
            target = peripheral_object(unit, peripheral)
            yield RaritanActuatorSwitch(coordinator, target, description)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the outlet and actuator switches, and those of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanOutletSwitch(RaritanOutletEntity, SwitchEntity):
    """The relay of a switchable outlet; the entity is named like its outlet device."""

    required_privilege = Privilege.SWITCH_OUTLET

    entity_description = OUTLET_DESCRIPTION
    _attr_name = None

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the switch of the outlet ``target``."""
        super().__init__(coordinator, target, OUTLET_DESCRIPTION.key)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the outlet on."""
        await self._async_switch(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the outlet off."""
        await self._async_switch(on=False)

    @raritan_command
    async def _async_switch(self, *, on: bool) -> None:
        outlet = self.command_object(OutletInfo)
        wanted = PowerState.ON if on else PowerState.OFF

        def confirms(state: OutletState) -> bool:
            return state.power_state == wanted or (on and state.switch_on_in_progress)

        # The command's own confirming read (same bulk): no extra poll.
        await async_command(
            self.coordinator,
            ReadTarget.for_outlet(outlet),
            self.coordinator.client.set_outlet_power(outlet, on=on),
            confirms,
        )


class RaritanActuatorSwitch(RaritanActuatorEntity, SwitchEntity):
    """A (powered) dry contact of an external actuator package."""

    required_privilege = Privilege.SWITCH_ACTUATOR

    entity_description: SwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Contact closed (on) or open; unknown for any other value."""
        value = self.actuator_value
        return None if value is None else _ON_OFF.get(value)

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the contact."""
        await self.async_set_actuator(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the contact."""
        await self.async_set_actuator(False)


class RaritanGroupSwitch(RaritanEntity, SwitchEntity):
    """An outlet group: on when every member is on; switching goes to the whole group.

    The group's state is derived from its members' relay states (polled for this entity),
    so ``members_on`` tells a group that is only partly on.
    """

    required_privilege = Privilege.SWITCH_OUTLET

    entity_description = GROUP_DESCRIPTION
    _attr_name = None

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the switch of the group ``target``."""
        super().__init__(coordinator, target, GROUP_DESCRIPTION.key)

    @property
    def outlet_group(self) -> OutletGroupInfo | None:
        """The group in the current topology."""
        obj = self.pdu_object
        return obj if isinstance(obj, OutletGroupInfo) else None

    def _members(self) -> list[OutletInfo]:
        group = self.outlet_group
        if group is None:
            return []
        return [outlet for _, outlet in group_members(self.coordinator.topology, group)]

    def _rids(self) -> set[str]:
        return {outlet.rid for outlet in self._members()}

    def _states(self) -> list[bool | None]:
        outlets = self.coordinator.data.outlets
        return [
            None if (state := outlets.get(o.rid)) is None else state.is_on
            for o in self._members()
        ]

    @property
    def is_on(self) -> bool | None:
        """On when all members are on, off when any is off; unknown while one is unknown."""
        states = self._states()
        if not states or None in states:
            return None
        return all(states)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """How many members are on (a group can be partly on) and which outlets they are."""
        group = self.outlet_group
        if group is None:
            return None
        states = self._states()
        return {
            "members": len(group.members),
            "members_on": sum(1 for on in states if on),
            "partly_on": any(states) and not all(states),
        }

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on, self.extra_state_attributes)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch every member on (in the units' sequence)."""
        await self._async_switch(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch every member off."""
        await self._async_switch(on=False)

    @raritan_command
    async def _async_switch(self, *, on: bool) -> None:
        group = self.command_object(OutletGroupInfo)
        await async_outlets_command(
            self.coordinator,
            self.coordinator.client.set_group(group, "on" if on else "off", self._members()),
        )


class RaritanLoadSheddingSwitch(RaritanUnitReadEntity, SwitchEntity):
    """Load shedding of a unit: on switches its non-critical outlets off (shown off with
    ``load_shed``), off brings them back in sequence."""

    required_privilege = Privilege.SWITCH_OUTLET

    entity_description = LOAD_SHEDDING_DESCRIPTION
    unit_read = ReadTarget.load_shedding

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the load shedding switch of the unit ``target``."""
        super().__init__(coordinator, target, LOAD_SHEDDING_DESCRIPTION.key)

    @property
    def is_on(self) -> bool | None:
        """Whether load shedding is active."""
        target = self.read_target
        reading = self.coordinator.data.states.get(target.rid) if target else None
        return None if reading is None or reading.value is None else reading.value == 1

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Start load shedding."""
        await self._async_set(active=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """End load shedding."""
        await self._async_set(active=False)

    @raritan_command
    async def _async_set(self, *, active: bool) -> None:
        unit = self.command_object(UnitTopology)
        command = self.coordinator.client.set_load_shedding(unit, active)
        await async_unit_command(self.coordinator, ReadTarget.load_shedding(unit), command)


class RaritanOutletSettingSwitch(RaritanEntity, SwitchEntity):
    """A boolean field of ``Outlet.Settings`` (config): shown from the topology, written with
    the whole settings struct and confirmed by the device's answer."""

    required_privilege = Privilege.CHANGE_PDU_CONFIGURATION

    entity_description: SwitchEntityDescription
    _FIELDS: dict[str, tuple[str, str]] = {
        "non_critical": ("nonCritical", "non_critical"),
        "use_pdu_cycle_delay": ("usePduCycleDelay", "use_pdu_cycle_delay"),
    }

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        target: MeteredObject,
        description: SwitchEntityDescription,
    ) -> None:
        """Initialise the setting ``description`` of the outlet ``target``."""
        super().__init__(coordinator, target, description.key)
        self.entity_description = description
        self._idl_field, self._attribute = self._FIELDS[description.key]

    @property
    def is_on(self) -> bool | None:
        """The setting as the PDU confirmed it."""
        outlet = self.pdu_object
        if not isinstance(outlet, OutletInfo):
            return None
        value: bool = getattr(outlet.settings, self._attribute)
        return value

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Set the setting."""
        await self._async_write(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Clear the setting."""
        await self._async_write(False)

    @raritan_command
    async def _async_write(self, value: bool) -> None:
        outlet = self.command_object(OutletInfo)
        await async_write_outlet_settings(self.coordinator, outlet, {self._idl_field: value})
