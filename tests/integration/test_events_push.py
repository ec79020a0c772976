"""Changes pushed by the PDU (#10): the entry's event channel updates entities without a poll;
it is recreated after a session expiry and a reboot; without the event service the integration
polls as before, with nothing logged above debug."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import Event as HaEvent
from homeassistant.core import EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator

from .conftest import entity_id


async def until(check: Callable[[], bool], what: str) -> None:
    """Let the event loop run until ``check()`` holds (each step yields to the emulator and
    the long-poll task; no time is asserted)."""
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def waiting(emu: PduEmulator) -> int:
    return int(emu.stats()["events"]["long_polls_waiting"])


def coordinator_of(entry: MockConfigEntry):
    return entry.runtime_data


@pytest.fixture
def emulator_config() -> dict[str, object]:
    return {"link_units": 0, "outlets": 4, "ocps": 2, "event_service": True}


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_an_outlet_switched_at_the_pdu_shows_without_a_poll(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Switched on the PDU's display: the switch follows at once, no poll in between."""
    serial = emulator.unit(0).serial
    switch_id = entity_id(hass, "switch", f"{serial}_outlet_3_switch")
    assert hass.states.get(switch_id).state == STATE_ON
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    polls = emulator.stats()["bulk_requests"]

    emulator.unit(0).outlet(2).power_state = 0
    await until(lambda: hass.states.get(switch_id).state == STATE_OFF, "the switch to follow")
    assert emulator.stats()["bulk_requests"] == polls  # no poll was needed
    stats = coordinator_of(init_integration).push_stats
    assert stats["channels"] == 1 and stats["events"] >= 1


async def test_a_breaker_trip_shows_without_a_poll(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    serial = emulator.unit(0).serial
    tripped_id = entity_id(hass, "binary_sensor", f"{serial}_ocp_1_tripped")
    alarm_id = entity_id(hass, "binary_sensor", f"{serial}_unit_alarm")
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    emulator.faults.trip_breaker(0)
    await until(lambda: hass.states.get(tripped_id).state == STATE_ON, "the trip to show")
    await until(lambda: hass.states.get(alarm_id).state == STATE_ON, "the alarm to go on")
    trip_event = hass.states.get(entity_id(hass, "event", f"{serial}_ocp_1_trip_event"))
    assert trip_event.attributes["event_type"] == "tripped"
    assert trip_event.attributes["event_types"] == ["tripped", "recovered"]
    assert trip_event.state != STATE_UNKNOWN  # the time it happened


async def test_outlet_and_alarm_events_say_what_happened(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """An outlet switched at the PDU's display (disabled by default: enabled here) and an
    outlet current over its critical threshold are events with who/what as attributes."""
    serial = emulator.unit(0).serial
    registry = er.async_get(hass)
    outlet_event = entity_id(hass, "event", f"{serial}_outlet_2_power_event")
    assert registry.async_get(outlet_event).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    registry.async_update_entity(outlet_event, disabled_by=None)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")

    emulator.unit(0).outlet(1).power_state = 0
    await until(lambda: hass.states.get(outlet_event).state != STATE_UNKNOWN, "the event")
    state = hass.states.get(outlet_event)
    assert state.attributes["event_type"] == "switched_off"
    assert state.attributes["address"] == "display" and state.attributes["user"] is None

    alarm_event = entity_id(hass, "event", f"{serial}_unit_alarm_event")
    fired: list[tuple[str, str]] = []

    @callback
    def on_change(event: HaEvent[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] == alarm_event and new is not None:
            fired.append((new.attributes.get("event_type"), new.attributes.get("sensor")))

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    emulator.unit(0).outlet(0).base_power = 2900.0  # over the outlet's 10 A critical threshold
    await until(lambda: ("critical", "Outlet 1 current") in fired, "the alarm event")
    emulator.unit(0).outlet(0).base_power = 50.0
    await until(lambda: ("cleared", "Outlet 1 current") in fired, "the alarm to clear")


async def test_the_channel_is_recreated_after_a_session_expiry(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    serial = emulator.unit(0).serial
    switch_id = entity_id(hass, "switch", f"{serial}_outlet_1_switch")
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    emulator.faults.expire_sessions()
    stats = coordinator_of(init_integration).push_stats
    await until(lambda: stats["channels"] == 2 and waiting(emulator) == 1, "a new channel")
    emulator.unit(0).outlet(0).power_state = 0
    await until(lambda: hass.states.get(switch_id).state == STATE_OFF, "the switch to follow")


async def test_the_channel_is_recreated_after_a_reboot(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    serial = emulator.unit(0).serial
    switch_id = entity_id(hass, "switch", f"{serial}_outlet_2_switch")
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    emulator.faults.reboot()
    stats = coordinator_of(init_integration).push_stats
    await until(lambda: stats["channels"] == 2 and waiting(emulator) == 1, "a new channel")
    # Events flow on the new channel (of the new RIDs: the polls notice the reboot and
    # rediscover, as without events).
    delivered = sum(emulator.stats()["events"]["delivered"].values())
    emulator.unit(0).outlet(1).power_state = 0
    await until(
        lambda: sum(emulator.stats()["events"]["delivered"].values()) > delivered,
        "events on the new channel",
    )
    assert stats["events"] > 0
    assert hass.states.get(switch_id) is not None


async def test_unload_stops_the_long_poll_at_once(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    coordinator = coordinator_of(init_integration)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert coordinator.push is not None
    assert not [t for t in asyncio.all_tasks() if "events" in t.get_name() and not t.done()]
    await until(lambda: waiting(emulator) == 0, "the request to end")
    assert emulator.stats()["events"]["channels_open"] == 0  # logged out: no session left


@pytest.mark.parametrize("emulator_config", [{"link_units": 0, "event_service": False}])
async def test_without_the_event_service_it_polls_as_before(
    hass: HomeAssistant,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.raritan_pdu")
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(mock_config_entry)
    await until(lambda: coordinator.push is not None and not coordinator.push.supported, "it")
    assert "offers no event channel" in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("custom_components.raritan_pdu")]
    assert ours and not [r for r in ours if r.levelno > logging.INFO]
    assert coordinator.push_stats["channels"] == 0
    serial = emulator.unit(0).serial
    assert hass.states.get(entity_id(hass, "switch", f"{serial}_outlet_1_switch")).state == (
        STATE_ON
    )


def discovery_reads(emu: PduEmulator) -> int:
    """Metadata reads: only a discovery asks for them."""
    return sum(n for key, n in emu.stats()["methods"].items() if key.endswith(".getMetaData"))


async def test_settings_written_in_home_assistant_cost_no_rediscovery(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A setting changed in Home Assistant makes the PDU push a settings event: that echo of
    our own write needs no rediscovery (seconds of a slow PDU's time for each change); a
    change made at the PDU (an outlet renamed there) still brings the new name at once."""
    serial = emulator.unit(0).serial
    events = coordinator_of(init_integration).push_stats
    await until(lambda: waiting(emulator) == 1, "the long poll to wait")
    before, seen = discovery_reads(emulator), events["events"]

    delay = entity_id(hass, "number", f"{serial}_unit_cycle_delay")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": delay, "value": 12}, blocking=True
    )
    await hass.services.async_call(
        "raritan_pdu",
        "power_cycle",
        {"entity_id": entity_id(hass, "switch", f"{serial}_outlet_2_switch"), "off_time": 3},
        blocking=True,
    )
    assert emulator.unit(0).cycle_delay == 12
    # the unit's and the outlet's two settings events arrived (and the cycle's state changes)
    await until(lambda: events["events"] >= seen + 3, "the settings events")
    await until(lambda: waiting(emulator) == 1, "the next long poll")
    await hass.async_block_till_done()
    assert discovery_reads(emulator) == before
    assert hass.states.get(delay).state == "12"

    emulator.unit(0).outlet(0).name = "Core switch"
    switch = entity_id(hass, "switch", f"{serial}_outlet_1_switch")
    await until(
        lambda: hass.states.get(switch).attributes["friendly_name"].endswith("Core switch"),
        "the new name",
    )
    assert discovery_reads(emulator) > before
