"""Alarms from the readings already polled (#10): the unit's "Alarm" problem sensor and the alarm
levels of inlets, breakers, outlets and external sensors follow the PDU's own thresholds."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.emulator import PduEmulator

from .conftest import async_poll, entity_id


@pytest.fixture
def emulator_config() -> dict[str, object]:
    return {"link_units": 0, "outlets": 4, "ocps": 2, "peripherals": 2}


def _overload(emu: PduEmulator, outlet: int, watts: float) -> None:
    """Load outlet ``outlet`` (0-based) with ``watts``: its current follows at once."""
    emu.unit(0).outlet(outlet).base_power = watts


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_an_outlet_over_its_critical_current_raises_the_unit_alarm(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """The outlet's 10 A threshold (C13) is crossed: the unit's Alarm goes on naming it, the
    breaker feeding it shows warning/critical too, and all of it clears when the load drops."""
    serial = emulator.unit(0).serial
    alarm_id = entity_id(hass, "binary_sensor", f"{serial}_unit_alarm")
    state = hass.states.get(alarm_id)
    assert state.state == STATE_OFF
    assert state.attributes["warning"] == [] and state.attributes["critical"] == []
    assert state.attributes["device_class"] == "problem"

    _overload(emulator, 0, 2900.0)  # about 12.6 A at 230 V
    await async_poll(hass, freezer)
    state = hass.states.get(alarm_id)
    assert state.state == STATE_ON
    assert "Outlet 1 current" in state.attributes["critical"]
    assert "Outlet 1 active power" not in state.attributes["critical"]  # power has no thresholds

    _overload(emulator, 0, 50.0)
    await async_poll(hass, freezer)
    state = hass.states.get(alarm_id)
    assert state.state == STATE_OFF
    assert state.attributes["critical"] == []


async def test_a_tripped_breaker_is_a_critical_alarm(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    serial = emulator.unit(0).serial
    alarm_id = entity_id(hass, "binary_sensor", f"{serial}_unit_alarm")
    emulator.faults.trip_breaker(0)
    await async_poll(hass, freezer)
    state = hass.states.get(alarm_id)
    assert state.state == STATE_ON
    assert state.attributes["critical"] == ["Breaker C1 tripped"]


async def test_alarm_levels_per_object(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Inlets, breakers and external sensors have an alarm level (normal/warning/critical),
    enabled; outlets have one too, disabled by default."""
    serial = emulator.unit(0).serial
    registry = er.async_get(hass)
    inlet_id = entity_id(hass, "sensor", f"{serial}_inlet_1_alarm_level")
    ocp_id = entity_id(hass, "sensor", f"{serial}_ocp_1_alarm_level")
    outlet_id = entity_id(hass, "sensor", f"{serial}_outlet_1_alarm_level")
    assert registry.async_get(outlet_id).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    for eid in (inlet_id, ocp_id):
        state = hass.states.get(eid)
        assert state.state == "normal"
        assert state.attributes["options"] == ["normal", "warning", "critical"]
    ext = [
        e
        for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if e.domain == "sensor" and e.unique_id.endswith("_alarm_level") and "_ext_" in e.unique_id
    ]
    assert len(ext) == 2
    assert all(hass.states.get(e.entity_id).state == "normal" for e in ext)

    # A temperature probe above its upper critical threshold (40 °C by default).
    probe = emulator.unit(0).peripheral(0)
    probe.value = 45.0
    await async_poll(hass, freezer)
    states = {hass.states.get(e.entity_id).state for e in ext}
    assert states == {"critical", "normal"}
    assert hass.states.get(entity_id(hass, "binary_sensor", f"{serial}_unit_alarm")).state == (
        STATE_ON
    )


async def test_alarms_are_told_only_when_a_threshold_state_changed(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A unit's alarm watches a hundred readings whose values move with every poll: it is
    summarized again only when a threshold state changed, not with each new value."""
    coordinator = init_integration.runtime_data
    rid = coordinator.topology.primary.outlets[0].sensors["current"].rid
    told: list[str] = []
    removers = [
        coordinator.async_register_rids(
            [rid], lambda: told.append("threshold"), thresholds_only=True
        ),
        coordinator.async_register_rids([rid], lambda: told.append("value")),
    ]
    try:
        _overload(emulator, 0, 60.0)
        await async_poll(hass, freezer)
        assert told == ["value"]

        told.clear()
        _overload(emulator, 0, 2900.0)  # over the outlet's critical current
        await async_poll(hass, freezer)
        assert sorted(told) == ["threshold", "value"]
    finally:
        for remove in removers:
            remove()
