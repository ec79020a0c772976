"""Door lock actuators as lock entities, against the emulator."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    SERVICE_LOCK,
    SERVICE_UNLOCK,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator

from .test_entities_topology import async_topology_refresh


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


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_door_lock_not_available(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A lock that does not answer (return code 2) raises a translated error."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
        if e.domain == "lock" and f"_ext_{actuator.serial}:43:1" in e.unique_id
    )
    emulator.faults.disconnect_peripheral(8)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_UNLOCK, {ATTR_ENTITY_ID: lock_id}, blocking=True
        )
    assert err.value.translation_key == "actuator_failed"
    assert str(err.value) == "The PDU could not switch Door Lock State (return code 2)"
    assert actuator.value == 1


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_unplugged_lock(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A lock unplugged from the PDU becomes unavailable and comes back when plugged in."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
        if e.domain == "lock" and f"_ext_{actuator.serial}:43:1" in e.unique_id
    )
    slot = emulator.unit(0).slot(8)
    slot.peripheral = None
    await async_topology_refresh(hass, freezer)
    assert hass.states.get(lock_id).state == STATE_UNAVAILABLE
    # Home Assistant does not call services of unavailable entities; the entity refuses too.
    entity = hass.data["entity_components"][LOCK_DOMAIN].get_entity(lock_id)
    with pytest.raises(HomeAssistantError) as err:
        await entity.async_unlock()
    assert err.value.translation_key == "object_unavailable"

    slot.peripheral = actuator
    await async_topology_refresh(hass, freezer)
    assert hass.states.get(lock_id).state == LockState.LOCKED
