"""The devices of a PDU in Home Assistant's device registry, in one place.

One device per unit (link units connected via the primary), per outlet, per inlet of a
multi-inlet unit and per external sensor package (children connected via their unit). This
module builds their identifiers, names and details from the topology, registers them all
(:func:`async_sync_devices`, at setup and after every topology refresh), links children to
their parent by ``via_device_id`` and removes the devices that are no longer on the PDU.
Entities only refer to their device by identifier (:func:`entity_device_info`), so a device's
details are never decided twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util import slugify

from .const import DOMAIN, MANUFACTURER
from .objects import PduObject, has_inlet_devices, is_switchable
from .xerus.const import SensorType
from .xerus.models import (
    InletInfo,
    OutletGroupInfo,
    OutletInfo,
    PeripheralInfo,
    PoleInfo,
    Topology,
    UnitTopology,
)

type DeviceIdentifier = tuple[str, str]


# --- identifiers (never names or addresses) --------------------------------------------------


def unit_identifier(unit: UnitTopology) -> DeviceIdentifier:
    """``(DOMAIN, <unit serial>)``."""
    return (DOMAIN, unit.identity.unique_id)


def outlet_identifier(unit: UnitTopology, outlet: OutletInfo) -> DeviceIdentifier:
    """``(DOMAIN, "<serial>_outlet_<number>")`` (1-based)."""
    return (DOMAIN, f"{unit.identity.unique_id}_outlet_{outlet.number}")


def inlet_identifier(unit: UnitTopology, inlet: InletInfo) -> DeviceIdentifier:
    """``(DOMAIN, "<serial>_inlet_<number>")`` (1-based)."""
    return (DOMAIN, f"{unit.identity.unique_id}_inlet_{inlet.index + 1}")


def package_identifier(unit: UnitTopology, peripheral: PeripheralInfo) -> DeviceIdentifier:
    """``(DOMAIN, "<serial>_ext_<package serial>")``: every channel of a package shares it."""
    return (DOMAIN, f"{unit.identity.unique_id}_ext_{_package_key(peripheral)}")


def group_identifier(unit: UnitTopology, group: OutletGroupInfo) -> DeviceIdentifier:
    """``(DOMAIN, "<primary serial>_group_<uniqueId>")``: survives reboots and renames."""
    return (DOMAIN, f"{unit.identity.unique_id}_group_{group.unique_id}")


def _package_key(peripheral: PeripheralInfo) -> str:
    return peripheral.serial or f"slot{peripheral.slot_index + 1}"


def device_identifier(unit: UnitTopology, obj: PduObject) -> DeviceIdentifier:
    """The device the entities of an object belong to."""
    if isinstance(obj, OutletInfo):
        return outlet_identifier(unit, obj)
    if isinstance(obj, PeripheralInfo):
        return package_identifier(unit, obj)
    if isinstance(obj, OutletGroupInfo):
        return group_identifier(unit, obj)
    if has_inlet_devices(unit):
        if isinstance(obj, InletInfo):
            return inlet_identifier(unit, obj)
        if isinstance(obj, PoleInfo):
            inlet = next(i for i in unit.inlets if any(p is obj for p in i.poles))
            return inlet_identifier(unit, inlet)
    return unit_identifier(unit)


def entity_device_info(unit: UnitTopology, obj: PduObject) -> DeviceInfo:
    """The device link of an object's entities: identifiers only (registered here)."""
    return DeviceInfo(identifiers={device_identifier(unit, obj)})


# --- names: the one place that names devices and objects -------------------------------------
#
# A unit is called by the name set on the PDU, else by model and serial number (unique among
# every PDU). The devices of its outlets and inlets carry that name ("Rack A Outlet 1",
# "PX3-5190R PKE1234560 Outlet 1"), so that the outlets of two units or two PDUs never share a
# name (nor, with it, an entity id: ``switch.rack_a_outlet_1``); an outlet or inlet named on
# the PDU is called by that name alone, as its owner chose it. A name that gives no entity id
# (empty, punctuation only) counts as not set.


def is_name(name: str) -> bool:
    """Whether a name set on the PDU can name a device: it has a letter or digit, so that it
    gives an entity id (Home Assistant slugifies "" and "--" alike to ``unknown``)."""
    return any(char.isalnum() for char in name)


def unit_name(unit: UnitTopology) -> str:
    """Default name of a unit's device: the name set on the PDU, else model and serial."""
    identity = unit.identity
    if is_name(identity.name):
        return identity.name.strip()
    return f"{identity.model or 'PDU'} {identity.serial}".strip()


def _part_name(unit: UnitTopology, name: str, kind: str, label: str, number: int) -> str:
    if is_name(name):
        return name.strip()
    return f"{unit_name(unit)} {kind} {label if is_name(label) else number}"


def outlet_name(unit: UnitTopology, outlet: OutletInfo) -> str:
    """Name of an outlet's device: the name set on the PDU, else ``<unit> Outlet <label>``."""
    return _part_name(unit, outlet.name, "Outlet", outlet.label, outlet.number)


def inlet_name(unit: UnitTopology, inlet: InletInfo) -> str:
    """Name of an inlet's device: the name set on the PDU, else ``<unit> Inlet <label>``."""
    return _part_name(unit, inlet.name, "Inlet", inlet.label, inlet.index + 1)


#: What the channels of a sensor package measure or switch, for its name.
_PACKAGE_KINDS: Final[Mapping[int, str]] = MappingProxyType(
    {
        SensorType.TEMPERATURE: "temperature",
        SensorType.HUMIDITY: "humidity",
        SensorType.ABSOLUTE_HUMIDITY: "humidity",
        SensorType.DEW_POINT: "dew point",
        SensorType.AIR_FLOW: "air flow",
        SensorType.AIR_PRESSURE: "air pressure",
        SensorType.CONTACT_CLOSURE: "contact",
        SensorType.WATER_LEAK: "water leak",
        SensorType.SMOKE_DETECTOR: "smoke",
        SensorType.VIBRATION: "vibration",
        SensorType.MOTION: "motion",
        SensorType.OCCUPANCY: "occupancy",
        SensorType.TAMPER: "tamper",
        SensorType.DOOR_STATE: "door",
        SensorType.DOOR_HANDLE_LOCK: "door handle",
        SensorType.DOOR_LOCK_STATE: "door lock",
        SensorType.DRY_CONTACT: "dry contact",
        SensorType.POWERED_DRY_CONTACT: "dry contact",
    }
)


def package_name(unit: UnitTopology, peripheral: PeripheralInfo) -> str:
    """Name of a sensor package's device: what its channels are, and its serial number
    ("Temperature/humidity sensor 1JX8882770", "Dry contact module 1DC3963238"; "Sensor
    package ..." for other kinds)."""
    key = _package_key(peripheral)
    channels = [channel for channel in unit.peripherals if _package_key(channel) == key]
    kinds = dict.fromkeys(
        kind
        for channel in channels
        if (kind := _PACKAGE_KINDS.get(channel.type_spec.type)) is not None
    )
    # A package that switches something (dry contact, door lock) is a module, not a sensor.
    noun = "module" if any(channel.is_actuator for channel in channels) else "sensor"
    what = f"{'/'.join(kinds)} {noun}".capitalize() if kinds else "Sensor package"
    return f"{what} {peripheral.serial or f'in slot {peripheral.slot_index + 1}'}"


def package_model(peripheral: PeripheralInfo) -> str:
    """Model of a sensor package: the one it tells (``DPX3-T1H1``), else its package class."""
    return peripheral.package_model or peripheral.package_class


def group_name(unit: UnitTopology, group: OutletGroupInfo) -> str:
    """Name of an outlet group's device: the name set on the PDU."""
    return group.display_name


def object_name(unit: UnitTopology, obj: PduObject) -> str:
    """How messages (command errors) call an object: an outlet like its device, an external
    sensor or actuator by its slot or type name, anything else by the unit's name or model."""
    if isinstance(obj, OutletInfo):
        return outlet_name(unit, obj)
    if isinstance(obj, PeripheralInfo | OutletGroupInfo):
        return obj.display_name
    return unit_name(unit)


# --- the devices of a topology ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device to register: its details and the device it is connected via."""

    identifier: DeviceIdentifier
    info: DeviceInfo
    parent: DeviceIdentifier | None = None


def _manufacturer(unit: UnitTopology) -> str:
    return unit.identity.manufacturer or unit.identity.brand or MANUFACTURER


def _configuration_url(data: Mapping[str, Any]) -> str:
    host = data[CONF_HOST]
    url_host = f"[{host}]" if ":" in host else host
    return f"{'https' if data[CONF_SSL] else 'http'}://{url_host}:{data[CONF_PORT]}/"


def _unit_device(
    unit: UnitTopology, parent: DeviceIdentifier | None, url: str | None
) -> DeviceSpec:
    identity = unit.identity
    identifier = unit_identifier(unit)
    mac = {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(identity.mac))} if identity.mac else set()
    info = DeviceInfo(
        identifiers={identifier},
        connections=mac,
        manufacturer=_manufacturer(unit),
        model=identity.model or None,
        model_id=identity.part_number or None,
        name=unit_name(unit),
        serial_number=identity.serial or None,
        sw_version=identity.firmware or None,
        hw_version=identity.hardware or None,
        configuration_url=url,
    )
    return DeviceSpec(identifier, info, parent)


def _child(
    unit: UnitTopology,
    identifier: DeviceIdentifier,
    name: str,
    model: str,
    serial_number: str | None = None,
) -> DeviceSpec:
    info = DeviceInfo(
        identifiers={identifier},
        manufacturer=_manufacturer(unit),
        model=model or None,
        name=name,
        serial_number=serial_number,
    )
    return DeviceSpec(identifier, info, unit_identifier(unit))


def _child_devices(unit: UnitTopology) -> Iterator[DeviceSpec]:
    for outlet in unit.outlets:
        # An outlet that is neither switched nor metered (inlet-metered PDUs) has no entity.
        if is_switchable(unit, outlet) or any(not s.is_state for s in outlet.sensors.values()):
            identifier = outlet_identifier(unit, outlet)
            yield _child(unit, identifier, outlet_name(unit, outlet), outlet.receptacle_type)
    if has_inlet_devices(unit):
        for inlet in unit.inlets:
            identifier = inlet_identifier(unit, inlet)
            yield _child(unit, identifier, inlet_name(unit, inlet), inlet.plug_type)
    packages: dict[DeviceIdentifier, PeripheralInfo] = {}
    for peripheral in unit.peripherals:
        if peripheral.sensor is not None:
            packages.setdefault(package_identifier(unit, peripheral), peripheral)
    for identifier, peripheral in packages.items():
        name = package_name(unit, peripheral)
        model = package_model(peripheral)
        yield _child(unit, identifier, name, model, peripheral.serial or None)
    for group in unit.groups:
        yield _child(unit, group_identifier(unit, group), group_name(unit, group), "Outlet group")


def topology_devices(
    topology: Topology, entry_data: Mapping[str, Any] | None = None
) -> list[DeviceSpec]:
    """Every device of the topology, parents before their children.

    ``entry_data`` (the config entry's connection) gives the primary's configuration URL.
    """
    primary = unit_identifier(topology.primary)
    url = _configuration_url(entry_data) if entry_data is not None else None
    specs = [_unit_device(topology.primary, None, url)]
    specs += [_unit_device(unit, primary, None) for unit in topology.link_units.values()]
    for unit in topology.units:
        specs += _child_devices(unit)
    return specs


def topology_identifiers(topology: Topology) -> frozenset[DeviceIdentifier]:
    """The identifiers of every device of the topology."""
    return frozenset(spec.identifier for spec in topology_devices(topology))


def is_current(topology: Topology, device: dr.DeviceEntry) -> bool:
    """Whether the device is one of the topology's (the user may delete the others)."""
    return not device.identifiers.isdisjoint(topology_identifiers(topology))


# --- the registry ----------------------------------------------------------------------------


@callback
def async_sync_devices(hass: HomeAssistant, entry: ConfigEntry, topology: Topology) -> None:
    """Register every device of the topology and remove those no longer on the PDU.

    Details and names follow the PDU (a name the user set in Home Assistant, ``name_by_user``,
    still wins). Children are linked to their parent with ``via_device_id`` through
    ``async_update_device``, which every supported Home Assistant version has.
    """
    registry = dr.async_get(hass)
    device_ids: dict[DeviceIdentifier, str] = {}
    for spec in topology_devices(topology, entry.data):
        device = registry.async_get_or_create(config_entry_id=entry.entry_id, **spec.info)
        device_ids[spec.identifier] = device.id
        via = device_ids[spec.parent] if spec.parent is not None else None
        if device.via_device_id != via:
            registry.async_update_device(device.id, via_device_id=via)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if _is_stale(device, topology, frozenset(device_ids)):
            _async_remove(registry, device, entry.entry_id)


@callback
def _async_remove(registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str) -> None:
    """Remove the entry's device, and with it its entities.

    Before Home Assistant 2026.8 other config entries can share a device (by a unit's MAC
    address): only this entry leaves it. From 2026.8 on a device belongs to one config entry
    (``DeviceEntry.config_entry_id``) and leaving it is deprecated: it is removed.
    """
    if hasattr(device, "config_entry_id"):  # pragma: no cover - one entry per device
        registry.async_remove_device(device.id)
    else:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


def _is_stale(
    device: dr.DeviceEntry, topology: Topology, current: frozenset[DeviceIdentifier]
) -> bool:
    """Whether a device of the entry is gone from the PDU.

    Only what the topology surely knows counts: a unit that lists no sensor package at all may
    have a peripheral device manager that did not answer, so its package devices stay; while a
    linked unit could not be read (unreachable since setup), devices of unknown units stay. The
    user can still delete them by hand.
    """
    ours = {ident for domain, ident in device.identifiers if domain == DOMAIN}
    if not ours or not device.identifiers.isdisjoint(current):
        return False
    for unit in topology.units:
        serial = unit.identity.unique_id
        if any(ident == serial or ident.startswith(f"{serial}_") for ident in ours):
            packages = any(ident.startswith(f"{serial}_ext_") for ident in ours)
            return bool(unit.peripherals) or not packages
    return topology.unavailable.issubset(topology.link_units)


# --- the names of earlier versions -----------------------------------------------------------


@callback
def async_migrate_names(hass: HomeAssistant, entry: ConfigEntry, topology: Topology) -> None:
    """Give the devices of the topology their current names, and their entities the entity ids
    Home Assistant derives from them (config entry minor version 1 to 2; unique ids unchanged).

    Earlier versions named outlets "Outlet 1" on every unit: their entity ids (``switch.outlet_1``,
    ``switch.outlet_1_2``) said neither unit nor PDU. What the user chose wins: a device renamed
    in Home Assistant (``name_by_user``) keeps its name and its entity ids, and an entity id the
    user changed (one that is not the old name's, with or without Home Assistant's ``_2``
    suffix) is kept.
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    # This entry's devices only (the registry's own lookup by identifier is deprecated from
    # 2026.x, its replacement missing in 2025.4): identifiers are unique within an entry.
    by_identifier = {
        identifier: device
        for device in dr.async_entries_for_config_entry(devices, entry.entry_id)
        for identifier in device.identifiers
    }
    for spec in topology_devices(topology):
        device = by_identifier.get(spec.identifier)
        name = spec.info.get("name")
        if device is None or device.name_by_user or not device.name or not name:
            continue
        if device.name == name:
            continue
        for entity in er.async_entries_for_device(
            entities, device.id, include_disabled_entities=True
        ):
            if entity.config_entry_id != entry.entry_id or not entity.has_entity_name:
                continue
            old = _object_id(device.name, entity.original_name)
            domain, object_id = entity.entity_id.split(".", 1)
            if re.fullmatch(rf"{re.escape(old)}(_\d+)?", object_id):
                new_id = _free_entity_id(
                    hass, entities, domain, _object_id(name, entity.original_name)
                )
                entities.async_update_entity(entity.entity_id, new_entity_id=new_id)
        devices.async_update_device(device.id, name=name)


def _object_id(device_name: str, entity_name: str | None) -> str:
    """The object id Home Assistant derives for an entity of a device (``has_entity_name``)."""
    return slugify(f"{device_name} {entity_name}" if entity_name else device_name)


def _free_entity_id(
    hass: HomeAssistant, entities: er.EntityRegistry, domain: str, object_id: str
) -> str:
    """``domain.object_id``, with Home Assistant's ``_2``... suffix if it is taken."""
    candidate, number = f"{domain}.{object_id}", 1
    while entities.async_is_registered(candidate) or not hass.states.async_available(candidate):
        number += 1
        candidate = f"{domain}.{object_id}_{number}"
    return candidate
