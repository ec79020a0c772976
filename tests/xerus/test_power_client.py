"""The library's power features against the emulator: groups in discovery and polls, the
multi-outlet, group, load-shedding, sequence and settings commands (one request each)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import (
    OutletSettings,
    PowerState,
    ReadingPlan,
    ReadTarget,
    Topology,
    UnitPowerSettings,
    XerusDeviceError,
)
from custom_components.raritan_pdu.xerus.const import OutletStartupState

from .conftest import ClientFactory

FIRMWARES = ["3.6", "4.4"]


def _requests(emu: Any) -> int:
    return int(emu.stats()["http_requests"])


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_groups_discovered_in_the_same_rounds(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    """Groups (members on the primary and a link unit) cost no round trip of their own."""
    emu = await emulator_factory(firmware=firmware, link_units=1, outlets=4, outlet_groups=2)
    client = client_factory(emu, use_session_token=False)
    topology = await client.discover()
    assert _requests(emu) == 3
    groups = topology.primary.groups
    assert [g.name for g in groups] == ["Group 1", "Group 2"]
    members = [(m.pdu_id, m.index) for m in groups[0].members]
    assert members == [(0, 0), (2, 0)]
    expected = {"activePower", "activeEnergy"}
    if firmware == "4.4":
        expected |= {"apparentPower", "apparentEnergy"}
    assert set(groups[0].sensors) == expected
    assert groups[0].unique_id == emu.outlet_groups[0].unique_id
    assert Topology.from_json(topology.to_json()) == topology


async def test_group_power_and_unit_reads_in_one_poll(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(link_units=1, outlets=4, outlet_groups=1)
    client = client_factory(emu)
    topology = await client.discover()
    group = topology.primary.groups[0]
    before = _requests(emu)
    readings = await client.poll(ReadingPlan.for_topology(topology))
    assert _requests(emu) == before + 1
    power = readings.numeric[group.sensors["activePower"].rid].value
    members = [topology.primary.outlets[0], topology.link_units[2].outlets[0]]
    summed = sum(readings.numeric[o.sensors["activePower"].rid].value or 0 for o in members)
    assert power == pytest.approx(summed, rel=0.05, abs=2)
    assert power > 0
    primary = topology.primary
    assert readings.states[ReadTarget.load_shedding(primary).rid].value == 0
    assert readings.sequences[ReadTarget.sequence(primary).rid].running is False


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_set_outlets_across_units_is_one_request(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(firmware=firmware, link_units=1, outlets=4)
    client = client_factory(emu)
    topology = await client.discover()
    link = topology.link_units[2]
    outlets = [topology.primary.outlets[1], link.outlets[2]]
    before = _requests(emu)
    states = await client.set_outlets(outlets, "off")
    assert _requests(emu) == before + 1
    assert emu.unit(0).outlet(1).power_state == 0
    assert emu.unit(2).outlet(2).power_state == 0
    assert emu.unit(0).outlet(0).power_state == 1
    assert {s.power_state for s in states.values()} == {PowerState.OFF}
    states = await client.set_outlets(outlets, "cycle", respect_sequence=False)
    assert all(s.cycle_in_progress for s in states.values())


async def test_all_outlets_group_and_sequence(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, clock="manual", outlet_groups=1)
    emu.unit(0).inrush_guard_delay = 1000
    client = client_factory(emu)
    topology = await client.discover()
    unit = topology.primary
    await client.set_all_outlets(unit, "off")
    assert all(emu.unit(0).outlet(i).power_state == 0 for i in range(4))
    states = await client.set_all_outlets(unit, "on")
    pending = [s for s in states.values() if s.switch_on_in_progress]
    assert len(pending) == 3  # the first at once, then one per guard delay
    sequence, states = await client.cancel_sequence(unit)
    assert sequence.running is False
    assert [emu.unit(0).outlet(i).power_state for i in range(4)] == [1, 0, 0, 0]
    group = unit.groups[0]
    members = [unit.outlets[m.index] for m in group.members if m.index is not None]
    states = await client.set_group(group, "off", members)
    assert emu.unit(0).outlet(0).power_state == 0
    assert states[members[0].rid].power_state == PowerState.OFF


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_load_shedding(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(firmware=firmware, outlets=3)
    emu.unit(0).outlet(2).non_critical = True
    client = client_factory(emu)
    unit = (await client.discover()).primary
    mode, states = await client.set_load_shedding(unit, True)
    assert mode.value == 1
    assert states[unit.outlets[2].rid].is_load_shed
    assert states[unit.outlets[2].rid].power_state == PowerState.OFF
    mode, states = await client.set_load_shedding(unit, False)
    assert mode.value == 0
    assert not states[unit.outlets[2].rid].is_load_shed


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_settings_read_modify_write(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(firmware=firmware, outlets=2)
    client = client_factory(emu)
    unit = (await client.discover()).primary
    outlet = unit.outlets[0]
    before = _requests(emu)
    settings = await client.set_outlet_settings(outlet, {"startupState": 1, "cycleDelay": 7})
    assert _requests(emu) == before + 1
    assert settings.startup_state == OutletStartupState.OFF
    assert settings.cycle_delay == 7
    assert emu.unit(0).outlet(0).cycle_delay == 7
    power = await client.set_unit_settings(unit, {"inRushGuardDelay": 500})
    assert power.in_rush_guard_delay == 500
    assert emu.unit(0).inrush_guard_delay == 500
    with pytest.raises(XerusDeviceError):
        await client.set_unit_settings(unit, {"cycleDelay": 99999})


async def test_cycle_with_own_off_time(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """The off time holds for this cycle only: the outlet's settings are as before."""
    emu = await emulator_factory(outlets=2, clock="manual")
    client = client_factory(emu)
    outlet = (await client.discover()).primary.outlets[0]
    state = await client.cycle_outlet_for(outlet, 3)
    assert state.cycle_in_progress
    emu.advance(2)
    assert emu.unit(0).outlet(0).power_state == 0
    emu.advance(1.5)
    assert emu.unit(0).outlet(0).power_state == 1
    assert emu.unit(0).outlet(0).use_pdu_cycle_delay is True
    with pytest.raises(XerusDeviceError):
        await client.cycle_outlet_for(outlet, 99999)


async def test_settings_not_read_at_discovery_are_read_first(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """A topology stored by an older version has no settings struct: it is read first (one more
    request), never written half."""
    emu = await emulator_factory(outlets=2, clock="manual")
    client = client_factory(emu)
    unit = (await client.discover()).primary
    outlet = replace(unit.outlets[0], settings=OutletSettings())
    settings = await client.set_outlet_settings(outlet, {"sequenceDelay": 1500})
    assert settings.sequence_delay == 1500
    assert settings.startup_state == OutletStartupState.PDU_DEFINED
    power = await client.set_unit_settings(replace(unit, power_settings=UnitPowerSettings()), {})
    assert power.cycle_delay == emu.unit(0).cycle_delay
    state = await client.cycle_outlet_for(outlet, 1)
    assert state.cycle_in_progress
    assert emu.unit(0).outlet(0).sequence_delay == 1500


async def test_a_failed_confirming_read_gives_the_implied_state(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    unit = (await client.discover()).primary
    emu.faults.fail_call(method="getState", count=2)
    states = await client.set_outlets(unit.outlets, "off")
    assert all(s.power_state == PowerState.OFF for s in states.values())
    assert emu.unit(0).outlet(0).power_state == 0
