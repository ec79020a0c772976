"""Fault matrix, the device changes under the integration: reboots and firmware upgrades that
change the opaque RIDs, sub-requests that fail, energy counters through every glitch, a link
unit swapped, and commands while polls are in flight.

Tests take ``freezer`` first (time, and with it the emulator's readings, sessions and the
coordinator's cadences, moves only by ``async_poll``) unless they say otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.raritan_pdu.const import DOMAIN, SLOW_POLL_EVERY

from .conftest import (
    LogGuard,
    assert_truthful,
    async_poll,
    async_topology_refresh,
    guarded_setup,
    power_entities,
    refresh,
)

EmulatorFactory = Callable[..., Any]


def registry_snapshot(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """unique id -> entity id of every entity of the entry."""
    return {
        e.unique_id: e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }


class History:
    """Every state each of some entities showed."""

    def __init__(self, hass: HomeAssistant, entities: set[str]) -> None:
        self.states: dict[str, list[str]] = {e: [] for e in entities}
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_event)

    @callback
    def _on_event(self, event: Event[Any]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] in self.states and new is not None:
            self.states[event.data["entity_id"]].append(new.state)

    def numbers(self, entity_id: str) -> list[float]:
        return [
            float(s) for s in self.states[entity_id] if s not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ]

    def unavailable(self) -> dict[str, int]:
        return {
            e: states.count(STATE_UNAVAILABLE)
            for e, states in self.states.items()
            if STATE_UNAVAILABLE in states
        }


async def polls(hass: HomeAssistant, freezer: FrozenDateTimeFactory, count: int) -> None:
    for _ in range(count):
        await async_poll(hass, freezer)


@pytest.mark.parametrize("change", ["reboot", "firmware_upgrade"])
@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_new_rids_keep_unique_ids_and_entity_ids(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
    change: str,
    firmware: str,
) -> None:
    """A reboot gives every object a new opaque RID; a firmware upgrade changes the version
    segment of every RID (reference 3.2): the topology is rediscovered, unique ids and entity
    ids stay what they were, no entity goes unavailable, and the values are the device's."""
    # no event channel: the poll's single request is counted at the end (the channel's own
    # reboot handling is tests/integration/test_events_*.py's)
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=2, firmware=firmware, event_service=False
    )
    await polls(hass, freezer, 3)  # the topology is older than the minimum age
    before = registry_snapshot(hass, entry)
    old_rids = set(coordinator.registered_rids)
    history = History(hass, set(power_entities(hass, emu)))

    getattr(emu.faults, change)()
    await polls(hass, freezer, 2)
    assert coordinator.last_update_success
    # every opaque RID changed (a unit's well-known /model/pdu/<n> address does not)
    assert not {rid for rid in old_rids if not rid.startswith("/model/")} & (
        coordinator.registered_rids
    )
    assert registry_snapshot(hass, entry) == before
    assert history.unavailable() == {}
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    emu.reset_stats()
    await async_poll(hass, freezer)
    assert emu.stats()["http_requests"] == 1
    assert not log_guard.problems()


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"statcode": 500}, id="statcode_500"),
        pytest.param({"statcode": 404}, id="statcode_404"),
        pytest.param({"rpc_error": (-32000, "internal")}, id="json_rpc_error"),
    ],
)
async def test_failing_sub_request_costs_only_its_entity(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
    fault: dict[str, Any],
) -> None:
    """One sub-request of the bulk fails for good (statcode 500, 404, a JSON-RPC error): only
    that entity becomes unavailable (a 404 first makes the PDU be rediscovered, once), the
    others keep their values, and it is back when the device answers again."""
    emu, _entry, coordinator = await guarded_setup(hass, emulator_factory, log_guard, link_units=1)
    await polls(hass, freezer, 3)
    entities = power_entities(hass, emu)
    broken = next(e for e, (u, i) in entities.items() if (u, i) == (1, 2))
    emu.faults.fail_call(rid=emu.units[1].outlet(2).sensors["activePower"].rid, **fault)
    emu.reset_stats()
    await polls(hass, freezer, 5)
    assert coordinator.last_update_success
    assert hass.states.get(broken).state == STATE_UNAVAILABLE
    assert emu.stats()["method_names"].get("getOutlets", 0) <= len(emu.units)  # at most once
    others = {e for e in entities if e != broken}
    assert all(hass.states.get(e).state != STATE_UNAVAILABLE for e in others)
    assert assert_truthful(hass, emu) == len(others)

    emu.faults.clear()
    await polls(hass, freezer, 1)
    assert assert_truthful(hass, emu) == len(entities)
    assert not log_guard.errors()


async def test_energy_never_goes_down_through_glitches(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """Invalid readings, a valid-looking 0, a failed sub-request, a reboot and a link unit
    swapped for another device (which answers at the same RIDs with its own, lower counters):
    no energy sensor ever publishes a lower value, so the statistics count no reset."""
    emu, entry, _coordinator = await guarded_setup(hass, emulator_factory, log_guard, link_units=2)
    registry = er.async_get(hass)
    energy = {
        registry.async_get_entity_id("sensor", DOMAIN, f"{unit.serial}_outlet_1_active_energy")
        for unit in emu.units
    }
    assert None not in energy
    history = History(hass, energy)  # type: ignore[arg-type]
    slow = SLOW_POLL_EVERY

    def glitches() -> list[Callable[[], Any]]:
        primary = emu.unit(0).outlet(0)
        return [
            lambda: emu.faults.bad_reading(primary.sensors["activeEnergy"], value="nan", count=3),
            lambda: emu.faults.bad_reading(primary.sensors["activeEnergy"], value="1e400"),
            lambda: emu.faults.energy_glitch(primary, count=2),
            lambda: emu.faults.energy_glitch(emu.units[1].outlet(0), value=0.001),
            lambda: emu.faults.fail_call(rid=primary.sensors["activeEnergy"].rid, count=2),
            emu.faults.reboot,
            lambda: emu.faults.swap_link_unit(emu.units[2].pdu_id),
        ]

    for glitch in glitches():
        freezer.tick(timedelta(minutes=30))  # the counters grow
        glitch()
        await polls(hass, freezer, slow + 1)
    for entity_id in energy:
        numbers = history.numbers(entity_id)  # type: ignore[arg-type]
        assert numbers, entity_id
        assert numbers == sorted(numbers), (entity_id, numbers)
    assert entry.runtime_data.last_update_success


@pytest.mark.parametrize("speed", ["instant", "px3"])
async def test_twenty_commands_at_once_during_a_poll(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, speed: str
) -> None:
    """20 commands at once on different outlets of three units, while a poll is in flight
    (a PX3-speed device serializes them all): none is lost, and the final states are right in
    Home Assistant and on the device, also after the next poll."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=2, clock="manual", device_speed=speed
    )
    registry = er.async_get(hass)
    targets: list[tuple[str, int, int, bool]] = []
    for u, unit in enumerate(emu.units):
        for i in range(len(unit.outlets)):
            entity_id = registry.async_get_entity_id(
                "switch", DOMAIN, f"{unit.serial}_outlet_{i + 1}_switch"
            )
            assert entity_id is not None
            targets.append((entity_id, u, i, (u + i) % 2 == 0))
    targets = targets[:20]
    for _entity_id, u, i, on in targets:  # every command changes the relay
        emu.units[u].outlet(i).power_state = 0 if on else 1
    await refresh(hass, coordinator)

    async def command(entity_id: str, on: bool) -> None:
        service = SERVICE_TURN_ON if on else SERVICE_TURN_OFF
        await hass.services.async_call(
            "switch", service, {ATTR_ENTITY_ID: entity_id}, blocking=True
        )

    emu.reset_stats()
    await asyncio.gather(
        coordinator.async_refresh(),
        *(command(entity_id, on) for entity_id, _u, _i, on in targets),
        coordinator.async_refresh(),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emu.stats()["method_names"]["setPowerState"] == 20

    def check() -> None:
        for entity_id, u, i, on in targets:
            assert emu.units[u].outlet(i).power_state == int(on), entity_id
            assert hass.states.get(entity_id).state == (STATE_ON if on else STATE_OFF), entity_id

    check()
    await refresh(hass, coordinator)
    check()
    assert not log_guard.problems()


async def test_link_units_survive_a_failed_cascade_read_in_a_rediscovery(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """The scheduled rediscovery meets a ``/cascade getStatus`` that fails (a 500 of one
    sub-request): the link units are still there - their devices and entities are not removed
    as if the PDU were standalone - and their values come back once it answers."""
    emu, entry, _coordinator = await guarded_setup(hass, emulator_factory, log_guard, link_units=2)
    before = registry_snapshot(hass, entry)
    emu.faults.fail_call(rid="/cascade", method="getStatus", statcode=500)
    await async_topology_refresh(hass, freezer)
    assert registry_snapshot(hass, entry) == before
    emu.faults.clear()
    await polls(hass, freezer, 2)
    assert registry_snapshot(hass, entry) == before
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
