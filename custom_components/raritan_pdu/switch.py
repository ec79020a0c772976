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
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import (
    ObjectRef,
    RaritanActuatorEntity,
    RaritanEntity,
    async_run_command,
    async_setup_topology_entities,
    async_store_outlet_state,
    device_info_for,
    vanished_error,
)
from .xerus.const import OnOffState, PowerState, SensorType
from .xerus.models import OutletInfo, OutletState, Topology

PARALLEL_UPDATES = 1

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
        if unit.identity.has_switchable_outlets:
            for outlet in unit.outlets:
                if outlet.is_switchable:
                    yield RaritanOutletSwitch(
                        coordinator,
                        ObjectRef.for_outlet(unit, outlet),
                        device_info_for(unit, outlet),
                    )
        for peripheral in unit.peripherals:
            description = ACTUATOR_DESCRIPTIONS.get(int(peripheral.type_spec.type))
            if description is None or not peripheral.is_actuator or peripheral.sensor is None:
                continue
            yield RaritanActuatorSwitch(
                coordinator,
                ObjectRef.for_peripheral(unit, peripheral),
                description,
                device_info_for(unit, peripheral),
                peripheral.name or None,
            )


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

    def __init__(
        self, coordinator: RaritanCoordinator, ref: ObjectRef, device_info: DeviceInfo
    ) -> None:
        """Initialise the switch of the outlet ``ref``."""
        super().__init__(coordinator, ref, OUTLET_DESCRIPTION.key, device_info)

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
        data = self.coordinator.data
        if outlet is None or data is None:
            return None
        return data.outlets.get(outlet.rid)

    @property
    def available(self) -> bool:
        """Unavailable when the unit is, or the PDU reports the outlet state as not available."""
        if not super().available:
            return False
        state = self._state
        return state is None or state.available

    @property
    def is_on(self) -> bool | None:
        """The relay state last commanded (off during a power cycle's off time)."""
        state = self._state
        if state is None or state.power_state is None:
            return None
        return state.power_state == PowerState.ON

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
        await self._async_switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the outlet off."""
        await self._async_switch(False)

    async def _async_switch(self, on: bool) -> None:
        outlet = self.outlet
        name = self._device_name(outlet)
        if outlet is None:
            raise vanished_error(name)
        state = await async_run_command(
            self.coordinator.client.set_outlet_power(outlet, on=on), name
        )
        # The command's own confirming read (same bulk): no extra poll.
        async_store_outlet_state(self.coordinator, outlet.rid, state)

    def _device_name(self, outlet: OutletInfo | None) -> str:
        if outlet is not None:
            return outlet.name or f"Outlet {outlet.label or outlet.number}"
        return self.entity_id


class RaritanActuatorSwitch(RaritanActuatorEntity, SwitchEntity):
    """A (powered) dry contact of an external actuator package."""

    entity_description: SwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Contact closed (on) or open."""
        value = self.actuator_value
        return None if value is None else value == OnOffState.ON

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the contact."""
        await self.async_set_actuator(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the contact."""
        await self.async_set_actuator(False)
