"""Outlet and actuator switches against the emulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.components.switch import SwitchDeviceClass
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.raritan_pdu.const import (
    AUTH_FAILURES_TO_REAUTH,
    DOMAIN,
    SCAN_INTERVAL,
    TOPOLOGY_RETRY_INTERVAL,
)
from tests.emulator import PduEmulator

from .conftest import (
    async_poll,
    async_topology_refresh,
    entity_id,
    entry_data,
    ext_entity_id,
    make_config_entry,
    setup_integration,
)


def outlet_switch(hass: HomeAssistant, emu: PduEmulator, number: int, unit: int = 0) -> str:
    return entity_id(hass, SWITCH_DOMAIN, f"{emu.unit(unit).serial}_outlet_{number}_switch")


async def switch(hass: HomeAssistant, service: str, target: str) -> None:
    await hass.services.async_call(SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: target}, blocking=True)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_turn_off_and_on_uses_the_confirming_read(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Switching changes the outlet and the state at once, with a single request."""
    target = outlet_switch(hass, emulator, 3)
    state = hass.states.get(target)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes[ATTR_DEVICE_CLASS] == SwitchDeviceClass.OUTLET
    # The switch takes the outlet device's name.
    unit = emulator.unit(0)
    assert state.attributes[ATTR_FRIENDLY_NAME] == f"{unit.model} {unit.serial} Outlet 3"

    emulator.reset_stats()
    await switch(hass, SERVICE_TURN_OFF, target)
    assert emulator.unit(0).outlet(2).power_state == 0
    assert hass.states.get(target).state == STATE_OFF
    stats = emulator.stats()
    assert stats["http_requests"] == 1
    assert stats["bulk_requests"] == 1
    assert stats["method_names"].get("setPowerState") == 1
    assert stats["method_names"].get("getState") == 1
    # No other entity was read: the state comes from the command's own bulk.
    assert "getReading" not in stats["method_names"]

    await switch(hass, SERVICE_TURN_ON, target)
    assert emulator.unit(0).outlet(2).power_state == 1
    assert hass.states.get(target).state == STATE_ON
    assert emulator.stats()["http_requests"] == 2


async def test_state_follows_the_device(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """An outlet switched on the PDU itself shows up after the next poll."""
    target = outlet_switch(hass, emulator, 1, unit=2)
    assert hass.states.get(target).state == STATE_ON
    emulator.unit(2).outlet(0).power_state = 0
    await async_poll(hass, freezer)
    assert hass.states.get(target).state == STATE_OFF


async def test_switch_on_in_progress_attribute(
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A running power cycle is shown as an attribute while the relay is off."""
    target = outlet_switch(hass, emulator, 2)
    state = hass.states.get(target)
    assert state.attributes["cycle_in_progress"] is False
    assert state.attributes["switch_on_in_progress"] is False


@pytest.mark.parametrize(
    ("prepare", "translation_key", "message"),
    [
        (
            lambda emu: setattr(emu.unit(0).outlet(3), "disabled", True),
            "outlet_disabled",
            "{outlet} cannot be switched: the outlet is disabled on the PDU",
        ),
        (
            lambda emu: setattr(emu.unit(0), "inhibit_relay_control", True),
            "relay_control_inhibited",
            "{outlet} cannot be switched: relay control is inhibited on the PDU. "
            "Allow relay control in the PDU's settings",
        ),
        (
            lambda emu: setattr(emu.unit(0).outlet(3), "is_switchable", False),
            "outlet_not_switchable",
            "{outlet} cannot be switched: the PDU reports the outlet as not switchable",
        ),
    ],
)
async def test_device_error_codes(
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
    prepare: Any,
    translation_key: str,
    message: str,
) -> None:
    """Return codes 1, 3 and 5 raise a translated error and leave the outlet as it was."""
    target = outlet_switch(hass, emulator, 4)
    prepare(emulator)
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, target)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    unit = emulator.unit(0)
    assert str(err.value) == message.format(outlet=f"{unit.model} {unit.serial} Outlet 4")
    assert emulator.unit(0).outlet(3).power_state == 1
    assert hass.states.get(target).state == STATE_ON


async def test_rejected_credentials_during_a_command_start_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """The password changed on the PDU: switching fails with a translated error, a poll confirms
    the rejection at once, and Home Assistant asks for the new credentials once the PDU
    rejected them a few times in a row (never after a single 401)."""
    target = outlet_switch(hass, emulator, 1)
    emulator.faults.change_password("changed")
    emulator.faults.expire_sessions()
    emulator.reset_stats()
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, target)
    assert err.value.translation_key == "authentication_failed"
    unit = emulator.unit(0)
    outlet = f"{unit.model} {unit.serial} Outlet 1"
    assert str(err.value) == f"The PDU rejected the credentials while controlling {outlet}"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.unit(0).outlet(0).power_state == 1
    # The poll that confirms the rejection makes the entities unavailable.
    assert not init_integration.runtime_data.last_update_success
    assert init_integration.runtime_data.store.auth_failures == 2
    assert hass.states.get(target).state == STATE_UNAVAILABLE
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    for _ in range(AUTH_FAILURES_TO_REAUTH - 2):
        freezer.tick(SCAN_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_confirming_read_keeps_the_poll_schedule(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A command's confirming read is published at once, for that outlet alone, and the next
    poll comes when it was due."""
    coordinator = init_integration.runtime_data
    rid = coordinator.topology.primary.outlets[2].rid
    target = outlet_switch(hass, emulator, 3)
    neighbour = outlet_switch(hass, emulator, 4)
    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    neighbour_state = hass.states.get(neighbour)
    emulator.reset_stats()

    await switch(hass, SERVICE_TURN_OFF, target)
    assert hass.states.get(target).state == STATE_OFF
    assert not coordinator.data.outlets[rid].is_on
    assert emulator.stats()["http_requests"] == 1
    assert hass.states.get(neighbour) is neighbour_state  # not even written again

    # The poll due 30 s after the last one is not pushed back by the command.
    freezer.tick(timedelta(seconds=11))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats()["http_requests"] == 2
    assert hass.states.get(target).state == STATE_OFF


@pytest.mark.parametrize(
    "emulator_config", [{"accounts": {"viewer": ("view-only", ("switchOutlet",))}}]
)
async def test_missing_privilege(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """The "Switch Outlet" privilege taken away while the entry runs: the switch stays until
    the next reload, and using it gives a translated error."""
    entry = make_config_entry(
        emulator, entry_data(emulator, username="viewer", password="view-only")
    )
    await setup_integration(hass, entry)
    target = outlet_switch(hass, emulator, 1)
    emulator.accounts.set_privileges("viewer", ["ro"])
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, target)
    assert err.value.translation_key == "insufficient_privileges"
    assert "privilege" in str(err.value)
    assert emulator.unit(0).outlet(0).power_state == 1


async def test_connection_error(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A PDU that went away gives a translated communication error."""
    target = outlet_switch(hass, emulator, 1)
    await emulator.stop()
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, target)
    assert err.value.translation_key == "communication_error"
    unit = emulator.unit(0)
    outlet = f"{unit.model} {unit.serial} Outlet 1"
    assert str(err.value).startswith(f"Error communicating with the PDU while controlling {outlet}")


@pytest.mark.parametrize("emulator_config", [{"non_switchable_outlets": (1, 5)}])
async def test_no_switch_for_non_switchable_outlets(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Non-switchable outlets get no switch (and no cycle button); the others do."""
    registry = er.async_get(hass)
    serial = emulator.unit(0).serial
    for number in (2, 6):
        assert (
            registry.async_get_entity_id("switch", DOMAIN, f"{serial}_outlet_{number}_switch")
            is None
        )
        assert (
            registry.async_get_entity_id("button", DOMAIN, f"{serial}_outlet_{number}_cycle")
            is None
        )
    for number in (1, 3, 8):
        assert registry.async_get_entity_id("switch", DOMAIN, f"{serial}_outlet_{number}_switch")


@pytest.mark.parametrize("emulator_config", [{"metered_only": True, "link_units": 0}])
async def test_no_switches_on_metered_only_pdus(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A metered-only PDU has sensors but no outlet switch or cycle button."""
    assert hass.states.async_entity_ids("switch") == []
    buttons = hass.states.async_entity_ids("button")
    assert all(not b.endswith("power_cycle") for b in buttons)
    serial = emulator.unit(0).serial
    assert entity_id(hass, "sensor", f"{serial}_outlet_1_active_power")


async def test_link_unit_failure_only_affects_its_entities(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """An unreachable link unit makes its own entities unavailable, nothing else."""
    primary = outlet_switch(hass, emulator, 1)
    link2 = outlet_switch(hass, emulator, 1, unit=2)
    link3 = outlet_switch(hass, emulator, 1, unit=3)
    emulator.faults.link_unreachable(2)
    await async_poll(hass, freezer)
    await async_poll(hass, freezer)
    assert hass.states.get(link2).state == STATE_UNAVAILABLE
    assert hass.states.get(primary).state == STATE_ON
    assert hass.states.get(link3).state == STATE_ON
    link2_power = entity_id(hass, "sensor", f"{emulator.unit(2).serial}_outlet_1_active_power")
    assert hass.states.get(link2_power).state == STATE_UNAVAILABLE

    # The coordinator retries unreachable link units on the topology retry cadence.
    emulator.faults.link_unreachable(2, False)
    freezer.tick(TOPOLOGY_RETRY_INTERVAL)
    await async_poll(hass, freezer)
    assert hass.states.get(link2).state == STATE_ON


DRY_CONTACT = 39


def dry_contact(hass: HomeAssistant, emu: PduEmulator, entry: MockConfigEntry) -> str:
    """Entity id of the dry contact actuator (catalogue index 7)."""
    serial = emu.unit(0).peripheral(7).serial
    return ext_entity_id(hass, entry, SWITCH_DOMAIN, serial, DRY_CONTACT, actuator=True)


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_dry_contact_actuator(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A dry contact actuator is a switch; commands use the confirming read."""
    peripheral = emulator.unit(0).peripheral(7)
    target = dry_contact(hass, emulator, init_integration)
    assert hass.states.get(target).state == STATE_OFF
    emulator.reset_stats()
    await switch(hass, SERVICE_TURN_ON, target)
    assert peripheral.value == 1
    assert hass.states.get(target).state == STATE_ON
    assert emulator.stats()["http_requests"] == 1
    await switch(hass, SERVICE_TURN_OFF, target)
    assert peripheral.value == 0
    assert hass.states.get(target).state == STATE_OFF


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_dry_contact_command_failure(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A failing actuator command (HTTP error of the sub-request) is a translated error."""
    peripheral = emulator.unit(0).peripheral(7)
    target = dry_contact(hass, emulator, init_integration)
    emulator.faults.fail_call(method="setState", statcode=500)
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_ON, target)
    assert err.value.translation_key == "command_error"
    assert peripheral.value == 0


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_named_and_unassigned_dry_contact(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The slot name names the switch; a channel unassigned from a package that stays is
    unavailable and refuses commands (a whole package unplugged is removed: test_devices)."""
    peripheral = emulator.unit(0).peripheral(7)
    peripheral.slot_name = "Beacon"
    # A package with sensors and a dry contact (like Raritan's DX2-DH2C2).
    peripheral.serial = emulator.unit(0).peripheral(0).serial
    await setup_integration(hass, mock_config_entry)
    target = dry_contact(hass, emulator, mock_config_entry)
    assert hass.states.get(target).attributes[ATTR_FRIENDLY_NAME].endswith(" Beacon")

    emulator.unit(0).slot(7).peripheral = None
    await async_topology_refresh(hass, freezer)
    assert hass.states.get(target).state == STATE_UNAVAILABLE
    entity = hass.data["entity_components"][SWITCH_DOMAIN].get_entity(target)
    assert entity.is_on is None
    with pytest.raises(HomeAssistantError) as err:
        await entity.async_turn_on()
    assert err.value.translation_key == "object_unavailable"
