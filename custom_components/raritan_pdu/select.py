"""Selects: an outlet's startup state (configuration, from ``Outlet.Settings``)."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanEntity
from .helpers import async_setup_topology_entities, async_write_outlet_settings, raritan_command
from .objects import MeteredObject, is_switchable, outlet_object
from .xerus import Privilege
from .xerus.const import OutletStartupState
from .xerus.models import OutletInfo, Topology

PARALLEL_UPDATES = 1

#: Option (state translation key) -> ``Outlet.StartupState`` value.
STARTUP_STATES: dict[str, OutletStartupState] = {
    "on": OutletStartupState.ON,
    "off": OutletStartupState.OFF,
    "last_known": OutletStartupState.LAST_KNOWN,
    "pdu_default": OutletStartupState.PDU_DEFINED,
}

#: Per switchable outlet, config, disabled by default (one per outlet): what the relay does
#: when power comes back.
STARTUP_STATE_DESCRIPTION = SelectEntityDescription(
    key="startup_state",
    translation_key="startup_state",
    options=list(STARTUP_STATES),
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[SelectEntity]:
    """The startup state of every switchable outlet."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for outlet in unit.outlets:
            if is_switchable(unit, outlet):
                yield RaritanStartupStateSelect(coordinator, outlet_object(unit, outlet))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the selects, and those of outlets that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanStartupStateSelect(RaritanEntity, SelectEntity):
    """``Outlet.Settings.startupState``: shown as the PDU confirmed it (discovery, or the
    answer to the last write), written with the whole settings struct."""

    required_privilege = Privilege.CHANGE_PDU_CONFIGURATION

    entity_description = STARTUP_STATE_DESCRIPTION

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the startup state select of the outlet ``target``."""
        super().__init__(coordinator, target, STARTUP_STATE_DESCRIPTION.key)

    @property
    def current_option(self) -> str | None:
        """The startup state; unknown for a value this version does not know."""
        outlet = self.pdu_object
        if not isinstance(outlet, OutletInfo):
            return None
        value = outlet.settings.startup_state
        return next((key for key, state in STARTUP_STATES.items() if state == value), None)

    def _shown(self) -> tuple[object, ...]:
        return (self.available, self.current_option)

    @raritan_command
    async def async_select_option(self, option: str) -> None:
        """Write the startup state; the device's answer updates the entity."""
        outlet = self.command_object(OutletInfo)
        changes = {"startupState": int(STARTUP_STATES[option])}
        await async_write_outlet_settings(self.coordinator, outlet, changes)
