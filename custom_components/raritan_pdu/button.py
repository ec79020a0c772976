"""Buttons: power-cycle an outlet or an outlet group, cancel a switching sequence, identify a
unit."""

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
from .entity import RaritanEntity, RaritanUnitReadEntity
from .helpers import (
    async_command,
    async_outlets_command,
    async_setup_topology_entities,
    async_unit_command,
    raritan_command,
)
from .objects import (
    MeteredObject,
    group_members,
    group_object,
    is_switchable,
    outlet_object,
    unit_object,
)
from .xerus import Privilege
from .xerus.models import (
    OutletGroupInfo,
    OutletInfo,
    OutletState,
    Topology,
    UnitTopology,
)
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
#: Per unit with switchable outlets: drop the pending switch-ons of a running sequence. Disabled
#: by default (it polls the sequence state); available only while a sequence runs.
CANCEL_SEQUENCE_DESCRIPTION = ButtonEntityDescription(
    key="cancel_sequence",
    translation_key="cancel_sequence",
    entity_registry_enabled_default=False,
)


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[ButtonEntity]:
    """A power-cycle button per switchable outlet and outlet group, cancel-sequence per unit
    with switchable outlets; identify for the primary unit."""
    coordinator = entry.runtime_data
    yield RaritanIdentifyButton(coordinator, unit_object(topology.primary), IDENTIFY_DESCRIPTION)
    for group in topology.primary.groups:
        target = group_object(topology.primary, group)
        yield RaritanGroupCycleButton(coordinator, target, CYCLE_DESCRIPTION)
    for unit in topology.units:
        if unit.identity.has_switchable_outlets:
            target = unit_object(unit)
            yield RaritanCancelSequenceButton(coordinator, target, CANCEL_SEQUENCE_DESCRIPTION)
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

    required_privilege = Privilege.SWITCH_OUTLET

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


class RaritanGroupCycleButton(RaritanButton):
    """Power-cycle every member of an outlet group (each back after its cycle delay, in the
    units' sequence)."""

    required_privilege = Privilege.SWITCH_OUTLET

    @raritan_command
    async def async_press(self) -> None:
        """Start the group's power cycle; its members' states come with the answer."""
        group = self.command_object(OutletGroupInfo)
        members = [o for _, o in group_members(self.coordinator.topology, group)]
        await async_outlets_command(
            self.coordinator, self.coordinator.client.set_group(group, "cycle", members)
        )


class RaritanCancelSequenceButton(RaritanUnitReadEntity, RaritanButton):
    """Cancel a running switching sequence of a unit (outlets not yet on stay off; power
    cycles always end). Available only while a sequence runs."""

    required_privilege = Privilege.SWITCH_OUTLET

    unit_read = ReadTarget.sequence

    @property
    def available(self) -> bool:
        """Only while the unit runs a sequence with switch-ons that can be canceled."""
        target = self.read_target
        state = self.coordinator.data.sequences.get(target.rid) if target else None
        return super().available and state is not None and state.running

    @raritan_command
    async def async_press(self) -> None:
        """Cancel the sequence; its new state and the outlets' come in the same answer."""
        unit = self.command_object(UnitTopology)
        command = self.coordinator.client.cancel_sequence(unit)
        await async_unit_command(self.coordinator, ReadTarget.sequence(unit), command)
