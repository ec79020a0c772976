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
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanEntity
from .helpers import async_command, async_setup_topology_entities, raritan_command
from .objects import MeteredObject, is_switchable, outlet_object, unit_object
from .xerus.models import OutletInfo, OutletState, Topology, UnitTopology
from .xerus.plan import ReadTarget

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
    yield RaritanIdentifyButton(coordinator, unit_object(topology.primary), IDENTIFY_DESCRIPTION)
    for unit in topology.units:
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                target = outlet_object(unit, outlet)
                yield RaritanCycleButton(coordinator, target, CYCLE_DESCRIPTION)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons, and those of outlets that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanButton(RaritanEntity, ButtonEntity):
    """A button of a PDU object."""

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        target: MeteredObject,
        description: ButtonEntityDescription,
    ) -> None:
        """Initialise the button ``description`` of the object ``target``."""
        super().__init__(coordinator, target, description.key)
        self.entity_description = description


class RaritanCycleButton(RaritanButton):
    """Power-cycle an outlet: off for the PDU's cycle delay, then on again."""

    @raritan_command
    async def async_press(self) -> None:
        """Start the power cycle; the confirming read updates the outlet's switch at once."""
        outlet = self.command_object(OutletInfo)

        def confirms(state: OutletState) -> bool:
            return state.cycle_in_progress

        await async_command(
            self.coordinator,
            ReadTarget.for_outlet(outlet),
            self.coordinator.client.cycle_outlet(outlet),
            confirms,
        )


class RaritanIdentifyButton(RaritanButton):
    """Flash the display of the (primary) unit to find it in the rack."""

    @raritan_command
    async def async_press(self) -> None:
        """Identify the unit for a few seconds."""
        unit = self.command_object(UnitTopology)
        await self.coordinator.client.identify(unit.pdu_id, seconds=IDENTIFY_SECONDS)
