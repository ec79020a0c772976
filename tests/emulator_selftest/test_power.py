"""The PDU's power features in emulated time: switching sequences, load shedding, power settings
(persistence, validation) and the emulated power loss with startup states."""

from __future__ import annotations

import aiohttp
import pytest

from .conftest import RawFactory

PDU = "/model/pdu/0"


async def _set_outlet(raw, idx: int, **changes) -> None:
    rid = f"{PDU}/outlet/{idx}"
    settings = await raw.ret(rid, "getSettings")
    settings.update(changes)
    assert await raw.ret(rid, "setSettings", {"settings": settings}) == 0


def _states(emu, unit: int = 0) -> list[int]:
    return [o.power_state for o in emu.unit(unit).outlets]


async def test_sequence_waits_for_guard_or_the_outlets_sequence_delay(
    emulator_factory, raw_client: RawFactory
):
    """After each outlet the next waits max(inRushGuardDelay, that outlet's sequenceDelay)."""
    emu = await emulator_factory(outlets=4, clock="manual")
    raw = await raw_client(emu)
    await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 0})
    await _set_outlet(raw, 0, sequenceDelay=1000)  # 1 s after outlet 1 (index 0)
    await _set_outlet(raw, 3, sequenceDelay=50)  # shorter than the guard: the guard wins
    settings = {"inRushGuardDelay": 200, "outletPowerStateSequence": [2, 0, 3, 1]}
    assert await raw.ret(PDU, "setSettings", {"settings": settings}) == 0
    start = int(emu.clock.time())
    assert await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 1}) == 0
    # due: outlet 2 at 0 s, 0 at 0.2 s, 3 at 1.2 s (0.2 + 1.0), 1 at 1.4 s (1.2 + 0.2)
    assert _states(emu) == [0, 0, 1, 0]
    seq = await raw.ret(PDU, "getOutletSequenceState")
    assert seq == {
        "sequenceRunning": True,
        "nextOutletToSwitch": 0,
        "timeUntilNextSwitch": 200,
        "outletsRemaining": 3,
        "cancelableOutletsRemaining": 3,
    }
    emu.advance(0.2)
    assert _states(emu) == [1, 0, 1, 0]
    emu.advance(0.999)
    assert _states(emu) == [1, 0, 1, 0]
    seq = await raw.ret(PDU, "getOutletSequenceState")
    assert (seq["nextOutletToSwitch"], seq["timeUntilNextSwitch"]) == (3, 1)
    emu.advance(0.001)
    assert _states(emu) == [1, 0, 1, 1]
    emu.advance(0.2)
    assert _states(emu) == [1, 1, 1, 1]
    seq = await raw.ret(PDU, "getOutletSequenceState")
    assert seq["sequenceRunning"] is False
    assert seq["outletsRemaining"] == seq["cancelableOutletsRemaining"] == 0
    assert emu.unit(0).outlet(1).last_power_state_change == start + 1  # at 1.4 s
    # outlets already on use no slot: switching all on again does nothing
    assert await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 1}) == 0
    assert (await raw.ret(PDU, "getOutletSequenceState"))["sequenceRunning"] is False


async def test_respect_sequence_false_uses_index_order_with_the_guard(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=4, clock="manual")
    raw = await raw_client(emu)
    await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 0})
    settings = {"inRushGuardDelay": 500, "outletPowerStateSequence": [3, 2, 1, 0]}
    assert await raw.ret(PDU, "setSettings", {"settings": settings}) == 0
    params = {"outletNumbers": [3, 1, 2], "state": 1, "respectSequence": False}
    assert await raw.ret(PDU, "setMultipleOutletPowerStates", params) == 0
    assert _states(emu) == [0, 1, 0, 0]  # index order: 1, 2, 3
    emu.advance(0.5)
    assert _states(emu) == [0, 1, 1, 0]
    emu.advance(0.5)
    assert _states(emu) == [0, 1, 1, 1]
    # respectSequence=true: the configured order 3, 2, 1, 0
    await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 0})
    params = {"outletNumbers": [0, 1, 2, 3], "state": 1, "respectSequence": True}
    assert await raw.ret(PDU, "setMultipleOutletPowerStates", params) == 0
    assert _states(emu) == [0, 0, 0, 1]
    emu.advance(1.0)
    assert _states(emu) == [0, 1, 1, 1]
    # switching off acts at once, also on outlets still waiting in the sequence
    params = {"outletNumbers": [0, 1], "state": 0, "respectSequence": True}
    assert await raw.ret(PDU, "setMultipleOutletPowerStates", params) == 0
    emu.advance(5)
    assert _states(emu) == [0, 0, 1, 1]


async def test_cycles_come_back_in_sequence_and_cannot_be_canceled(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=3, cycle_delay=2, clock="manual")
    raw = await raw_client(emu)
    await _set_outlet(raw, 1, usePduCycleDelay=False, cycleDelay=5)
    settings = {"inRushGuardDelay": 1000, "outletPowerStateSequence": [2, 1, 0]}
    assert await raw.ret(PDU, "setSettings", {"settings": settings}) == 0
    assert await raw.ret(PDU, "cycleAllOutletPowerStates") == 0
    assert _states(emu) == [0, 0, 0]
    states = [await raw.ret(f"/model/outlet/{i}", "getState") for i in range(3)]
    assert all(s["cycleInProgress"] for s in states)
    # order 2, 1, 0: outlet 2 after its 2 s, outlet 1 after its own 5 s, outlet 0 one guard later
    seq = await raw.ret(PDU, "getOutletSequenceState")
    assert (seq["nextOutletToSwitch"], seq["timeUntilNextSwitch"]) == (2, 2000)
    assert (seq["outletsRemaining"], seq["cancelableOutletsRemaining"]) == (3, 0)
    assert await raw.result(PDU, "cancelOutletSequence") is None  # cycles are not cancelable
    emu.advance(2)
    assert _states(emu) == [0, 0, 1]
    emu.advance(2.999)
    assert _states(emu) == [0, 0, 1]
    emu.advance(0.001)
    assert _states(emu) == [0, 1, 1]
    emu.advance(1)
    assert _states(emu) == [1, 1, 1]
    assert not any(o.cycle_in_progress for o in emu.unit(0).outlets)
    # cycleMultiple with respectSequence=false: index order
    params = {"outletNumbers": [0, 2], "respectSequence": False}
    assert await raw.ret(PDU, "cycleMultipleOutletPowerStates", params) == 0
    emu.advance(2)
    assert _states(emu) == [1, 1, 0]  # outlet 0 first, outlet 2 one guard (1 s) later
    emu.advance(1)
    assert _states(emu) == [1, 1, 1]


async def test_cancel_leaves_the_rest_of_a_sequence_off(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=4, clock="manual")
    raw = await raw_client(emu)
    await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 0})
    assert await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 1}) == 0
    emu.advance(0.2)
    assert _states(emu) == [1, 1, 0, 0]
    assert await raw.result(PDU, "cancelOutletSequence") is None
    states = [await raw.ret(f"/model/outlet/{i}", "getState") for i in range(4)]
    assert [s["switchOnInProgress"] for s in states] == [False] * 4
    emu.advance(10)
    assert _states(emu) == [1, 1, 0, 0]


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_load_shedding(emulator_factory, raw_client: RawFactory, firmware: str):
    """Non-critical outlets switch off; switching a shed outlet on: 3.6 answers 2
    (ERR_LOAD_SHEDDING_ACTIVE), 4.4 (code deprecated) answers 0 and switches it on when load
    shedding ends. Leaving load shedding restores in sequence."""
    emu = await emulator_factory(outlets=4, firmware=firmware, clock="manual")
    raw = await raw_client(emu)
    for idx in (1, 2, 3):
        await _set_outlet(raw, idx, nonCritical=True)
    emu.unit(0).outlet(3).power_state = 0
    assert await raw.ret(PDU, "isLoadSheddingActive") is False
    assert await raw.result(PDU, "setLoadSheddingActive", {"active": True}) is None
    assert await raw.ret(PDU, "isLoadSheddingActive") is True
    states = [await raw.ret(f"/model/outlet/{i}", "getState") for i in range(4)]
    assert [(s["powerState"], s["isLoadShed"]) for s in states] == [
        (1, False),
        (0, True),
        (0, True),
        (0, True),
    ]
    assert await raw.reading("/model/outlet/1/activePower") == 0.0
    expected = 2 if firmware == "3.6" else 0
    assert await raw.ret("/model/outlet/3", "setPowerState", {"pstate": 1}) == expected
    assert await raw.ret("/model/outlet/3", "cyclePowerState") == expected
    assert await raw.ret(PDU, "setAllOutletPowerStates", {"pstate": 1}) == 0
    assert _states(emu) == [1, 0, 0, 0]  # nothing shed came on
    assert await raw.ret("/model/outlet/2", "setPowerState", {"pstate": 0}) == 0  # stays off
    # a non-critical outlet that becomes critical comes back at once
    await _set_outlet(raw, 1, nonCritical=False)
    state = await raw.ret("/model/outlet/1", "getState")
    assert (state["powerState"], state["isLoadShed"]) == (1, False)
    await _set_outlet(raw, 1, nonCritical=True)  # and is shed again
    assert _states(emu) == [1, 0, 0, 0]
    assert await raw.result(PDU, "setLoadSheddingActive", {"active": False}) is None
    states = [await raw.ret(f"/model/outlet/{i}", "getState") for i in range(4)]
    assert not any(s["isLoadShed"] for s in states)
    # outlet 1 was on before (restored); 2 was switched off last; 3 was off before and only 4.4
    # remembered the switch-on commands. Several outlets: in sequence.
    if firmware == "3.6":
        assert _states(emu) == [1, 1, 0, 0]
    else:
        assert _states(emu) == [1, 1, 0, 0]
        assert states[3]["switchOnInProgress"] is True
        emu.advance(0.2)
        assert _states(emu) == [1, 1, 0, 1]


async def test_pdu_settings_persist_and_are_validated(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3, clock="manual")
    raw = await raw_client(emu)
    changes = {
        "startupState": 1,
        "cycleDelay": 7,
        "inRushGuardDelay": 1500,
        "outletPowerStateSequence": [2, 0, 1],
        "powerOnDelay": 12,
        "energyPulsesPerKWh": 500,
        "suspendTripCauseOutlets": True,
        "inletWiring": 1,
    }
    assert await raw.ret(PDU, "setSettings", {"settings": changes}) == 0
    emu.faults.reboot()
    settings = await raw.ret(PDU, "getSettings")
    assert {k: settings[k] for k in changes} == changes
    unit = emu.unit(0)
    assert (unit.startup_state, unit.power_on_delay, unit.cycle_delay) == (1, 12, 7)
    bad_values = {
        "startupState": 3,  # Pdu.StartupState has no SS_PDUDEF
        "cycleDelay": 3601,
        "inRushGuardDelay": 99,
        "outletPowerStateSequence": [0, 0],
        "powerOnDelay": -1,
        "latchingRelays": True,  # hasLatchingOutletRelays is false
        "energyPulseEnabled": True,  # isEnergyPulseSupported is false
        "inletWiring": 4,
    }
    for key, value in bad_values.items():
        assert await raw.ret(PDU, "setSettings", {"settings": {key: value}}) == 1, key
    assert (await raw.ret(PDU, "getSettings")) == settings  # nothing changed
    seq = {"outletPowerStateSequence": [3]}
    assert await raw.ret(PDU, "setSettings", {"settings": seq}) == 1
    for key, value in {"cycleDelay": "7", "powerOnDelay": True, "name": 5}.items():
        _, payload = await raw.call(PDU, "setSettings", {"settings": {key: value}})
        assert payload["error"]["code"] == -32602, key


async def test_outlet_settings_persist_and_are_validated(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, firmware="3.6")
    raw = await raw_client(emu)
    await _set_outlet(raw, 1, startupState=1, sequenceDelay=2500, cycleDelay=30, name="nas")
    emu.faults.reboot()
    settings = await raw.ret("/model/outlet/1", "getSettings")
    assert settings == {
        "name": "nas",
        "startupState": 1,
        "usePduCycleDelay": True,
        "cycleDelay": 30,
        "nonCritical": False,
        "sequenceDelay": 2500,
    }
    for key, value in {"startupState": 4, "cycleDelay": -1, "sequenceDelay": 3600001}.items():
        bad = {**settings, key: value}
        assert await raw.ret("/model/outlet/1", "setSettings", {"settings": bad}) == 1, key
    _, payload = await raw.call(
        "/model/outlet/1", "setSettings", {"settings": {**settings, "nonCritical": 1}}
    )
    assert payload["error"]["code"] == -32602
    assert await raw.ret("/model/outlet/1", "getSettings") == settings
    # 3.6: Pdu.setSettings is not sparse, the complete struct validates the same way
    pdu = await raw.ret(PDU, "getSettings")
    assert await raw.ret(PDU, "setSettings", {"settings": {**pdu, "powerOnDelay": 5}}) == 0
    assert await raw.ret(PDU, "setSettings", {"settings": {**pdu, "startupState": 3}}) == 1
    assert emu.unit(0).power_on_delay == 5


async def test_power_loss_and_startup_states(emulator_factory, raw_client: RawFactory):
    """All units lose power: nothing answers, relays drop, energy stops growing; power back: cold
    boot (new opaque RIDs, no sessions), then after powerOnDelay the outlets come on by their
    startup state, one after the other."""
    emu = await emulator_factory(outlets=6, link_units=1, clock="manual", noise=False)
    raw = await raw_client(emu)
    primary = emu.unit(0)
    for o in primary.outlets:
        o.base_power = 100.0
    # outlet: 0 on / 1 off / 2 last known (on) / 3 last known (off) / 4 PDU default / 5 PDU default
    for idx, state in enumerate([0, 1, 2, 2, 3, 3]):
        await _set_outlet(raw, idx, startupState=state)
    primary.outlet(3).power_state = 0
    primary.outlet(1).power_state = 1
    assert (await raw.ret(PDU, "getSettings"))["startupState"] == 2  # default: last known
    await raw.ret(PDU, "setSettings", {"settings": {"startupState": 0, "powerOnDelay": 3}})
    token = (await raw.result("/session", "newSession"))["token"]
    old_rid = (await raw.ret(PDU, "getOutlets"))[0]["rid"]
    energy = await raw.reading("/model/outlet/0/activeEnergy")
    link_energy = emu.unit(2).outlet(0).energy_wh

    emu.faults.power_loss(60)
    assert emu.power.down is True
    with pytest.raises(aiohttp.ClientError):
        await raw.call(PDU, "getMetaData")
    assert _states(emu) == [0] * 6 and _states(emu, 2) == [0] * len(emu.unit(2).outlets)
    assert primary.outlet(0).active_power() == 0.0
    emu.advance(59)
    assert emu.power.down is True
    emu.advance(1)
    assert emu.power.down is False
    # cold boot: sessions gone, opaque RIDs new, energy kept and did not grow during the outage
    status, _ = await raw.call(PDU, "getMetaData", headers={"X-SessionToken": token})
    assert status == 401
    assert (await raw.call(old_rid, "getState"))[0] == 404
    assert await raw.reading("/model/outlet/0/activeEnergy") == pytest.approx(energy)
    assert emu.unit(2).outlet(0).energy_wh == pytest.approx(link_energy)
    # powerOnDelay 3 s: everything still off, the outlets to come on wait in a sequence
    assert _states(emu) == [0] * 6
    seq = await raw.ret(PDU, "getOutletSequenceState")
    assert (seq["outletsRemaining"], seq["timeUntilNextSwitch"]) == (4, 3000)
    assert seq["nextOutletToSwitch"] == 0
    emu.advance(3)
    assert _states(emu) == [1, 0, 0, 0, 0, 0]
    emu.advance(0.2 * 3)
    # on: 0 (SS_ON), 2 (last known on), 4 and 5 (PDU default = SS_ON); off: 1, 3
    assert _states(emu) == [1, 0, 1, 0, 1, 1]
    assert await raw.reading("/model/outlet/0/activePower") == 100.0
    # the link unit's outlets: SS_PDUDEF with its own default (last known = on)
    assert _states(emu, 2) == [1] * len(emu.unit(2).outlets)


async def test_power_loss_of_a_link_unit(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=2, outlet_groups=1, clock="manual")
    raw = await raw_client(emu)
    link = emu.unit(3)
    link.outlet(1).power_state = 0
    emu.faults.power_loss(10, units=[3])
    status = await raw.ret("/cascade", "getStatus")
    assert {lu["key"]: lu["value"]["status"] for lu in status["linkUnits"]} == {2: 1, 3: 2}
    assert (await raw.call("/model/pdu/3", "getMetaData"))[0] == 503
    assert (await raw.call("/model/pdu/2", "getMetaData"))[0] == 200
    assert link.inlet_enabled is False  # no supply
    emu.faults.clear()  # a power loss is an event, not a pending fault: clear() does not end it
    assert (await raw.call("/model/pdu/3/outlet/0", "getState"))[0] == 503
    emu.advance(10)
    status = await raw.ret("/cascade", "getStatus")
    assert [lu["value"]["status"] for lu in status["linkUnits"]] == [1, 1]
    assert link.inlet_enabled is True
    assert _states(emu, 3) == [1, 0]  # last known
    # without a duration the power stays off until restored
    emu.faults.power_loss(None, units=[2])
    emu.advance(3600)
    assert (await raw.call("/model/pdu/2", "getMetaData"))[0] == 503
    # group 1 has outlet 1 of unit 2: its readings are unavailable meanwhile
    reading = await raw.ret("/model/outletgroup/1/activePower", "getReading")
    assert (reading["available"], reading["valid"]) == (False, False)
    emu.power.restore()
    assert (await raw.call("/model/pdu/2", "getMetaData"))[0] == 200
    assert (await raw.ret("/model/outletgroup/1/activePower", "getReading"))["valid"] is True
    assert emu.power.losses == 2


async def test_readonly_users_cannot_run_power_commands(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, readonly_users={"viewer": "v"})
    raw = await raw_client(emu)
    viewer = aiohttp.BasicAuth("viewer", "v")
    for method, params in (
        ("cancelOutletSequence", {}),
        ("setLoadSheddingActive", {"active": True}),
        ("setSettings", {"settings": {"powerOnDelay": 5}}),
    ):
        _, payload = await raw.call(PDU, method, params, auth=viewer)
        assert payload["error"]["code"] == -32001, method
    assert (await raw.ret(PDU, "getOutletSequenceState", auth=viewer))["sequenceRunning"] is False
