"""Door lock actuators as lock entities, against the emulator."""

from __future__ import annotations

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_door_lock(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """CLOSED (1) is locked; unlocking opens it (0); each command is one request."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
        if e.domain == "lock" and f"_ext_{actuator.serial}:43:1" in e.unique_id
    )
    state = hass.states.get(lock_id)
    assert state.state == LockState.LOCKED
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Door lock")

    emulator.reset_stats()
    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: lock_id}, blocking=True
    )
    assert actuator.value == 0
    assert hass.states.get(lock_id).state == LockState.UNLOCKED
    assert emulator.stats()["http_requests"] == 1

    await hass.services.async_call(
        LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: lock_id}, blocking=True
    )
    assert actuator.value == 1
    assert hass.states.get(lock_id).state == LockState.LOCKED
