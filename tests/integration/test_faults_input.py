"""Fault matrix, bad input: malformed answers in Home Assistant, as the user sees them.

Every malformed answer ends as a clear "update failed" (entities unavailable, one error line,
no traceback) or as one unavailable/unknown entity; never as a wrong value shown as valid, and
the next good answer brings everything back. Polls run through the coordinator's
``async_refresh`` against an emulator on the manual clock (no time passes unless a test says).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import (
    SECRET,
    LogGuard,
    assert_truthful,
    guarded_setup,
    make_config_entry,
    power_entities,
    refresh,
    setup_integration,
    shown_values,
)

EmulatorFactory = Callable[..., Any]


# Faults of the whole answer: the poll fails (one clear error), the next one recovers.
WHOLE_ANSWER_FAULTS: dict[str, Callable[[PduEmulator], None]] = {
    "html_login_page": lambda emu: emu.faults.html_response(count=2),
    "truncated_json": lambda emu: emu.faults.truncate_json(count=2),
    "non_utf8": lambda emu: emu.faults.non_utf8(count=2),
    "deep_json": lambda emu: emu.faults.deep_json(count=2),
    "50_mb_body": lambda emu: emu.faults.huge_body(50, count=2),
    "50_mb_garbage": lambda emu: emu.faults.huge_body(50, count=2, garbage=True),
    "gzip_bomb": lambda emu: emu.faults.gzip_bomb(200, count=2),
}


@pytest.mark.parametrize("fault", list(WHOLE_ANSWER_FAULTS))
async def test_malformed_answer_fails_the_poll_cleanly(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, fault: str
) -> None:
    """A malformed answer to a poll (HTML login page, truncated JSON, bytes that are not
    UTF-8, JSON nested 100,000 deep, a 50 MB body, a gzip bomb, no result): the entities are
    unavailable, one error line says why (no traceback), and the next poll shows the device's
    values again."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual"
    )
    assert assert_truthful(hass, emu) > 0

    mark = log_guard.mark()
    WHOLE_ANSWER_FAULTS[fault](emu)
    await refresh(hass, coordinator)
    assert not coordinator.last_update_success
    assert set(shown_values(hass, emu).values()) == {STATE_UNAVAILABLE}
    await refresh(hass, coordinator)  # the second bad answer: still one line
    assert len(log_guard.errors(mark)) == 1, log_guard.problems(mark)
    assert "Unexpected error" not in log_guard.errors(mark)[0]

    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert entry.state is ConfigEntryState.LOADED


# Faults of a bulk's composition: the responses do not match the requests.
BULK_FAULTS: dict[str, Callable[[PduEmulator], None]] = {
    "one_response_missing": lambda emu: emu.faults.bulk_response_count(-1),
    "one_response_extra": lambda emu: emu.faults.bulk_response_count(+1),
    "three_responses_missing": lambda emu: emu.faults.bulk_response_count(-3),
    "ids_never_requested": lambda emu: emu.faults.bulk_wrong_ids(),
    "ids_of_the_neighbours": lambda emu: emu.faults.bulk_wrong_ids(swap=True),
}


@pytest.mark.parametrize("fault", list(BULK_FAULTS))
async def test_bulk_answer_that_does_not_match_never_shows_wrong_values(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, fault: str
) -> None:
    """A bulk answer with fewer or more responses than requests, or with ids it was not asked
    for: no reading lands on another entity; what cannot be placed is unavailable or read
    again, and the next poll is complete."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, clock="manual"
    )
    for u, unit in enumerate(emu.units):  # distinct loads on every outlet
        for i, outlet in enumerate(unit.outlets):
            outlet.base_power = 100.0 * (u + 1) + 7 * i + 1
    await refresh(hass, coordinator)
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))

    BULK_FAULTS[fault](emu)
    await refresh(hass, coordinator)
    assert_truthful(hass, emu)
    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert not [line for line in log_guard.problems() if "Unexpected" in line]


def _bad_reading(value: Any) -> Callable[[PduEmulator, Any], None]:
    return lambda emu, sensor: emu.faults.bad_reading(sensor, value=value, count=None)


READING_FAULTS: dict[str, Callable[[PduEmulator, Any], None]] = {
    **{value: _bad_reading(value) for value in ("nan", "inf", "-inf", "1e400", "huge_int")},
    "a_string": _bad_reading("230.5"),
    "null": _bad_reading(None),
    "reading_not_an_object": lambda emu, sensor: emu.faults.wrong_type(
        sensor, method="getReading", path="result._ret_", value=[1, 2]
    ),
    "no_result": lambda emu, sensor: emu.faults.missing_field(
        sensor, method="getReading", path="result"
    ),
    "no_value": lambda emu, sensor: emu.faults.missing_field(
        sensor, method="getReading", path="result._ret_.value"
    ),
}


@pytest.mark.parametrize("fault", list(READING_FAULTS))
async def test_bad_reading_costs_that_entity_only(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, fault: str
) -> None:
    """A reading the device says is valid but no number can hold (NaN, ±Infinity, 1e400, a
    310-digit integer), a string or null where a number is due, a reading that is no object
    or has no value: that entity shows no value (never "nan", "inf" or a number), every
    other entity goes on, and the next good reading is shown."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual"
    )
    entities = power_entities(hass, emu)
    target = next(e for e, (_u, i) in entities.items() if i == 0)
    sensor = emu.unit(0).outlet(0).sensors["activePower"]

    READING_FAULTS[fault](emu, sensor)
    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert hass.states.get(target).state in (STATE_UNKNOWN, STATE_UNAVAILABLE)
    others = [e for e in entities if e != target]
    assert all(hass.states.get(e).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE) for e in others)
    assert_truthful(hass, emu)

    emu.faults.clear()
    await refresh(hass, coordinator)
    assert assert_truthful(hass, emu) == len(entities)
    assert not log_guard.errors()


async def test_unknown_enum_values_are_never_definite_states(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """Unknown enum ints on the wire (``faults.unknown_enum``): an outlet's power state 2, a
    breaker trip 7, a door 9: shown as unknown, and the known value again afterwards."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, peripherals=5, clock="manual"
    )
    unit = emu.unit(0)
    registry = er.async_get(hass)
    outlet = registry.async_get_entity_id("switch", DOMAIN, f"{unit.serial}_outlet_1_switch")
    trip = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{unit.serial}_ocp_1_tripped")
    assert outlet is not None
    assert trip is not None
    before = {e: hass.states.get(e).state for e in (outlet, trip)}

    emu.faults.unknown_enum(unit.outlet(0), 2)
    emu.faults.unknown_enum(unit.ocp(0).sensors["trip"], 7)
    await refresh(hass, coordinator)
    assert hass.states.get(outlet).state == STATE_UNKNOWN
    assert hass.states.get(trip).state == STATE_UNKNOWN

    emu.faults.clear()
    await refresh(hass, coordinator)
    assert {e: hass.states.get(e).state for e in (outlet, trip)} == before


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda emu: emu.faults.peripheral_position(0), id="position_not_a_list"),
        pytest.param(
            lambda emu: emu.faults.sensor_metadata(emu.unit(0).peripheral(0).sensor),
            id="range_above_1e308",
        ),
        pytest.param(
            lambda emu: emu.faults.wrong_type(
                method="getMetaData", path="result._ret_.label", value={"x": [1]}
            ),
            id="label_an_object",
        ),
        pytest.param(
            lambda emu: emu.faults.wrong_type(
                emu.unit(0).outlet(2), method="getSettings", path="result._ret_", value=7
            ),
            id="outlet_settings_not_an_object",
        ),
    ],
)
async def test_one_malformed_discovery_field_does_not_kill_the_entry(
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
    fault: Callable[[PduEmulator], None],
) -> None:
    """A malformed field while discovering (a peripheral position that is no list, a range
    bound beyond a double, a label that is an object, an outlet's settings that are no object):
    the entry loads, and the outlets are there with their values."""
    emu = await emulator_factory(link_units=0, clock="manual", password=SECRET, noise=False)
    log_guard.watch(emu)
    fault(emu)
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert assert_truthful(hass, emu) == len(emu.unit(0).outlets)
    assert not log_guard.errors()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (lambda emu: emu.faults.deep_json(count=5), "not_xerus"),
        (lambda emu: emu.faults.huge_body(50, count=5), "not_xerus"),
        (lambda emu: emu.faults.gzip_bomb(200, count=5), "not_xerus"),
        (lambda emu: emu.faults.non_utf8(count=5), "not_xerus"),
        (lambda emu: emu.faults.truncate_json(count=5), "not_xerus"),
        (
            lambda emu: emu.faults.wrong_type(
                method="getMetaData", path="result._ret_", value=10**400
            ),
            None,
        ),
    ],
    ids=["deep_json", "50_mb_body", "gzip_bomb", "non_utf8", "truncated", "huge_int_nameplate"],
)
async def test_config_flow_bad_answers_are_a_clear_error(
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
    fault: Callable[[PduEmulator], None],
    error: str | None,
) -> None:
    """Adding a PDU that answers garbage: a translated error above the form, never "Unexpected
    error" (``unknown``) and never a traceback in the log."""
    emulator = await emulator_factory(link_units=0, password=SECRET)
    log_guard.watch(emulator)
    fault(emulator)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "host": f"{emulator.host}:{emulator.port}",
            "ssl": False,
            "username": emulator.config.username,
            "password": emulator.config.password,
            "verify_ssl": True,
        },
    )
    if error is None:  # a nameplate with a huge number is still a PDU
        assert result["type"] in (FlowResultType.CREATE_ENTRY, FlowResultType.FORM)
        if result["type"] is FlowResultType.FORM:
            assert result["errors"]["base"] != "unknown"
        return
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
