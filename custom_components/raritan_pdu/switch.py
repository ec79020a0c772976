"""Switches: switchable outlets and external dry-contact actuators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.switch import (
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanActuatorEntity, RaritanEntity
from .helpers import async_command, async_setup_topology_entities, raritan_command
from .objects import MeteredObject, is_switchable, outlet_object, peripheral_object
from .xerus.const import OnOffState, PowerState, SensorType
from .xerus.models import OutletInfo, OutletState, Topology
from .xerus.plan import ReadTarget

PARALLEL_UPDATES = 1

_POWER_STATES: dict[int, bool] = {PowerState.ON: True, PowerState.OFF: False}
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


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[SwitchEntity]:
    """A switch per switchable outlet (none on metered-only units) and per dry contact."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                yield RaritanOutletSwitch(coordinator, outlet_object(unit, outlet))
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


class RaritanOutletSwitch(RaritanEntity, SwitchEntity):
    """The relay of a switchable outlet; the entity is named like its outlet device."""

    entity_description = OUTLET_DESCRIPTION
    _attr_name = None

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the switch of the outlet ``target``."""
        super().__init__(coordinator, target, OUTLET_DESCRIPTION.key)

    @property
    def outlet(self) -> OutletInfo | None:
        """The outlet in the current topology."""
        obj = self.pdu_object
        return obj if isinstance(obj, OutletInfo) else None

    def _rids(self) -> set[str]:
        outlet = self.outlet
        return {outlet.rid} if outlet else set()

    @property
    def _state(self) -> OutletState | None:
        outlet = self.outlet
        return None if outlet is None else self.coordinator.data.outlets.get(outlet.rid)

    @property
    def available(self) -> bool:
        """Unavailable when the unit is, or the PDU reports the outlet state as not available."""
        if not super().available:
            return False
        state = self._state
        return state is None or state.available

    @property
    def is_on(self) -> bool | None:
        """The relay state last commanded (off during a power cycle's off time); unknown for a
        power state this version does not know."""
        state = self._state
        if state is None:
            return None
        power = state.power_state
        return None if power is None else _POWER_STATES.get(power)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Pending switching: sequenced switch-on, running power cycle, load shedding."""
        state = self._state
        if state is None:
            return None
        return {
            "switch_on_in_progress": state.switch_on_in_progress,
            "cycle_in_progress": state.cycle_in_progress,
            "load_shed": state.is_load_shed,
            "suspended": state.is_suspended,
        }

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the outlet on."""
        await self._async_switch(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the outlet off."""
        await self._async_switch(on=False)

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on, self.extra_state_attributes)

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
