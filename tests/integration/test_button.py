"""Buttons against the emulator: outlet power cycle and unit identify."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    STATE_OFF,
    STATE_ON,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import async_poll
from .conftest import entity_id as registered


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_power_cycle(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Cycle: the outlet goes off at once (one request), and on after the cycle delay."""
    serial = emulator.unit(2).serial
    button = registered(hass, "button", f"{serial}_outlet_5_cycle")
    switch = registered(hass, "switch", f"{serial}_outlet_5_switch")
    name = f"{emulator.unit(2).model} {serial} Outlet 5 Power cycle"
    assert hass.states.get(button).attributes[ATTR_FRIENDLY_NAME] == name
    outlet = emulator.unit(2).outlet(4)

    emulator.reset_stats()
    await press(hass, button)
    assert outlet.cycle_in_progress
    assert outlet.power_state == 0
    state = hass.states.get(switch)
    assert state.state == STATE_OFF
    assert state.attributes["cycle_in_progress"] is True
    assert emulator.stats()["http_requests"] == 1
    assert emulator.stats()["method_names"]["cyclePowerState"] == 1

    # The PDU's cycle delay (10 s in the emulator) elapses; the next poll shows it on again.
    freezer.tick(emulator.unit(2).cycle_delay)
    async_fire_time_changed(hass)
    await async_poll(hass, freezer)
    assert outlet.power_state == 1
    state = hass.states.get(switch)
    assert state.state == STATE_ON
    assert state.attributes["cycle_in_progress"] is False


async def test_power_cycle_error(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A disabled outlet cannot be cycled: translated error."""
    button = registered(hass, "button", f"{emulator.unit(0).serial}_outlet_1_cycle")
    emulator.unit(0).outlet(0).disabled = True
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, button)
    assert err.value.translation_key == "outlet_disabled"
    assert emulator.unit(0).outlet(0).power_state == 1


async def test_identify(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """The primary unit has an identify button (config category); link units have none."""
    button = registered(hass, "button", f"{emulator.unit(0).serial}_unit_identify")
    entry = er.async_get(hass).async_get(button)
    assert entry.entity_category is EntityCategory.CONFIG
    await press(hass, button)
    assert emulator.unit(0).identify_count == 1
    registry = er.async_get(hass)
    for link_id in (2, 3):
        uid = f"{emulator.unit(link_id).serial}_unit_identify"
        assert registry.async_get_entity_id("button", DOMAIN, uid) is None


async def test_identify_failure(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A failing identify names the unit in its translated error."""
    button = registered(hass, "button", f"{emulator.unit(0).serial}_unit_identify")
    emulator.faults.fail_call(method="identify", statcode=500)
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, button)
    assert err.value.translation_key == "command_error"
    unit = emulator.unit(0)
    assert str(err.value).startswith(f"The command for {unit.model} {unit.serial} failed")
    assert emulator.unit(0).identify_count == 0
