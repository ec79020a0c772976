"""Pure decoding tests built from the JSON examples of the protocol reference (section 13)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.raritan_pdu.xerus import (
    CascadeRole,
    CascadeStatus,
    LinkUnitStatus,
    LinkUnitType,
    NormalAlarmedState,
    NumericReading,
    OcpType,
    OkFaultState,
    OnOffState,
    OpenClosedState,
    OutletMetaData,
    OutletSettings,
    OutletState,
    PduIdentity,
    PeripheralInfo,
    PoleInfo,
    PortType,
    PowerLine,
    PowerQualityState,
    PowerState,
    ReadingType,
    Ref,
    ResidualCurrentState,
    SensorInfo,
    SensorKind,
    SensorType,
    SensorUnit,
    StateReading,
    TypeSpec,
    normalize_fingerprint,
    sensor_type_info,
    state_mapping,
    unit_symbol,
)
from custom_components.raritan_pdu.xerus.const import (
    SENSOR_TYPE_INFO,
    UNIT_SYMBOLS,
    OutletStartupState,
    pdu_rid,
    to_enum,
)
from custom_components.raritan_pdu.xerus.models import (
    Nameplate,
    PduMetaData,
    PduSettings,
    Rating,
    UnitTopology,
    base_type_name,
    decode_device_type_infos,
    decode_map,
    decode_package_models,
    decode_refs,
    decode_sensor_refs,
    is_void_result,
    sensor_kind,
)
from custom_components.raritan_pdu.xerus.tls import (
    certificate_fingerprint,
    fingerprint_to_bytes,
    format_fingerprint,
)

# --- reference 13.1 ----------------------------------------------------------------------------
PDU_META_302 = {
    "ctrlBoardSerial": "PKI9050003",
    "fwRevision": "3.0.2.5-41550",
    "hasLatchingOutletRelays": False,
    "hasMeteredOutlets": False,
    "hasSwitchableOutlets": True,
    "hwRevision": "0x64",
    "isInlineMeter": False,
    "macAddress": "00:0d:5d:07:87:5c",
    "nameplate": {
        "imageFileURL": "",
        "manufacturer": "Raritan",
        "model": "PX2-2630U-A1",
        "partNumber": "",
        "rating": {
            "current": "24A",
            "frequency": "50/60Hz",
            "power": "15.0-17.3kVA",
            "voltage": "360-415V",
        },
        "serialNumber": "PKE0954001",
    },
}

# --- reference 13.5 (firmware 4.0.x) -----------------------------------------------------------
EMPTY_NAMEPLATE = {
    "manufacturer": "",
    "brand": "",
    "model": "",
    "partNumber": "",
    "serialNumber": "<not set>",
    "rating": {"voltage": "", "current": "", "frequency": "", "power": ""},
    "imageFileURL": "",
}
INLET_META = {
    "label": "I1",
    "plugType": "IEC 60309 3P+N+E 6h 32A",
    "namePlate": EMPTY_NAMEPLATE,
    "rating": {"current": 32, "decimalCurrent": 32.0, "minVoltage": 380, "maxVoltage": 415},
    "hasWaveformSupport": False,
    "isDC": False,
}
OUTLET_META = {
    "label": "1",
    "receptacleType": "IEC 60320 C19",
    "namePlate": EMPTY_NAMEPLATE,
    "rating": {"current": 16, "decimalCurrent": 16.0, "minVoltage": 219, "maxVoltage": 240},
    "isSwitchable": True,
    "isLatching": True,
    "maxRelayCycleCnt": 100000,
    "hasWaveformSupport": False,
}
OUTLET_SETTINGS = {
    "name": "",
    "startupState": 3,
    "usePduCycleDelay": True,
    "cycleDelay": 10,
    "nonCritical": False,
    "sequenceDelay": 0,
}
NS = "sensors.NumericSensor:4.0.5"
OUTLET_SENSORS = {
    "voltage": {"rid": f"/tfwopaque/{NS}/O0Voltage", "type": NS},
    "current": {"rid": f"/tfwopaque/{NS}/O0Current", "type": NS},
    "peakCurrent": None,
    "maximumCurrent": None,
    "unbalancedCurrent": None,
    "activePower": {"rid": f"/tfwopaque/{NS}/O0ActivePower", "type": NS},
    "reactivePower": None,
    "apparentPower": {"rid": f"/tfwopaque/{NS}/O0ApparentPower", "type": NS},
    "powerFactor": {"rid": f"/tfwopaque/{NS}/O0PowerFactor", "type": NS},
    "displacementPowerFactor": None,
    "activeEnergy": {
        "rid": "/tfwopaque/sensors.AccumulatingNumericSensor:2.0.5/O0ActiveEnergy",
        "type": "sensors.AccumulatingNumericSensor:2.0.5",
    },
    "apparentEnergy": None,
    "phaseAngle": None,
    "lineFrequency": {"rid": f"/tfwopaque/{NS}/O0LineFrequency", "type": NS},
    "crestFactor": None,
    "voltageThd": None,
    "currentThd": None,
    "inrushCurrent": None,
    "outletState": {
        "rid": "/tfwopaque/sensors.StateSensor:4.0.5/O0OutletState",
        "type": "sensors.StateSensor:4.0.5",
    },
}
POLE_0 = {
    "label": "",
    "line": 0,
    "nodeId": 1,
    "voltage": {"rid": f"/tfwopaque/{NS}/I0P0Voltage", "type": NS},
    "voltageLN": {"rid": f"/tfwopaque/{NS}/I0P0VoltageLN", "type": NS},
    "current": {"rid": f"/tfwopaque/{NS}/I0P0Current", "type": NS},
    "peakCurrent": None,
    "activePower": {"rid": f"/tfwopaque/{NS}/I0P0ActivePower", "type": NS},
    "activeEnergy": {
        "rid": "/tfwopaque/sensors.AccumulatingNumericSensor:2.0.5/I0P0ActiveEnergy",
        "type": "sensors.AccumulatingNumericSensor:2.0.5",
    },
    "residualCurrentStatus": None,
}
VOLTAGE_META = {
    "type": {"readingtype": 0, "type": 1, "unit": 1},
    "decdigits": 0,
    "accuracy": 0.0,
    "resolution": 1.0,
    "tolerance": 0.0,
    "noiseThreshold": 0.0,
    "range": {"lower": 0.0, "upper": 866.0254037844386},
    "thresholdCaps": {
        "hasUpperCritical": True,
        "hasUpperWarning": True,
        "hasLowerWarning": True,
        "hasLowerCritical": True,
    },
}
READING = {
    "timestamp": 1662990829,
    "available": True,
    "status": {
        "aboveUpperCritical": False,
        "aboveUpperWarning": True,
        "belowLowerWarning": False,
        "belowLowerCritical": False,
    },
    "valid": True,
    "value": 399.73136216714346,
}
SLOT_SETTINGS = {
    "name": "back top",
    "description": "",
    "location": {"x": "", "y": "", "z": "38"},
    "useDefaultThresholds": False,
    "properties": [{"key": "linearOffset", "value": ""}],
}
DEVICE_40 = {
    "type": "peripheral.Device:6.0.0",
    "value": {
        "deviceID": {
            "serial": "1JX9803775",
            "type": {"readingtype": 0, "type": 8, "unit": 7},
            "isActuator": False,
            "channel": -1,
        },
        "position": [{"portType": 1, "port": "1"}, {"portType": 3, "port": "1"}],
        "packageClass": "1JX",
        "device": {"rid": f"/tfwopaque/{NS}/EXT00N", "type": NS},
    },
}


def test_pdu_metadata_and_identity() -> None:
    meta = PduMetaData.from_json(PDU_META_302)
    assert meta.nameplate.serial_number == "PKE0954001"
    assert meta.nameplate.rating_current == "24A"
    assert meta.has_switchable_outlets and not meta.has_metered_outlets
    ident = PduIdentity.from_json(
        0,
        pdu_rid(0),
        PDU_META_302,
        {"name": "rack A", "cycleDelay": 5, "inhibitRelayControl": True},
        role=CascadeRole.PRIMARY_UNIT,
    )
    assert ident.serial == "PKE0954001"
    assert ident.model == "PX2-2630U-A1"
    assert ident.manufacturer == "Raritan"
    assert ident.brand == ""  # brand is 3.6+, missing here
    assert ident.firmware == "3.0.2.5-41550"
    assert ident.mac == "00:0d:5d:07:87:5c"
    assert ident.name == "rack A"
    assert ident.cycle_delay == 5
    assert ident.inhibit_relay_control is True
    assert ident.role is CascadeRole.PRIMARY_UNIT
    assert ident.unique_id == "PKE0954001"
    assert ident.rating_voltage == "360-415V"


def test_identity_unique_id_fallbacks_and_garbage() -> None:
    ident = PduIdentity.from_json(0, "/model/pdu/0", None, None)
    assert ident.serial == "" and ident.name == "" and ident.cycle_delay is None
    assert ident.unique_id == ""
    meta = {"ctrlBoardSerial": "CTRL1", "nameplate": {"serialNumber": "<not set>"}}
    assert PduIdentity.from_json(0, "/x", meta, {}).unique_id == "CTRL1"
    meta = {"macAddress": "00:0D:5D:AA:BB:CC", "nameplate": "garbage"}
    assert PduIdentity.from_json(0, "/x", meta, []).unique_id == "00:0d:5d:aa:bb:cc"


def test_outlet_metadata_settings_and_rating() -> None:
    meta = OutletMetaData.from_json(OUTLET_META)
    assert meta.label == "1"
    assert meta.receptacle_type == "IEC 60320 C19"
    assert meta.rating == Rating(16.0, 219, 240)
    assert meta.is_switchable and meta.is_latching
    settings = OutletSettings.from_json(OUTLET_SETTINGS)
    assert settings.startup_state is OutletStartupState.PDU_DEFINED
    assert settings.cycle_delay == 10 and settings.use_pdu_cycle_delay
    assert OutletSettings.from_json({"startupState": 99}).startup_state == 99
    # 3.4-era rating without decimalCurrent; float-encoded int
    assert Rating.from_json({"current": 20, "minVoltage": 100.0}) == Rating(20.0, 100, None)
    assert Nameplate.from_json(EMPTY_NAMEPLATE).serial_number == "<not set>"
    assert PduSettings.from_json({"name": 5}).name == ""


def test_outlet_sensor_refs_null_and_kinds() -> None:
    sensors = decode_sensor_refs(OUTLET_SENSORS)
    assert set(sensors) == {
        "voltage",
        "current",
        "activePower",
        "apparentPower",
        "powerFactor",
        "activeEnergy",
        "lineFrequency",
        "outletState",
    }
    assert sensors["voltage"].kind is SensorKind.NUMERIC
    assert sensors["activeEnergy"].kind is SensorKind.ACCUMULATING
    assert sensors["outletState"].kind is SensorKind.STATE
    assert sensors["outletState"].rid.endswith("O0OutletState")
    # metadata not read: what the field catalogue says (section 13.5: voltage 0 digits)
    assert sensors["voltage"].type_spec == TypeSpec(
        ReadingType.NUMERIC, SensorType.VOLTAGE, SensorUnit.VOLT
    )
    assert sensors["voltage"].decdigits == 0 and not sensors["voltage"].device_metadata
    assert sensors["outletState"].type_spec.readingtype is ReadingType.DISCRETE_ON_OFF
    # a field the catalogue does not know keeps an unspecified TypeSpec (never None)
    unknown = decode_sensor_refs({"brandNewField": OUTLET_SENSORS["voltage"]})["brandNewField"]
    assert unknown.type_spec.type is SensorType.UNSPECIFIED and not unknown.catalogued


def test_vector_sensor_fields() -> None:
    sensors = decode_sensor_refs(
        {
            "powerSupplyStatus": [
                {"rid": "/a", "type": "sensors.StateSensor:4.0.8"},
                None,
                {"rid": "/b", "type": "sensors.StateSensor:4.0.8"},
            ],
            "activePower": None,
        }
    )
    assert set(sensors) == {"powerSupplyStatus[0]", "powerSupplyStatus[2]"}
    assert sensors["powerSupplyStatus[2]"].key == "powerSupplyStatus"
    assert decode_sensor_refs(None) == {}


@pytest.mark.parametrize(
    ("type_code", "key", "kind"),
    [
        ("sensors.NumericSensor:4.0.3", "voltage", SensorKind.NUMERIC),
        ("sensors.AccumulatingNumericSensor:2.0.10", "activeEnergy", SensorKind.ACCUMULATING),
        ("pdumodel.TypeBResidualCurrentNumericSensor:1.0.4", "residualCurrent", SensorKind.NUMERIC),
        ("pdumodel.VoltageMonitoringSensor:1.0.0", "voltage", SensorKind.NUMERIC),
        ("pdumodel.OverCurrentProtectorTripSensor:1.1.14", "trip", SensorKind.STATE),
        ("pdumodel.ResidualCurrentStateSensor:2.0.5", "residualCurrentStatus", SensorKind.STATE),
        ("pdumodel.PowerQualitySensor:1.0.0", "powerQuality", SensorKind.STATE),
        ("sensors.Switch:2.0.10", "device", SensorKind.STATE),
        ("vendor.Switch:1.0.0", "device", SensorKind.STATE),
        ("sensors.StateSensor:4.0.3", "outletState", SensorKind.STATE),
        # nested versioned segments and unknown future interfaces
        ("pdumodel.Foo_1_0_0.NumericSensor:1.0.0", "x", SensorKind.NUMERIC),
        ("vendor.FancyAccumulatingThing:1.0.0", "x", SensorKind.ACCUMULATING),
        ("vendor.FancyNumericThing:1.0.0", "x", SensorKind.NUMERIC),
        ("vendor.DoorStateThing:1.0.0", "x", SensorKind.STATE),
        ("vendor.Unknown:1.0.0", "trip", SensorKind.STATE),
        ("vendor.Unknown:1.0.0", "voltage", SensorKind.NUMERIC),
        ("", "surgeProtectorStatus", SensorKind.STATE),
    ],
)
def test_sensor_kind_dispatch_on_base_type(type_code: str, key: str, kind: SensorKind) -> None:
    assert sensor_kind(Ref("/r", type_code), key) is kind


def test_base_type_name_strips_versions() -> None:
    assert base_type_name("sensors.NumericSensor:4.0.5") == "sensors.NumericSensor"
    assert base_type_name("pdumodel.Outlet_3_0_4.State:1.0.0") == "pdumodel.Outlet.State"
    assert Ref("/r", "sensors.Switch:2.0.5").base_type == "sensors.Switch"


def test_refs_tolerate_null_and_garbage() -> None:
    assert Ref.from_json(None) is None
    assert Ref.from_json({"rid": ""}) is None
    assert Ref.from_json({"rid": "/x"}) == Ref("/x", "")
    refs = decode_refs([{"rid": "/a", "type": "t"}, None, 5, {"rid": "/b", "type": "t"}])
    assert [r.rid for r in refs] == ["/a", "/b"]
    assert decode_refs({"rid": "/a"}) == []


def test_pole_decoding() -> None:
    pole = PoleInfo.from_json(0, POLE_0)
    assert pole.line is PowerLine.L1
    assert pole.node_id == 1
    assert set(pole.sensors) == {"voltage", "voltageLN", "current", "activePower", "activeEnergy"}
    assert pole.sensors["activeEnergy"].kind is SensorKind.ACCUMULATING
    assert PoleInfo.from_json(3, {"line": 42}).line == 42  # unknown enum stays int
    assert PoleInfo.from_json(1, None).sensors == {}


def test_numeric_metadata_and_reading() -> None:
    info = SensorInfo.from_ref("voltage", Ref(f"/tfwopaque/{NS}/I0Voltage", NS))
    info = info.with_numeric_metadata(VOLTAGE_META)
    assert info.type_spec == TypeSpec(ReadingType.NUMERIC, SensorType.VOLTAGE, SensorUnit.VOLT)
    assert info.decdigits == 0
    assert info.range_upper == pytest.approx(866.0254037844386)
    assert info.unit_symbol == "V"
    assert info.state_mapping is None
    reading = NumericReading.from_json(READING)
    assert reading.value == pytest.approx(399.73136216714346)
    assert reading.available and reading.valid
    assert reading.timestamp == 1662990829
    assert reading.above_upper_warning and not reading.above_upper_critical
    invalid = NumericReading.from_json({**READING, "valid": False})
    assert invalid.value is None and invalid.available
    assert NumericReading.from_json({"available": True, "valid": True, "value": 3}).value == 3.0
    assert NumericReading.from_json(None) == NumericReading(None, False, False)
    partial = {
        "available": True,
        "valid": True,
        "value": 2.5,
        "status": {"aboveUpperCritical": True},
    }
    assert NumericReading.from_json(partial) == NumericReading(2.5, True, True, None, True)
    bool_ts = {**READING, "timestamp": True}
    assert NumericReading.from_json(bool_ts).timestamp is None
    assert NumericReading.from_json({"available": True, "valid": True, "value": True}).value is None


def test_state_reading_and_outlet_state() -> None:
    assert StateReading.from_json({"timestamp": 1700000000, "available": True, "value": 1}) == (
        StateReading(1, True, 1700000000)
    )
    assert StateReading.from_json({"available": False, "value": 1}).value is None
    assert StateReading.from_json("x") == StateReading(None, False)
    state = OutletState.from_json(
        {
            "available": True,
            "powerState": 1,
            "switchOnInProgress": False,
            "cycleInProgress": False,
            "isLoadShed": False,
            "isSuspended": False,
            "hasInrushWaveform": False,
            "inServiceMode": False,
            "ledState": {"red": False, "green": False, "blinking": False},
            "lastPowerStateChange": 1700000000,
        }
    )
    assert state.power_state is PowerState.ON and state.is_on is True
    assert state.last_power_state_change == 1700000000
    # 3.0-era state without isLoadShed etc.
    old = OutletState.from_json({"available": True, "powerState": 0, "cycleInProgress": True})
    assert old.is_on is False and old.cycle_in_progress and not old.is_load_shed
    assert OutletState.from_json({"available": False, "powerState": 1}).is_on is None
    assert OutletState.from_json(None).available is False
    assert OutletState.from_json({"available": True, "powerState": 7}).power_state == 7


def test_type_spec_tolerance() -> None:
    spec = TypeSpec.from_json({"readingtype": 0, "type": 99, "unit": 77})
    assert spec.type == 99 and spec.unit == 77 and not isinstance(spec.type, SensorType)
    assert spec.unit_symbol is None
    assert TypeSpec.from_json(None, 1).readingtype is ReadingType.DISCRETE_ON_OFF
    assert TypeSpec.from_json({"readingtype": 0}, 2).readingtype is ReadingType.NUMERIC
    assert TypeSpec.from_json({"readingtype": 0, "type": 8, "unit": 7}).is_numeric


def test_peripheral_channel_quirk_gives_identical_keys() -> None:
    info40 = PeripheralInfo.from_json(0, "/slot0", DEVICE_40, SLOT_SETTINGS)
    device36 = {
        "type": "peripheral.Device:3.0.2",
        "value": {
            **DEVICE_40["value"],
            "deviceID": {**DEVICE_40["value"]["deviceID"], "channel": 0},
        },  # type: ignore[dict-item]
    }
    info36 = PeripheralInfo.from_json(0, "/slot0", device36, SLOT_SETTINGS)
    assert info40 is not None and info36 is not None
    assert info40.channel == -1 and info36.channel == 0
    assert info40.unique_key == info36.unique_key == "1JX9803775:8:0"
    assert info40.name == "back top" and info40.display_name == "back top"
    assert info40.location == ("", "", "38")
    assert info40.position[0].port_type is PortType.DEV_PORT
    assert info40.position[1].port_type is PortType.CHAIN_POS
    assert info40.sensor is not None and info40.sensor.kind is SensorKind.NUMERIC
    assert info40.package_class == "1JX"
    # a second channel of a multi-channel device keeps its channel in the key
    multi = {
        "value": {
            "deviceID": {
                "serial": "S",
                "type": {"readingtype": 1, "type": 39},
                "isActuator": True,
                "channel": 2,
            }
        }
    }
    info = PeripheralInfo.from_json(
        4, "/slot4", multi, None, type_names={(1, 39, 0, True): "Dry Contact"}
    )
    assert info is not None
    assert info.unique_key == "S:39:1:2"
    assert info.sensor is None
    assert info.display_name == "Dry Contact"
    no_names = PeripheralInfo.from_json(4, "/slot4", multi, None)
    assert no_names is not None and no_names.display_name == "Sensor 5"


def test_empty_slot_and_state_peripheral() -> None:
    assert PeripheralInfo.from_json(1, "/slot1", None, SLOT_SETTINGS) is None
    assert PeripheralInfo.from_json(1, "/slot1", {"type": "x", "value": None}, None) is None
    door = {
        "deviceID": {"serial": "D1", "type": {"readingtype": 1, "type": 42, "unit": 0}},
        "device": {"rid": "/door", "type": "vendor.Thing:1.0.0"},
        "position": [{"portType": 55, "port": "9"}, "bad"],
    }
    info = PeripheralInfo.from_json(2, "/slot2", door, {})
    assert info is not None and info.sensor is not None
    assert info.sensor.kind is SensorKind.STATE  # from the TypeSpec reading type
    assert info.sensor.state_mapping is OpenClosedState
    assert info.channel == -1
    assert info.position[0].port_type == 55


def test_device_type_infos() -> None:
    names = decode_device_type_infos(
        [
            {
                "type": {"readingtype": 0, "type": 8, "unit": 7},
                "isActuator": False,
                "name": "Temperature",
            },
            {
                "type": {"readingtype": 1, "type": 39, "unit": 0},
                "isActuator": True,
                "name": "Dry Contact",
            },
            {"type": {}, "name": ""},
            "junk",
        ]
    )
    assert names == {(0, 8, 7, False): "Temperature", (1, 39, 0, True): "Dry Contact"}
    assert decode_device_type_infos(None) == {}


def test_package_models() -> None:
    """``getDiscoveredPackageInfos``: the model of each package by serial; a package without
    serial or model, or not a package info, is left out."""
    hw = {"serial": "1JX8882770", "packageClass": "1JX", "model": "DPX3-T3H1", "revision": "3"}
    models = decode_package_models(
        [
            {"state": 0, "position": [], "hwInfo": hw},
            {"hwInfo": {"serial": "1DC1", "model": ""}},
            {"hwInfo": {"model": "DX2-DH2C2"}},
            {"hwInfo": "junk"},
            "junk",
        ]
    )
    assert models == {"1JX8882770": "DPX3-T3H1"}
    assert decode_package_models(None) == {}


def test_cascade_status_36_44_and_link_units() -> None:
    v36 = CascadeStatus.from_json(
        {
            "role": 1,
            "master": "",
            "linkUnits": [{"key": 2, "value": {"host": "192.0.2.21", "status": 1}}],
        }
    )
    assert v36.role is CascadeRole.PRIMARY_UNIT and v36.primary_host is None
    assert v36.link_units[2].host == "192.0.2.21"
    assert v36.link_units[2].status is LinkUnitStatus.OK
    assert v36.link_units[2].type is None and v36.link_units[2].fw_version is None
    v44 = CascadeStatus.from_json(
        {
            "role": 1,
            "primaryUnit": "",
            "primaryLinkId": 1,
            "linkUnits": [
                {"key": 2, "value": {"type": 0, "host": "h2", "status": 1, "fwVersion": "4.4.1"}},
                {"key": 3, "value": {"type": 2, "host": "h3", "status": 42, "fwVersion": ""}},
                {"key": "4", "value": {"status": 2}},
                {"key": "x", "value": {}},
                {"key": [1], "value": {}},
                "junk",
            ],
        }
    )
    assert v44.primary_link_id == 1
    assert v44.link_units[2].type is LinkUnitType.NETWORK
    assert v44.link_units[2].fw_version == "4.4.1"
    assert v44.link_units[3].status == 42  # unknown status stays int
    assert v44.link_units[3].type is LinkUnitType.ZIGBEE
    assert v44.link_units[4].status is LinkUnitStatus.UNREACHABLE
    assert set(v44.link_units) == {2, 3, 4}
    link = CascadeStatus.from_json({"role": 2, "master": "192.0.2.1", "linkUnits": []})
    assert link.role is CascadeRole.LINK_UNIT and link.primary_host == "192.0.2.1"
    link4 = CascadeStatus.from_json({"role": 2, "primaryUnit": "10.0.0.1"})
    assert link4.primary_host == "10.0.0.1"
    assert CascadeStatus.from_json(None) == CascadeStatus.standalone()
    assert CascadeStatus.from_json({"role": 9}).role == 9
    assert CascadeStatus.from_json({"linkUnits": [{"key": 2, "value": {}}]}).link_units[
        2
    ].status is (LinkUnitStatus.UNKNOWN)


def test_decode_map_and_void() -> None:
    assert decode_map([{"key": "a", "value": 1}, {"nokey": 1}]) == {"a": 1}
    assert decode_map({"a": 1}) == {"a": 1}
    assert decode_map(None) == {}
    assert is_void_result(None) and is_void_result({}) and not is_void_result({"_ret_": 0})


def test_constant_tables_are_complete() -> None:
    assert [t.value for t in SensorType] == list(range(55))
    assert [u.value for u in SensorUnit] == list(range(52))
    assert set(SENSOR_TYPE_INFO) == set(SensorType)
    assert set(UNIT_SYMBOLS) == set(SensorUnit)
    assert sensor_type_info(SensorType.VOLTAGE).unit is SensorUnit.VOLT
    assert sensor_type_info(SensorType.TRIP_SENSOR).discrete
    assert sensor_type_info(SensorType.VOLTAGE).kind == "voltage"
    assert sensor_type_info(999).kind == "type_999"
    assert unit_symbol(SensorUnit.DEGREE_CELSIUS) == "°C"
    assert unit_symbol(SensorUnit.NONE) is None
    assert unit_symbol(1234) is None
    assert to_enum(PowerState, 1) is PowerState.ON
    assert to_enum(PowerState, 5) == 5
    assert to_enum(PowerState, True) is None
    assert to_enum(PowerState, "1") is None
    assert to_enum(OcpType, 7) is OcpType.RCBO_4POLE


@pytest.mark.parametrize(
    ("sensor_type", "readingtype", "interface", "mapping"),
    [
        (SensorType.ON_OFF_SENSOR, 1, None, OnOffState),
        (SensorType.DRY_CONTACT, 1, None, OnOffState),
        (SensorType.POWERED_DRY_CONTACT, 1, None, OnOffState),
        (SensorType.TRIP_SENSOR, 1, None, OpenClosedState),
        (SensorType.DOOR_STATE, 1, None, OpenClosedState),
        (SensorType.DOOR_LOCK_STATE, 1, None, OpenClosedState),
        (SensorType.DOOR_HANDLE_LOCK, 1, None, OpenClosedState),
        (SensorType.CONTACT_CLOSURE, 1, None, NormalAlarmedState),
        (SensorType.VIBRATION, 1, None, NormalAlarmedState),
        (SensorType.WATER_LEAK, 1, None, NormalAlarmedState),
        (SensorType.SMOKE_DETECTOR, 1, None, NormalAlarmedState),
        (SensorType.OCCUPANCY, 1, None, NormalAlarmedState),
        (SensorType.TAMPER, 1, None, NormalAlarmedState),
        (SensorType.FAULT_STATE, 1, None, NormalAlarmedState),
        (SensorType.MAGNETIC_FIELD_STRENGTH, 1, None, NormalAlarmedState),
        (SensorType.FAULT_STATE, 2, None, None),
        (SensorType.MOTION, 1, None, None),
        (SensorType.POWER_QUALITY, 2, None, PowerQualityState),
        (0, 2, "pdumodel.ResidualCurrentStateSensor", ResidualCurrentState),
        (0, 2, "pdumodel.PowerQualitySensor", PowerQualityState),
        (0, 1, "pdumodel.OverCurrentProtectorTripSensor", OpenClosedState),
        (999, None, None, None),
    ],
)
def test_state_mapping_table(
    sensor_type: int, readingtype: int | None, interface: str | None, mapping: object
) -> None:
    assert state_mapping(sensor_type, readingtype, interface) is mapping


def test_trip_semantics_open_means_tripped() -> None:
    trip = SensorInfo(
        "trip",
        Ref("/t", "pdumodel.OverCurrentProtectorTripSensor:1.1.14"),
        SensorKind.STATE,
        TypeSpec(ReadingType.DISCRETE_ON_OFF, SensorType.TRIP_SENSOR, SensorUnit.NONE),
    )
    mapping = trip.state_mapping
    assert mapping is OpenClosedState
    assert mapping(0) is OpenClosedState.OPEN  # tripped
    surge = SensorInfo.from_ref("surgeProtectorStatus", Ref("/s", "sensors.StateSensor:4.0.8"))
    surge = surge.with_type_spec({"readingtype": 1, "type": 29, "unit": 0})
    assert surge.state_mapping is NormalAlarmedState
    assert OkFaultState.FAULT == 1


def test_unit_topology_iter_sensors() -> None:
    ident = PduIdentity.from_json(0, "/model/pdu/0", PDU_META_302, {})
    unit = UnitTopology(ident, [], [], [], [], decode_sensor_refs(OUTLET_SENSORS))
    assert unit.pdu_id == 0
    assert len(list(unit.iter_sensors())) == 8


@pytest.mark.parametrize(
    "text",
    [
        ":".join(["ab", "cd", "ef", "01", "23", "45", "67", "89"] * 4),
        "ABCDEF0123456789" * 4,
        "sha256: " + " ".join(["AB", "CD", "EF", "01", "23", "45", "67", "89"] * 4),
        "SHA256=" + "-".join(["ab", "cd", "ef", "01", "23", "45", "67", "89"] * 4),
    ],
)
def test_normalize_fingerprint(text: str) -> None:
    expected = ":".join(["AB", "CD", "EF", "01", "23", "45", "67", "89"] * 4)
    assert normalize_fingerprint(text) == expected
    assert format_fingerprint(fingerprint_to_bytes(text)) == expected


@pytest.mark.parametrize("text", ["", "AB:CD", "zz" * 32, "AB" * 33])
def test_normalize_fingerprint_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        normalize_fingerprint(text)


def test_certificate_fingerprint() -> None:
    fp = certificate_fingerprint(b"der")
    assert len(fp) == 95 and fp == fp.upper()


# --- bad values (issue #12) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [float("nan"), float("inf"), float("-inf"), 10**400, -(10**309), "5", True, None]
)
def test_non_finite_or_huge_readings_are_not_valid(raw: object) -> None:
    """NaN, ±Infinity, ``1e400`` (parses to inf) and 309+ digit integers: unknown, not valid."""
    for reading in (
        NumericReading.from_json({**READING, "value": raw}),
        NumericReading.from_json({"available": True, "valid": True, "value": raw}),  # no status
    ):
        assert reading.value is None
        assert not reading.valid
        assert reading.available
    assert NumericReading.from_json({**READING, "value": 10**300}).value == float(10**300)


def test_huge_metadata_numbers_cost_only_that_field() -> None:
    """A range bound or resolution above ~1e308 (OverflowError before) is just unknown."""
    ref = Ref("/s", NS)
    info = SensorInfo.from_ref("activePower", ref).with_numeric_metadata(
        {
            **VOLTAGE_META,
            "range": {"lower": float("-inf"), "upper": 10**400},
            "resolution": float("nan"),
            "decdigits": 10**400,
        }
    )
    assert (info.range_lower, info.range_upper, info.resolution) == (None, None, None)
    assert info.decdigits == 0  # the catalogue's, not an absurd one
    assert info.type_spec.type is SensorType.VOLTAGE and info.device_metadata
    assert Rating.from_json({"decimalCurrent": 10**400, "current": 16}).current == 16.0


def test_malformed_peripheral_fields_cost_only_those_fields() -> None:
    """``"position": 1`` raised TypeError; now the peripheral stays, without a position."""
    value = {**DEVICE_40["value"], "position": 1, "packageClass": 5}
    info = PeripheralInfo.from_json(3, "/slot/3", {"type": "x", "value": value}, {"name": 7})
    assert info is not None
    assert info.position == () and info.package_class == "" and info.name == ""
    assert info.unique_key == "1JX9803775:8:0"
    # A device without a device id cannot be identified (discovery leaves it out and tells).
    for device in ({"value": {"position": []}}, {"value": {"deviceID": 5}}, {"value": 3}):
        assert PeripheralInfo.from_json(0, "/slot/0", device, None) is None


def test_unknown_states_are_not_definite_states() -> None:
    """powerState 2 is neither on nor off; trip 7, door 9, smoke 2 are no known states."""
    state = OutletState.from_json({"available": True, "powerState": 2})
    assert state.power_state == 2 and state.is_on is None
    assert OutletState.from_json({"available": True, "powerState": 0}).is_on is False
    assert OutletState.from_json({"available": False, "powerState": 1}).is_on is None

    trip = SensorInfo.from_ref(
        "trip", Ref("/t", "pdumodel.OverCurrentProtectorTripSensor:1.1.14")
    )
    assert trip.known_state(0) and trip.known_state(1) and not trip.known_state(7)
    assert not trip.known_state(None)
    door = PeripheralInfo.from_json(
        0,
        "/slot/0",
        {
            "value": {
                "deviceID": {"serial": "D", "type": {"readingtype": 1, "type": 42, "unit": 0}},
                "device": {"rid": "/d", "type": "sensors.StateSensor:4.0.8"},
            }
        },
        None,
    )
    assert door is not None and door.sensor is not None
    assert door.sensor.known_state(1) and not door.sensor.known_state(9)
    smoke = replace(door.sensor, type_spec=TypeSpec(1, SensorType.SMOKE_DETECTOR, 0))
    assert not smoke.known_state(2)
    lock = replace(door.sensor, type_spec=TypeSpec(1, SensorType.DOOR_LOCK_STATE, 0))
    assert not lock.known_state(5)
    # No table: DISCRETE_ON_OFF knows 0 and 1, DISCRETE_MULTI any value; numeric sensors none.
    on_off = replace(door.sensor, type_spec=TypeSpec(1, 99, 0))
    assert on_off.known_state(1) and not on_off.known_state(2)
    multi = replace(door.sensor, type_spec=TypeSpec(2, 99, 0))
    assert multi.known_state(17)
    assert not SensorInfo.from_ref("voltage", Ref("/v", NS)).known_state(0)
    rcm = SensorInfo.from_ref(
        "residualCurrentStatus", Ref("/r", "pdumodel.ResidualCurrentStateSensor:2.0.8")
    )
    assert rcm.known_state(4) and not rcm.known_state(5)
