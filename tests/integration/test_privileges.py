"""Least privilege (#12): an account that may not switch or configure gets every sensor, no
control it cannot use (but each outlet's on/off state), and one repair issue that says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.diagnostics import REDACTED
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.raritan_pdu.const import DOMAIN, SCAN_INTERVAL
from custom_components.raritan_pdu.diagnostics import async_get_config_entry_diagnostics
from tests.emulator import PduEmulator
from tests.integration.conftest import (
    SECRET,
    LogGuard,
    assert_truthful,
    async_poll,
    async_topology_refresh,
    entity_id,
    entry_data,
    make_config_entry,
    power_entities,
    setup_integration,
)

#: Platforms whose entities are all controls (``button`` also has *Identify*).
CONTROLS = ("switch", "lock", "select", "number")
PASSWORD = "Account-pw-42"


def _domains(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, set[str]]:
    """Unique ids of the entry's registered entities, per platform."""
    found: dict[str, set[str]] = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        found.setdefault(entity.domain, set()).add(entity.unique_id)
    return found


def _issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    return [i for (domain, _), i in ir.async_get(hass).issues.items() if domain == DOMAIN]


async def _setup(
    hass: HomeAssistant, emulator_factory: Any, log_guard: LogGuard, privileges: tuple[str, ...]
) -> tuple[PduEmulator, MockConfigEntry]:
    """A PDU with outlet groups, an actuator and a door lock, and an entry whose account has a
    role with exactly ``privileges``."""
    emu: PduEmulator = await emulator_factory(
        link_units=1,
        outlets=4,
        peripherals=9,
        outlet_groups=1,
        noise=False,
        password=SECRET,
        event_service=False,
        accounts={"homeassistant": (PASSWORD, privileges)},
    )
    log_guard.watch(emu)
    log_guard.add_password("homeassistant", PASSWORD)
    entry = make_config_entry(emu, entry_data(emu, username="homeassistant", password=PASSWORD))
    await setup_integration(hass, entry)
    return emu, entry


async def test_read_only_account_gets_sensors_and_one_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator_factory: Any,
    log_guard: LogGuard,
) -> None:
    """Every sensor polled as usual, no switch, lock, power cycle or setting, one warning
    issue naming the privileges, no warning or error in the log, one request per poll."""
    emu, entry = await _setup(hass, emulator_factory, log_guard, ("ro",))
    domains = _domains(hass, entry)
    assert not any(domains.get(domain) for domain in CONTROLS), domains
    serial = emu.unit(0).serial
    assert domains["button"] == {f"{serial}_unit_identify"}  # viewing is enough for it
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu)) == 8
    assert len(domains["binary_sensor"]) > 5

    (issue,) = _issues(hass)
    assert issue.severity is ir.IssueSeverity.WARNING and not issue.is_fixable
    assert issue.translation_key == "missing_privileges"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["username"] == "homeassistant"
    assert issue.translation_placeholders["privileges"] == (
        "*Switch Outlet*, *Switch Actuator*, "
        "*Change PDU, Inlet, Outlet & Overcurrent Protector Configuration*, "
        "*Change Peripheral Device Configuration*"
    )

    before = emu.stats()["http_requests"]
    for _ in range(3):
        freezer.tick(SCAN_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert emu.stats()["http_requests"] == before + 3
    assert len(_issues(hass)) == 1
    assert log_guard.problems() == []

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    privileges = diagnostics["privileges"]
    assert privileges["known"] is True and privileges["granted"] == ["viewLocalEventLog"]
    assert privileges["missing"][0] == "switchOutlet"
    assert privileges["left_out"]["switch"] > 0
    assert diagnostics["entry"]["data"]["username"] == REDACTED


async def test_switching_without_configuring(
    hass: HomeAssistant, emulator_factory: Any, log_guard: LogGuard
) -> None:
    """An operator may switch outlets and actuators: those controls are there, the settings
    are not, and the issue names only the configuration privileges."""
    emu, entry = await _setup(
        hass, emulator_factory, log_guard, ("switchOutlet:all", "switchActuator")
    )
    domains = _domains(hass, entry)
    serial = emu.unit(0).serial
    assert f"{serial}_outlet_1_switch" in domains["switch"]
    assert f"{serial}_outlet_1_cycle" in domains["button"]
    assert len(domains["lock"]) == 2  # the door lock of each unit
    assert not domains.get("select") and not domains.get("number")
    assert not any(uid.endswith("_non_critical") for uid in domains["switch"])
    (issue,) = _issues(hass)
    assert issue.translation_placeholders is not None
    assert "Switch Outlet" not in issue.translation_placeholders["privileges"]
    assert "Change PDU" in issue.translation_placeholders["privileges"]
    assert log_guard.problems() == []


@pytest.mark.parametrize("config", [{"accounts": {}}, {"auth_interface": False}])
async def test_full_account_or_unknown_privileges_have_every_control(
    hass: HomeAssistant, emulator_factory: Any, config: dict[str, Any]
) -> None:
    """The admin account (adminPrivilege), and an account on firmware that does not tell its
    privileges: every control as before, no issue."""
    emu: PduEmulator = await emulator_factory(
        link_units=0, outlets=2, event_service=False, **config
    )
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    domains = _domains(hass, entry)
    serial = emu.unit(0).serial
    assert f"{serial}_outlet_1_switch" in domains["switch"]
    assert f"{serial}_outlet_1_startup_state" in domains["select"]
    assert domains["number"]
    assert _issues(hass) == []


async def test_privileges_lowered_then_restored_across_reloads(
    hass: HomeAssistant, emulator_factory: Any, log_guard: LogGuard
) -> None:
    """Lowered: the reload (from the stored topology) removes the controls from the registry
    instead of leaving them unavailable, and raises the issue. Restored: the next reload brings
    them back and deletes it."""
    emu, entry = await _setup(hass, emulator_factory, log_guard, ("admin",))
    full = _domains(hass, entry)
    assert full["switch"] and _issues(hass) == []

    emu.accounts.set_privileges("homeassistant", ["ro"])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    lowered = _domains(hass, entry)
    assert not any(lowered.get(domain) for domain in CONTROLS)
    assert lowered["sensor"] == full["sensor"]
    assert len(_issues(hass)) == 1

    emu.accounts.set_privileges("homeassistant", ["admin"])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _domains(hass, entry) == full
    assert _issues(hass) == []
    assert log_guard.errors() == []

    # Unloading takes the issue along; the next setup raises it again if it still applies.
    emu.accounts.set_privileges("homeassistant", ["ro"])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(_issues(hass)) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _issues(hass) == []


async def test_a_rediscovery_finds_privileges_granted_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator_factory: Any,
    log_guard: LogGuard,
) -> None:
    """The privileges granted while the entry runs: the next rediscovery (which reads them
    again) adds the controls and deletes the issue, without a reload."""
    emu, entry = await _setup(hass, emulator_factory, log_guard, ("ro",))
    assert len(_issues(hass)) == 1
    emu.accounts.set_privileges("homeassistant", ["admin"])
    await async_topology_refresh(hass, freezer)
    freezer.tick(timedelta(seconds=1))
    domains = _domains(hass, entry)
    assert f"{emu.unit(0).serial}_outlet_1_switch" in domains["switch"]
    assert domains["lock"]
    assert _issues(hass) == []
    state = hass.states.get(
        er.async_get(hass).async_get_entity_id(
            "switch", DOMAIN, f"{emu.unit(0).serial}_outlet_1_switch"
        )
        or ""
    )
    assert state is not None and state.state == "on"


def _outlet_states(hass: HomeAssistant, emu: PduEmulator, domain: str) -> dict[str, str | None]:
    """The state of every outlet's entity of ``domain`` (its switch or its on/off binary
    sensor), by unique id; ``None``: there is none."""
    key = "switch" if domain == "switch" else "power_state"
    registry = er.async_get(hass)
    found: dict[str, str | None] = {}
    for unit in emu.units:
        for i in range(len(unit.outlets)):
            unique_id = f"{unit.serial}_outlet_{i + 1}_{key}"
            entity_id = registry.async_get_entity_id(domain, DOMAIN, unique_id)
            state = hass.states.get(entity_id) if entity_id else None
            found[unique_id] = None if state is None else state.state
    return found


def _device_states(emu: PduEmulator) -> list[str]:
    return ["on" if o.power_state else "off" for unit in emu.units for o in unit.outlets]


async def test_read_only_account_sees_each_outlet_on_or_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator_factory: Any,
    log_guard: LogGuard,
) -> None:
    """Without *Switch Outlet*, each outlet has a binary sensor instead of its switch: named
    like the outlet, on/off as the PDU says, with the switch's attributes, following a change
    made at the PDU with the next poll."""
    emu, _ = await _setup(hass, emulator_factory, log_guard, ("ro",))
    emu.unit(0).outlet(1).power_state = 0
    await async_poll(hass, freezer)
    shown = _outlet_states(hass, emu, "binary_sensor")
    assert list(shown.values()) == _device_states(emu)
    assert set(_outlet_states(hass, emu, "switch").values()) == {None}
    assert "off" in shown.values() and "on" in shown.values()

    serial = emu.units[1].serial
    sensor = entity_id(hass, "binary_sensor", f"{serial}_outlet_3_power_state")
    state = hass.states.get(sensor)
    assert state is not None and state.state == "on"
    assert state.attributes[ATTR_DEVICE_CLASS] == BinarySensorDeviceClass.POWER
    assert state.attributes[ATTR_FRIENDLY_NAME].endswith("Outlet 3")
    assert state.attributes["cycle_in_progress"] is False

    emu.units[1].outlet(2).power_state = 0
    await async_poll(hass, freezer)
    assert hass.states.get(sensor).state == "off"
    assert list(_outlet_states(hass, emu, "binary_sensor").values()) == _device_states(emu)
    assert log_guard.problems() == []


@pytest.mark.parametrize(
    ("privileges", "domain"), [(("ro",), "binary_sensor"), (("switchOutlet:all",), "switch")]
)
async def test_outlet_states_cost_the_same_with_or_without_switches(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    emulator_factory: Any,
    log_guard: LogGuard,
    privileges: tuple[str, ...],
    domain: str,
) -> None:
    """Each outlet's state is read once per poll, by its switch or (read-only) by its binary
    sensor, never both: a poll stays one request. An account that may switch has no such
    binary sensor."""
    emu, _ = await _setup(hass, emulator_factory, log_guard, privileges)
    other = "switch" if domain == "binary_sensor" else "binary_sensor"
    assert list(_outlet_states(hass, emu, domain).values()) == _device_states(emu)
    assert set(_outlet_states(hass, emu, other).values()) == {None}

    emu.reset_stats()
    await async_poll(hass, freezer)
    stats = emu.stats()
    assert stats["http_requests"] == 1
    outlets = sum(len(unit.outlets) for unit in emu.units)
    assert stats["methods"]["pdumodel.Outlet.getState"] == outlets
