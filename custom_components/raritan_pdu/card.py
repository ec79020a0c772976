"""The dashboard card: its JavaScript module, served by the integration, and the layout it draws.

The card is one plain JavaScript module (``frontend/raritan-pdu-card.js``, a custom element; no
build step). :func:`async_setup_card` serves it and adds it to every frontend page, so there is
no resource to add by hand, and registers the websocket command ``raritan_pdu/layout``.

The command answers what the card draws, per loaded config entry and unit: the unit's names and
device id, the entities of its totals, inlets, breakers and alarms, and its outlets in PDU order
with the entities of each (switch - or its read-only on/off binary sensor for an account that
may not switch -, power, power-cycle button, ...). Entity ids come from the
entity registry by the unique ids the platforms give (docs/architecture.md, section 3), so they
follow a rename and are ``None`` for an entity the user disabled; the card never derives an
entity id or a name itself. It takes the entities' states from the frontend's state machine, as
every card does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import voluptuous as vol
from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http import StaticPathConfig
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .binary_sensor import BINARY_SENSOR_DESCRIPTIONS
from .binary_sensor import OUTLET_DESCRIPTION as OUTLET_STATE_DESCRIPTION
from .button import CYCLE_DESCRIPTION
from .const import DOMAIN
from .coordinator import RaritanConfigEntry
from .devices import DeviceIdentifier, outlet_identifier, unit_identifier, unit_name
from .objects import (
    ObjectKind,
    ObjectRef,
    is_switchable,
    object_sensors,
    outlet_object,
    unit_object,
)
from .sensor import SENSOR_DESCRIPTIONS
from .switch import OUTLET_DESCRIPTION
from .xerus.models import InletInfo, OcpInfo, OutletInfo, UnitTopology

CARD_FILE: Final = Path(__file__).parent / "frontend" / "raritan-pdu-card.js"
CARD_URL: Final = f"/{DOMAIN}/raritan-pdu-card.js"
WS_TYPE_LAYOUT: Final = f"{DOMAIN}/layout"

# The entities the card shows, by the name the layout gives them: the entity keys (unique id
# parts) from the platforms' description tables.
_POWER: Final = SENSOR_DESCRIPTIONS["activePower"].key
_CURRENT: Final = SENSOR_DESCRIPTIONS["current"].key
_ENERGY: Final = SENSOR_DESCRIPTIONS["activeEnergy"].key
_UNIT_ENTITIES: Final = {
    "power": _POWER,
    "apparent_power": SENSOR_DESCRIPTIONS["apparentPower"].key,
    "energy": _ENERGY,
}
_INLET_ENTITIES: Final = {
    "power": _POWER,
    "current": _CURRENT,
    "energy": _ENERGY,
    "voltage": SENSOR_DESCRIPTIONS["voltage"].key,
}
_BREAKER_ENTITIES: Final = {
    "current": _CURRENT,
    "tripped": BINARY_SENSOR_DESCRIPTIONS["trip"].key,
}
_OUTLET_ENTITIES: Final = {
    "switch": OUTLET_DESCRIPTION.key,
    # For an account that may not switch outlets: their on/off state, read-only (no switch).
    "state": OUTLET_STATE_DESCRIPTION.key,
    "cycle": CYCLE_DESCRIPTION.key,
    "power": _POWER,
    "current": _CURRENT,
    "energy": _ENERGY,
}


async def async_setup_card(hass: HomeAssistant) -> None:
    """Serve the card, load it on every frontend page and register the layout command.

    Once per Home Assistant (``async_setup``), not per entry. The URL carries a hash of the
    file, so a browser that cached an older card (cached for a month) loads the new one after an
    update. Without the frontend (a headless installation) there is no page to add it to.
    """
    async_register_command(hass, websocket_layout)
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=True)]
    )
    if "frontend" in hass.config.components:
        version = await hass.async_add_executor_job(_file_version, CARD_FILE)
        add_extra_js_url(hass, f"{CARD_URL}?v={version}")


def _file_version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# --- the layout command ----------------------------------------------------------------------


@websocket_command({vol.Required("type"): WS_TYPE_LAYOUT, vol.Optional("device_id"): str})
@callback
def websocket_layout(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The layout of every unit of the loaded entries, or of the unit with ``device_id``."""
    device_id: str | None = msg.get("device_id")
    entries = []
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        layout = entry_layout(hass, entry)
        if device_id is not None:
            layout["units"] = [u for u in layout["units"] if u["device_id"] == device_id]
            if not layout["units"]:
                continue
        entries.append(layout)
    if device_id is not None and not entries:
        connection.send_error(
            msg["id"],
            ERR_NOT_FOUND,
            f"No unit of a loaded Raritan PDU has the device id {device_id}",
        )
        return
    connection.send_result(msg["id"], {"entries": entries})


@dataclass(frozen=True, slots=True)
class _Registries:
    """The registry entries of one config entry: enabled entities by unique id, devices by
    identifier."""

    entities: Mapping[str, er.RegistryEntry]
    devices: Mapping[DeviceIdentifier, dr.DeviceEntry]

    @classmethod
    def of(cls, hass: HomeAssistant, entry: RaritanConfigEntry) -> _Registries:
        entities = {
            e.unique_id: e
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
            if e.disabled_by is None
        }
        devices = {
            identifier: device
            for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            for identifier in device.identifiers
        }
        return cls(entities, devices)

    def entity_ids(self, ref: ObjectRef, keys: Mapping[str, str]) -> dict[str, str | None]:
        """The entity ids of the object's entities with these keys, by the layout's names (None:
        the object has no such entity, or it is disabled)."""
        found = {name: self.entities.get(ref.unique_id(key)) for name, key in keys.items()}
        return {name: e.entity_id if e is not None else None for name, e in found.items()}

    def device_id(self, identifier: DeviceIdentifier) -> str | None:
        device = self.devices.get(identifier)
        return device.id if device is not None else None

    def device_name(self, identifier: DeviceIdentifier) -> str | None:
        """The name the user gave the device in Home Assistant, if any."""
        device = self.devices.get(identifier)
        return device.name_by_user if device is not None else None


def entry_layout(hass: HomeAssistant, entry: RaritanConfigEntry) -> dict[str, Any]:
    """The layout of a loaded entry: its units, the primary first."""
    registries = _Registries.of(hass, entry)
    topology = entry.runtime_data.topology
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "units": [
            _unit(unit, registries, primary=unit is topology.primary) for unit in topology.units
        ],
    }


def _unit(unit: UnitTopology, reg: _Registries, *, primary: bool) -> dict[str, Any]:
    identifier = unit_identifier(unit)
    serial = unit.identity.unique_id
    return {
        "device_id": reg.device_id(identifier),
        "pdu_id": unit.pdu_id,
        "primary": primary,
        "name": reg.device_name(identifier) or unit_name(unit),
        "model": unit.identity.model,
        "serial": unit.identity.serial,
        **reg.entity_ids(unit_object(unit).ref, _UNIT_ENTITIES),
        "inlets": [
            _part(inlet, ObjectRef(serial, ObjectKind.INLET, inlet.index), reg, _INLET_ENTITIES)
            for inlet in unit.inlets
        ],
        "breakers": [
            _part(ocp, ObjectRef(serial, ObjectKind.OCP, ocp.index), reg, _BREAKER_ENTITIES)
            for ocp in unit.ocps
        ],
        "alarms": list(_alarms(unit, reg)),
        "outlets": [
            _outlet(unit, outlet, reg) for outlet in sorted(unit.outlets, key=lambda o: o.index)
        ],
    }


def _part(
    obj: InletInfo | OcpInfo, ref: ObjectRef, reg: _Registries, entities: Mapping[str, str]
) -> dict[str, Any]:
    """An inlet or a breaker: number, label, the name set on the PDU, its entities."""
    return {
        "number": obj.index + 1,
        "label": obj.label,
        "name": obj.name or None,
        **reg.entity_ids(ref, entities),
    }


def _alarms(unit: UnitTopology, reg: _Registries) -> Iterator[dict[str, Any]]:
    """Every problem sensor of the unit: tripped breakers, residual current, power quality,
    surge protector, power supplies; named as Home Assistant names the entity."""
    for sensor in object_sensors(unit, BINARY_SENSOR_DESCRIPTIONS, state=True):
        found = reg.entities.get(sensor.target.ref.unique_id(sensor.key))
        if found is not None:
            yield {
                "entity_id": found.entity_id,
                "key": sensor.description.key,
                "name": found.name or found.original_name or found.entity_id,
            }


def _outlet(unit: UnitTopology, outlet: OutletInfo, reg: _Registries) -> dict[str, Any]:
    identifier = outlet_identifier(unit, outlet)
    return {
        "number": outlet.number,
        "label": outlet.label or str(outlet.number),
        # What the user named the outlet (in Home Assistant, else on the PDU); None: unnamed.
        "name": reg.device_name(identifier) or outlet.name or None,
        "device_id": reg.device_id(identifier),
        "switchable": is_switchable(unit, outlet),
        "non_critical": outlet.settings.non_critical,
        **reg.entity_ids(outlet_object(unit, outlet).ref, _OUTLET_ENTITIES),
    }
