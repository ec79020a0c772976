"""Numeric sensor thresholds: defaults per sensor type, validation, persistence, reading flags with
hysteresis and assertion timeout in emulated time (one sample per second), the events they cause
and the AlertedSensorManager."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Raw, RawFactory
from .eventclient import Channel, kinds, of

POWER = "/model/outlet/0/activePower"
NUMERIC_STATE = "sensors.NumericSensor_4_0_9.StateChangedEvent:1.0.0"
THRESHOLDS_CHANGED = "sensors.NumericSensor_4_0_9.ThresholdsChangedEvent:1.0.0"
ALERTS = "sensors.AlertedSensorManager_1_0_6.AlertedSensorsChangedEvent:1.0.0"
MONITORED = "sensors.AlertedSensorManager_1_0_6.MonitoredSensorsChangedEvent:1.0.0"


def _limits(th: dict[str, Any]) -> tuple[float | None, ...]:
    """(lowerCritical, lowerWarning, upperWarning, upperCritical), None where inactive."""
    names = ("lowerCritical", "lowerWarning", "upperWarning", "upperCritical")
    return tuple(th[n] if th[n + "Active"] else None for n in names)


async def _set(raw: Raw, rid: str, **changes: Any) -> int:
    thresholds = await raw.ret(rid, "getThresholds")
    thresholds.update(changes)
    return int(await raw.ret(rid, "setThresholds", {"thresh": thresholds}))


async def _flags(raw: Raw, rid: str) -> list[str]:
    status = (await raw.ret(rid, "getReading"))["status"]
    return [name for name, on in status.items() if on]


async def test_default_thresholds_follow_sensor_type_and_rating(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=4, peripherals=3)
    raw = await raw_client(emu)
    expected = {
        "/model/inlet/0/current": (None, None, 12.8, 16.0),  # 16 A inlet: 80 % / 100 %
        "/model/outlet/0/current": (None, None, 8.0, 10.0),  # C13, 10 A
        "/model/outlet/3/current": (None, None, 12.8, 16.0),  # C19, 16 A
        "/model/outlet/0/voltage": (194.0, 207.0, 247.0, 254.0),
        "/model/outlet/0/lineFrequency": (47.0, 48.0, 52.0, 53.0),
        "/model/peripheraldeviceslot/0/device": (5.0, 10.0, 35.0, 40.0),  # °C
        "/model/peripheraldeviceslot/1/device": (None, 20.0, 70.0, 80.0),  # % RH
        "/model/peripheraldeviceslot/2/device": (41.0, 50.0, 95.0, 104.0),  # °F
        POWER: (None, None, None, None),  # settable, but off by default
        "/model/outlet/0/activeEnergy": (None, None, None, None),
    }
    for rid, limits in expected.items():
        thresholds = await raw.ret(rid, "getThresholds")
        assert _limits(thresholds) == limits, rid
        assert await raw.ret(rid, "getDefaultThresholds") == thresholds, rid
    caps = (await raw.ret(POWER, "getMetaData"))["thresholdCaps"]
    assert caps == {
        "hasUpperCritical": True,
        "hasUpperWarning": True,
        "hasLowerWarning": False,
        "hasLowerCritical": False,
    }
    power = await raw.ret(POWER, "getThresholds")
    assert (power["upperWarning"], power["upperCritical"]) == (1840.0, 2300.0)  # 10 A x 230 V


@pytest.mark.parametrize(
    ("rid", "changes", "code"),
    [
        (POWER, {"lowerWarningActive": True, "lowerWarning": 5.0}, 3),  # no such threshold
        (POWER, {"upperWarningActive": True, "upperWarning": 40000.0}, 1),  # above the range
        (
            POWER,
            {"upperWarningActive": True, "upperCriticalActive": True, "upperWarning": 2300.0},
            2,
        ),
        ("/model/outlet/0/voltage", {"lowerWarning": 250.0}, 2),  # above upper warning
        ("/model/outlet/0/voltage", {"deassertionHysteresis": -1.0}, 2),
        ("/model/outlet/0/voltage", {"deassertionHysteresis": 21.0}, 2),  # 247 - 207 < 2 x 21
        ("/model/outlet/0/voltage", {"deassertionHysteresis": 20.0}, 0),
        ("/model/outlet/0/voltage", {"assertionTimeout": 101}, 2),
        ("/model/outlet/0/voltage", {"lowerWarning": 250.0, "lowerWarningActive": False}, 0),
    ],
)
async def test_set_thresholds_return_codes(emulator_factory, raw_client, rid, changes, code):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    before = await raw.ret(rid, "getThresholds")
    assert await _set(raw, rid, **changes) == code
    after = await raw.ret(rid, "getThresholds")
    assert after == ({**before, **changes} if code == 0 else before)


async def test_set_thresholds_type_errors_are_invalid_params(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    thresholds = await raw.ret(POWER, "getThresholds")
    for key, value in (("assertionTimeout", 1.5), ("upperWarningActive", 1), ("upperWarning", "x")):
        _, payload = await raw.call(POWER, "setThresholds", {"thresh": {**thresholds, key: value}})
        assert payload["error"]["code"] == -32602, key


async def test_thresholds_persist_across_reboot_and_power_loss(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    assert await _set(raw, POWER, upperWarningActive=True, upperWarning=123.0) == 0
    emu.faults.reboot()
    assert (await raw.ret(POWER, "getThresholds"))["upperWarning"] == 123.0
    emu.faults.power_loss(5)
    emu.advance(5)
    assert (await raw.ret(POWER, "getThresholds"))["upperWarning"] == 123.0


async def test_flags_follow_with_assertion_timeout_and_hysteresis(emulator_factory, raw_client):
    """assertionTimeout 2: asserted at the third sample beyond; hysteresis 10: deasserted only
    at 90 W (100 - 10); the critical flag has its own comparator."""
    emu = await emulator_factory(outlets=1, clock="manual", noise=False)
    raw = await raw_client(emu)
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 50.0
    changes = {
        "upperWarningActive": True,
        "upperWarning": 100.0,
        "upperCriticalActive": True,
        "upperCritical": 200.0,
        "assertionTimeout": 2,
        "deassertionHysteresis": 10.0,
    }
    assert await _set(raw, POWER, **changes) == 0
    outlet.base_power = 150.0
    for _ in range(2):
        emu.advance(1)
        assert await _flags(raw, POWER) == []
    emu.advance(1)
    assert await _flags(raw, POWER) == ["aboveUpperWarning"]
    # back below within the timeout: nothing asserted
    outlet.base_power = 250.0
    emu.advance(2)
    outlet.base_power = 150.0
    emu.advance(5)
    assert await _flags(raw, POWER) == ["aboveUpperWarning"]
    outlet.base_power = 250.0
    emu.advance(3)
    assert await _flags(raw, POWER) == ["aboveUpperCritical", "aboveUpperWarning"]
    outlet.base_power = 95.0  # both below their thresholds, above 90 (warning - hysteresis)
    emu.advance(1)
    assert await _flags(raw, POWER) == ["aboveUpperWarning"]
    outlet.base_power = 90.0
    emu.advance(1)
    assert await _flags(raw, POWER) == []


async def test_status_uses_the_rounded_value(emulator_factory, raw_client):
    """Active power has decdigits 0: 100.4 W shows as 100 (not above 100), 100.6 as 101."""
    emu = await emulator_factory(outlets=1, clock="manual", noise=False)
    raw = await raw_client(emu)
    assert await _set(raw, POWER, upperWarningActive=True, upperWarning=100.0) == 0
    emu.unit(0).outlet(0).base_power = 100.4
    emu.advance(1)
    assert await _flags(raw, POWER) == []
    emu.unit(0).outlet(0).base_power = 100.6
    emu.advance(1)
    assert await _flags(raw, POWER) == ["aboveUpperWarning"]


async def test_new_thresholds_apply_from_the_next_sample(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1, peripherals=1, clock="manual")
    raw = await raw_client(emu)
    rid = "/model/peripheraldeviceslot/0/device"  # ~22.5 °C
    assert await _set(raw, rid, upperWarning=20.0) == 0
    assert await _flags(raw, rid) == []
    emu.advance(1)
    assert await _flags(raw, rid) == ["aboveUpperWarning"]
    emu.faults.disconnect_peripheral(0)  # unavailable: no flags
    reading = await raw.ret(rid, "getReading")
    assert (reading["available"], reading["valid"], await _flags(raw, rid)) == (False, False, [])
    emu.faults.clear()
    emu.advance(1)
    assert await _flags(raw, rid) == ["aboveUpperWarning"]


async def test_state_and_threshold_events(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual", noise=False)
    raw = await raw_client(emu)
    channel = await Channel.create(raw, NUMERIC_STATE, THRESHOLDS_CHANGED)
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 50.0
    assert await _set(raw, POWER, upperWarningActive=True, upperWarning=100.0) == 0
    (changed,) = of(await channel.drain(), "NumericSensor.ThresholdsChangedEvent")
    assert changed["source"]["rid"] == outlet.sensors["activePower"].rid
    assert (changed["actUserName"], changed["actIpAddr"]) == ("admin", "127.0.0.1")
    assert changed["oldThresholds"]["upperWarningActive"] is False
    assert changed["newThresholds"]["upperWarning"] == 100.0
    outlet.base_power = 150.0
    emu.advance(1)
    (state,) = of(await channel.drain(), "NumericSensor.StateChangedEvent")
    assert state["oldReading"]["status"]["aboveUpperWarning"] is False
    assert state["newReading"]["status"]["aboveUpperWarning"] is True
    assert state["newReading"]["value"] == 150.0
    assert state["newReading"]["timestamp"] == int(emu.clock.time())
    emu.advance(10)
    assert await channel.drain() == []  # no change, no event


async def test_alerted_sensor_manager(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, peripherals=6, clock="manual")
    raw = await raw_client(emu)
    unit = emu.unit(0)
    counts = await raw.ret("/model/alertedsensormanager", "getSensorCounts")
    monitored = await raw.ret("/model/alertedsensormanager", "getAllSensors")
    rids = {d["sensor"]["rid"] for d in monitored}
    assert counts["total"] == len(monitored)
    assert unit.ocp(0).sensors["trip"].rid in rids  # trip sensors
    assert unit.outlet(0).sensors["current"].rid in rids  # active thresholds
    assert unit.psu_sensors[0].rid in rids  # FAULT_STATE
    assert unit.peripheral(5).sensor.rid in rids  # water leak
    assert unit.outlet(0).sensors["outletState"].rid not in rids  # on/off is no alarm
    assert unit.outlet(0).sensors["activePower"].rid not in rids  # no active threshold
    assert unit.peripheral(4).sensor.rid not in rids  # door state
    assert (counts["critical"], counts["unavailable"]) == (0, 0)
    assert await raw.ret("/model/alertedsensormanager", "getAlertedSensors") == []

    emu.faults.trip_breaker(1)
    emu.faults.disconnect_peripheral(0)
    unit.peripheral(5).value = 1  # water leak alarmed
    alerted = await raw.ret("/model/alertedsensormanager", "getAlertedSensors")
    by_rid = {a["sensor"]["rid"]: (a["parent"]["rid"], a["alertState"]) for a in alerted}
    assert by_rid == {
        unit.ocp(1).sensors["trip"].rid: (unit.ocp(1).rid, 2),
        unit.peripheral(0).sensor.rid: (unit.slot(0).rid, 0),
        unit.peripheral(5).sensor.rid: (unit.slot(5).rid, 2),
    }
    emu.advance(1)  # the next sample: 0 V below lower critical behind the breaker
    ref = await raw.ret("/model/pdu/0", "getAlertedSensorManager")
    assert ref["type"] == "sensors.AlertedSensorManager:1.0.6"
    counts = await raw.ret(ref["rid"], "getSensorCounts")
    # trip + water leak + the 4 outlets' and the breaker's voltage
    assert (counts["critical"], counts["unavailable"], counts["warned"]) == (7, 1, 0)


async def test_alert_events(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, peripherals=6, clock="manual", noise=False)
    raw = await raw_client(emu)
    channel = await Channel.create(raw, ALERTS, MONITORED)
    unit = emu.unit(0)
    total = (await raw.ret("/model/alertedsensormanager", "getSensorCounts"))["total"]
    unit.peripheral(5).value = 1
    (alerted,) = await channel.drain()
    value = alerted["value"]
    assert value["source"]["rid"] == unit.alerted_sensor_manager.rid
    assert value["changedSensors"] == [
        {"sensor": unit.peripheral(5).sensor.ref(), "parent": unit.slot(5).ref(), "alertState": 2}
    ]
    assert value["removedSensors"] == []
    assert value["counts"] == {"total": total, "unavailable": 0, "critical": 1, "warned": 0}

    # a threshold activated: one more monitored sensor; crossing it: WARNED at the next sample
    unit.outlet(0).base_power = 150.0
    assert await _set(raw, POWER, upperWarningActive=True, upperWarning=100.0) == 0
    (monitored,) = of(await channel.drain(), "AlertedSensorManager.MonitoredSensorsChangedEvent")
    assert monitored["counts"]["total"] == total + 1
    emu.advance(1)
    (warned,) = of(await channel.drain(), "AlertedSensorManager.AlertedSensorsChangedEvent")
    assert [(s["sensor"]["rid"], s["alertState"]) for s in warned["changedSensors"]] == [
        (unit.outlet(0).sensors["activePower"].rid, 3)
    ]
    # the package unplugged: an alerted sensor is removed from the monitored ones
    emu.faults.unplug_peripheral(5)
    events = await channel.drain()
    assert kinds(events) == [
        "AlertedSensorManager.MonitoredSensorsChangedEvent",
        "AlertedSensorManager.AlertedSensorsChangedEvent",
    ]
    assert events[1]["value"]["removedSensors"] == [unit.peripheral(5).sensor.ref()]
