"""Never a wrong value: unknown states, energy counters that never go backwards by a glitch,
command outcomes that are what the device did.

Polls run through the coordinator's ``async_refresh`` against an emulator on the manual clock
(``emu.advance`` lets the device's time, and its energy counters, move on).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.components.lock import LockState
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.raritan_pdu.binary_sensor import BINARY_SENSOR_DESCRIPTIONS
from custom_components.raritan_pdu.const import SLOW_POLL_EVERY
from custom_components.raritan_pdu.coordinator import RaritanCoordinator
from custom_components.raritan_pdu.sensor import RESET_CONFIRMATIONS, CounterGuard
from tests.emulator import PduEmulator

from .conftest import entity_id, ext_entity_id, setup_emulator_entry

EmulatorFactory = Callable[..., Any]


async def setup(
    hass: HomeAssistant, emu: PduEmulator
) -> tuple[MockConfigEntry, RaritanCoordinator]:
    entry = await setup_emulator_entry(hass, emu)
    return entry, entry.runtime_data


async def slow_poll(hass: HomeAssistant, coordinator: RaritanCoordinator) -> None:
    """Polls up to and including the next one that reads the slow values (after a slow one)."""
    for _ in range(SLOW_POLL_EVERY):
        await coordinator.async_refresh()
    await hass.async_block_till_done()


# --- unknown enum values ---------------------------------------------------------------------


async def test_unknown_states_are_unknown(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A state value the sensor's enumeration does not define (a newer firmware, a broken
    probe) is shown as unknown on every platform, never as a definite state."""
    emu = await emulator_factory(link_units=0, peripherals=11, clock="manual")
    entry, coordinator = await setup(hass, emu)
    unit = emu.unit(0)
    door = ext_entity_id(hass, entry, "binary_sensor", unit.peripheral(4).serial, 42)
    smoke = ext_entity_id(hass, entry, "binary_sensor", unit.peripheral(6).serial, 17)
    lock = ext_entity_id(hass, entry, "lock", unit.peripheral(8).serial, 43, actuator=True)
    contact = ext_entity_id(hass, entry, "switch", unit.peripheral(7).serial, 39, actuator=True)
    outlet = entity_id(hass, "switch", f"{unit.serial}_outlet_1_switch")
    assert hass.states.get(door).state == STATE_OFF
    assert hass.states.get(lock).state == LockState.LOCKED

    unit.peripheral(4).value = 9
    unit.peripheral(6).value = 2
    unit.peripheral(8).value = 5
    unit.peripheral(7).value = 3
    unit.outlet(0).power_state = 2
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    for target in (door, smoke, lock, contact, outlet):
        assert hass.states.get(target).state == STATE_UNKNOWN, target

    # Breaker trip (OpenClosedState), residual current, power quality: the same rule.
    assert BINARY_SENSOR_DESCRIPTIONS["trip"].is_on_fn(7) is None
    assert BINARY_SENSOR_DESCRIPTIONS["trip"].is_on_fn(0) is True
    assert BINARY_SENSOR_DESCRIPTIONS["residualCurrentStatus"].is_on_fn(9) is None
    assert BINARY_SENSOR_DESCRIPTIONS["powerQuality"].is_on_fn(3) is None

    unit.peripheral(4).value = 1
    unit.outlet(0).power_state = 0
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(door).state == STATE_OFF
    assert hass.states.get(outlet).state == STATE_OFF


# --- energy counters -------------------------------------------------------------------------


class Shown:
    """Every state an entity showed."""

    def __init__(self, hass: HomeAssistant, target: str) -> None:
        self.values: list[str] = []
        self._target = target
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_event)

    @callback
    def _on_event(self, event: Event[Any]) -> None:
        if event.data["entity_id"] == self._target and event.data["new_state"] is not None:
            self.values.append(event.data["new_state"].state)

    def numbers(self) -> list[float]:
        return [float(v) for v in self.values if v not in (STATE_UNKNOWN, STATE_UNAVAILABLE)]


async def test_energy_glitch_never_reaches_the_statistics(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A valid-looking 0 (or 0.001) between two real readings, a failed sub-request: the
    published energy never goes down, so the statistics never count a reset."""
    emu = await emulator_factory(link_units=0, clock="manual", noise=False)
    _entry, coordinator = await setup(hass, emu)
    outlet = emu.unit(0).outlet(0)
    energy = entity_id(hass, "sensor", f"{emu.unit(0).serial}_outlet_1_active_energy")
    shown = Shown(hass, energy)
    before = float(hass.states.get(energy).state)
    assert before > 1

    real = outlet.energy_wh
    for glitch in (0.0, 1.0):
        outlet.energy_wh = glitch
        await slow_poll(hass, coordinator)
        assert float(hass.states.get(energy).state) == before
        outlet.energy_wh = real
        await slow_poll(hass, coordinator)
        assert float(hass.states.get(energy).state) == pytest.approx(before)

    rid = coordinator.topology.primary.outlets[0].sensors["activeEnergy"].rid
    emu.faults.fail_call(rid=rid)
    await slow_poll(hass, coordinator)
    assert hass.states.get(energy).state == STATE_UNAVAILABLE
    emu.faults.clear()
    emu.advance(3600)
    await slow_poll(hass, coordinator)
    numbers = shown.numbers()
    assert numbers == sorted(numbers)
    assert numbers[-1] > before


async def test_energy_counter_reset_is_published_once(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The counter was really reset on the PDU and counts again: after a few readings that
    confirm it, the lower value is published (once, as Home Assistant expects of a reset)."""
    emu = await emulator_factory(link_units=0, clock="manual", noise=False)
    _entry, coordinator = await setup(hass, emu)
    outlet = emu.unit(0).outlet(0)
    energy = entity_id(hass, "sensor", f"{emu.unit(0).serial}_outlet_1_active_energy")
    before = float(hass.states.get(energy).state)
    shown = Shown(hass, energy)
    outlet.energy_wh = 0.0
    for _ in range(RESET_CONFIRMATIONS):
        emu.advance(300)
        await slow_poll(hass, coordinator)
    after = float(hass.states.get(energy).state)
    assert after < before
    assert after > 0
    drops = [b for a, b in zip([before, *shown.numbers()], shown.numbers(), strict=False) if b < a]
    assert len(drops) == 1


async def test_energy_glitch_after_a_restart(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The first reading after a restart is a glitch: the restored value stays."""
    emu = await emulator_factory(link_units=0, clock="manual", noise=False)
    entry, _coordinator = await setup(hass, emu)
    outlet = emu.unit(0).outlet(0)
    energy = entity_id(hass, "sensor", f"{emu.unit(0).serial}_outlet_1_active_energy")
    before = float(hass.states.get(energy).state)
    assert await hass.config_entries.async_unload(entry.entry_id)
    outlet.energy_wh = 0.0
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert float(hass.states.get(energy).state) == before


def test_counter_guard() -> None:
    """The rule on its own: lower readings are held until they confirm a reset."""
    guard = CounterGuard(100.0)
    assert guard.update(101.0) == 101.0
    assert guard.update(0.0) == 101.0  # a glitch
    assert guard.update(0.0) == 101.0
    assert guard.update(None) is None  # unknown: shown as unknown, the value is kept
    assert guard.update(101.5) == 101.5  # back: the glitch is forgotten
    assert guard.update(5.0) == 101.5
    assert guard.update(4.0) == 101.5  # lower again: not counting from a new base
    assert guard.update(4.5) == 101.5
    assert guard.update(5.0) == 5.0  # 4, 4.5, 5: reset and counting again
    assert CounterGuard().update(3.0) == 3.0


# --- command outcomes ------------------------------------------------------------------------


async def test_lost_confirming_read_is_read_again(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The outlet switched but the command's confirming read failed (or its whole answer was
    lost): the state is read again, and the command counts as done, not failed (a retry would
    switch or power-cycle twice)."""
    emu = await emulator_factory(link_units=0, clock="manual")
    _entry, _coordinator = await setup(hass, emu)
    switch = entity_id(hass, "switch", f"{emu.unit(0).serial}_outlet_1_switch")
    cycle = entity_id(hass, "button", f"{emu.unit(0).serial}_outlet_2_cycle")

    emu.faults.fail_call(method="getState", count=1)
    await hass.services.async_call("switch", SERVICE_TURN_OFF, {"entity_id": switch}, blocking=True)
    assert emu.unit(0).outlet(0).power_state == 0
    assert hass.states.get(switch).state == STATE_OFF

    emu.faults.truncate_json(count=1)
    await hass.services.async_call("switch", SERVICE_TURN_ON, {"entity_id": switch}, blocking=True)
    assert hass.states.get(switch).state == STATE_ON

    emu.reset_stats()
    emu.faults.truncate_json(count=1)
    await hass.services.async_call("button", "press", {"entity_id": cycle}, blocking=True)
    assert emu.unit(0).outlet(1).relay_cycles == 1
    assert emu.stats()["method_names"]["cyclePowerState"] == 1  # not sent twice


async def test_command_the_device_did_not_do_fails(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The command never reached the device: reading the state again shows it, and the command
    fails with the original error."""
    emu = await emulator_factory(link_units=0, clock="manual")
    _entry, _coordinator = await setup(hass, emu)
    switch = entity_id(hass, "switch", f"{emu.unit(0).serial}_outlet_1_switch")
    emu.faults.http_error(500, count=10)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", SERVICE_TURN_OFF, {"entity_id": switch}, blocking=True
        )
    assert err.value.translation_key in ("command_error", "communication_error")
    assert emu.unit(0).outlet(0).power_state == 1
    assert hass.states.get(switch).state == STATE_ON
