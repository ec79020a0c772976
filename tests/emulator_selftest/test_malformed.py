"""Malformed and hostile answers (``malformed.py``): what each fault puts on the wire."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from .conftest import RawFactory
from .rawhttp import bulk, post, rpc


# --- bodies ------------------------------------------------------------------------------------
@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_huge_body_is_valid_json_padded_to_n_megabytes(emulator_factory, firmware: str):
    emu = await emulator_factory(outlets=1, firmware=firmware)
    emu.faults.huge_body(2)
    answer = await post(emu.url + "/model/outlet/0", rpc("setPowerState", {"pstate": 0}))
    assert answer.status == 200
    assert "Content-Encoding" not in answer.headers  # not gzipped, although the client asked
    assert len(answer.body) == 2 * 1024 * 1024
    assert answer.json()["result"] == {"_ret_": 0}  # valid JSON: the answer, then spaces
    assert emu.unit(0).outlet(0).power_state == 0  # processed
    normal = await post(emu.url + "/model/outlet/0", rpc("getState"), accept_gzip=False)
    assert len(normal.body) < 1000
    assert emu.stats()["faults_injected"] == {"huge_body": 1}


async def test_huge_body_of_garbage(emulator_factory):
    emu = await emulator_factory(outlets=1)
    emu.faults.huge_body(1, garbage=True)
    answer = await post(emu.url + "/model/outlet/0", rpc("getState"))
    assert answer.headers["Content-Type"].startswith("application/json")
    assert len(answer.body) == 1024 * 1024
    with pytest.raises(ValueError):
        answer.json()


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_gzip_bomb_expands_a_small_body_to_n_megabytes(emulator_factory, firmware: str):
    emu = await emulator_factory(outlets=1, firmware=firmware)
    emu.faults.gzip_bomb(16)
    answer = await post(emu.url + "/model/outlet/0", rpc("getState"), accept_gzip=False)
    assert answer.headers["Content-Encoding"] == "gzip"  # even to a client that did not ask
    assert len(answer.body) < 64 * 1024
    expanded = gzip.decompress(answer.body)
    assert len(expanded) == 16 * 1024 * 1024
    assert json.loads(expanded)["result"]["_ret_"]["powerState"] == 1


async def test_non_utf8_bytes_in_a_json_answer(emulator_factory):
    emu = await emulator_factory(outlets=1, firmware="3.6")
    emu.faults.non_utf8()
    answer = await post(emu.url + "/model/outlet/0", rpc("setPowerState", {"pstate": 0}))
    assert answer.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert b'"jsonrpc": "2.0\xff\xfe"' in answer.body
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode()
    assert emu.unit(0).outlet(0).power_state == 0


async def test_json_nested_100k_deep(emulator_factory):
    emu = await emulator_factory(outlets=1, firmware="3.6")
    emu.faults.deep_json()
    answer = await post(emu.url + "/model/outlet/0", rpc("getState", req_id=7))
    assert answer.body.startswith(b'{"jsonrpc":"2.0","result":[[[')
    assert answer.body.endswith(b']]],"id":7}')
    assert answer.body.count(b"[") == 100_000
    with pytest.raises(RecursionError):
        answer.json()


# --- bulk answers ------------------------------------------------------------------------------
CALLS = [
    ("/model/outlet/0", "getState"),
    ("/model/outlet/1", "getState"),
    ("/model/pdu/0", "getSettings"),
]


@pytest.mark.parametrize(("delta", "expected"), [(-1, 2), (-5, 0), (2, 5)])
async def test_bulk_with_fewer_or_more_responses(emulator_factory, delta: int, expected: int):
    emu = await emulator_factory(outlets=2)
    emu.faults.bulk_response_count(delta)
    responses = (await post(emu.url + "/bulk", bulk(CALLS))).json()
    assert len(responses["result"]["responses"]) == expected
    if delta > 0:
        assert responses["result"]["responses"][-1] == responses["result"]["responses"][2]
    again = (await post(emu.url + "/bulk", bulk(CALLS))).json()
    assert len(again["result"]["responses"]) == 3  # only the next one


@pytest.mark.parametrize("method", ["performBulk", "performRequest"])
async def test_bulk_with_wrong_sub_response_ids(emulator_factory, method: str):
    emu = await emulator_factory(outlets=2)
    body = bulk(CALLS)
    if method == "performRequest":  # the deprecated form: JSON as strings
        body["method"] = method
        for item in body["params"]["requests"]:
            item["json"] = json.dumps(item["json"])
    emu.faults.bulk_wrong_ids()
    emu.faults.bulk_wrong_ids(swap=True)

    def ids(answer):
        subs = [r["json"] for r in answer.json()["result"]["responses"]]
        return [(json.loads(s) if isinstance(s, str) else s)["id"] for s in subs]

    assert ids(await post(emu.url + "/bulk", body)) == [1_000_000, 1_000_001, 1_000_002]
    assert ids(await post(emu.url + "/bulk", body)) == [1, 2, 0]  # the neighbours' ids
    assert ids(await post(emu.url + "/bulk", body)) == [0, 1, 2]


# --- readings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("nan", b"NaN"),
        ("inf", b"Infinity"),
        ("-inf", b"-Infinity"),
        ("1e400", b"1e400"),
        ("huge_int", b"1" + b"0" * 309),
    ],
)
async def test_bad_reading_on_the_wire(emulator_factory, value: str, token: bytes):
    emu = await emulator_factory(outlets=1, firmware="3.6")
    sensor = emu.unit(0).outlet(0).sensors["voltage"]
    emu.faults.bad_reading(sensor, value)
    answer = await post(emu.url + "/bulk", bulk([(sensor.rid, "getReading")] * 2))
    first, second = answer.body.split(b'"statcode"')[:2]
    assert b'"value": ' + token + b" }" in first
    assert b'"available": true' in first
    assert b'"valid": true' in first
    assert token not in second  # count=1: the next reading is the real one again
    parsed = answer.json()["result"]["responses"][0]["json"]["result"]["_ret_"]["value"]
    if value == "huge_int":
        assert parsed == 10**309
        with pytest.raises(OverflowError):
            float(parsed)
    else:
        assert not math.isfinite(parsed)  # Python's json reads the tokens as nan / inf


async def test_bad_reading_of_any_sensor_via_well_known_rid(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.bad_reading(value=12345.5, count=2)
    assert (await raw.ret("/model/inlet/0/voltage", "getReading"))["value"] == 12345.5
    assert (await raw.ret(emu.unit(0).outlet(0).sensors["current"].rid, "getReading"))[
        "value"
    ] == 12345.5
    assert (await raw.ret("/model/inlet/0/voltage", "getReading"))["value"] < 300


async def test_energy_glitch_once_then_the_real_value(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    outlet = emu.unit(0).outlet(0)
    energy = outlet.sensors["activeEnergy"]
    before = await raw.reading(energy.rid)
    emu.faults.energy_glitch(outlet)  # the outlet's activeEnergy
    glitch = await raw.ret("/model/outlet/0/activeEnergy", "getReading")
    assert (glitch["value"], glitch["valid"], glitch["available"]) == (0.0, True, True)
    assert await raw.reading(energy.rid) >= before
    emu.faults.energy_glitch(energy.rid, value=0.001)
    assert await raw.reading(energy.rid) == 0.001


async def test_unknown_enum_values(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, peripherals=9)
    raw = await raw_client(emu)
    unit = emu.unit(0)
    emu.faults.unknown_enum(unit.outlet(1), 2)
    emu.faults.unknown_enum("/model/ocp/0/trip", 7)
    emu.faults.unknown_enum(unit.peripheral(4), 9)  # door state
    emu.faults.unknown_enum(unit.peripheral(6).sensor, 2)  # smoke detector
    emu.faults.unknown_enum(unit.peripheral(8), 5)  # door lock (a Switch)
    assert (await raw.ret("/model/outlet/1", "getState"))["powerState"] == 2
    assert (await raw.ret(unit.outlet(1).rid, "getState"))["powerState"] == 2  # opaque RID too
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 1  # others unchanged
    assert (await raw.ret("/model/ocp/0/trip", "getState"))["value"] == 7
    for slot, value in ((4, 9), (6, 2), (8, 5)):
        state = await raw.ret(f"/model/peripheraldeviceslot/{slot}/device", "getState")
        assert state["value"] == value
    assert unit.outlet(1).power_state == 1  # only the answer is wrong
    emu.faults.clear()
    assert (await raw.ret("/model/outlet/1", "getState"))["powerState"] == 1


async def test_wrong_types_and_missing_fields(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    emu.faults.wrong_type(
        "/model/outlet/0/voltage", "getReading", path="result._ret_.value", value="230.5"
    )
    emu.faults.wrong_type(method="getOutlets", path="result._ret_", value={}, count=1)
    emu.faults.missing_field("/model/outlet/1", "getState", path="result._ret_.powerState")
    emu.faults.missing_field(method="getSettings", path="result", count=1)
    assert (await raw.ret("/model/outlet/0/voltage", "getReading"))["value"] == "230.5"
    assert await raw.ret("/model/pdu/0", "getOutlets") == {}
    assert len(await raw.ret("/model/pdu/0", "getOutlets")) == 2
    state = await raw.ret("/model/outlet/1", "getState")
    assert "powerState" not in state
    assert "cycleInProgress" in state
    status, payload = await raw.call("/model/pdu/0", "getSettings")
    assert (status, sorted(payload)) == (200, ["id", "jsonrpc"])
    assert "name" in await raw.ret("/model/pdu/0", "getSettings")
    with pytest.raises(ValueError, match="unknown target"):
        emu.faults.wrong_type("/model/outlet/99", path="result", value=1)
    counts = emu.stats()["faults_injected"]
    assert counts == {"wrong_type": 2, "missing_field": 2}


# --- discovery -----------------------------------------------------------------------------------
async def test_peripheral_position_not_a_list(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, peripherals=3)
    raw = await raw_client(emu)
    emu.faults.peripheral_position(1)
    assert (await raw.ret("/model/peripheraldeviceslot/1", "getDevice"))["value"]["position"] == 1
    assert isinstance(
        (await raw.ret("/model/peripheraldeviceslot/0", "getDevice"))["value"]["position"], list
    )
    found = await raw.ret("/model/peripheraldevicemanager", "getDiscoveredDevices")
    assert [d["value"]["position"] == 1 for d in found] == [False, True, False]
    emu.faults.unplug_peripheral(2)
    with pytest.raises(ValueError, match="no slot"):
        emu.faults.peripheral_position(2)


async def test_sensor_metadata_above_1e308(emulator_factory):
    emu = await emulator_factory(outlets=1, peripherals=1)
    emu.faults.sensor_metadata("/model/peripheraldeviceslot/0/device")
    emu.faults.sensor_metadata("/model/outlet/0/current", "resolution")
    temp = await post(
        emu.url + "/model/peripheraldeviceslot/0/device", rpc("getMetaData"), accept_gzip=False
    )
    assert b'"upper":1' + b"0" * 309 + b"}" in temp.body  # an integer, no fraction
    current = await post(emu.url + "/model/outlet/0/current", rpc("getMetaData"), accept_gzip=False)
    assert current.json()["result"]["_ret_"]["resolution"] == 10**309


async def test_describe_lists_pending_answer_faults(emulator_factory):
    emu = await emulator_factory(outlets=1)
    emu.faults.gzip_bomb(1)
    emu.faults.bulk_wrong_ids()
    emu.faults.bad_reading()
    described = emu.faults.describe()
    assert described["body_mutations"] == ["gzip_bomb"]
    assert described["bulk_mutations"] == ["bulk_wrong_ids"]
    assert described["answer_mutations"] == ["bad_reading"]
    emu.faults.clear()
    described = emu.faults.describe()
    assert (described["body_mutations"], described["bulk_mutations"]) == ([], [])
