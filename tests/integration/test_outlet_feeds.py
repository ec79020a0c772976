"""Outlet states fed by each unit's event channel, drained in the poll's bulk (``xerus.feeds``):
the polls of a large installation stop reading hundreds of unchanged outlet states, and a switch
changed at the PDU still shows after the next poll, however the channel fares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant

from custom_components.raritan_pdu.const import SLOW_POLL_EVERY
from custom_components.raritan_pdu.diagnostics import async_get_config_entry_diagnostics
from tests.emulator import PduEmulator

from .conftest import entity_id, setup_emulator_entry

EmulatorFactory = Callable[..., Any]


def poll_stats(emu: PduEmulator) -> tuple[int, int, int]:
    """HTTP requests of the polls (not the long polls), outlet states read, channels drained."""
    stats = emu.stats()
    methods = stats["methods"]
    return (
        stats["http_requests"] - stats["event_http_requests"],
        methods.get("pdumodel.Outlet.getState", 0),
        methods.get("event.Channel.pollEventsNb", 0),
    )


async def refresh(hass: HomeAssistant, coordinator: Any) -> None:
    await coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_largest_installation_reads_no_unchanged_outlet_state(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """7 link units x 48 outlets at PX3 speed: after one poll that reads them with the channels
    open, each poll is still ONE request, drains 8 channels and reads none of the 384 outlet
    states; the poll with the slow values reads them all (the safety net). A switch changed at
    a link unit's display shows after the next poll."""
    emu = await emulator_factory(
        outlets=48, link_units=7, peripherals=4, device_speed="px3", clock="manual"
    )
    entry = await setup_emulator_entry(hass, emu)
    coordinator = entry.runtime_data
    assert coordinator.feeds.covered() == frozenset()
    emu.reset_stats()
    await refresh(hass, coordinator)  # the baseline, with every channel open
    assert poll_stats(emu) == (1, 384, 8)
    assert coordinator.feeds.covered() == {0, 2, 3, 4, 5, 6, 7, 8}

    counts = []
    for _ in range(SLOW_POLL_EVERY):
        emu.reset_stats()
        await refresh(hass, coordinator)
        counts.append(poll_stats(emu))
    # (The poll counter continues from setup's full read: the slow values come in one of them.)
    assert sorted(counts) == [(1, 0, 8)] * (SLOW_POLL_EVERY - 1) + [(1, 384, 8)]

    switch = entity_id(hass, "switch", f"{emu.unit(8).serial}_outlet_48_switch")
    assert hass.states.get(switch).state == STATE_ON
    emu.unit(8).outlet(47).power_state = 0
    emu.reset_stats()
    await refresh(hass, coordinator)
    assert hass.states.get(switch).state == STATE_OFF
    assert poll_stats(emu)[1] in (0, 384)  # from the channel (unless it was the full poll)

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    feeds = diagnostics["coordinator"]["outlet_feeds"]
    assert feeds["8"] == {
        "outlets": 48,
        "channel": True,
        "synced": True,
        "unsupported": False,
        "failures": 0,
    }


async def test_a_lost_channel_misses_nothing(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The PDU forgot the session and its channels: a switch changed meanwhile still shows
    after the next polls (they read the outlet states again), and a new channel feeds them."""
    emu = await emulator_factory(outlets=8, link_units=1, clock="manual")
    entry = await setup_emulator_entry(hass, emu)
    coordinator = entry.runtime_data
    await refresh(hass, coordinator)
    assert coordinator.feeds.covered() == {0, 2}
    switch = entity_id(hass, "switch", f"{emu.unit(2).serial}_outlet_4_switch")
    assert hass.states.get(switch).state == STATE_ON

    emu.faults.expire_sessions()
    emu.unit(2).outlet(3).power_state = 0  # no channel is there to hear it
    await refresh(hass, coordinator)  # the drains answer 404: read in the next poll
    await refresh(hass, coordinator)
    assert hass.states.get(switch).state == STATE_OFF
    assert coordinator.feeds.covered() == {0, 2}  # new channels, synced again

    emu.reset_stats()
    emu.unit(2).outlet(3).power_state = 1
    await refresh(hass, coordinator)
    assert hass.states.get(switch).state == STATE_ON
    assert poll_stats(emu)[1:] == (0, 2)


async def test_a_command_and_the_channel_agree(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """Switched from Home Assistant: the command's own read shows it at once; the event the
    channel brings next changes nothing (no extra state write, the switch stays off)."""
    emu = await emulator_factory(outlets=8, link_units=1, clock="manual")
    entry = await setup_emulator_entry(hass, emu)
    coordinator = entry.runtime_data
    await refresh(hass, coordinator)
    switch = entity_id(hass, "switch", f"{emu.unit(2).serial}_outlet_2_switch")
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert hass.states.get(switch).state == STATE_OFF
    last_changed = hass.states.get(switch).last_changed
    await refresh(hass, coordinator)
    assert hass.states.get(switch).state == STATE_OFF
    assert hass.states.get(switch).last_changed == last_changed
    assert emu.unit(2).outlet(1).power_state == 0
