"""Discovery that reads only what the first poll needs (issue #11), and per-object decoding (#12).

The field catalogue replaces the per-sensor ``getMetaData``/``getTypeSpec`` of outlets, inlets,
poles, breakers and unit totals: it must say what the device says, for every field of both
firmware generations. Malformed objects are left out (told once), the rest of the unit works.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import raritan.rpc.pdumodel as idl

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    SensorKind,
    TypeSpec,
    XerusClient,
)
from custom_components.raritan_pdu.xerus.models import FIELD_CATALOGUE

from .conftest import ClientFactory, FakeDevice, TinyServer

TinyFactory = Callable[..., Awaitable[TinyServer]]
NS = "sensors.NumericSensor:4.0.9"


def _methods(emu: Any) -> dict[str, int]:
    return dict(emu.stats()["methods"])


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_catalogue_says_what_the_device_says(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    """Every sensor of a three-phase unit with breakers: catalogue == the device's metadata."""
    emu = await emulator_factory(outlets=6, inlet_phases=3, peripherals=0, firmware=firmware)
    client = client_factory(emu)
    emu.reset_stats()
    topology = await client.discover()
    assert not any(
        name.endswith((".getMetaData", ".getTypeSpec")) and name.startswith("sensors.")
        for name in _methods(emu)
    ), _methods(emu)
    sensors = list(topology.primary.iter_sensors())
    assert {s.key for s in sensors} >= {"voltageLN", "trip", "powerSupplyStatus", "outletState"}
    calls = [
        BulkCall(s.rid, "getTypeSpec" if s.kind is SensorKind.STATE else "getMetaData")
        for s in sensors
    ]
    for sensor, result in zip(sensors, await client.bulk(calls), strict=True):
        device = sensor.with_type_spec(result.value) if sensor.is_state else None
        if device is None:
            device = sensor.with_numeric_metadata(result.value)
            assert sensor.decdigits == device.decdigits, sensor.key
        assert sensor.catalogued and not sensor.device_metadata, sensor.key
        assert sensor.type_spec == device.type_spec, sensor.key
        assert sensor.unit_symbol == device.unit_symbol
        assert sensor.state_mapping == device.state_mapping


def test_catalogue_knows_every_sensor_field_of_the_bindings() -> None:
    """Every sensor reference field of the 4.4.1 Sensors structs (a superset of 3.6)."""
    structs = [
        idl.Outlet.Sensors,
        idl.Inlet.Sensors,
        idl.Pole,
        idl.OverCurrentProtector.Sensors,
        idl.Pdu.Sensors,
    ]
    not_sensors = {"label", "line", "nodeId"}
    fields = {name for struct in structs for name in struct.elements} - not_sensors
    assert fields - set(FIELD_CATALOGUE) == set()


async def test_discovery_request_counts(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """Standalone: 2 bulks; primary with link units: 3; independent of outlets and sensors."""
    counts = []
    for outlets, link_units in ((2, 0), (24, 0), (4, 2), (12, 3)):
        emu = await emulator_factory(outlets=outlets, link_units=link_units, peripherals=4)
        client = client_factory(emu, use_session_token=False)
        emu.reset_stats()
        topology = await client.discover()
        assert len(topology.units) == 1 + link_units
        assert all(len(u.peripherals) == 4 for u in topology.units)
        counts.append(emu.stats()["bulk_requests"])
    assert counts == [2, 2, 3, 3]


async def test_peripheral_digits_and_range_from_the_type_infos(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, peripherals=11)
    topology = await client_factory(emu).discover()
    models = emu.unit(0).peripherals
    for peripheral, model in zip(topology.primary.peripherals, models, strict=True):
        sensor = peripheral.sensor
        assert sensor is not None
        assert peripheral.type_spec == TypeSpec.from_json(model.sensor.type_spec())
        if not sensor.is_state:
            spec = model.entry.spec
            assert (sensor.decdigits, sensor.range_lower, sensor.range_upper) == (
                spec.decdigits,
                spec.lower,
                spec.upper,
            )
    assert "sensors.NumericSensor.getMetaData" not in _methods(emu)


def _fake_pdu(outlets: Any, *, sensors: Any = None, meta: Any = None) -> FakeDevice:
    outlet_sensors = sensors or {
        "activePower": {"rid": "/s/p", "type": NS},
        "outletState": {"rid": "/s/st", "type": "sensors.StateSensor:4.0.8"},
    }
    results: dict[tuple[str, str], Any] = {
        ("/model/pdu/0", "getMetaData"): {"_ret_": {"nameplate": {"serialNumber": "S1"}}},
        ("/model/pdu/0", "getOutlets"): {"_ret_": outlets},
        ("/model/pdu/0", "getInlets"): {"_ret_": []},
        ("/model/pdu/0", "getOverCurrentProtectors"): {"_ret_": []},
        ("/model/pdu/0", "getSensors"): {"_ret_": {}},
        ("/model/peripheraldevicemanager", "getDeviceSlots"): {"_ret_": []},
    }
    for index in range(len(outlets)):
        rid = f"/o/{index}"
        results[(rid, "getMetaData")] = {"_ret_": meta or {"label": str(index + 1)}}
        results[(rid, "getSensors")] = {"_ret_": outlet_sensors}
    return FakeDevice(results)


def _ref(index: int) -> dict[str, str]:
    return {"rid": f"/o/{index}", "type": "pdumodel.Outlet:3.0.4"}


async def test_a_field_the_catalogue_does_not_know_is_asked_for(
    tiny_server: TinyFactory,
) -> None:
    sensors = {"futureField": {"rid": "/s/f", "type": NS}, "activePower": {"rid": "/s/p"}}
    device = _fake_pdu([_ref(0)], sensors=sensors)
    device.results[("/s/f", "getMetaData")] = {
        "_ret_": {"type": {"readingtype": 0, "type": 53, "unit": 9}, "decdigits": 1}
    }
    server = await tiny_server(device.handle)
    async with XerusClient("127.0.0.1", server.port, use_tls=False, use_session_token=False) as c:
        topology = await c.discover()
    future = topology.primary.outlets[0].sensors["futureField"]
    assert future.device_metadata and future.decdigits == 1 and future.unit_symbol == "%"
    asked = [(rid, method) for rid, method, _ in device.calls if method == "getMetaData"]
    assert ("/s/f", "getMetaData") in asked and ("/s/p", "getMetaData") not in asked
    assert len([r for r in server.requests if r[1] == "/bulk"]) == 3  # one more round


async def test_malformed_objects_are_left_out_and_told_once(
    tiny_server: TinyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A null among the outlets keeps the others' numbers; garbage metadata leaves one out."""
    device = _fake_pdu([_ref(0), None, _ref(2), _ref(3)])
    device.results[("/o/3", "getMetaData")] = {"_ret_": "garbage"}
    device.results[("/model/peripheraldevicemanager", "getDeviceSlots")] = {
        "_ret_": [{"rid": "/slot/0", "type": "peripheral.DeviceSlot:5.0.3"}, 17]
    }
    device.results[("/slot/0", "getDevice")] = {
        "_ret_": {"type": "peripheral.Device:7.0.3", "value": {"position": 1}}
    }
    server = await tiny_server(device.handle)
    caplog.set_level(logging.DEBUG, logger="custom_components.raritan_pdu.xerus")
    async with XerusClient("127.0.0.1", server.port, use_tls=False, use_session_token=False) as c:
        first = await c.discover()
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        caplog.clear()
        second = await c.discover()
        again = [r for r in caplog.records if r.levelno == logging.WARNING]
    for topology in (first, second):
        outlets = topology.primary.outlets
        assert [(o.number, o.label, o.rid) for o in outlets] == [(1, "1", "/o/0"), (3, "3", "/o/2")]
        assert outlets[0].sensors["activePower"].rid == "/s/p"
        assert topology.primary.peripherals == []
    assert sorted(warnings) == [
        "unit 0: outlet 2 is malformed (None), left out",
        "unit 0: peripheral device slot 2 is malformed (17), left out",
        "unit 0: the device in peripheral slot 1 is malformed "
        "({'type': 'peripheral.Device:7.0.3', 'value': {'position': 1}}), left out",
        "unit 0: the metadata of outlet 4 is malformed ('garbage'), left out",
    ]
    assert again == []  # the same objects are not told again


async def test_garbage_lists_and_structs_leave_the_rest_working(
    tiny_server: TinyFactory,
) -> None:
    device = _fake_pdu([_ref(0)])
    device.results[("/model/pdu/0", "getInlets")] = {"_ret_": {"not": "a list"}}
    device.results[("/model/pdu/0", "getSensors")] = {"_ret_": [1, 2]}
    device.results[("/o/0", "getSensors")] = {"_ret_": 5}
    device.results[("/model/peripheraldevicemanager", "getDeviceSlots")] = {"_ret_": "x"}
    server = await tiny_server(device.handle)
    async with XerusClient("127.0.0.1", server.port, use_tls=False, use_session_token=False) as c:
        topology = await c.discover()
    unit = topology.primary
    assert unit.identity.serial == "S1"
    assert [o.number for o in unit.outlets] == [1] and unit.outlets[0].sensors == {}
    assert unit.inlets == [] and unit.sensors == {} and unit.peripherals == []
