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
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator

from .conftest import async_topology_refresh, ext_entity_id

DOOR_LOCK = 43


def door_lock(hass: HomeAssistant, emu: PduEmulator, entry: MockConfigEntry) -> str:
    """Entity id of the door lock actuator (catalogue index 8)."""
    serial = emu.unit(0).peripheral(8).serial
    return ext_entity_id(hass, entry, LOCK_DOMAIN, serial, DOOR_LOCK, actuator=True)


async def lock_service(hass: HomeAssistant, service: str, target: str) -> None:
    await hass.services.async_call(LOCK_DOMAIN, service, {ATTR_ENTITY_ID: target}, blocking=True)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_door_lock(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """CLOSED (1) is locked; unlocking opens it (0); each command is one request."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = door_lock(hass, emulator, init_integration)
    state = hass.states.get(lock_id)
    assert state.state == LockState.LOCKED
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Door lock")

    emulator.reset_stats()
    await lock_service(hass, SERVICE_UNLOCK, lock_id)
    assert actuator.value == 0
    assert hass.states.get(lock_id).state == LockState.UNLOCKED
    assert emulator.stats()["http_requests"] == 1

    await lock_service(hass, SERVICE_LOCK, lock_id)
    assert actuator.value == 1
    assert hass.states.get(lock_id).state == LockState.LOCKED


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_door_lock_not_available(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A lock that does not answer (return code 2) raises a translated error."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = door_lock(hass, emulator, init_integration)
    emulator.faults.disconnect_peripheral(8)
    with pytest.raises(HomeAssistantError) as err:
        await lock_service(hass, SERVICE_UNLOCK, lock_id)
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
    """A lock unplugged from the PDU is removed with its package; plugged in, it is back."""
    actuator = emulator.unit(0).peripheral(8)
    lock_id = door_lock(hass, emulator, init_integration)
    emulator.faults.unplug_peripheral(8)
    await async_topology_refresh(hass, freezer)
    assert hass.states.get(lock_id) is None
    assert er.async_get(hass).async_get(lock_id) is None

    emulator.unit(0).slot(8).peripheral = actuator
    await async_topology_refresh(hass, freezer)
    assert door_lock(hass, emulator, init_integration) == lock_id
    assert hass.states.get(lock_id).state == LockState.LOCKED
