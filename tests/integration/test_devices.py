"""Devices: one per unit, outlet, multi-unit inlet and sensor package; renamed, linked, removed."""

from __future__ import annotations

from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_FRIENDLY_NAME, CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.raritan_pdu import async_remove_config_entry_device
from custom_components.raritan_pdu.const import DOMAIN
from custom_components.raritan_pdu.devices import async_sync_devices, device_identifier
from custom_components.raritan_pdu.objects import is_phase, line_key, line_label
from custom_components.raritan_pdu.storage import async_remove_store
from custom_components.raritan_pdu.xerus.const import PowerLine
from custom_components.raritan_pdu.xerus.models import PoleInfo
from tests.emulator import PduEmulator

from .conftest import (
    async_poll,
    async_topology_refresh,
    entity_id,
    entry_data,
    ext_entity_id,
    get_device,
    make_config_entry,
    setup_integration,
)


def entry_devices(hass: HomeAssistant, entry: MockConfigEntry) -> list[dr.DeviceEntry]:
    return dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)


def entry_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    return er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)


async def async_remove_by_hand(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry_id: str, device_id: str
) -> bool:
    """Delete a device from its device page (⋮ > Delete); whether Home Assistant allowed it."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_devices(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A device per unit, per outlet (via its unit) and per external sensor package; no
    deprecated registry call (the ``no_deprecated_calls`` fixture checks every test)."""
    for pdu_id in (0, 2, 3):
        unit = emulator.unit(pdu_id)
        unit_device = get_device(hass, unit.serial)
        assert unit_device is not None
        assert unit_device.serial_number == unit.serial
        assert unit_device.model == unit.model
        assert unit_device.sw_version
        assert (dr.CONNECTION_NETWORK_MAC, unit.mac) in unit_device.connections
        outlet_device = get_device(hass, f"{unit.serial}_outlet_3")
        assert outlet_device is not None
        # The unit (model and serial: no name is set on the emulated PDU) tells outlets apart.
        assert outlet_device.name == f"{unit.model} {unit.serial} Outlet 3"
        assert outlet_device.via_device_id == unit_device.id
        assert outlet_device.model == unit.outlet(2).receptacle
        package = unit.peripheral(0).serial
        ext_device = get_device(hass, f"{unit.serial}_ext_{package}")
        assert ext_device is not None
        assert ext_device.via_device_id == unit_device.id
        assert ext_device.serial_number == package
        # What the package is (its channels) and its model (getDiscoveredPackageInfos).
        assert ext_device.name == f"Temperature/humidity sensor {package}"
        assert ext_device.model == unit.peripheral(0).entry.model == "DPX3-T1H1"
    primary = get_device(hass, emulator.unit(0).serial)
    assert primary.via_device_id is None
    link = get_device(hass, emulator.unit(2).serial)
    assert link.via_device_id == primary.id
    # Every device has entities; every entity is on one of them.
    devices = entry_devices(hass, init_integration)
    assert {e.device_id for e in entry_entities(hass, init_integration)} == {
        d.id for d in devices
    }


@pytest.mark.parametrize(
    "emulator_config", [{"metered_only": True, "metered_outlets": False, "link_units": 0}]
)
async def test_outlets_without_entities_have_no_device(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """An inlet-metered PDU (outlets neither switched nor metered) has no outlet devices."""
    assert not get_device(hass, f"{emulator.unit(0).serial}_outlet_1")
    assert get_device(hass, emulator.unit(0).serial)


async def test_outlet_renamed_on_the_pdu(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A name given on the PDU renames the outlet device (and its entities' names)."""
    serial = emulator.unit(0).serial
    emulator.faults.rename_outlet(2, "NAS")
    await async_topology_refresh(hass, freezer)
    assert get_device(hass, f"{serial}_outlet_3").name == "NAS"
    power = entity_id(hass, "sensor", f"{serial}_outlet_3_active_power")
    assert hass.states.get(power).attributes[ATTR_FRIENDLY_NAME] == "NAS Power"

    # A name given in Home Assistant wins over the PDU's.
    device = get_device(hass, f"{serial}_outlet_3")
    dr.async_get(hass).async_update_device(device.id, name_by_user="Backup NAS")
    emulator.faults.rename_outlet(2, "Old NAS")
    await async_topology_refresh(hass, freezer)
    device = get_device(hass, f"{serial}_outlet_3")
    assert (device.name, device.name_by_user) == ("Old NAS", "Backup NAS")


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11}])
async def test_unplugged_package_is_removed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A sensor package pulled from the PDU loses its device and entities at the next
    topology refresh; the other packages and the same package of a link unit stay."""
    serial = emulator.unit(0).serial
    package = emulator.unit(0).peripheral(0).serial  # three channels: 0, 1 and 10
    identifier = f"{serial}_ext_{package}"
    device = get_device(hass, identifier)
    assert device is not None
    entities = [e.entity_id for e in entry_entities(hass, init_integration)]
    package_entities = [
        e.entity_id for e in entry_entities(hass, init_integration) if e.device_id == device.id
    ]
    # One entity per channel, besides each numeric channel's alarm level and thresholds (#10).
    channels = [
        e
        for e in package_entities
        if not e.startswith("number.") and not e.endswith("_alarm_level")
    ]
    assert len(channels) == 3
    assert not await async_remove_by_hand(
        hass, hass_ws_client, init_integration.entry_id, device.id
    )

    emulator.faults.unplug_peripheral(0)
    await async_topology_refresh(hass, freezer)
    assert get_device(hass, identifier) is None
    remaining = [e.entity_id for e in entry_entities(hass, init_integration)]
    assert sorted(remaining) == sorted(set(entities) - set(package_entities))
    for gone in package_entities:
        assert hass.states.get(gone) is None
    assert get_device(hass, f"{serial}_ext_{emulator.unit(0).peripheral(4).serial}")
    link = emulator.unit(2)
    assert get_device(hass, f"{link.serial}_ext_{link.peripheral(0).serial}")

    # Plugged in again: the device and its entities come back with the same entity ids.
    for index in (0, 1, 10):
        emulator.unit(0).slot(index).peripheral = emulator.unit(0).peripheral(index)
    await async_topology_refresh(hass, freezer)
    assert get_device(hass, identifier) is not None
    assert sorted(e.entity_id for e in entry_entities(hass, init_integration)) == sorted(entities)


@pytest.mark.parametrize("emulator_config", [{"peripherals": 3, "link_units": 0}])
async def test_all_packages_gone_keeps_their_devices(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A unit that suddenly lists no sensor package at all may not have answered: the devices
    stay (their entities unavailable) until the user deletes them."""
    serial = emulator.unit(0).serial
    emulator.faults.unplug_peripheral(0)
    emulator.faults.unplug_peripheral(2)
    await async_topology_refresh(hass, freezer)
    device = get_device(hass, f"{serial}_ext_{emulator.unit(0).peripheral(2).serial}")
    assert device is not None
    temperature = ext_entity_id(
        hass, init_integration, "sensor", emulator.unit(0).peripheral(2).serial, 8
    )
    assert hass.states.get(temperature).state == STATE_UNAVAILABLE
    # (Six hours later the websocket's access token has expired: ask the integration directly.)
    assert await async_remove_config_entry_device(hass, init_integration, device)


async def test_released_link_unit_is_removed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A link unit released from the primary: its unit, outlet and package devices go."""
    gone, kept = emulator.unit(3).serial, emulator.unit(2).serial
    emulator.faults.remove_link_unit(3)
    await async_topology_refresh(hass, freezer)
    identifiers = {i for d in entry_devices(hass, init_integration) for _, i in d.identifiers}
    assert not [i for i in identifiers if i == gone or i.startswith(f"{gone}_")]
    assert kept in identifiers
    assert f"{kept}_outlet_1" in identifiers


async def test_unreachable_link_unit_keeps_its_devices(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A link unit that cannot be read when the PDU is first discovered is still linked: its
    devices (and the entities' settings) are kept, though the user may delete them."""
    serial = emulator.unit(3).serial
    count = len(entry_devices(hass, init_integration))
    emulator.faults.link_unreachable(3)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await async_remove_store(hass, init_integration.entry_id)  # nothing known of it
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert 3 not in init_integration.runtime_data.topology.link_units
    assert len(entry_devices(hass, init_integration)) == count
    device = get_device(hass, f"{serial}_outlet_1")
    assert device is not None
    assert await async_remove_by_hand(hass, hass_ws_client, init_integration.entry_id, device.id)
    assert get_device(hass, f"{serial}_outlet_1") is None

    # Back: the link unit's devices are registered again.
    emulator.faults.link_unreachable(3, False)
    await async_topology_refresh(hass, freezer)
    assert get_device(hass, f"{serial}_outlet_1") is not None


async def test_unreachable_link_unit_known_from_storage(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a restart the stored topology still knows a link unit that is unreachable now:
    its entities are there, unavailable, and its devices stay the PDU's."""
    serial = emulator.unit(3).serial
    emulator.faults.link_unreachable(3)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_integration.runtime_data
    assert 3 in coordinator.topology.link_units
    assert not coordinator.unit_available(3)
    switch = er.async_get(hass).async_get_entity_id("switch", DOMAIN, f"{serial}_outlet_1_switch")
    assert switch is not None
    assert hass.states.get(switch).state == STATE_UNAVAILABLE
    device = get_device(hass, f"{serial}_outlet_1")
    assert device is not None
    assert not await async_remove_by_hand(
        hass, hass_ws_client, init_integration.entry_id, device.id
    )

    emulator.faults.link_unreachable(3, False)
    await async_poll(hass, freezer)  # the link status changed: rediscovered, read at once
    assert coordinator.unit_available(3)
    assert hass.states.get(switch).state == "on"


async def test_remove_devices_by_hand(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Devices on the PDU cannot be deleted by hand; devices no longer on it can."""
    registry = dr.async_get(hass)
    serial = emulator.unit(0).serial
    live = [
        get_device(hass, serial),
        get_device(hass, emulator.unit(2).serial),
        get_device(hass, f"{serial}_outlet_1"),
        get_device(hass, f"{serial}_ext_{emulator.unit(0).peripheral(0).serial}"),
    ]
    # A package unplugged while Home Assistant was not running, a released link unit.
    stale = [
        registry.async_get_or_create(
            config_entry_id=init_integration.entry_id,
            identifiers={(DOMAIN, identifier)},
            name="Gone",
        )
        for identifier in (f"{serial}_ext_1JX0000000", "PKL0000009", "PKL0000009_outlet_1")
    ]
    for device in live:
        assert device is not None
        assert not await async_remove_by_hand(
            hass, hass_ws_client, init_integration.entry_id, device.id
        )
    for device in stale:
        assert await async_remove_by_hand(
            hass, hass_ws_client, init_integration.entry_id, device.id
        )
        assert registry.async_get(device.id) is None


async def test_stale_devices_removed_at_setup(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """What went away while Home Assistant was not running is removed when it starts."""
    mock_config_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    serial = emulator.unit(0).serial
    stale = registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, f"{serial}_ext_1JX0000000")},
        name="Unplugged package",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(stale.id) is None


async def test_remove_device_of_entry_not_loaded(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: PduEmulator
) -> None:
    """Without a loaded entry the topology is unknown: the user may remove any device."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_PASSWORD: "wrong"}))
    await setup_integration(hass, entry)
    assert entry.state is not ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, emulator.unit(0).serial)}
    )
    assert await async_remove_by_hand(hass, hass_ws_client, entry.entry_id, device.id)


async def test_multi_inlet_units_get_inlet_devices(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """With several inlets, inlet (and pole) entities move to a device per inlet, named like
    the inlet and connected via its unit; with one inlet again, those devices are removed."""
    topology = init_integration.runtime_data.topology
    unit = topology.primary
    serial = emulator.unit(0).serial
    inlet = unit.inlets[0]
    poles = [
        PoleInfo(0, "", PowerLine.L1, 1, {}),
        PoleInfo(1, "", PowerLine.L2, 2, {}),
        PoleInfo(2, "", PowerLine.NEUTRAL, 3, {}),
    ]
    second = replace(inlet, index=1, label="I2", name="", poles=poles)
    two_inlets = replace(unit, inlets=[inlet, second])

    assert device_identifier(two_inlets, second) == (DOMAIN, f"{serial}_inlet_2")
    assert device_identifier(two_inlets, poles[1]) == (DOMAIN, f"{serial}_inlet_2")
    # Single-inlet units keep the inlet on the unit device.
    assert device_identifier(unit, inlet) == (DOMAIN, serial)

    async_sync_devices(hass, init_integration, replace(topology, primary=two_inlets))
    inlet_device = get_device(hass, f"{serial}_inlet_2")
    unit_name = f"{emulator.unit(0).model} {serial}"
    assert inlet_device.name == f"{unit_name} Inlet I2"
    assert inlet_device.via_device_id == get_device(hass, serial).id
    assert get_device(hass, f"{serial}_inlet_1").name == f"{unit_name} Inlet {inlet.label}"

    async_sync_devices(hass, init_integration, topology)
    assert get_device(hass, f"{serial}_inlet_2") is None

    assert [line_key(p) for p in poles] == ["l1", "l2", "neutral"]
    assert [line_label(p) for p in poles] == ["L1", "L2", "N"]
    assert [is_phase(p) for p in poles] == [True, True, False]
    odd = PoleInfo(4, "", 9, None, {})
    assert (line_key(odd), line_label(odd)) == ("line9", "LINE9")
    unknown = PoleInfo(5, "X", None, None, {})
    assert (line_key(unknown), line_label(unknown)) == ("pole6", "X")
