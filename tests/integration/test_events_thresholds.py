"""Thresholds as configuration (#10): read from the PDU once, written with the device's
validation, translated errors, nothing half-written; changes made elsewhere arrive as events."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator

from .conftest import entity_id


@pytest.fixture
def emulator_config() -> dict[str, object]:
    return {"link_units": 0, "outlets": 2, "peripherals": 2, "event_service": True}


async def _enable(hass: HomeAssistant, entry: MockConfigEntry, *entity_ids: str) -> None:
    registry = er.async_get(hass)
    for eid in entity_ids:
        assert registry.async_get(eid).disabled_by is er.RegistryEntryDisabler.INTEGRATION
        registry.async_update_entity(eid, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def _set(hass: HomeAssistant, eid: str, value: float) -> None:
    await hass.services.async_call(
        NUMBER, SERVICE_SET_VALUE, {ATTR_ENTITY_ID: eid, ATTR_VALUE: value}, blocking=True
    )


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_a_threshold_set_in_home_assistant_is_the_pdus(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    serial = emulator.unit(0).serial
    warning = entity_id(hass, "number", f"{serial}_inlet_1_current_upper_warning_threshold")
    critical = entity_id(hass, "number", f"{serial}_inlet_1_current_upper_critical_threshold")
    await _enable(hass, init_integration, warning, critical)
    assert float(hass.states.get(warning).state) == pytest.approx(12.8)  # 80 % of 16 A
    assert float(hass.states.get(critical).state) == pytest.approx(16.0)
    assert hass.states.get(warning).attributes["unit_of_measurement"] == "A"

    await _set(hass, warning, 14.0)
    sensor = emulator.unit(0).inlet(0).sensors["current"]
    assert sensor.thresholds["upperWarning"] == 14.0 and sensor.thresholds["upperWarningActive"]
    assert float(hass.states.get(warning).state) == 14.0

    # Warning above critical: the PDU refuses all of it, the error is translated.
    with pytest.raises(HomeAssistantError) as err:
        await _set(hass, warning, 17.0)
    assert err.value.translation_key == "threshold_invalid"
    assert sensor.thresholds["upperWarning"] == 14.0
    assert float(hass.states.get(warning).state) == 14.0


async def test_a_change_made_at_the_pdu_arrives_as_an_event(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    serial = emulator.unit(0).serial
    registry = er.async_get(hass)
    ext = [
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if e.domain == "number" and e.unique_id.endswith("_upper_critical_threshold")
        and "_ext_" in e.unique_id
    ]
    assert len(ext) == 2  # temperature and humidity
    outlet = entity_id(hass, "number", f"{serial}_outlet_1_current_upper_critical_threshold")
    await _enable(hass, init_integration, outlet)
    assert float(hass.states.get(outlet).state) == 10.0
    for _ in range(2000):
        if emulator.stats()["events"]["long_polls_waiting"] == 1:
            break
        await asyncio.sleep(0.01)
    sensor = emulator.unit(0).outlet(0).sensors["current"]
    sensor.set_thresholds({**sensor.thresholds, "upperCriticalActive": False})
    for _ in range(2000):
        if hass.states.get(outlet).state == STATE_UNKNOWN:
            break
        await asyncio.sleep(0.01)
    assert hass.states.get(outlet).state == STATE_UNKNOWN  # no longer active on the PDU
