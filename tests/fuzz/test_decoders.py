"""Fuzzing the decoders (issue #12, "Bad input"): only ``XerusError`` escapes, a value marked
valid is a finite number of the right type, and known-good documents decode to the same values.

Malformed answers: HTML login pages, truncated JSON, wrong types, missing fields, unknown enum
ints, NaN/±Infinity and huge numbers, wrong ids, non-UTF-8 bodies, bulk answers with fewer or
more responses than requests; arbitrary JSON in every ``from_json`` of the models.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import zlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from custom_components.raritan_pdu.xerus import (
    BulkResult,
    CascadeStatus,
    InletInfo,
    NumericReading,
    OcpInfo,
    OutletInfo,
    OutletState,
    PduIdentity,
    PeripheralInfo,
    PoleInfo,
    PowerState,
    ReadingPlan,
    ReadKind,
    ReadTarget,
    Ref,
    SensorInfo,
    StateReading,
    TypeSpec,
    XerusError,
    XerusProtocolError,
)
from custom_components.raritan_pdu.xerus.bulk import answered_prefix, place
from custom_components.raritan_pdu.xerus.models import (
    decode_device_type_defaults,
    decode_map,
    decode_package_models,
    decode_refs,
    decode_sensor_refs,
)
from custom_components.raritan_pdu.xerus.rpc import (
    MISSING,
    bulk_responses,
    decode_sub_response,
    parse_body,
    response_result,
)

from .conftest import Recorded, fuzz, json_values, mutated

NS = "sensors.NumericSensor:4.0.9"
GOOD_READING = {
    "timestamp": 1700000000,
    "available": True,
    "status": {
        "aboveUpperCritical": False,
        "aboveUpperWarning": True,
        "belowLowerWarning": False,
        "belowLowerCritical": False,
    },
    "valid": True,
    "value": 231.5,
}
GOOD_STATE = {"timestamp": 1700000000, "available": True, "value": 1}
GOOD_OUTLET = {
    "available": True,
    "powerState": 1,
    "switchOnInProgress": False,
    "cycleInProgress": False,
    "isLoadShed": False,
    "lastPowerStateChange": 1700000000,
}


def _assert_reading(reading: NumericReading) -> None:
    if reading.valid:
        assert type(reading.value) is float and math.isfinite(reading.value)
        assert reading.available
    else:
        assert reading.value is None
    assert reading.timestamp is None or type(reading.timestamp) is int


def _assert_state(state: StateReading) -> None:
    assert state.value is None or type(state.value) is int
    assert state.available or state.value is None


def _assert_outlet(state: OutletState) -> None:
    assert state.is_on in (True, False, None)
    if state.is_on is not None:
        assert state.available and isinstance(state.power_state, PowerState)


def _with(document: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**document, key: value}


@fuzz(200)
@given(
    value=json_values,
    reading=mutated(GOOD_READING),
    state=mutated(GOOD_STATE),
    outlet=mutated(GOOD_OUTLET),
    power=json_values,
)
def test_readings(value: Any, reading: Any, state: Any, outlet: Any, power: Any) -> None:
    """Arbitrary JSON, and good readings with one part replaced by arbitrary JSON."""
    for candidate in (value, reading):
        _assert_reading(NumericReading.from_json(candidate))
    for candidate in (value, state):
        _assert_state(StateReading.from_json(candidate))
    for candidate in (value, outlet, _with(GOOD_OUTLET, "powerState", power)):
        _assert_outlet(OutletState.from_json(candidate))


def test_good_readings_decode_to_their_values() -> None:
    reading = NumericReading.from_json(GOOD_READING)
    assert (reading.value, reading.valid, reading.timestamp) == (231.5, True, 1700000000)
    assert reading.above_upper_warning and not reading.above_upper_critical
    assert StateReading.from_json(GOOD_STATE) == StateReading(1, True, 1700000000)
    outlet = OutletState.from_json(GOOD_OUTLET)
    assert outlet.is_on is True and outlet.last_power_state_change == 1700000000


GOOD_META = {
    "nameplate": {"manufacturer": "Raritan", "model": "PX3", "serialNumber": "PKE1"},
    "ctrlBoardSerial": "C1",
    "macAddress": "00:0d:5d:00:00:01",
    "label": "1",
    "receptacleType": "IEC 60320 C13",
    "rating": {"current": 16, "decimalCurrent": 16.0, "minVoltage": 200, "maxVoltage": 240},
    "isSwitchable": True,
    "type": 0,
    "plugType": "C20",
}
GOOD_SETTINGS = {"name": "web", "startupState": 3, "cycleDelay": 10, "usePduCycleDelay": True}
GOOD_SENSORS = {
    "voltage": {"rid": "/s/v", "type": NS},
    "activeEnergy": {"rid": "/s/e", "type": "sensors.AccumulatingNumericSensor:2.0.10"},
    "outletState": {"rid": "/s/o", "type": "sensors.StateSensor:4.0.8"},
    "powerSupplyStatus": [{"rid": "/s/p", "type": "sensors.StateSensor:4.0.8"}],
    "label": "",
    "line": 0,
    "nodeId": 1,
}
GOOD_DEVICE = {
    "type": "peripheral.Device:7.0.3",
    "value": {
        "deviceID": {
            "serial": "1JX1",
            "type": {"readingtype": 0, "type": 8, "unit": 7},
            "isActuator": False,
            "channel": -1,
        },
        "position": [{"portType": 1, "port": "1"}, {"portType": 3, "port": "2"}],
        "packageClass": "1JX",
        "device": {"rid": "/s/t", "type": NS},
    },
}
GOOD_SLOT_SETTINGS = {"name": "Front", "description": "", "location": {"x": "", "y": "", "z": "4"}}
GOOD_TYPE_INFOS = [
    {
        "type": {"readingtype": 0, "type": 8, "unit": 7},
        "isActuator": False,
        "name": "Temperature",
        "defaultRange": {"lower": -35.0, "upper": 80.0},
        "defaultDecDigits": 1,
    }
]
GOOD_NUMERIC_META = {
    "type": {"readingtype": 0, "type": 1, "unit": 1},
    "decdigits": 0,
    "resolution": 1.0,
    "range": {"lower": 0.0, "upper": 866.0254037844386},
}
GOOD_CASCADE = {
    "role": 1,
    "primaryUnit": "",
    "primaryLinkId": 1,
    "linkUnits": [{"key": 2, "value": {"type": 0, "host": "h", "status": 1, "fwVersion": "4"}}],
}


def _decode_everything(
    meta: Any, settings: Any, sensors: Any, device: Any, infos: Any, numeric: Any, cascade: Any
) -> None:
    decoded = decode_sensor_refs(sensors)
    for info in decoded.values():
        assert isinstance(info, SensorInfo) and info.rid
    OutletInfo.from_json(3, "/o", meta, settings, sensors=decoded)
    InletInfo.from_json(0, "/i", meta, settings, sensors=decoded, poles=[])
    OcpInfo.from_json(1, "/c", meta, settings, sensors=decoded)
    PoleInfo.from_json(0, sensors)
    identity = PduIdentity.from_json(0, "/model/pdu/0", meta, settings)
    assert isinstance(identity.unique_id, str)
    CascadeStatus.from_json(cascade)
    TypeSpec.from_json(meta)
    Ref.from_json(meta)
    decode_refs(sensors)
    decode_map(cascade)
    defaults = decode_device_type_defaults(infos)
    models = decode_package_models(infos)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in models.items())
    peripheral = PeripheralInfo.from_json(
        4, "/slot", device, settings, type_defaults=defaults, package_models=models
    )
    if peripheral is not None:
        assert isinstance(peripheral.unique_key, str)
        if peripheral.sensor is not None:
            peripheral.sensor.known_state(1)
    sensor = SensorInfo.from_ref("activePower", Ref("/s", NS))
    with_meta = sensor.with_numeric_metadata(numeric)
    for number in (with_meta.range_lower, with_meta.range_upper, with_meta.resolution):
        assert number is None or math.isfinite(number)
    assert with_meta.decdigits is None or 0 <= with_meta.decdigits <= 15
    sensor.with_type_spec(numeric)


@fuzz(100)
@given(values=st.lists(json_values, min_size=7, max_size=7))
def test_every_model_decoder_takes_arbitrary_json(values: list[Any]) -> None:
    _decode_everything(*values)


@fuzz(200)
@given(
    meta=mutated(GOOD_META),
    settings=st.one_of(mutated(GOOD_SETTINGS), mutated(GOOD_SLOT_SETTINGS)),
    sensors=mutated(GOOD_SENSORS),
    device=mutated(GOOD_DEVICE),
    infos=mutated(GOOD_TYPE_INFOS),
    numeric=mutated(GOOD_NUMERIC_META),
    cascade=mutated(GOOD_CASCADE),
)
def test_every_model_decoder_takes_good_documents_with_a_bad_part(
    meta: Any, settings: Any, sensors: Any, device: Any, infos: Any, numeric: Any, cascade: Any
) -> None:
    """Good documents with one part (at any depth) replaced by arbitrary JSON or dropped: a
    bad field costs that field."""
    _decode_everything(meta, settings, sensors, device, infos, numeric, cascade)


def _kinds(count: int) -> list[ReadKind]:
    return [(ReadKind.NUMERIC, ReadKind.STATE, ReadKind.OUTLET)[i % 3] for i in range(count)]


@fuzz(150)
@given(responses=st.lists(json_values, min_size=1, max_size=6), data=st.data())
def test_poll_decoding(responses: list[Any], data: st.DataObject) -> None:
    """Arbitrary sub-responses, and good ones with arbitrary ``_ret_``: per reading, no raise."""
    plan = ReadingPlan(ReadTarget(f"/r{i}", kind) for i, kind in enumerate(_kinds(len(responses))))
    wrapped = [
        {"json": {"jsonrpc": "2.0", "id": i, "result": {"_ret_": value}}, "statcode": 200}
        for i, value in enumerate(responses)
    ]
    missing = data.draw(st.lists(st.sampled_from([MISSING, None, 5]), max_size=len(responses)))
    for answer in (responses, wrapped, [*missing, *wrapped[len(missing) :]]):
        readings = plan.decode(answer)
        assert len(readings.numeric) + len(readings.states) + len(readings.outlets) + len(
            readings.errors
        ) + len(readings.sequences) == len(plan)
        for reading in readings.numeric.values():
            _assert_reading(reading)
        for state in readings.states.values():
            _assert_state(state)
        for outlet in readings.outlets.values():
            _assert_outlet(outlet)
        assert all(isinstance(error, XerusError) for error in readings.errors.values())


def test_a_recorded_poll_decodes_to_the_same_values(recorded: Recorded) -> None:
    readings = recorded.plan.decode(recorded.poll)
    assert not readings.errors
    assert len(readings.numeric) + len(readings.states) + len(readings.outlets) + len(
        readings.sequences
    ) == len(recorded.plan)
    for target, raw in zip(recorded.plan.targets, recorded.poll, strict=True):
        value = raw["json"]["result"]["_ret_"]
        if target.kind is ReadKind.NUMERIC:
            assert readings.numeric[target.rid].value == float(value["value"])


@fuzz(100)
@given(response=json_values, result=json_values, request_id=st.integers(0, 5))
def test_envelopes(response: Any, result: Any, request_id: int) -> None:
    """Sub-responses, results, ids: a value or a ``XerusError``, never anything else."""
    decoded = decode_sub_response(response)
    bulk_result = BulkResult.from_sub_response(response)
    assert bulk_result.ok or isinstance(bulk_result.error, XerusError)
    if isinstance(decoded, XerusError):
        assert not bulk_result.ok
    for call in (
        lambda: response_result(response, request_id) if isinstance(response, dict) else None,
        lambda: bulk_responses(result),
    ):
        with contextlib.suppress(XerusError):
            call()


@fuzz(150)
@given(
    responses=st.lists(
        st.one_of(
            json_values,
            st.builds(
                lambda i, v: {"json": {"id": i, "result": {"_ret_": v}}, "statcode": 200},
                st.one_of(st.integers(-2, 12), st.none(), st.text(max_size=2)),
                json_values,
            ),
        ),
        max_size=14,
    ),
    lo=st.integers(0, 4),
    size=st.integers(1, 8),
)
def test_bulk_answer_placement(responses: list[Any], lo: int, size: int) -> None:
    """Fewer, more, duplicate, reordered or foreign answers: one answer or an error per call."""
    hi = lo + size
    out: list[Any] = [MISSING] * hi
    place(responses, lo, hi, out)
    for item in out[lo:hi]:
        assert item is not MISSING
        assert isinstance(item, XerusError) or item in responses
    prefix = answered_prefix(responses, lo, hi)
    assert prefix is None or 0 < prefix < size


@fuzz(150)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: json.dumps({"jsonrpc": "2.0", "id": 1, "result": v})[:-3]),
    ),
    content_type=st.sampled_from(["application/json", "text/html", "", "application/json-rpc"]),
    encoding=st.sampled_from(["", "gzip", "deflate", "br", "identity"]),
    compress=st.sampled_from(["none", "gzip", "zlib", "cut"]),
)
def test_body_parsing(body: Any, content_type: str, encoding: str, compress: str) -> None:
    """Arbitrary bytes, truncated JSON, HTML, wrong or corrupt compression: only protocol
    errors; what parses is a JSON object."""
    raw = body.encode() if isinstance(body, str) else body
    if compress == "gzip":
        raw = gzip.compress(raw)
    elif compress == "zlib":
        raw = zlib.compress(raw)
    elif compress == "cut":
        raw = gzip.compress(raw)[: len(raw) // 2]
    try:
        data = parse_body(raw, content_type, encoding)
    except XerusProtocolError:
        return
    assert isinstance(data, dict)


@fuzz(50)
@given(document=st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_good_bodies_parse_to_what_was_sent(document: dict[str, Any]) -> None:
    """What was sent, exactly; an integer beyond 64 bits (no IDL type has one) as the nearest
    float, as orjson reads it."""
    text = json.dumps(document).encode()
    encoded = ((text, ""), (gzip.compress(text), "gzip"), (zlib.compress(text), "deflate"))
    expected = json.dumps(_as_parsed(document))  # NaN != NaN: compare the text
    for raw, encoding in encoded:
        parsed = parse_body(raw, "application/json; charset=UTF-8", encoding)
        assert json.dumps(parsed) == expected


def _as_parsed(value: Any) -> Any:
    """``value`` with every integer beyond 64 bits as the nearest float (infinite if none)."""
    if isinstance(value, dict):
        return {key: _as_parsed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_parsed(item) for item in value]
    if type(value) is int and not -(2**63) <= value < 2**64:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value
