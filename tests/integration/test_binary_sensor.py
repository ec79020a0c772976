"""Binary sensors against the emulator: breaker trip polarity, PSU, external state sensors."""

from __future__ import annotations

from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.raritan_pdu.binary_sensor import describe_peripheral
from tests.emulator import PduEmulator

from .conftest import async_poll, entity_id, ext_entity_id, setup_integration


def binary_id(hass: HomeAssistant, unique_id: str) -> str:
    return entity_id(hass, "binary_sensor", unique_id)


def ext_binary_id(hass: HomeAssistant, entry: MockConfigEntry, serial: str, type_: int) -> str:
    return ext_entity_id(hass, entry, "binary_sensor", serial, type_)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_breaker_trip_polarity(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Trip sensor 1 (CLOSED) is OK; 0 (OPEN) is a tripped breaker: a problem."""
    serial = emulator.unit(0).serial
    tripped_id = binary_id(hass, f"{serial}_ocp_1_tripped")
    state = hass.states.get(tripped_id)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.PROBLEM
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Breaker C1 tripped")

    emulator.faults.trip_breaker(0)
    await async_poll(hass, freezer)
    assert hass.states.get(tripped_id).state == STATE_ON
    assert hass.states.get(binary_id(hass, f"{serial}_ocp_2_tripped")).state == STATE_OFF

    emulator.faults.trip_breaker(0, tripped=False)
    await async_poll(hass, freezer)
    assert hass.states.get(tripped_id).state == STATE_OFF


async def test_power_supply_status(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Each internal power supply is a diagnostic problem sensor."""
    psu_id = binary_id(hass, f"{emulator.unit(0).serial}_unit_power_supply_1_status")
    state = hass.states.get(psu_id)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.PROBLEM
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Power supply 1")
    entry = er.async_get(hass).async_get(psu_id)
    assert entry.entity_category is EntityCategory.DIAGNOSTIC


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_external_state_sensors(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Door (OPEN = 0 = open), water leak, smoke, contact closure, vibration."""
    unit = emulator.unit(0)
    expected = {
        # catalogue index: (sensor type, device class, name)
        3: (12, None, "Contact closure"),
        4: (42, BinarySensorDeviceClass.DOOR, "Door"),
        5: (16, BinarySensorDeviceClass.MOISTURE, "Water leak"),
        6: (17, BinarySensorDeviceClass.SMOKE, "Smoke"),
        9: (15, BinarySensorDeviceClass.VIBRATION, "Vibration"),
    }
    ids = {}
    for index, (type_, device_class, name) in expected.items():
        peripheral = unit.peripheral(index)
        ids[index] = ext_binary_id(hass, init_integration, peripheral.serial, type_)
        state = hass.states.get(ids[index])
        assert state.state == STATE_OFF, name
        assert state.attributes.get(ATTR_DEVICE_CLASS) == device_class
        assert state.attributes[ATTR_FRIENDLY_NAME].endswith(f" {name}")

    # The door's CLOSED (1) is "off"; OPEN (0) means the door is open: "on".
    assert unit.peripheral(4).value == 1
    unit.peripheral(4).value = 0
    for index in (3, 5, 6, 9):  # NormalAlarmedState: ALARMED (1) is "on".
        unit.peripheral(index).value = 1
    await async_poll(hass, freezer)
    for index in expected:
        assert hass.states.get(ids[index]).state == STATE_ON

    # No valid state (probe disconnected): unknown.
    emulator.faults.disconnect_peripheral(5)
    await async_poll(hass, freezer)
    assert hass.states.get(ids[5]).state == STATE_UNKNOWN


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_slot_name_and_generic_state_sensor(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """A slot named on the PDU names the entity; unknown on/off types get a generic sensor."""
    emulator.unit(0).peripheral(3).slot_name = "Rack door contact"
    await setup_integration(hass, mock_config_entry)
    peripheral = emulator.unit(0).peripheral(3)
    state = hass.states.get(ext_binary_id(hass, mock_config_entry, peripheral.serial, 12))
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Rack door contact")

    topology = mock_config_entry.runtime_data.topology
    info = next(p for p in topology.primary.peripherals if p.serial == peripheral.serial)
    unknown = replace(info, type_spec=replace(info.type_spec, type=99))
    description = describe_peripheral(unknown)
    assert description is not None
    assert description.translation_key == "ext_state"
    assert description.is_on_fn(1)
    multi = replace(info, type_spec=replace(info.type_spec, type=99, readingtype=2))
    assert describe_peripheral(multi) is None
