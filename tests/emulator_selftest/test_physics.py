"""Device model: readings consistency, switching side effects, energy, cycling, return codes."""

from __future__ import annotations

import math

import pytest

from .conftest import RawFactory


async def _outlet_values(raw, idx: int, pdu: int = 0) -> dict[str, float]:
    base = f"/model/pdu/{pdu}/outlet/{idx}"
    names = [
        "voltage",
        "current",
        "activePower",
        "apparentPower",
        "reactivePower",
        "powerFactor",
        "activeEnergy",
        "lineFrequency",
    ]
    status, payload = await raw.bulk([(f"{base}/{n}", "getReading", None) for n in names])
    assert status == 200
    values = {}
    for name, resp in zip(names, payload["result"]["responses"], strict=True):
        reading = resp["json"]["result"]["_ret_"]
        assert reading["available"] and reading["valid"]
        values[name] = reading["value"]
    return values


async def test_readings_are_internally_consistent(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, seed=3)
    raw = await raw_client(emu)
    loaded = 0
    for idx in range(8):
        v = await _outlet_values(raw, idx)
        assert 225 < v["voltage"] < 235
        assert 49.9 < v["lineFrequency"] < 50.1
        if v["activePower"] > 0:
            loaded += 1
            assert 0.85 <= v["powerFactor"] <= 0.99
            assert v["current"] == pytest.approx(
                v["activePower"] / (v["voltage"] * v["powerFactor"]), rel=1e-9
            )
            assert v["apparentPower"] == pytest.approx(v["voltage"] * v["current"], rel=1e-9)
            assert v["reactivePower"] == pytest.approx(
                math.sqrt(v["apparentPower"] ** 2 - v["activePower"] ** 2), rel=1e-6
            )
        else:
            assert v["current"] == 0.0
    assert 2 <= loaded < 8  # some outlets idle, some loaded


async def test_inlet_sums_outlets_and_unit_totals_sum_inlets(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=6, peripherals=0)
    raw = await raw_client(emu)
    calls = [(f"/model/outlet/{i}/activePower", "getReading", None) for i in range(6)]
    calls += [(f"/model/outlet/{i}/current", "getReading", None) for i in range(6)]
    calls += [
        ("/model/inlet/0/activePower", "getReading", None),
        ("/model/inlet/0/current", "getReading", None),
        ("/model/inlet/0/activeEnergy", "getReading", None),
    ]
    calls += [(f"/model/outlet/{i}/activeEnergy", "getReading", None) for i in range(6)]
    _, payload = await raw.bulk(calls)  # one request = one sample instant
    vals = [r["json"]["result"]["_ret_"]["value"] for r in payload["result"]["responses"]]
    outlet_p, outlet_i = vals[0:6], vals[6:12]
    inlet_p, inlet_i, inlet_e = vals[12:15]
    outlet_e = vals[15:21]
    assert inlet_p == pytest.approx(sum(outlet_p))
    assert inlet_i == pytest.approx(sum(outlet_i))
    assert inlet_e == pytest.approx(sum(outlet_e), rel=1e-6)
    totals = await raw.ret("/model/pdu/0", "getSensors")
    assert totals["powerSupplyStatus"][0]["type"] == "sensors.StateSensor:4.0.8"
    assert set(totals) == {
        "powerSupplyStatus",
        "activePower",
        "apparentPower",
        "activeEnergy",
        "apparentEnergy",
    }
    _, payload = await raw.bulk(
        [
            (totals["activePower"]["rid"], "getReading", None),
            ("/model/inlet/0/activePower", "getReading", None),
        ]
    )
    total, inlet = (r["json"]["result"]["_ret_"]["value"] for r in payload["result"]["responses"])
    assert total == pytest.approx(inlet)


async def test_three_phase_poles_and_breakers(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=9, inlet_phases=3, peripherals=0)
    raw = await raw_client(emu)
    poles = await raw.ret("/model/inlet/0", "getPoles")
    assert [(p["line"], p["nodeId"]) for p in poles] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    neutral = poles[3]
    assert neutral["current"] is not None
    assert neutral["voltage"] is None and neutral["voltageLN"] is None
    ll = await raw.reading(poles[0]["voltage"]["rid"])
    ln = await raw.reading(poles[0]["voltageLN"]["rid"])
    assert 390 < ll < 410
    assert 225 < ln < 235
    meta = await raw.ret("/model/inlet/0", "getMetaData")
    assert meta["plugType"] == "IEC 60309 3P+N+E 6h 32A"
    sensors = await raw.ret("/model/inlet/0", "getSensors")
    assert sensors["unbalancedCurrent"] is not None
    assert sensors["unbalancedVoltage"] is not None
    ocps = await raw.ret("/model/pdu/0", "getOverCurrentProtectors")
    assert len(ocps) == 3
    # breaker current = sum of its outlets' currents; breaker k on line k
    unit = emu.unit(0)
    for k, ocp in enumerate(unit.ocps):
        assert ocp.line == k
        calls = [(f"/model/ocp/{k}/current", "getReading", None)]
        calls += [(f"/model/outlet/{o.index}/current", "getReading", None) for o in ocp.outlets]
        _, payload = await raw.bulk(calls)
        vals = [r["json"]["result"]["_ret_"]["value"] for r in payload["result"]["responses"]]
        assert vals[0] == pytest.approx(sum(vals[1:]))
    # pole current = sum of the line's outlets; inlet power = sum of pole powers
    calls = [(f"/model/pdu/0/inlet/0/pole/{p}/activePower", "getReading", None) for p in range(3)]
    calls.append(("/model/inlet/0/activePower", "getReading", None))
    _, payload = await raw.bulk(calls)
    vals = [r["json"]["result"]["_ret_"]["value"] for r in payload["result"]["responses"]]
    assert vals[3] == pytest.approx(sum(vals[:3]))


async def test_switching_side_effects(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual")
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 300.0
    raw = await raw_client(emu)
    before = await raw.ret("/model/outlet/0", "getState")
    assert before["powerState"] == 1
    assert await raw.reading("/model/outlet/0/activePower") > 250
    emu.advance(42)
    assert await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0}) == 0
    after = await raw.ret("/model/outlet/0", "getState")
    assert after["powerState"] == 0
    assert after["lastPowerStateChange"] == int(emu.clock.time())  # when it was switched
    assert after["lastPowerStateChange"] > before["lastPowerStateChange"]
    assert (await raw.ret("/model/outlet/0/outletState", "getState"))["value"] == 0
    assert await raw.reading("/model/outlet/0/activePower") == 0.0
    assert await raw.reading("/model/outlet/0/current") == 0.0
    assert await raw.reading("/model/outlet/0/voltage") > 200  # supply still present
    assert outlet.power_state == 0
    # model-side switching is visible on the wire
    outlet.power_state = 1
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 1
    # Pdu-wide switching
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}) == 0
    assert [o.power_state for o in emu.unit(0).outlets] == [0, 0]
    assert (
        await raw.ret(
            "/model/pdu/0",
            "setMultipleOutletPowerStates",
            {"outletNumbers": [1], "state": 1, "respectSequence": False},
        )
        == 0
    )
    assert [o.power_state for o in emu.unit(0).outlets] == [0, 1]


async def test_energy_grows_with_power_and_stops_when_off(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1, clock="manual", noise=False)
    emu.unit(0).outlet(0).base_power = 3600.0  # 1 Wh per second
    raw = await raw_client(emu)
    e0 = await raw.reading("/model/outlet/0/activeEnergy")
    emu.advance(90)
    e1 = await raw.reading("/model/outlet/0/activeEnergy")
    assert e1 - e0 == pytest.approx(90.0)
    assert await raw.reading("/model/outlet/0/activeEnergy") == e1  # no time passed
    await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0})
    e2 = await raw.reading("/model/outlet/0/activeEnergy")
    emu.advance(3600)
    e3 = await raw.reading("/model/outlet/0/activeEnergy")
    assert e3 == e2
    inlet_e = await raw.reading("/model/inlet/0/activeEnergy")
    assert inlet_e == pytest.approx(e3)


async def test_cycle_uses_pdu_or_outlet_delay(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, cycle_delay=1, clock="manual")
    raw = await raw_client(emu)
    assert await raw.ret("/model/outlet/0", "cyclePowerState") == 0
    state = await raw.ret("/model/outlet/0", "getState")
    assert state["cycleInProgress"] is True
    assert state["powerState"] == 0
    assert await raw.reading("/model/outlet/0/activePower") == 0.0
    # outlet 1: own cycleDelay (3 s) because usePduCycleDelay is false
    settings = await raw.ret("/model/outlet/1", "getSettings")
    settings.update(usePduCycleDelay=False, cycleDelay=3)
    assert await raw.ret("/model/outlet/1", "setSettings", {"settings": settings}) == 0
    assert await raw.ret("/model/outlet/1", "cyclePowerState") == 0
    start = int(emu.clock.time())
    emu.advance(0.999)
    assert (await raw.ret("/model/outlet/0", "getState"))["cycleInProgress"] is True
    emu.advance(0.001)
    state = await raw.ret("/model/outlet/0", "getState")
    assert (state["cycleInProgress"], state["powerState"]) == (False, 1)
    state = await raw.ret("/model/outlet/1", "getState")
    assert (state["cycleInProgress"], state["powerState"]) == (True, 0)
    emu.advance(5)  # outlet 1 came back on 3 s after its cycle started, not now
    state = await raw.ret("/model/outlet/1", "getState")
    assert (state["cycleInProgress"], state["powerState"]) == (False, 1)
    assert state["lastPowerStateChange"] == start + 3
    # PDU cycle delay via sparse setSettings (4.4)
    assert await raw.ret("/model/pdu/0", "setSettings", {"settings": {"cycleDelay": 5}}) == 0
    assert emu.unit(0).outlet(0).effective_cycle_delay() == 5
    # setPowerState during a cycle cancels it
    await raw.ret("/model/outlet/0", "cyclePowerState")
    await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 1})
    state = await raw.ret("/model/outlet/0", "getState")
    assert (state["cycleInProgress"], state["powerState"]) == (False, 1)


async def test_switching_return_codes(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3, non_switchable_outlets=(2,))
    raw = await raw_client(emu)
    assert (await raw.ret("/model/outlet/2", "getMetaData"))["isSwitchable"] is False
    assert await raw.ret("/model/outlet/2", "setPowerState", {"pstate": 0}) == 1
    assert await raw.ret("/model/outlet/2", "cyclePowerState") == 1
    emu.unit(0).outlet(1).disabled = True
    assert await raw.ret("/model/outlet/1", "setPowerState", {"pstate": 0}) == 3
    assert (
        await raw.ret(
            "/model/pdu/0",
            "setMultipleOutletPowerStates",
            {"outletNumbers": [0, 1], "state": 0, "respectSequence": True},
        )
        == 3
    )
    assert (
        await raw.ret("/model/pdu/0", "setSettings", {"settings": {"inhibitRelayControl": True}})
        == 0
    )
    assert (await raw.ret("/model/pdu/0", "getSettings"))["inhibitRelayControl"] is True
    assert await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0}) == 5
    assert await raw.ret("/model/outlet/0", "cyclePowerState") == 5
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}) == 5
    assert await raw.ret("/model/pdu/0", "cycleAllOutletPowerStates") == 5
    assert emu.unit(0).outlet(0).power_state == 1
    _, payload = await raw.call("/model/pdu/0", "setSettings", {"settings": {"bogus": 1}})
    assert payload["error"]["code"] == -32602


async def test_metered_only_and_unmetered_outlets(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, metered_only=True)
    raw = await raw_client(emu)
    meta = await raw.ret("/model/pdu/0", "getMetaData")
    assert meta["hasSwitchableOutlets"] is False
    assert (await raw.ret("/model/outlet/0", "getMetaData"))["isSwitchable"] is False
    assert await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0}) == 1
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}) == 0
    assert emu.unit(0).outlet(0).power_state == 1

    emu2 = await emulator_factory(outlets=2, metered_outlets=False)
    raw2 = await raw_client(emu2)
    assert (await raw2.ret("/model/pdu/0", "getMetaData"))["hasMeteredOutlets"] is False
    sensors = await raw2.ret("/model/outlet/0", "getSensors")
    assert [k for k, v in sensors.items() if v is not None] == ["outletState"]
    assert await raw2.reading("/model/inlet/0/activePower") >= 0


async def test_breaker_trip(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8)
    unit = emu.unit(0)
    for o in unit.outlets:
        o.base_power = 100.0
    raw = await raw_client(emu)
    ocp = unit.ocp(0)
    assert [o.index for o in ocp.outlets] == [0, 1, 2, 3]
    assert (await raw.ret("/model/ocp/0/trip", "getState"))["value"] == 1  # CLOSED
    ocp.tripped = True
    assert (await raw.ret("/model/ocp/0/trip", "getState"))["value"] == 0  # OPEN = tripped
    assert await raw.reading("/model/outlet/0/activePower") == 0.0
    assert await raw.reading("/model/outlet/0/voltage") == 0.0
    assert await raw.reading("/model/ocp/0/current") == 0.0
    assert await raw.reading("/model/outlet/4/activePower") > 0
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 1  # relay unchanged
    info = await raw.ret("/model/ocp/0/trip", "getTripEventInformation")
    assert info["timestamp"] > 0
    ocp.tripped = False
    assert await raw.reading("/model/outlet/0/activePower") > 0


async def test_peripherals(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, peripherals=11)
    raw = await raw_client(emu)
    slots = await raw.ret("/model/peripheraldevicemanager", "getDeviceSlots")
    assert len(slots) == 64
    devices = [await raw.ret(s["rid"], "getDevice") for s in slots[:12]]
    assert devices[11] is None
    types = [
        (
            d["value"]["deviceID"]["type"]["type"],
            d["value"]["deviceID"]["type"]["unit"],
            d["value"]["deviceID"]["isActuator"],
        )
        for d in devices[:11]
    ]
    assert types == [
        (8, 7, False),
        (9, 9, False),
        (8, 29, False),
        (12, 0, False),
        (42, 0, False),
        (16, 0, False),
        (17, 0, False),
        (39, 0, True),
        (43, 0, True),
        (15, 0, False),
        (41, 50, False),
    ]
    serials = [d["value"]["deviceID"]["serial"] for d in devices[:11]]
    assert serials[0] == serials[1] == serials[10]
    assert len(set(serials)) == 9
    fahrenheit = await raw.reading(devices[2]["value"]["device"]["rid"])
    assert 65 < fahrenheit < 80
    meta = await raw.ret(devices[2]["value"]["device"]["rid"], "getMetaData")
    assert meta["type"] == {"readingtype": 0, "type": 8, "unit": 29}
    dry = devices[7]["value"]["device"]
    assert dry["type"] == "sensors.Switch:2.0.10"
    assert await raw.ret(dry["rid"], "setState", {"newState": 1}) == 0
    assert (await raw.ret(dry["rid"], "getState"))["value"] == 1
    assert await raw.ret(dry["rid"], "setState", {"newState": 7}) == 1
    _, payload = await raw.call(devices[3]["value"]["device"]["rid"], "setState", {"newState": 1})
    assert payload["error"]["code"] == -32601  # a plain StateSensor is no actuator
    emu.unit(0).peripheral(0).connected = False
    reading = await raw.ret(devices[0]["value"]["device"]["rid"], "getReading")
    assert (reading["available"], reading["valid"]) == (False, False)
    assert len(await raw.ret("/model/peripheraldevicemanager", "getDiscoveredDevices")) == 10
    infos = await raw.ret("/model/peripheraldevicemanager", "getDeviceTypeInfos")
    assert {(i["type"]["type"], i["isActuator"]) for i in infos} >= {(39, True), (43, True)}
    packages = await raw.ret("/model/peripheraldevicemanager", "getDiscoveredPackageInfos")
    assert {p["hwInfo"]["serial"] for p in packages} == set(serials)
    settings = await raw.ret("/model/peripheraldeviceslot/0", "getSettings")
    assert settings["name"] == "Front top"
    settings["name"] = "Cold aisle"
    assert (
        await raw.ret("/model/peripheraldeviceslot/0", "setSettings", {"settings": settings}) == 0
    )
    assert (await raw.ret("/model/peripheraldeviceslot/0", "getSettings"))["name"] == "Cold aisle"


async def test_switch_all_on_is_sequenced(emulator_factory, raw_client: RawFactory):
    """setAllOutletPowerStates(on) switches one outlet per inRushGuardDelay (switchOnInProgress)."""
    emu = await emulator_factory(outlets=4, clock="manual")
    raw = await raw_client(emu)
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}) == 0
    settings = {"inRushGuardDelay": 600, "outletPowerStateSequence": [3, 2, 1, 0]}
    assert await raw.ret("/model/pdu/0", "setSettings", {"settings": settings}) == 0
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 1}) == 0
    states = [await raw.ret(f"/model/outlet/{i}", "getState") for i in range(4)]
    assert [s["powerState"] for s in states] == [0, 0, 0, 1]  # outlet 4 first
    assert [s["switchOnInProgress"] for s in states] == [True, True, True, False]
    seq = await raw.ret("/model/pdu/0", "getOutletSequenceState")
    assert seq["sequenceRunning"] is True
    assert seq["nextOutletToSwitch"] == 2
    assert seq["outletsRemaining"] == 3
    assert seq["timeUntilNextSwitch"] == 600
    emu.advance(0.9)
    assert [o.power_state for o in emu.unit(0).outlets] == [0, 0, 1, 1]
    seq = await raw.ret("/model/pdu/0", "getOutletSequenceState")
    assert (seq["nextOutletToSwitch"], seq["timeUntilNextSwitch"]) == (1, 300)
    assert await raw.result("/model/pdu/0", "cancelOutletSequence") is None
    emu.advance(10)
    assert [o.power_state for o in emu.unit(0).outlets] == [0, 0, 1, 1]
    assert not any(o.switch_on_in_progress for o in emu.unit(0).outlets)
    # respectSequence=False switches at once; a pending switch-on is overridden by setPowerState
    await raw.ret(
        "/model/pdu/0",
        "setMultipleOutletPowerStates",
        {"outletNumbers": [0, 1], "state": 1, "respectSequence": True},
    )
    assert emu.unit(0).outlet(0).switch_on_in_progress
    await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0})
    state = await raw.ret("/model/outlet/0", "getState")
    assert (state["powerState"], state["switchOnInProgress"]) == (0, False)
    await raw.ret(
        "/model/pdu/0",
        "setMultipleOutletPowerStates",
        {"outletNumbers": [0], "state": 1, "respectSequence": False},
    )
    assert emu.unit(0).outlet(0).power_state == 1


async def test_noise_free_values(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, peripherals=3, noise=False)
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 460.0
    outlet.power_factor = 0.92
    raw = await raw_client(emu)
    v = await _outlet_values(raw, 0)
    assert v["voltage"] == 230.0
    assert v["lineFrequency"] == 50.0
    assert v["activePower"] == 460.0
    assert v["powerFactor"] == 0.92
    assert v["current"] == pytest.approx(460.0 / (230.0 * 0.92))
    assert await raw.reading("/model/peripheraldeviceslot/2/device") == 72.5
    emu.unit(0).peripheral(2).value = 80.0
    assert await raw.reading("/model/peripheraldeviceslot/2/device") == 80.0
