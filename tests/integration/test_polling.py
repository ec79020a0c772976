"""What a poll costs and what it changes: cadences, state writes, ordering, the default set.

These tests use the emulator's manual clock, so device time (``device_speed="px3"``) passes in
emulated time and nothing here depends on how fast the machine is. Polls run through the
coordinator's ``async_refresh``, as its schedule runs them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.raritan_pdu import coordinator as coordinator_module
from custom_components.raritan_pdu.const import (
    DOMAIN,
    POLL_BUSY_FRACTION,
    SCAN_INTERVAL,
    SLOW_POLL_EVERY,
)
from custom_components.raritan_pdu.coordinator import RaritanCoordinator
from tests.emulator import PduEmulator

from .conftest import entity_id, setup_emulator_entry

EmulatorFactory = Callable[..., Any]


class Writes:
    """Counts the state writes of an entry's entities (a changed state or a reported one)."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        self.ids = {
            e.entity_id
            for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        }
        self.counts: Counter[str] = Counter()
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_event)
        hass.bus.async_listen(
            EVENT_STATE_REPORTED, self._on_event, event_filter=callback(lambda _data: True)
        )

    @callback
    def _on_event(self, event: Event[Any]) -> None:
        if (entity := event.data["entity_id"]) in self.ids:
            self.counts[entity] += 1

    def take(self) -> Counter[str]:
        counts, self.counts = self.counts, Counter()
        return counts


async def until(check: Callable[[], bool]) -> None:
    """Let the event loop run until ``check()`` holds (a request reached the emulator)."""
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


async def setup(
    hass: HomeAssistant, emu: PduEmulator
) -> tuple[MockConfigEntry, RaritanCoordinator]:
    entry = await setup_emulator_entry(hass, emu)
    return entry, entry.runtime_data


async def test_largest_installation_at_px3_speed(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A primary with 7 link units x 48 outlets and 32 external sensors, as slow as a PX3: it
    sets up at the first try, every poll is one HTTP request, and a poll keeps the device busy
    for at most half the interval (the default entities)."""
    emu = await emulator_factory(
        outlets=48,
        link_units=7,
        peripherals=4,
        link_unit_peripherals=4,
        device_speed="px3",
        clock="manual",
        event_service=False,  # counts the polls' requests (long polls: scripts/bench)
    )
    entry, coordinator = await setup(hass, emu)
    assert entry.state.value == "loaded"
    interval = SCAN_INTERVAL.total_seconds()
    busy: list[float] = []
    for _ in range(SLOW_POLL_EVERY):
        emu.reset_stats()
        await coordinator.async_refresh()
        stats = emu.stats()
        assert stats["http_requests"] == 1
        busy.append(stats["device_busy_s"])
    assert coordinator.last_update_success
    # Nine fast polls and one with the slow values too; even that one is within the budget.
    assert max(busy) <= POLL_BUSY_FRACTION * interval
    assert min(busy) < max(busy)
    assert coordinator.update_interval == SCAN_INTERVAL
    switch = entity_id(hass, "switch", f"{emu.unit(8).serial}_outlet_48_switch")
    assert hass.states.get(switch).state == "on"


async def test_unchanged_poll_writes_nothing(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A poll that reads exactly the previous values writes no state at all; a changed reading
    writes only its own entity."""
    emu = await emulator_factory(link_units=1, peripherals=4, clock="manual", noise=False)
    entry, coordinator = await setup(hass, emu)
    writes = Writes(hass, entry)
    for _ in range(SLOW_POLL_EVERY + 1):  # fast polls and a slow one
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        assert writes.take() == Counter()

    emu.unit(0).outlet(1).base_power = 123.0
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    serial = emu.unit(0).serial
    changed = set(writes.take())
    power = entity_id(hass, "sensor", f"{serial}_outlet_2_active_power")
    current = entity_id(hass, "sensor", f"{serial}_outlet_2_current")
    assert {power, current} <= changed
    # The outlet, its breaker, the inlet and the unit: nothing of the other outlets.
    assert not any("outlet_3" in e or "outlet_1_" in e for e in changed), changed
    assert float(hass.states.get(power).state) == 123.0


async def test_unchanged_reading_after_a_failed_read_shows_again(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A reading that failed for a poll and then answers exactly what it answered before (the
    device's clock stood still) is shown again: the failure cleared, though nothing else did."""
    emu = await emulator_factory(clock="manual", noise=False)
    _entry, coordinator = await setup(hass, emu)
    serial = emu.unit(0).serial
    power = entity_id(hass, "sensor", f"{serial}_outlet_1_active_power")
    shown = hass.states.get(power).state
    assert shown not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    outlet = coordinator.topology.primary.outlets[0]
    emu.faults.fail_call(rid=outlet.sensors["activePower"].rid, statcode=500)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(power).state == STATE_UNAVAILABLE

    emu.faults.clear()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(power).state == shown


async def test_slow_values_every_nth_poll(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """Energy, voltage and frequency are read every SLOW_POLL_EVERY-th poll and keep showing
    their last reading in between; power is read in every poll; switch states come from the
    unit's event channel, drained in every poll (one sub-request), once a poll read them with
    the channel open, and are read again with the slow values (the safety net)."""
    emu = await emulator_factory(link_units=0, peripherals=1, clock="manual", device_speed="px3")
    _entry, coordinator = await setup(hass, emu)
    serial = emu.unit(0).serial
    energy = entity_id(hass, "sensor", f"{serial}_outlet_1_active_energy")
    registered = coordinator.registered_rids
    slow = coordinator.slow_rids & registered
    outlets = {outlet.rid for outlet in coordinator.topology.primary.outlets} & registered
    assert slow
    assert len(outlets) == 8
    counts = []
    for _ in range(2 * SLOW_POLL_EVERY):
        emu.reset_stats()
        await coordinator.async_refresh()
        counts.append(emu.stats()["bulk_subrequests"])
        assert hass.states.get(energy).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    full, fast, fed = len(registered), len(registered - slow), len(registered - slow - outlets)
    # The setup read everything and opened the channel; the first poll reads the switch states
    # once more with the channel (the baseline), then eight fast polls without them, one full,
    # nine fast, one full. The full one also carries the check of the topology (a few
    # sub-requests per unit). Every poll drains the channel.
    check = counts[SLOW_POLL_EVERY - 1] - full - 1
    assert 1 <= check <= 8
    cycle = [fed + 1] * (SLOW_POLL_EVERY - 1) + [full + check + 1]
    assert counts == [fast + 1, *cycle[1:], *cycle]

    # The energy shown is the one of the last slow read.
    rid = coordinator.topology.primary.outlets[0].sensors["activeEnergy"].rid
    shown = float(hass.states.get(energy).state)
    assert shown == pytest.approx(coordinator.data.numeric[rid].value / 1000)


async def test_poll_interval_stretches_for_a_slow_device(
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PDU that needs more than half the interval to answer a poll is polled less often, and
    the log says so once. (The interval is shrunk to 100 ms for this test, so that a device
    needing a few tenths of a second stands for one needing tens of seconds; a loaded machine
    only makes the polls slower.)"""
    monkeypatch.setattr(coordinator_module, "SCAN_INTERVAL", timedelta(milliseconds=100))
    monkeypatch.setattr(coordinator_module, "POLL_INTERVAL_STEP", timedelta(milliseconds=100))
    emu = await emulator_factory(link_units=0, peripherals=0, per_call_ms=15.0)
    _entry, coordinator = await setup(hass, emu)
    for _ in range(3):
        await coordinator.async_refresh()
    interval = coordinator.update_interval
    assert interval is not None
    assert interval > timedelta(milliseconds=100)
    assert caplog.text.count("to answer a poll of") == 1


async def test_overlapping_refresh_waits_for_the_poll_under_way(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """homeassistant.update_entity while a slow poll is under way: the refresh waits for it, so
    readings are applied in the order the device produced them, never an older one last."""
    assert await async_setup_component(hass, "homeassistant", {})
    emu = await emulator_factory(link_units=0, clock="manual", noise=False, event_service=False)
    _entry, coordinator = await setup(hass, emu)
    power = entity_id(hass, "sensor", f"{emu.unit(0).serial}_outlet_1_active_power")
    shown: list[float] = []

    @callback
    def on_change(event: Event[Any]) -> None:
        if event.data["entity_id"] == power and event.data["new_state"] is not None:
            shown.append(float(event.data["new_state"].state))

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 100.0
    emu.reset_stats()
    emu.faults.delay_responses(5, after_processing=True)
    slow_poll = hass.async_create_task(coordinator.async_refresh())
    await until(lambda: emu.stats()["http_requests"] == 1)  # read 100 W; the answer is held
    outlet.base_power = 200.0
    refresh = hass.async_create_task(
        hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": power}, blocking=True
        )
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert emu.stats()["http_requests"] == 1  # the refresh waits for the poll under way
    emu.advance(5)
    await slow_poll
    await refresh
    await hass.async_block_till_done()
    if emu.stats()["http_requests"] == 1:
        # Home Assistant 2026 debounces the entity's refresh request behind the poll that just
        # ran (REQUEST_REFRESH_DEFAULT_COOLDOWN): it runs when the cooldown ends.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
        await hass.async_block_till_done()
    assert emu.stats()["http_requests"] == 2
    assert shown == [100.0, 200.0]
    assert float(hass.states.get(power).state) == 200.0


async def test_command_wins_over_a_poll_under_way(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """Switched off while a poll that read it on is still on its way: the older poll's reading
    does not turn the switch back on."""
    # no event channel: its long poll would be one of the requests counted
    emu = await emulator_factory(link_units=0, clock="manual", event_service=False)
    _entry, coordinator = await setup(hass, emu)
    switch = entity_id(hass, "switch", f"{emu.unit(0).serial}_outlet_1_switch")
    emu.reset_stats()
    emu.faults.delay_responses(5, after_processing=True)
    poll = hass.async_create_task(coordinator.async_refresh())
    await until(lambda: emu.stats()["http_requests"] == 1)  # read while on; answer held
    await hass.services.async_call("switch", SERVICE_TURN_OFF, {"entity_id": switch}, blocking=True)
    assert hass.states.get(switch).state == STATE_OFF
    emu.advance(5)
    await poll
    await hass.async_block_till_done()
    assert emu.unit(0).outlet(0).power_state == 0
    assert hass.states.get(switch).state == STATE_OFF
    # The next poll reads it again, off.
    await coordinator.async_refresh()
    assert hass.states.get(switch).state == STATE_OFF


#: Entity keys enabled by default per object of a standard unit (4.4 firmware, one inlet).
DEFAULT_ENABLED = {
    "outlet": {"switch", "cycle", "current", "active_power", "active_energy"},
    "inlet": {"current", "power_factor", "voltage", "residual_current", "alarm_level"},
    # trip_event/alarm_event (#10): pushed events to automate on, free (no poll reads)
    "ocp": {"current", "active_power", "tripped", "alarm_level", "trip_event"},
    "unit": {
        "alarm",
        "alarm_event",
        "active_power",
        "apparent_power",
        "active_energy",
        "identify",
        "power_supply_1_status",
        # power features (#9): load shedding, the unit's delays (config, never polled)
        "load_shedding",
        "cycle_delay",
        "power_on_delay",
        "in_rush_guard_delay",
    },
}


async def test_default_entities(hass: HomeAssistant, emulator_factory: EmulatorFactory) -> None:
    """The entities enabled by default: what users read and automate on per outlet and
    breaker, what sizes the supply per inlet and unit; the rest is there, disabled."""
    emu = await emulator_factory(link_units=0, peripherals=0)
    entry, _coordinator = await setup(hass, emu)
    serial = emu.unit(0).serial
    enabled: dict[str, set[str]] = {}
    disabled: dict[str, set[str]] = {}
    for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        rest = registered.unique_id.removeprefix(f"{serial}_")
        kind, _, key = rest.partition("_")
        if kind != "unit":
            _number, _, key = key.partition("_")
        target = disabled if registered.disabled_by else enabled
        target.setdefault(kind, set()).add(key)
    present = {
        kind: keys & (enabled.get(kind, set()) | disabled.get(kind, set()))
        for kind, keys in DEFAULT_ENABLED.items()
    }
    assert {kind: enabled.get(kind, set()) for kind in DEFAULT_ENABLED} == present
    assert {"apparent_power", "power_factor", "voltage", "alarm_level"} <= disabled["outlet"]
    assert "active_energy" in disabled["ocp"]
    # One inlet: its power and energy would repeat the unit totals, so it has none.
    assert not {"active_power", "apparent_power", "active_energy"} & (
        enabled["inlet"] | disabled.get("inlet", set())
    )
    assert DOMAIN  # the unique ids above are this integration's
