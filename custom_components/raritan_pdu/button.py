"""Buttons: power-cycle an outlet, identify a unit."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import (
    ObjectRef,
    RaritanEntity,
    async_run_command,
    async_setup_topology_entities,
    async_store_outlet_state,
    device_info_for,
    unit_device_info,
    vanished_error,
)
from .xerus.models import OutletInfo, Topology, UnitTopology

PARALLEL_UPDATES = 1

CYCLE_DESCRIPTION = ButtonEntityDescription(
    key="cycle",
    translation_key="cycle",
    device_class=ButtonDeviceClass.RESTART,
)
IDENTIFY_DESCRIPTION = ButtonEntityDescription(
    key="identify",
    device_class=ButtonDeviceClass.IDENTIFY,
    entity_category=EntityCategory.CONFIG,
    translation_key="identify",
)
IDENTIFY_SECONDS = 10


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[ButtonEntity]:
    """A power-cycle button per switchable outlet; identify for the primary unit."""
    coordinator = entry.runtime_data
    primary = topology.primary
    yield RaritanIdentifyButton(coordinator, ObjectRef.for_unit(primary), unit_device_info(primary))
    for unit in topology.units:
        if not unit.identity.has_switchable_outlets:
            continue
        for outlet in unit.outlets:
            if outlet.is_switchable:
                yield RaritanCycleButton(
                    coordinator, ObjectRef.for_outlet(unit, outlet), device_info_for(unit, outlet)
                )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons, and those of outlets that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanCycleButton(RaritanEntity, ButtonEntity):
    """Power-cycle an outlet: off for the PDU's cycle delay, then on again."""

    entity_description = CYCLE_DESCRIPTION

    def __init__(
        self, coordinator: RaritanCoordinator, ref: ObjectRef, device_info: DeviceInfo
    ) -> None:
        """Initialise the cycle button of the outlet ``ref``."""
        super().__init__(coordinator, ref, CYCLE_DESCRIPTION.key, device_info)

    async def async_press(self) -> None:
        """Start the power cycle; the confirming read updates the outlet's switch at once."""
        outlet = self.pdu_object
        if not isinstance(outlet, OutletInfo):
            raise vanished_error(self.entity_id)
        name = outlet.name or f"Outlet {outlet.label or outlet.number}"
        state = await async_run_command(self.coordinator.client.cycle_outlet(outlet), name)
        async_store_outlet_state(self.coordinator, outlet.rid, state)


class RaritanIdentifyButton(RaritanEntity, ButtonEntity):
    """Flash the display of the (primary) unit to find it in the rack."""

    entity_description = IDENTIFY_DESCRIPTION

    def __init__(
        self, coordinator: RaritanCoordinator, ref: ObjectRef, device_info: DeviceInfo
    ) -> None:
        """Initialise the identify button of the unit ``ref``."""
        super().__init__(coordinator, ref, IDENTIFY_DESCRIPTION.key, device_info)

    async def async_press(self) -> None:
        """Identify the unit for a few seconds."""
        unit = self.pdu_object
        if not isinstance(unit, UnitTopology):
            raise vanished_error(self.entity_id)
        await async_run_command(
            self.coordinator.client.identify(unit.pdu_id, seconds=IDENTIFY_SECONDS),
            unit.identity.name or unit.identity.model,
        )
