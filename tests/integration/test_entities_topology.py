"""Devices, unique ids, names and topology changes (link units, renames, reboots)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_FRIENDLY_NAME, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import (
    DOMAIN,
    SCAN_INTERVAL,
    TOPOLOGY_REFRESH_INTERVAL,
)
from custom_components.raritan_pdu.entity import (
    async_update_child_devices,
    device_info_for,
    is_phase,
    line_key,
    line_label,
    unit_device_info,
)
from custom_components.raritan_pdu.xerus.const import PowerLine
from custom_components.raritan_pdu.xerus.models import PoleInfo
from tests.emulator import PduEmulator

# Tests that poll take ``freezer`` as their FIRST fixture, so time is frozen before setup.


async def async_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """One poll interval later, with the poll (a background task) finished."""
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_topology_refresh(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the slow topology cadence elapse; the next poll rediscovers the PDU."""
    freezer.tick(TOPOLOGY_REFRESH_INTERVAL)
    await async_poll(hass, freezer)
    # Entities that were added register their resource ids: one debounced refresh reads them.
    freezer.tick(2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def device(hass: HomeAssistant, identifier: tuple[str, str]) -> dr.DeviceEntry | None:
    """The device with this identifier (looked up without the deprecated lookup helper)."""
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for found in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if identifier in found.identifiers:
                return found
    return None


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_devices(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A device per unit, per outlet (via its unit) and per external sensor package."""
    for pdu_id in (0, 2, 3):
        unit = emulator.unit(pdu_id)
        unit_device = device(hass, (DOMAIN, unit.serial))
        assert unit_device is not None
        assert unit_device.serial_number == unit.serial
        assert unit_device.model == unit.model
        assert unit_device.sw_version
        assert (dr.CONNECTION_NETWORK_MAC, unit.mac) in unit_device.connections
        outlet_device = device(hass, (DOMAIN, f"{unit.serial}_outlet_3"))
        assert outlet_device is not None
        assert outlet_device.name == "Outlet 3"
        assert outlet_device.via_device_id == unit_device.id
        assert outlet_device.model == unit.outlet(2).receptacle
        package = unit.peripheral(0).serial
        ext_device = device(hass, (DOMAIN, f"{unit.serial}_ext_{package}"))
        assert ext_device is not None
        assert ext_device.via_device_id == unit_device.id
        assert ext_device.serial_number == package
    primary = device(hass, (DOMAIN, emulator.unit(0).serial))
    link = device(hass, (DOMAIN, emulator.unit(2).serial))
    assert link.via_device_id == primary.id


async def test_unique_ids_and_names(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Unique ids from serial + stable index + key; names from the device + translation."""
    serial = emulator.unit(0).serial
    expected = {
        ("sensor", f"{serial}_outlet_3_active_power"): "Outlet 3 Power",
        ("sensor", f"{serial}_outlet_3_current"): "Outlet 3 Current",
        ("switch", f"{serial}_outlet_3_switch"): "Outlet 3",
        ("button", f"{serial}_outlet_3_cycle"): "Outlet 3 Power cycle",
    }
    for (platform, unique_id), name in expected.items():
        found = entity_id(hass, platform, unique_id)
        assert found is not None, unique_id
        assert hass.states.get(found).attributes[ATTR_FRIENDLY_NAME] == name
    unit_name = device(hass, (DOMAIN, serial)).name
    found = entity_id(hass, "sensor", f"{serial}_unit_active_energy")
    assert hass.states.get(found).attributes[ATTR_FRIENDLY_NAME] == f"{unit_name} Total energy"
    assert entity_id(hass, "binary_sensor", f"{serial}_ocp_1_tripped")


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
    outlet_device = device(hass, (DOMAIN, f"{serial}_outlet_3"))
    assert outlet_device.name == "NAS"
    power = entity_id(hass, "sensor", f"{serial}_outlet_3_active_power")
    assert hass.states.get(power).attributes[ATTR_FRIENDLY_NAME] == "NAS Power"


async def test_new_link_unit_gets_entities(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A link unit added on the PDU gets its devices and entities after a topology refresh."""
    registry = er.async_get(hass)
    count = len(er.async_entries_for_config_entry(registry, init_integration.entry_id))
    link_id = emulator.faults.add_link_unit(outlets=4, peripherals=0)
    new_serial = emulator.unit(link_id).serial
    assert entity_id(hass, "switch", f"{new_serial}_outlet_1_switch") is None

    await async_topology_refresh(hass, freezer)
    switch = entity_id(hass, "switch", f"{new_serial}_outlet_1_switch")
    assert switch is not None
    assert hass.states.get(switch).state == STATE_ON
    power = entity_id(hass, "sensor", f"{new_serial}_outlet_1_current")
    assert hass.states.get(power).state not in ("unknown", STATE_UNAVAILABLE)
    entries = er.async_entries_for_config_entry(registry, init_integration.entry_id)
    assert len(entries) > count
    # Nothing was added twice.
    assert len({e.unique_id for e in entries}) == len(entries)


async def test_reboot_changes_rids(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a PDU reboot (new opaque RIDs) entities keep working with the new RIDs."""
    serial = emulator.unit(0).serial
    power = entity_id(hass, "sensor", f"{serial}_outlet_2_active_power")
    switch = entity_id(hass, "switch", f"{serial}_outlet_2_switch")
    emulator.reset_stats()
    await async_poll(hass, freezer)
    sub_requests = emulator.stats()["bulk_subrequests"]

    emulator.faults.reboot()
    # The coordinator rediscovers once the old RIDs answer 404 (within two polls).
    await async_poll(hass, freezer)
    await async_poll(hass, freezer)
    emulator.unit(0).outlet(1).power_state = 0
    emulator.reset_stats()
    await async_poll(hass, freezer)
    stats = emulator.stats()
    assert stats["http_requests"] == 1
    # Same reads as before the reboot: every entity moved to its new RID, none left behind.
    assert stats["bulk_subrequests"] == sub_requests
    assert stats["status_codes"] == {"200": 1}
    assert float(hass.states.get(power).state) == 0.0
    assert hass.states.get(switch).state == "off"


async def test_removed_link_unit(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A link unit released from the link stops being polled; the rest keeps working."""
    gone = emulator.unit(3).serial
    switch = entity_id(hass, "switch", f"{gone}_outlet_1_switch")
    emulator.faults.remove_link_unit(3)
    await async_topology_refresh(hass, freezer)
    state = hass.states.get(switch)
    assert state is None or state.state == STATE_UNAVAILABLE
    primary = entity_id(hass, "switch", f"{emulator.unit(0).serial}_outlet_1_switch")
    assert hass.states.get(primary).state == STATE_ON


async def test_multi_inlet_units_get_inlet_devices(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """With several inlets, inlet (and pole) entities move to a device per inlet."""
    topology = init_integration.runtime_data.topology
    unit = topology.primary
    inlet = unit.inlets[0]
    poles = [
        PoleInfo(0, "", PowerLine.L1, 1, {}),
        PoleInfo(1, "", PowerLine.L2, 2, {}),
        PoleInfo(2, "", PowerLine.NEUTRAL, 3, {}),
    ]
    second = replace(inlet, index=1, label="I2", name="", poles=poles)
    two_inlets = replace(unit, inlets=[inlet, second])

    info = device_info_for(two_inlets, second)
    assert info["identifiers"] == {(DOMAIN, f"{emulator.unit(0).serial}_inlet_2")}
    assert info["name"] == "Inlet I2"
    assert info["via_device"] == (DOMAIN, emulator.unit(0).serial)
    assert device_info_for(two_inlets, poles[1]) == info
    # Single-inlet units keep the inlet on the unit device.
    assert device_info_for(unit, inlet) == unit_device_info(unit)

    assert [line_key(p) for p in poles] == ["l1", "l2", "neutral"]
    assert [line_label(p) for p in poles] == ["L1", "L2", "N"]
    assert [is_phase(p) for p in poles] == [True, True, False]
    odd = PoleInfo(4, "", 9, None, {})
    assert (line_key(odd), line_label(odd)) == ("line9", "LINE9")
    unknown = PoleInfo(5, "X", None, None, {})
    assert (line_key(unknown), line_label(unknown)) == ("pole6", "X")

    # Inlet devices are renamed like outlet devices after a topology refresh.
    devices = dr.async_get(hass)
    devices.async_get_or_create(
        config_entry_id=init_integration.entry_id, name="old", identifiers=info["identifiers"]
    )
    async_update_child_devices(hass, init_integration, replace(topology, primary=two_inlets))
    assert device(hass, next(iter(info["identifiers"]))).name == "Inlet I2"


async def test_pdu_unreachable_makes_everything_unavailable(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed poll makes the entities unavailable; the next good poll brings them back."""
    switch = entity_id(hass, "switch", f"{emulator.unit(0).serial}_outlet_1_switch")
    power = entity_id(hass, "sensor", f"{emulator.unit(2).serial}_outlet_2_active_power")
    emulator.faults.http_error(500, count=1000)
    await async_poll(hass, freezer)
    assert hass.states.get(switch).state == STATE_UNAVAILABLE
    assert hass.states.get(power).state == STATE_UNAVAILABLE
    emulator.faults.clear()
    await async_poll(hass, freezer)
    assert hass.states.get(switch).state == STATE_ON
    assert hass.states.get(power).state != STATE_UNAVAILABLE
