"""Soak: a primary unit with 2 link units at PX3 device speed in emulated time, polled over and
over with 5 % random faults of every kind (but the real-time ``timeout``), outlet commands
interleaved.

Afterwards every entity is available and shows what the emulator has, every command that did not
fail reached the device (and none that failed did), and nothing grew: open files/connections,
asyncio tasks, Python objects, device sessions. The log has no ERROR line beyond one per outage
and no secret at any level.

Time: the emulator's manual clock and Home Assistant's (``freezer``: the coordinator's cadences
and backoffs) both move 30 s per poll. The test command runs ``SOAK_POLLS`` polls (default 100,
a few seconds); the full soak of the issue is
``SOAK_POLLS=1000 .venv/bin/python -m pytest tests/integration/test_soak.py -s``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.raritan_pdu.const import DOMAIN, TOPOLOGY_RETRY_MAX
from tests.emulator.chaos import RANDOM_KINDS

from .conftest import (
    LogGuard,
    assert_truthful,
    guarded_setup,
    power_entities,
)

EmulatorFactory = Callable[..., Any]

SOAK_POLLS = int(os.environ.get("SOAK_POLLS", "100"))
COMMAND_EVERY = 5  # polls
KINDS = [kind for kind in RANDOM_KINDS if kind != "timeout"]  # real time: not in emulated time

# Growth allowed between the warm-up and the end (whatever the number of polls).
MAX_NEW_FDS = 3
MAX_NEW_TASKS = 3
# Objects: bounded by what a few topologies hold (the known one, a rediscovered one and its
# stored document can be live at the end: 2,400 to 9,300 objects measured after 100 to 1,000
# polls, not growing with the number of polls), not by the number of polls.
MAX_NEW_OBJECTS = 15_000


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def live_objects() -> Counter[str]:
    """Live objects by the module of their type."""
    gc.collect()
    return Counter(type(o).__module__ for o in gc.get_objects())


@pytest.mark.soak
async def test_soak(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """SOAK_POLLS polls with 5 % random faults and commands; nothing lost, nothing grows."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=2, clock="manual", device_speed="px3"
    )
    registry = er.async_get(hass)
    switches: list[tuple[str, int, int]] = []
    for u, unit in enumerate(emu.units):
        for i in range(len(unit.outlets)):
            entity_id = registry.async_get_entity_id(
                "switch", DOMAIN, f"{unit.serial}_outlet_{i + 1}_switch"
            )
            assert entity_id is not None
            switches.append((entity_id, u, i))
    relays = {(u, i): emu.units[u].outlet(i).power_state for _e, u, i in switches}
    rng = random.Random(7)
    lines: list[tuple[str, str]] = []
    outages = 0
    commands: Counter[str] = Counter()

    async def poll() -> None:
        nonlocal outages
        ok_before = coordinator.last_update_success
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
        outages += ok_before and not coordinator.last_update_success
        emu.advance(30)  # the device's time
        freezer.tick(30)  # Home Assistant's: the coordinator's cadences and backoffs

    async def command() -> None:
        entity_id, u, i = rng.choice(switches)
        if hass.states.get(entity_id).state == STATE_UNAVAILABLE:
            commands["not offered: unavailable"] += 1  # Home Assistant does not call it
            return
        on = not relays[(u, i)]
        service = SERVICE_TURN_ON if on else SERVICE_TURN_OFF
        try:
            await hass.services.async_call(
                "switch", service, {ATTR_ENTITY_ID: entity_id}, blocking=True
            )
        except HomeAssistantError as err:
            commands[f"failed: {err.translation_key}"] += 1
        else:
            relays[(u, i)] = int(on)
            commands["done"] += 1
            assert hass.states.get(entity_id).state == (STATE_ON if on else STATE_OFF)
        await hass.async_block_till_done(wait_background_tasks=True)

    for _ in range(10):  # warm-up: caches, pools, learned timing
        await poll()
    lines += log_guard.drain()
    fds, tasks, objects = open_fds(), len(asyncio.all_tasks()), live_objects()

    emu.faults.random(rate=0.05, seed=1, kinds=KINDS)
    for n in range(SOAK_POLLS):
        if n % COMMAND_EVERY == 0:
            await command()
        await poll()
        if n % 50 == 49:
            lines += log_guard.drain()
    injected = emu.stats()["random_faults"]
    emu.faults.clear()
    emu.advance(120)  # a link unit made unreachable comes back
    for _ in range(3):
        # A rediscovery that failed under the faults is retried after its backoff (on both
        # clocks: the device's sessions age as the client's do).
        freezer.tick(TOPOLOGY_RETRY_MAX)
        emu.advance(TOPOLOGY_RETRY_MAX.total_seconds())
        await poll()
    lines += log_guard.drain()

    # What the user sees: everything available, every value and relay the device's.
    assert coordinator.last_update_success
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    unavailable = [
        e.entity_id
        for e in entities
        if (state := hass.states.get(e.entity_id)) is not None and state.state == STATE_UNAVAILABLE
    ]
    assert unavailable == []
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    for entity_id, u, i in switches:
        assert emu.units[u].outlet(i).power_state == relays[(u, i)], entity_id  # none lost
        expected = STATE_ON if relays[(u, i)] else STATE_OFF
        assert hass.states.get(entity_id).state == expected, entity_id
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    levels = Counter(level for level, _message in lines)
    levels["recovered"] = sum(message.endswith("data recovered") for _level, message in lines)

    # Nothing grew.
    new_fds = open_fds() - fds
    new_tasks = len(asyncio.all_tasks()) - tasks
    grown = live_objects()
    grown.subtract(objects)
    new_objects = sum(grown.values())
    sessions = emu.stats()["sessions_active"]
    print(
        f"\nsoak: {SOAK_POLLS} polls, faults armed {dict(injected)}, commands {dict(commands)}, "
        f"outages {outages}, log {dict(levels)}, growth: fds {new_fds:+d}, tasks "
        f"{new_tasks:+d}, objects {new_objects:+d}, device sessions {sessions}"
    )
    assert sum(injected.values()) >= SOAK_POLLS * 0.05 / 2
    assert commands["done"] > 0
    assert new_fds <= MAX_NEW_FDS
    assert new_tasks <= MAX_NEW_TASKS
    assert new_objects <= MAX_NEW_OBJECTS
    assert sessions <= 1
    # One error line per outage, each followed by one "recovered" line; no other error.
    errors = [message for level, message in lines if level == "ERROR"]
    assert all(message.startswith("Error fetching") for message in errors), errors
    assert len(errors) == levels["recovered"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert emu.stats()["sessions_active"] == 0
