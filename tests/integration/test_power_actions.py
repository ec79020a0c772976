"""The actions (services) raritan_pdu.set_outlets, set_all_outlets and power_cycle against the
emulator: targets by entity or device, one request per PDU, what the device did."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import label_registry as lr
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import entity_id, entry_data, get_device, make_config_entry, setup_integration

EmulatorFactory = Any


def outlet(hass: HomeAssistant, emu: PduEmulator, number: int, unit: int = 0) -> str:
    return entity_id(hass, "switch", f"{emu.unit(unit).serial}_outlet_{number}_switch")


async def _setup(hass: HomeAssistant, emulator_factory: EmulatorFactory, **config: Any) -> Any:
    emu: PduEmulator = await emulator_factory(
        **{"link_units": 1, "outlets": 4, "outlet_groups": 1, "event_service": False, **config}
    )
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    return emu


async def action(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_set_outlets_across_units_is_one_request(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    """Outlets of the primary and a link unit: one command per unit, one request, and the
    switches show the new states from that request's answer."""
    emu = await _setup(hass, emulator_factory, firmware=firmware)
    targets = [outlet(hass, emu, 2), outlet(hass, emu, 3, unit=2)]
    emu.reset_stats()
    await action(hass, "set_outlets", {ATTR_ENTITY_ID: targets, "state": "off"})
    stats = emu.stats()
    assert stats["http_requests"] == 1
    assert stats["method_names"]["setMultipleOutletPowerStates"] == 2
    assert emu.unit(0).outlet(1).power_state == 0
    assert emu.unit(2).outlet(2).power_state == 0
    assert emu.unit(0).outlet(0).power_state == 1
    assert [hass.states.get(t).state for t in targets] == [STATE_OFF, STATE_OFF]

    await action(
        hass,
        "set_outlets",
        {ATTR_ENTITY_ID: targets, "state": "cycle", "respect_sequence": False},
    )
    assert emu.unit(0).outlet(1).cycle_in_progress


async def test_set_outlets_with_a_group_device_and_a_sequence(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """A group device stands for its members; switching on follows the in-rush guard."""
    emu = await _setup(hass, emulator_factory)
    group = get_device(hass, f"{emu.unit(0).serial}_group_{emu.outlet_groups[0].unique_id}")
    unit = get_device(hass, emu.unit(0).serial)
    await action(hass, "set_outlets", {ATTR_DEVICE_ID: [unit.id], "state": "off"})
    assert all(emu.unit(0).outlet(i).power_state == 0 for i in range(4))
    emu.unit(0).inrush_guard_delay = 5000
    await action(hass, "set_outlets", {ATTR_DEVICE_ID: [unit.id, group.id], "state": "on"})
    assert emu.unit(0).outlet(0).power_state == 1
    assert emu.unit(0).outlet(1).switch_on_in_progress
    state = hass.states.get(outlet(hass, emu, 2))
    assert state.attributes["switch_on_in_progress"] is True
    assert emu.unit(2).outlet(0).power_state == 1  # the group's link unit member


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_set_all_outlets(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, firmware: str
) -> None:
    emu = await _setup(hass, emulator_factory, firmware=firmware)
    link = get_device(hass, emu.unit(2).serial)
    emu.reset_stats()
    await action(hass, "set_all_outlets", {ATTR_DEVICE_ID: link.id, "state": "off"})
    assert emu.stats()["http_requests"] == 1
    assert all(emu.unit(2).outlet(i).power_state == 0 for i in range(4))
    assert emu.unit(0).outlet(0).power_state == 1
    assert hass.states.get(outlet(hass, emu, 4, unit=2)).state == STATE_OFF
    with pytest.raises(ServiceValidationError) as err:
        await action(hass, "set_all_outlets", {ATTR_ENTITY_ID: outlet(hass, emu, 1), "state": "on"})
    assert err.value.translation_key == "no_target_units"


async def test_power_cycle_with_its_own_off_time(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """The off time holds for this cycle; the outlet's own settings stay as they were."""
    emu = await _setup(hass, emulator_factory)
    target = outlet(hass, emu, 1)
    emu.reset_stats()
    await action(hass, "power_cycle", {ATTR_ENTITY_ID: target, "off_time": 3})
    assert emu.stats()["http_requests"] == 1
    assert hass.states.get(target).attributes["cycle_in_progress"] is True
    device_outlet = emu.unit(0).outlet(0)
    assert device_outlet.use_pdu_cycle_delay is True
    for _ in range(2):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
    assert device_outlet.power_state == 0
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert device_outlet.power_state == 1

    await action(hass, "power_cycle", {ATTR_ENTITY_ID: target})
    assert device_outlet.cycle_in_progress


async def test_area_and_label_targets(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    """An area or a label selects this integration's devices and entities in it."""

    emu = await _setup(hass, emulator_factory)
    rack = ar.async_get(hass).async_create("Rack A")
    device = get_device(hass, f"{emu.unit(0).serial}_outlet_2")
    dr.async_get(hass).async_update_device(device.id, area_id=rack.id)
    await action(hass, "set_outlets", {"area_id": rack.id, "state": "off"})
    assert emu.unit(0).outlet(1).power_state == 0
    assert emu.unit(0).outlet(0).power_state == 1
    label = lr.async_get(hass).async_create("Lab")
    er.async_get(hass).async_update_entity(outlet(hass, emu, 3, unit=2), labels={label.label_id})
    await action(hass, "set_outlets", {"label_id": label.label_id, "state": "off"})
    assert emu.unit(2).outlet(2).power_state == 0


async def test_targets_of_another_integration_are_refused(
    hass: HomeAssistant, emulator_factory: EmulatorFactory
) -> None:
    emu = await _setup(hass, emulator_factory)
    with pytest.raises(ServiceValidationError) as err:
        await action(hass, "set_outlets", {ATTR_ENTITY_ID: "switch.kitchen", "state": "on"})
    assert err.value.translation_key == "not_a_pdu_target"
    with pytest.raises(ServiceValidationError) as err:
        await action(hass, "power_cycle", {ATTR_DEVICE_ID: "nope"})
    assert err.value.translation_key == "not_a_pdu_target"
    assert emu.unit(0).outlet(0).power_state == 1


async def test_missing_privilege(hass: HomeAssistant, emulator_factory: EmulatorFactory) -> None:
    """A user without the switching privilege gets the translated error; nothing switched
    (on firmware that does not tell the account's privileges, so the outlet has its switch)."""
    emu: PduEmulator = await emulator_factory(
        link_units=0,
        outlets=2,
        readonly_users={"viewer": "view-only"},
        event_service=False,
        auth_interface=False,
    )
    entry = make_config_entry(emu, entry_data(emu, username="viewer", password="view-only"))
    await setup_integration(hass, entry)
    with pytest.raises(HomeAssistantError) as err:
        await action(hass, "set_outlets", {ATTR_ENTITY_ID: outlet(hass, emu, 1), "state": "off"})
    assert err.value.translation_key == "insufficient_privileges"
    assert emu.unit(0).outlet(0).power_state == 1
    assert hass.states.get(outlet(hass, emu, 1)).state == STATE_ON
