"""Actions (services) for automations: several outlets at once, whole units, power cycles.

Targets are this integration's outlet, outlet group and unit devices, or their entities (an
entity stands for its device). Each action sends one request per PDU (several units and groups
included) with the states of the switched outlets in the same answer.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_LABEL_ID,
    ATTR_STATE,
)
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .devices import group_identifier, outlet_identifier, unit_identifier
from .helpers import async_command, async_outlets_command, command_error
from .objects import group_members, is_switchable
from .xerus.exceptions import XerusAuthenticationError, XerusError
from .xerus.models import OutletInfo, OutletState, UnitTopology
from .xerus.plan import ReadTarget
from .xerus.power import CYCLE_DELAY_RANGE

if TYPE_CHECKING:
    from .coordinator import RaritanCoordinator

SERVICE_SET_OUTLETS: Final = "set_outlets"
SERVICE_SET_ALL_OUTLETS: Final = "set_all_outlets"
SERVICE_POWER_CYCLE: Final = "power_cycle"
ATTR_RESPECT_SEQUENCE: Final = "respect_sequence"
ATTR_OFF_TIME: Final = "off_time"
STATES: Final = ("on", "off", "cycle")

_TARGET: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_ENTITY_ID): cv.comp_entity_ids,
    vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_AREA_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_LABEL_ID): vol.All(cv.ensure_list, [cv.string]),
}
SET_OUTLETS_SCHEMA: Final = vol.Schema(
    {
        **_TARGET,
        vol.Required(ATTR_STATE): vol.In(STATES),
        vol.Optional(ATTR_RESPECT_SEQUENCE, default=True): cv.boolean,
    }
)
SET_ALL_OUTLETS_SCHEMA: Final = vol.Schema({**_TARGET, vol.Required(ATTR_STATE): vol.In(STATES)})
POWER_CYCLE_SCHEMA: Final = vol.Schema(
    {
        **_TARGET,
        vol.Optional(ATTR_OFF_TIME): vol.All(vol.Coerce(int), vol.Range(*CYCLE_DELAY_RANGE)),
    }
)


@dataclass
class _Selection:
    """What a call's targets resolve to on one config entry (one PDU)."""

    coordinator: RaritanCoordinator
    outlets: list[OutletInfo] = field(default_factory=list)
    units: list[UnitTopology] = field(default_factory=list)

    def add_outlet(self, unit: UnitTopology, outlet: OutletInfo) -> None:
        if is_switchable(unit, outlet) and outlet not in self.outlets:
            self.outlets.append(outlet)


type _Kind = tuple[str, Any, Any]


def _device_index(coordinator: RaritanCoordinator) -> dict[tuple[str, str], _Kind]:
    """Device identifier -> what it is, for the entry's current topology."""
    topology = coordinator.topology
    index: dict[tuple[str, str], _Kind] = {}
    for unit in topology.units:
        index[unit_identifier(unit)] = ("unit", unit, None)
        for outlet in unit.outlets:
            index[outlet_identifier(unit, outlet)] = ("outlet", unit, outlet)
    for group in topology.primary.groups:
        index[group_identifier(topology.primary, group)] = ("group", topology.primary, group)
    return index


def _grouped_devices(hass: HomeAssistant, call: ServiceCall) -> set[str]:
    """This integration's devices (and those of its entities) in the call's areas and labels;
    anything else there is not a target of this action."""
    devices: set[str] = set()
    device_registry, entity_registry = dr.async_get(hass), er.async_get(hass)
    ours = {
        device.id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    }
    found_devices: list[dr.DeviceEntry] = []
    found_entities: list[er.RegistryEntry] = []
    for area_id in call.data.get(ATTR_AREA_ID, ()):
        found_devices += dr.async_entries_for_area(device_registry, area_id)
        found_entities += er.async_entries_for_area(entity_registry, area_id)
    for label_id in call.data.get(ATTR_LABEL_ID, ()):
        found_devices += dr.async_entries_for_label(device_registry, label_id)
        found_entities += er.async_entries_for_label(entity_registry, label_id)
    devices.update(d.id for d in found_devices if d.id in ours)
    devices.update(
        e.device_id for e in found_entities if e.platform == DOMAIN and e.device_id is not None
    )
    return devices


def _target_devices(hass: HomeAssistant, call: ServiceCall) -> set[str]:
    """The device ids of the call's targets (an entity of this integration: its device)."""
    devices = set(call.data.get(ATTR_DEVICE_ID, ())) | _grouped_devices(hass, call)
    registry = er.async_get(hass)
    for entity_id in call.data.get(ATTR_ENTITY_ID, ()):
        entry = registry.async_get(entity_id)
        if entry is None or entry.platform != DOMAIN or entry.device_id is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_pdu_target",
                translation_placeholders={"target": entity_id},
            )
        devices.add(entry.device_id)
    return devices


@callback
def _select(hass: HomeAssistant, call: ServiceCall) -> list[_Selection]:
    """Resolve the call's targets per loaded entry."""
    device_registry = dr.async_get(hass)
    selections: list[_Selection] = []
    indexes = [
        (_Selection(entry.runtime_data), _device_index(entry.runtime_data))
        for entry in hass.config_entries.async_loaded_entries(DOMAIN)
    ]
    for device_id in _target_devices(hass, call):
        device = device_registry.async_get(device_id)
        found = False
        for selection, index in indexes:
            for identifier in device.identifiers if device else ():
                kind = index.get(identifier)
                if kind is not None:
                    found = True
                    _add(selection, kind)
        if not found:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_a_pdu_target",
                translation_placeholders={"target": (device.name if device else None) or device_id},
            )
    for selection, _ in indexes:
        if selection.outlets or selection.units:
            selections.append(selection)
    return selections


def _add(selection: _Selection, kind: _Kind) -> None:
    what, unit, obj = kind
    if what == "outlet":
        selection.add_outlet(unit, obj)
    elif what == "group":
        for member_unit, outlet in group_members(selection.coordinator.topology, obj):
            selection.add_outlet(member_unit, outlet)
    elif unit not in selection.units:
        selection.units.append(unit)


async def _async_run(coordinator: RaritanCoordinator, name: str, command: Awaitable[None]) -> None:
    """Run a command; device errors become the integration's translated errors."""
    try:
        await command
    except XerusAuthenticationError as err:
        coordinator.async_authentication_failed()
        raise command_error(err, name) from err
    except XerusError as err:
        raise command_error(err, name) from err


def _no_outlets() -> HomeAssistantError:
    return ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target_outlets")


async def _async_set_outlets(hass: HomeAssistant, call: ServiceCall) -> None:
    """Switch or cycle the targeted outlets (groups: their members; units: every outlet),
    one request per PDU with one command per unit."""
    state = call.data[ATTR_STATE]
    respect = call.data[ATTR_RESPECT_SEQUENCE]
    selections = _select(hass, call)
    for selection in selections:
        for unit in selection.units:
            for outlet in unit.outlets:
                selection.add_outlet(unit, outlet)
    if not any(s.outlets for s in selections):
        raise _no_outlets()
    for selection in (s for s in selections if s.outlets):
        coordinator = selection.coordinator
        command = coordinator.client.set_outlets(selection.outlets, state, respect_sequence=respect)
        await _async_run(
            coordinator,
            coordinator.config_entry.title,
            async_outlets_command(coordinator, command),
        )


async def _async_set_all_outlets(hass: HomeAssistant, call: ServiceCall) -> None:
    """Every outlet of the targeted units, in each unit's sequence (one request per unit)."""
    state = call.data[ATTR_STATE]
    selections = _select(hass, call)
    if not any(s.units for s in selections):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target_units")
    for selection in selections:
        coordinator = selection.coordinator
        for unit in selection.units:
            command = coordinator.client.set_all_outlets(unit, state)
            await _async_run(
                coordinator,
                unit.identity.name or unit.identity.model,
                async_outlets_command(coordinator, command),
            )


async def _async_power_cycle(hass: HomeAssistant, call: ServiceCall) -> None:
    """Power-cycle the targeted outlets, with an off time of their own if given."""
    off_time: int | None = call.data.get(ATTR_OFF_TIME)
    selections = _select(hass, call)
    if not any(s.outlets for s in selections):
        raise _no_outlets()
    for selection in selections:
        coordinator = selection.coordinator
        client = coordinator.client
        for outlet in selection.outlets:
            if off_time is None:
                cycle = client.cycle_outlet(outlet)
            else:  # writes the outlet's settings and back: two settings events
                coordinator.async_writing_settings(outlet.rid)
                cycle = client.cycle_outlet_for(outlet, off_time)
            await _async_run(
                coordinator,
                outlet.display_name,
                async_command(coordinator, ReadTarget.for_outlet(outlet), cycle, _cycling),
            )


def _cycling(state: OutletState) -> bool:
    return state.cycle_in_progress


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once per Home Assistant, in ``async_setup``)."""
    for name, handler, schema in (
        (SERVICE_SET_OUTLETS, _async_set_outlets, SET_OUTLETS_SCHEMA),
        (SERVICE_SET_ALL_OUTLETS, _async_set_all_outlets, SET_ALL_OUTLETS_SCHEMA),
        (SERVICE_POWER_CYCLE, _async_power_cycle, POWER_CYCLE_SCHEMA),
    ):

        async def service(call: ServiceCall, handler: Any = handler) -> None:
            await handler(hass, call)

        hass.services.async_register(DOMAIN, name, service, schema=schema)
