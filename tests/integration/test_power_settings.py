"""Load shedding, the outlets' power settings (config entities), switching sequences and the
cancel button in Home Assistant against the emulator."""

from __future__ import annotations

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
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import (
    async_poll,
    entity_id,
    entry_data,
    get_device,
    make_config_entry,
    setup_integration,
)

EmulatorFactory = Any


def enable(hass: HomeAssistant, platform: str, unique_id: str) -> None:
    """Register an entity that is disabled by default as enabled (before setup)."""
    er.async_get(hass).async_get_or_create(platform, DOMAIN, unique_id, disabled_by=None)


async def _setup(
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    enabled: tuple[tuple[str, str], ...] = (),
    **config: Any,
) -> PduEmulator:
    emu: PduEmulator = await emulator_factory(
        **{"link_units": 0, "outlets": 4, "event_service": False, **config}
    )
    serial = emu.unit(0).serial
    for platform, key in enabled:
        enable(hass, platform, f"{serial}_{key}")
    await setup_integration(hass, make_config_entry(emu))
    return emu


def eid(hass: HomeAssistant, emu: PduEmulator, platform: str, key: str) -> str:
    return entity_id(hass, platform, f"{emu.unit(0).serial}_{key}")


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_load_shedding_and_non_critical(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    """Marking an outlet non-critical and starting load shedding: the outlet is off with the
    reason; ending it brings the outlet back."""
    emu = await _setup(
        hass, emulator_factory, (("switch", "outlet_2_non_critical"),), firmware=firmware
    )
    registry = er.async_get(hass)
    non_critical = eid(hass, emu, "switch", "outlet_2_non_critical")
    assert registry.async_get(non_critical).entity_category is EntityCategory.CONFIG
    assert registry.async_get(eid(hass, emu, "switch", "outlet_1_non_critical")).disabled_by
    assert hass.states.get(non_critical).state == STATE_OFF
    emu.reset_stats()
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: non_critical}, blocking=True
    )
    assert emu.stats()["http_requests"] == 1
    assert emu.unit(0).outlet(1).non_critical is True
    assert hass.states.get(non_critical).state == STATE_ON

    shedding = eid(hass, emu, "switch", "unit_load_shedding")
    outlet_2 = eid(hass, emu, "switch", "outlet_2_switch")
    assert hass.states.get(shedding).state == STATE_OFF
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: shedding}, blocking=True
    )
    assert emu.unit(0).load_shedding is True
    assert hass.states.get(shedding).state == STATE_ON
    state = hass.states.get(outlet_2)
    assert state.state == STATE_OFF
    assert state.attributes["load_shed"] is True
    assert hass.states.get(eid(hass, emu, "switch", "outlet_1_switch")).state == STATE_ON

    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: shedding}, blocking=True
    )
    assert hass.states.get(shedding).state == STATE_OFF
    assert hass.states.get(outlet_2).state == STATE_ON
    assert hass.states.get(outlet_2).attributes["load_shed"] is False


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_startup_state_and_delays(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    """Written with the whole settings struct in one request; the device's answer is shown
    and kept (a restart does not read settings again: they come from storage)."""
    emu = await _setup(
        hass,
        emulator_factory,
        (("select", "outlet_1_startup_state"), ("number", "outlet_1_cycle_delay")),
        firmware=firmware,
    )
    select = eid(hass, emu, "select", "outlet_1_startup_state")
    assert hass.states.get(select).state == "pdu_default"
    emu.reset_stats()
    await hass.services.async_call(
        "select", "select_option", {ATTR_ENTITY_ID: select, "option": "off"}, blocking=True
    )
    assert emu.stats()["http_requests"] == 1
    assert emu.unit(0).outlet(0).startup_state == 1
    assert hass.states.get(select).state == "off"

    delay = eid(hass, emu, "number", "outlet_1_cycle_delay")
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: delay, "value": 42}, blocking=True
    )
    assert emu.unit(0).outlet(0).cycle_delay == 42
    assert emu.unit(0).outlet(0).use_pdu_cycle_delay is False
    assert float(hass.states.get(delay).state) == 42
    # The startup state written before is still there (read-modify-write of the whole struct).
    assert emu.unit(0).outlet(0).startup_state == 1

    guard = eid(hass, emu, "number", "unit_in_rush_guard_delay")
    await hass.services.async_call(
        "number", "set_value", {ATTR_ENTITY_ID: guard, "value": 800}, blocking=True
    )
    assert emu.unit(0).inrush_guard_delay == 800
    assert float(hass.states.get(guard).state) == 800


async def test_out_of_range_setting_is_a_translated_error(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The PDU's own range check: a translated error and the old value stays."""
    emu = await _setup(hass, emulator_factory)
    emu.unit(0).inrush_guard_delay = 200
    guard = eid(hass, emu, "number", "unit_in_rush_guard_delay")
    entity = hass.data["entity_components"]["number"].get_entity(guard)
    with pytest.raises(HomeAssistantError) as err:
        await entity.async_set_native_value(50)  # below the PDU's 100 ms
    assert err.value.translation_key == "invalid_setting"
    assert emu.unit(0).inrush_guard_delay == 200
    assert float(hass.states.get(guard).state) == 200


async def test_settings_need_the_privilege(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """On firmware that does not tell the account's privileges the setting is there, and
    writing it without the privilege gives the translated error."""
    emu: PduEmulator = await emulator_factory(
        link_units=0,
        outlets=2,
        readonly_users={"viewer": "view-only"},
        event_service=False,
        auth_interface=False,
    )
    await setup_integration(
        hass, make_config_entry(emu, entry_data(emu, username="viewer", password="view-only"))
    )
    guard = eid(hass, emu, "number", "unit_cycle_delay")
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: guard, "value": 30}, blocking=True
        )
    assert err.value.translation_key == "insufficient_privileges"


async def test_sequence_sensor_and_cancel(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """While a staggered switch-on runs, the sensor shows it and the cancel button is
    available; cancelling leaves the rest off."""
    emu = await _setup(
        hass,
        emulator_factory,
        (("sensor", "unit_switching_sequence"), ("button", "unit_cancel_sequence")),
    )
    sensor = eid(hass, emu, "sensor", "unit_switching_sequence")
    button = eid(hass, emu, "button", "unit_cancel_sequence")
    assert hass.states.get(sensor).state == "idle"
    assert hass.states.get(button).state == STATE_UNAVAILABLE
    unit = emu.unit(0)
    unit.inrush_guard_delay = 60_000
    for i in range(4):
        unit.outlet(i).power_state = 0
    await hass.services.async_call(
        DOMAIN,
        "set_all_outlets",
        {"device_id": _unit_device(hass, emu), "state": "on"},
        blocking=True,
    )
    await async_poll(hass, freezer)
    state = hass.states.get(sensor)
    assert state.state == "running"
    assert state.attributes["next_outlet"] == 2
    assert state.attributes["outlets_remaining"] == 3
    assert hass.states.get(button).state != STATE_UNAVAILABLE
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: button}, blocking=True)
    assert hass.states.get(sensor).state == "idle"
    assert hass.states.get(button).state == STATE_UNAVAILABLE
    assert [unit.outlet(i).power_state for i in range(4)] == [1, 0, 0, 0]
    assert hass.states.get(eid(hass, emu, "switch", "outlet_2_switch")).state == STATE_OFF


def _unit_device(hass: HomeAssistant, emu: PduEmulator) -> str:
    device = get_device(hass, emu.unit(0).serial)
    assert device is not None
    return device.id
