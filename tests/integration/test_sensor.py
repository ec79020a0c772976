"""Numeric sensors against the emulator: values, units, classes, enabling, invalid readings."""

from __future__ import annotations

from dataclasses import replace

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNKNOWN,
    EntityCategory,
    UnitOfEnergy,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import DOMAIN
from custom_components.raritan_pdu.sensor import describe_peripheral
from tests.emulator import PduEmulator

from .conftest import async_poll, entity_id, ext_entity_id, setup_integration


def approx(expected: float) -> object:
    """``pytest.approx`` within what the wire carries: firmware 3.6 prints doubles with ``%f``."""
    return pytest.approx(expected, abs=1e-6)


def sensor_id(hass: HomeAssistant, unique_id: str) -> str:
    return entity_id(hass, "sensor", unique_id)


def ext_sensor_id(hass: HomeAssistant, entry: MockConfigEntry, serial: str, type_: int) -> str:
    return ext_entity_id(hass, entry, "sensor", serial, type_)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_outlet_sensor_values_and_metadata(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Outlet current/power/energy match the device, with units, classes and precision."""
    registry = er.async_get(hass)
    outlet = emulator.unit(0).outlet(2)
    serial = emulator.unit(0).serial

    power_id = sensor_id(hass, f"{serial}_outlet_3_active_power")
    state = hass.states.get(power_id)
    outlet_device = f"{emulator.unit(0).model} {serial} Outlet 3"
    assert state.attributes[ATTR_FRIENDLY_NAME] == f"{outlet_device} Power"
    assert float(state.state) == approx(outlet.sensors["activePower"].value())
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.POWER
    assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT
    entry = registry.async_get(power_id)
    assert entry.options["sensor"]["suggested_display_precision"] == (
        outlet.sensors["activePower"].numeric.decdigits
    )

    current = hass.states.get(sensor_id(hass, f"{serial}_outlet_3_current"))
    assert float(current.state) == approx(outlet.sensors["current"].value())
    assert current.attributes[ATTR_UNIT_OF_MEASUREMENT] == "A"
    assert current.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.CURRENT

    # An outlet's apparent power and power factor are there, disabled; the unit's (the inlet's
    # on firmware 3.6, whose unit has no apparent power total) and the inlet's are enabled.
    for key in ("apparent_power", "power_factor"):
        assert registry.async_get(sensor_id(hass, f"{serial}_outlet_3_{key}")).disabled_by
    total = "apparentPower" in emulator.unit(0).total_sensors
    apparent = hass.states.get(
        sensor_id(hass, f"{serial}_{'unit' if total else 'inlet_1'}_apparent_power")
    )
    assert apparent.attributes[ATTR_UNIT_OF_MEASUREMENT] == "VA"
    assert apparent.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.APPARENT_POWER

    factor = hass.states.get(sensor_id(hass, f"{serial}_inlet_1_power_factor"))
    inlet_factor = emulator.unit(0).inlet(0).sensors["powerFactor"].value()
    assert float(factor.state) == approx(inlet_factor)
    assert factor.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.POWER_FACTOR
    assert ATTR_UNIT_OF_MEASUREMENT not in factor.attributes

    # Energy: Wh on the device, kWh suggested, a total that only increases (Energy dashboard).
    energy_id = sensor_id(hass, f"{serial}_outlet_3_active_energy")
    energy = hass.states.get(energy_id)
    assert energy.attributes[ATTR_FRIENDLY_NAME] == f"{outlet_device} Energy"
    assert energy.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfEnergy.KILO_WATT_HOUR
    assert energy.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENERGY
    assert energy.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL_INCREASING
    assert float(energy.state) == approx(outlet.sensors["activeEnergy"].value() / 1000)
    # Every Wh of the counter shows: 3 decimals in kWh (the device counts whole Wh).
    assert registry.async_get(energy_id).options["sensor"]["suggested_display_precision"] == 3

    # Unit totals and the inlet.
    total = hass.states.get(sensor_id(hass, f"{serial}_unit_active_power"))
    assert total.attributes[ATTR_FRIENDLY_NAME].endswith(" Total power")
    assert float(total.state) == approx(
        emulator.unit(0).total_sensors["activePower"].value()
    )
    inlet = hass.states.get(sensor_id(hass, f"{serial}_inlet_1_current"))
    assert inlet.attributes[ATTR_FRIENDLY_NAME].endswith(" Inlet current")
    assert float(inlet.state) == approx(emulator.unit(0).inlet(0).sensors["current"].value())

    # Breakers.
    ocp = hass.states.get(sensor_id(hass, f"{serial}_ocp_1_current"))
    assert ocp.attributes[ATTR_FRIENDLY_NAME].endswith(" Breaker C1 current")
    assert float(ocp.state) == approx(emulator.unit(0).ocp(0).sensors["current"].value())


async def test_values_follow_polls(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A switched-off outlet reads 0 W after the next poll (a real 0, not unknown)."""
    power_id = sensor_id(hass, f"{emulator.unit(2).serial}_outlet_2_active_power")
    emulator.unit(2).outlet(1).power_state = 0
    await async_poll(hass, freezer)
    assert float(hass.states.get(power_id).state) == 0.0


async def test_disabled_by_default_and_enabling_costs_one_sub_request(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Secondary sensors are registered disabled; enabling one adds exactly its read."""
    registry = er.async_get(hass)
    serial = emulator.unit(0).serial
    voltage_id = sensor_id(hass, f"{serial}_outlet_3_voltage")
    entry = registry.async_get(voltage_id)
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert entry.entity_category is EntityCategory.DIAGNOSTIC
    assert hass.states.get(voltage_id) is None
    for key in ("reactive_power", "line_frequency", "apparent_energy", "power_factor"):
        assert registry.async_get(sensor_id(hass, f"{serial}_outlet_3_{key}")).disabled_by
    factor_id = sensor_id(hass, f"{serial}_outlet_3_power_factor")

    emulator.reset_stats()
    await async_poll(hass, freezer)
    before = emulator.stats()
    assert before["http_requests"] == 1
    sub_requests = before["bulk_subrequests"]

    registry.async_update_entity(factor_id, disabled_by=None)
    await hass.async_block_till_done()
    # Home Assistant reloads the entry a little later to add the enabled entity.
    freezer.tick(31)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(factor_id)
    assert state is not None
    assert float(state.state) == approx(
        emulator.unit(0).outlet(2).sensors["powerFactor"].value()
    )

    emulator.reset_stats()
    await async_poll(hass, freezer)
    after = emulator.stats()
    assert after["http_requests"] == 1
    assert after["bulk_subrequests"] == sub_requests + 1


@pytest.mark.parametrize("emulator_config", [{"peripherals": 11, "link_units": 0}])
async def test_peripheral_sensors(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """External sensors: named by slot name or type, classes from the TypeSpec."""
    unit = emulator.unit(0)
    temp = unit.peripheral(0)
    temp_id = ext_sensor_id(hass, init_integration, temp.serial, 8)
    state = hass.states.get(temp_id)
    # Slot 0 has the user-defined name "Front top".
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith(" Front top")
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.TEMPERATURE
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert float(state.state) == approx(temp.sensor.value())
    assert er.async_get(hass).async_get(temp_id).options["sensor"][
        "suggested_display_precision"
    ] == (temp.entry.spec.decdigits)

    humidity = hass.states.get(ext_sensor_id(hass, init_integration, temp.serial, 9))
    assert humidity.attributes[ATTR_FRIENDLY_NAME].endswith(" Humidity")
    assert humidity.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.HUMIDITY
    assert humidity.attributes[ATTR_UNIT_OF_MEASUREMENT] == "%"

    absolute = hass.states.get(ext_sensor_id(hass, init_integration, temp.serial, 41))
    assert absolute.attributes[ATTR_UNIT_OF_MEASUREMENT] == "g/m³"
    assert absolute.attributes[ATTR_FRIENDLY_NAME].endswith(" Absolute humidity")

    # A disconnected probe reports an invalid reading: unknown, never 0.
    emulator.faults.disconnect_peripheral(0)
    await async_poll(hass, freezer)
    assert hass.states.get(temp_id).state == STATE_UNKNOWN
    emulator.faults.disconnect_peripheral(0, connected=True)
    await async_poll(hass, freezer)
    assert float(hass.states.get(temp_id).state) == approx(temp.sensor.value())


@pytest.mark.parametrize("emulator_config", [{"peripherals": 3, "link_units": 0}])
async def test_external_sensor_of_an_unknown_type(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """A sensor type newer than this integration is a "Sensor", keyed by its type number."""
    topology = init_integration.runtime_data.topology
    info = topology.primary.peripherals[0]
    unknown = replace(info, type_spec=replace(info.type_spec, type=99))
    description = describe_peripheral(unknown)
    assert (description.key, description.translation_key) == ("type_99", "ext_sensor")
    assert describe_peripheral(info).key == "temperature"


@pytest.mark.parametrize("emulator_config", [{"peripherals": 3, "link_units": 0}])
async def test_fahrenheit_stays_fahrenheit(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A probe set to °F reports °F natively (shown as is in a US customary setup)."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await setup_integration(hass, mock_config_entry)
    probe = emulator.unit(0).peripheral(2)
    state = hass.states.get(ext_sensor_id(hass, mock_config_entry, probe.serial, 8))
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.FAHRENHEIT
    assert float(state.state) == approx(probe.sensor.value())


@pytest.mark.parametrize("emulator_config", [{"inlet_phases": 3, "link_units": 0}])
async def test_three_phase_poles(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Three-phase inlets get a current sensor per line (enabled), plus neutral current."""
    registry = er.async_get(hass)
    serial = emulator.unit(0).serial
    inlet = emulator.unit(0).inlet(0)
    for index, line in enumerate(("l1", "l2", "l3")):
        state = hass.states.get(sensor_id(hass, f"{serial}_inlet_1_pole_{line}_current"))
        assert state.attributes[ATTR_FRIENDLY_NAME].endswith(f" {line.upper()} current")
        assert float(state.state) == approx(inlet.pole_sensors[index]["current"].value())
    neutral = sensor_id(hass, f"{serial}_inlet_1_pole_neutral_current")
    assert hass.states.get(neutral).attributes[ATTR_FRIENDLY_NAME].endswith(" N current")
    # Line-to-neutral voltage enabled, line-to-line voltage disabled by default.
    assert not registry.async_get(sensor_id(hass, f"{serial}_inlet_1_pole_l1_voltage_ln")).disabled
    assert registry.async_get(sensor_id(hass, f"{serial}_inlet_1_pole_l1_voltage")).disabled


async def test_single_phase_has_no_pole_sensors(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Poles of a single-phase inlet would only repeat the inlet readings."""
    registry = er.async_get(hass)
    assert not [
        e
        for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if "_pole_" in e.unique_id
    ]


@pytest.mark.parametrize("emulator_config", [{"metered_outlets": False, "link_units": 0}])
async def test_switched_only_pdu_has_no_outlet_sensors(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Null sensor references give no entity: outlets without meters have only a switch."""
    registry = er.async_get(hass)
    serial = emulator.unit(0).serial
    outlet_sensors = [
        e
        for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if e.domain == "sensor" and e.unique_id.startswith(f"{serial}_outlet_")
    ]
    assert outlet_sensors == []
    assert registry.async_get_entity_id("switch", DOMAIN, f"{serial}_outlet_1_switch")
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{serial}_unit_active_power")
