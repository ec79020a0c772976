"""Outlet groups in Home Assistant against the emulator: a device per group (members on the
primary and a link unit) with a switch, a power-cycle button and power/energy sensors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.raritan_pdu.const import DOMAIN, STORAGE_KEY
from tests.emulator import PduEmulator

from .conftest import (
    async_poll,
    async_topology_refresh,
    entity_id,
    get_device,
    setup_emulator_entry,
)
from .test_storage import async_saved, forget_memory, structure_calls

EmulatorFactory = Any


async def until(check: Callable[[], bool], what: str) -> None:
    """Let the event loop run until ``check()`` holds (no time is asserted)."""
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def _setup(hass: HomeAssistant, emulator_factory: EmulatorFactory, **config: Any) -> Any:
    emu: PduEmulator = await emulator_factory(
        **{"link_units": 1, "outlets": 4, "outlet_groups": 1, "event_service": False, **config}
    )
    entry = await setup_emulator_entry(hass, emu)
    return emu, entry


def _group_uid(emu: PduEmulator, index: int = 0) -> str:
    return f"{emu.unit(0).serial}_group_{emu.outlet_groups[index].unique_id}"


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_group_device_and_entities(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    """The group is a device of the primary with its switch, button and sensors; its energy
    counter can go on the Energy dashboard."""
    emu, _entry = await _setup(hass, emulator_factory, firmware=firmware)
    uid = _group_uid(emu)
    device = get_device(hass, uid)
    assert device is not None
    assert device.name == "Group 1"
    assert device.via_device_id == get_device(hass, emu.unit(0).serial).id

    switch = hass.states.get(entity_id(hass, "switch", f"{uid}_switch"))
    assert switch.state == STATE_ON
    assert switch.attributes[ATTR_FRIENDLY_NAME] == "Group 1"
    assert switch.attributes["members"] == 2
    assert switch.attributes["members_on"] == 2
    assert switch.attributes["partly_on"] is False

    power = hass.states.get(entity_id(hass, "sensor", f"{uid}_active_power"))
    assert power.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.POWER
    assert float(power.state) > 0
    energy = hass.states.get(entity_id(hass, "sensor", f"{uid}_active_energy"))
    assert energy.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert energy.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert entity_id(hass, "button", f"{uid}_cycle")
    registry = er.async_get(hass)
    apparent = registry.async_get_entity_id("sensor", DOMAIN, f"{uid}_apparent_power")
    if firmware == "3.6":  # OutletGroup 1.0.1 has no apparent power
        assert apparent is None
    else:
        assert registry.async_get(apparent).disabled_by is not None


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_group_switch_is_one_request(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    """Switching the group off switches its members on both units, in one request that also
    reads their states: the group and the outlets show it at once."""
    emu, _entry = await _setup(hass, emulator_factory, firmware=firmware)
    uid = _group_uid(emu)
    target = entity_id(hass, "switch", f"{uid}_switch")
    link_outlet = entity_id(hass, "switch", f"{emu.unit(2).serial}_outlet_1_switch")
    emu.reset_stats()
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: target}, blocking=True
    )
    assert emu.stats()["http_requests"] == 1
    assert emu.unit(0).outlet(0).power_state == 0
    assert emu.unit(2).outlet(0).power_state == 0
    assert emu.unit(0).outlet(1).power_state == 1
    assert hass.states.get(target).state == STATE_OFF
    assert hass.states.get(link_outlet).state == STATE_OFF

    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: target}, blocking=True
    )
    assert emu.unit(0).outlet(0).power_state == 1
    assert hass.states.get(target).state == STATE_ON


async def test_group_partly_on(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A member switched off on the PDU: the group is off, and partly on."""
    emu, _entry = await _setup(hass, emulator_factory)
    target = entity_id(hass, "switch", f"{_group_uid(emu)}_switch")
    emu.unit(2).outlet(0).power_state = 0
    await async_poll(hass, freezer)
    state = hass.states.get(target)
    assert state.state == STATE_OFF
    assert state.attributes["members_on"] == 1
    assert state.attributes["partly_on"] is True


async def test_group_power_cycle_button(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    emu, _entry = await _setup(hass, emulator_factory)
    uid = _group_uid(emu)
    emu.reset_stats()
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: entity_id(hass, "button", f"{uid}_cycle")},
        blocking=True,
    )
    assert emu.stats()["http_requests"] == 1
    assert emu.unit(0).outlet(0).cycle_in_progress
    assert emu.unit(2).outlet(0).cycle_in_progress
    outlet = hass.states.get(entity_id(hass, "switch", f"{emu.unit(2).serial}_outlet_1_switch"))
    assert outlet.attributes["cycle_in_progress"] is True


async def test_poll_with_groups_is_one_request(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """Group readings come in the same bulk as everything else."""
    emu, _entry = await _setup(hass, emulator_factory)
    group = emu.outlet_groups[0]
    emu.reset_stats()
    await async_poll(hass, freezer)
    assert emu.stats()["http_requests"] == 1
    rids = {rid for rid, _ in emu.last_bulk()}
    assert any("OG1ActivePower" in rid for rid in rids), group


async def test_groups_follow_the_pdu(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """Groups created, renamed or deleted on the PDU appear, are renamed and disappear with
    the topology refresh; the device (and its entity ids) survive a rename."""
    emu, _entry = await _setup(hass, emulator_factory)
    first = _group_uid(emu)
    switch = entity_id(hass, "switch", f"{first}_switch")
    created = emu.groups.create("Server 7", [emu.unit(0).outlet(2), emu.unit(2).outlet(2)])
    emu.groups.rename(emu.outlet_groups[0].group_id, "Lab")
    await async_topology_refresh(hass, freezer)
    second = f"{emu.unit(0).serial}_group_{created.unique_id}"
    assert get_device(hass, second).name == "Server 7"
    assert hass.states.get(entity_id(hass, "switch", f"{second}_switch")).state == STATE_ON
    assert get_device(hass, first).name == "Lab"
    assert entity_id(hass, "switch", f"{first}_switch") == switch

    emu.groups.delete(emu.outlet_groups[0].group_id)
    await async_topology_refresh(hass, freezer)
    assert get_device(hass, first) is None
    assert er.async_get(hass).async_get_entity_id("switch", DOMAIN, f"{first}_switch") is None
    assert get_device(hass, second) is not None


async def test_groups_follow_the_pdu_at_once_with_events(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """With the event channel, a group renamed or given other members on the PDU is picked up
    at once (the PDU's settings event), not at the 6-hourly refresh."""
    emu, entry = await _setup(hass, emulator_factory, event_service=True)
    uid = _group_uid(emu)
    switch = entity_id(hass, "switch", f"{uid}_switch")
    await until(lambda: emu.stats()["events"]["long_polls_waiting"] == 1, "the long poll")
    emu.groups.rename(emu.outlet_groups[0].group_id, "Storage")
    await until(lambda: get_device(hass, uid).name == "Storage", "the new name")
    emu.outlet_groups[0].members = [*emu.outlet_groups[0].members, emu.unit(0).outlet(3)]
    await until(lambda: hass.states.get(switch).attributes["members"] == 3, "the new member")
    assert entity_id(hass, "switch", f"{uid}_switch") == switch
    assert entry.runtime_data.push_stats["events"] >= 2


async def test_topology_stored_by_an_older_version_is_read_again(
    hass: HomeAssistant, hass_storage: dict[str, Any], emulator_factory: EmulatorFactory
) -> None:
    """A topology stored before the power features (no groups, no settings) is used at once,
    and read again in the background: the groups appear without waiting 6 hours."""
    emu, entry = await _setup(hass, emulator_factory)
    await async_saved(hass)
    document = hass_storage[f"{STORAGE_KEY}.{entry.entry_id}"]["data"]["topology"]
    primary = document["topology"]["primary"]
    del primary["groups"], primary["power_settings"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    er.async_get(hass).async_remove(entity_id(hass, "switch", f"{_group_uid(emu)}_switch"))
    forget_memory(hass, entry)
    emu.reset_stats()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert structure_calls(emu).get("getAllGroups") == 1
    assert hass.states.get(entity_id(hass, "switch", f"{_group_uid(emu)}_switch")).state == STATE_ON
    power = entry.runtime_data.topology.primary.power_settings
    assert power.cycle_delay == emu.unit(0).cycle_delay


async def test_group_command_whose_answer_is_lost(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The device switched, the answer was garbled: an error (not repeated), then the state
    read again shows what the PDU did."""
    emu, _entry = await _setup(hass, emulator_factory)
    target = entity_id(hass, "switch", f"{_group_uid(emu)}_switch")
    emu.faults.truncate_json(count=1)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: target}, blocking=True
        )
    assert err.value.translation_key == "communication_error"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emu.unit(0).outlet(0).power_state == 0
    assert emu.stats()["method_names"]["setAllOutletPowerStates"] == 1
    assert hass.states.get(target).state == STATE_OFF
