"""Entities of a topology: unique ids, entity ids, names and topology changes."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_FRIENDLY_NAME, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import (
    async_poll,
    async_topology_refresh,
    entity_id,
    get_device,
    make_config_entry,
    setup_integration,
)

#: (platform, unique id, entity id) of a primary unit (``{p}``, device ``{pu}``) with a link unit
#: (``{l}``, ``{lu}``) and external sensors (``{temp}`` the serial of the temperature package,
#: ``{door}``, ``{dry}``, ``{lock}``; ``{…_dev}`` their device name as in entity ids). Unique ids
#: and entity ids are what automations, dashboards and the statistics refer to: they never change
#: (the outlets' entity ids carry their unit since config entry version 1.2, which migrated
#: ``switch.outlet_3`` / ``switch.outlet_1_2`` once).
PINNED = (
    ("switch", "{p}_outlet_3_switch", "switch.{pu}_outlet_3"),
    ("switch", "{l}_outlet_1_switch", "switch.{lu}_outlet_1"),
    ("button", "{p}_outlet_1_cycle", "button.{pu}_outlet_1_power_cycle"),
    ("button", "{l}_outlet_2_cycle", "button.{lu}_outlet_2_power_cycle"),
    ("button", "{p}_unit_identify", "button.{pu}_identify"),
    ("sensor", "{p}_outlet_2_active_energy", "sensor.{pu}_outlet_2_energy"),
    ("sensor", "{p}_outlet_1_voltage", "sensor.{pu}_outlet_1_voltage"),
    ("sensor", "{l}_outlet_1_active_power", "sensor.{lu}_outlet_1_power"),
    ("sensor", "{p}_unit_active_energy", "sensor.{pu}_total_energy"),
    ("sensor", "{l}_unit_active_power", "sensor.{lu}_total_power"),
    ("sensor", "{p}_inlet_1_current", "sensor.{pu}_inlet_current"),
    ("sensor", "{l}_inlet_1_power_factor", "sensor.{lu}_inlet_power_factor"),
    ("sensor", "{p}_inlet_1_pole_l1_voltage_ln", "sensor.{pu}_l1_voltage_line_to_neutral"),
    ("sensor", "{p}_inlet_1_pole_neutral_current", "sensor.{pu}_n_current"),
    ("sensor", "{p}_ocp_1_active_energy", "sensor.{pu}_breaker_c1_energy"),
    ("binary_sensor", "{p}_ocp_2_tripped", "binary_sensor.{pu}_breaker_c2_tripped"),
    ("binary_sensor", "{l}_unit_power_supply_1_status", "binary_sensor.{lu}_power_supply_1"),
    ("sensor", "{p}_ext_{temp}:8:0_temperature", "sensor.{temp_dev}_front_top"),
    ("sensor", "{p}_ext_{temp}:9:0_humidity", "sensor.{temp_dev}_humidity"),
    ("binary_sensor", "{p}_ext_{door}:42:0_door_state", "binary_sensor.{door_dev}_door"),
    ("switch", "{p}_ext_{dry}:39:1_dry_contact", "switch.{dry_dev}_dry_contact"),
    ("lock", "{p}_ext_{lock}:43:1_door_lock_state", "lock.{lock_dev}_door_lock"),
)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_unique_ids_and_entity_ids_are_pinned(
    hass: HomeAssistant, emulator_factory: Any, firmware: str
) -> None:
    """Refactoring must not rename a single entity: a representative set, pinned."""
    emu = await emulator_factory(
        firmware=firmware, outlets=4, link_units=1, peripherals=11, inlet_phases=3
    )
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    primary, link = emu.unit(0), emu.unit(2)
    values = {
        "p": primary.serial,
        "pu": slugify(f"{primary.model} {primary.serial}"),
        "l": link.serial,
        "lu": slugify(f"{link.model} {link.serial}"),
    }
    packages = (
        ("temp", 0, "Temperature/humidity sensor"),
        ("door", 4, "Door sensor"),
        ("dry", 7, "Dry contact module"),
        ("lock", 8, "Door lock module"),
    )
    for name, index, kind in packages:
        peripheral = primary.peripheral(index)
        values[name] = peripheral.serial
        values[f"{name}_dev"] = slugify(f"{kind} {peripheral.serial}")
    registry = er.async_get(hass)
    found = {
        uid.format(**values): registry.async_get_entity_id(platform, DOMAIN, uid.format(**values))
        for platform, uid, _ in PINNED
    }
    assert found == {uid.format(**values): eid.format(**values) for _, uid, eid in PINNED}


async def test_unique_ids_and_names(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Unique ids from serial + stable index + key; names from the device + translation."""
    serial = emulator.unit(0).serial
    outlet = f"{emulator.unit(0).model} {serial} Outlet 3"
    expected = {
        ("sensor", f"{serial}_outlet_3_active_power"): f"{outlet} Power",
        ("sensor", f"{serial}_outlet_3_current"): f"{outlet} Current",
        ("switch", f"{serial}_outlet_3_switch"): outlet,
        ("button", f"{serial}_outlet_3_cycle"): f"{outlet} Power cycle",
    }
    for (platform, unique_id), name in expected.items():
        found = entity_id(hass, platform, unique_id)
        assert hass.states.get(found).attributes[ATTR_FRIENDLY_NAME] == name
    unit_name = get_device(hass, serial).name
    found = entity_id(hass, "sensor", f"{serial}_unit_active_energy")
    assert hass.states.get(found).attributes[ATTR_FRIENDLY_NAME] == f"{unit_name} Total energy"
    assert entity_id(hass, "binary_sensor", f"{serial}_ocp_1_tripped")


def outlet_switches(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Entity id -> friendly name of the entry's outlet switches."""
    registry = er.async_get(hass)
    return {
        e.entity_id: hass.states.get(e.entity_id).attributes[ATTR_FRIENDLY_NAME]
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.unique_id.endswith("_switch") and "_outlet_" in e.unique_id
    }


async def test_names_tell_units_and_pdus_apart(hass: HomeAssistant, emulator_factory: Any) -> None:
    """Two PDUs, one with a link unit: every outlet's name and entity id says its unit (the
    PDU-side name "Rack A", else model and serial), none needs Home Assistant's ``_2``."""
    rack_a = await emulator_factory(outlets=2, link_units=0, pdu_name="Rack A", seed=1)
    other = await emulator_factory(outlets=2, link_units=1, seed=2)
    entry_a, entry_b = make_config_entry(rack_a), make_config_entry(other)
    await setup_integration(hass, entry_a)
    await setup_integration(hass, entry_b)

    assert outlet_switches(hass, entry_a) == {
        "switch.rack_a_outlet_1": "Rack A Outlet 1",
        "switch.rack_a_outlet_2": "Rack A Outlet 2",
    }
    primary, link = other.unit(0), other.unit(2)
    expected = {}
    for unit in (primary, link):
        name = f"{unit.model} {unit.serial}"
        for number in (1, 2):
            expected[f"switch.{slugify(name)}_outlet_{number}"] = f"{name} Outlet {number}"
    assert outlet_switches(hass, entry_b) == expected
    serial = rack_a.unit(0).serial
    assert get_device(hass, serial).name == "Rack A"
    energy = entity_id(hass, "sensor", f"{serial}_outlet_1_active_energy")
    assert energy == "sensor.rack_a_outlet_1_energy"
    assert hass.states.get(energy).attributes[ATTR_FRIENDLY_NAME] == "Rack A Outlet 1 Energy"


async def test_names_that_give_no_entity_id(hass: HomeAssistant, emulator_factory: Any) -> None:
    """Names set on the PDU that are empty or punctuation only count as not set (no
    ``switch.unknown``); an outlet named on the PDU is called by that name alone."""
    emu = await emulator_factory(outlets=3, link_units=0, pdu_name=" -- ")
    emu.faults.rename_outlet(0, "")
    emu.faults.rename_outlet(1, "***")
    emu.faults.rename_outlet(2, "NAS")
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    unit = emu.unit(0)
    name = f"{unit.model} {unit.serial}"
    assert get_device(hass, unit.serial).name == name
    assert outlet_switches(hass, entry) == {
        f"switch.{slugify(name)}_outlet_1": f"{name} Outlet 1",
        f"switch.{slugify(name)}_outlet_2": f"{name} Outlet 2",
        "switch.nas": "NAS",
    }


async def test_migration_gives_old_entity_ids_the_new_names(
    hass: HomeAssistant, emulator_factory: Any
) -> None:
    """An entry of version 1.1 (outlets named "Outlet 1" on every unit): at its next setup the
    devices get the new names and the entity ids derived from the old names follow them; unique
    ids stay; a device renamed by the user and an entity id the user chose are left alone."""
    emu = await emulator_factory(outlets=2, link_units=1)
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    primary, link = emu.unit(0), emu.unit(2)
    devices, entities = dr.async_get(hass), er.async_get(hass)

    # The registry as version 1.1 left it.
    old_ids = {
        (primary.serial, 1, "switch"): "switch.outlet_1",
        (link.serial, 1, "switch"): "switch.outlet_1_2",
        (primary.serial, 1, "active_power"): "sensor.outlet_1_power",
        (link.serial, 1, "active_power"): "sensor.outlet_1_power_2",
        (primary.serial, 2, "switch"): "switch.my_nas",  # chosen by the user
        (link.serial, 2, "switch"): "switch.outlet_2_2",  # on a device the user renamed
    }
    for unit in (primary, link):
        for number in (1, 2):
            device = get_device(hass, f"{unit.serial}_outlet_{number}")
            devices.async_update_device(device.id, name=f"Outlet {number}")
    renamed = get_device(hass, f"{link.serial}_outlet_2")
    devices.async_update_device(renamed.id, name_by_user="Backup NAS")
    uids = {}
    for (serial, number, key), old in old_ids.items():
        platform = "switch" if key == "switch" else "sensor"
        uid = f"{serial}_outlet_{number}_{key}"
        entities.async_update_entity(entity_id(hass, platform, uid), new_entity_id=old)
        uids[old] = (platform, uid)
    pu, lu = (slugify(f"{u.model} {u.serial}") for u in (primary, link))
    # Another integration's entity already has one of the new ids: the migrated one gets `_2`.
    entities.async_get_or_create(
        "sensor", "template", "taken", suggested_object_id=f"{lu}_outlet_1_power"
    )
    hass.config_entries.async_update_entry(entry, minor_version=1)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 2
    found = {old: entity_id(hass, *uid) for old, uid in uids.items()}
    assert found == {
        "switch.outlet_1": f"switch.{pu}_outlet_1",
        "switch.outlet_1_2": f"switch.{lu}_outlet_1",
        "sensor.outlet_1_power": f"sensor.{pu}_outlet_1_power",
        "sensor.outlet_1_power_2": f"sensor.{lu}_outlet_1_power_2",
        "switch.my_nas": "switch.my_nas",
        "switch.outlet_2_2": "switch.outlet_2_2",
    }
    assert (
        get_device(hass, f"{link.serial}_outlet_1").name == f"{link.model} {link.serial} Outlet 1"
    )
    renamed = get_device(hass, f"{link.serial}_outlet_2")
    assert renamed.name_by_user == "Backup NAS"
    assert hass.states.get(f"switch.{pu}_outlet_1").state == STATE_ON


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
    assert not registry.async_get_entity_id("switch", DOMAIN, f"{new_serial}_outlet_1_switch")

    await async_topology_refresh(hass, freezer)
    switch = entity_id(hass, "switch", f"{new_serial}_outlet_1_switch")
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
    """A link unit released from the link is removed with its entities; the rest keeps working."""
    gone = emulator.unit(3).serial
    switch = entity_id(hass, "switch", f"{gone}_outlet_1_switch")
    emulator.faults.remove_link_unit(3)
    await async_topology_refresh(hass, freezer)
    assert hass.states.get(switch) is None
    assert er.async_get(hass).async_get(switch) is None
    primary = entity_id(hass, "switch", f"{emulator.unit(0).serial}_outlet_1_switch")
    assert hass.states.get(primary).state == STATE_ON


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


async def test_inlet_entities_repeating_unit_totals_are_removed(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """On a one-inlet unit the inlet's power and energy repeat the unit totals: earlier versions
    created both; at setup the inlet's are removed from the registry, the unit totals keep their
    unique ids and entity ids (statistics, Energy dashboard), the inlet keeps the rest."""
    mock_config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    serial = emulator.unit(0).serial
    old = [
        registry.async_get_or_create(
            "sensor", DOMAIN, f"{serial}_inlet_1_{key}", config_entry=mock_config_entry
        )
        for key in ("active_power", "apparent_power", "active_energy", "apparent_energy")
    ]
    total = registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{serial}_unit_active_energy",
        config_entry=mock_config_entry,
        suggested_object_id="pdu_total_energy",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    for entry in old:
        assert registry.async_get(entry.entity_id) is None, entry.unique_id
    assert entity_id(hass, "sensor", f"{serial}_unit_active_energy") == total.entity_id
    assert hass.states.get(total.entity_id).state not in ("unknown", STATE_UNAVAILABLE)
    assert entity_id(hass, "sensor", f"{serial}_inlet_1_current")
    # Not created again after a topology refresh either.
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_inlet_1_active_power") is None
