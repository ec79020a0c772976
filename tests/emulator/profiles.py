"""Firmware profiles: typecodes and exact struct field sets per binding generation.

Every list below was checked against the ``elements`` of the official Python bindings
(``raritan==3.6.0.46486`` and ``raritan==4.4.1.53217``); ``tests/sdk`` proves it on every run by
decoding *and re-encoding* the emulator's answers with those bindings. A profile never contains a
field
of a newer generation: the emulator builds a superset dict and ``Profile.pick`` selects the
profile's
fields in IDL order (a missing field raises ``KeyError`` here rather than on the client).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Interface keys used by the model -> typecode per profile (reference §12.1).
_TYPES_36 = {
    "Pdu": "pdumodel.Pdu:4.1.6",
    "Inlet": "pdumodel.Inlet:2.0.4",
    "Outlet": "pdumodel.Outlet:2.1.5",
    "OverCurrentProtector": "pdumodel.OverCurrentProtector:3.0.4",
    "TripSensor": "pdumodel.OverCurrentProtectorTripSensor:1.0.5",
    "NumericSensor": "sensors.NumericSensor:4.0.3",
    "AccumulatingNumericSensor": "sensors.AccumulatingNumericSensor:2.0.3",
    "StateSensor": "sensors.StateSensor:4.0.3",
    "Switch": "sensors.Switch:2.0.5",
    "DeviceManager": "peripheral.DeviceManager:3.0.2",
    "DeviceSlot": "peripheral.DeviceSlot:2.0.3",
    "Device": "peripheral.Device:3.0.2",
    "CascadeManager": "cascading.CascadeManager:1.0.0",
    "SessionManager": "session.SessionManager:2.0.0",
    "Firmware": "firmware.Firmware:2.0.1",
    "BulkRequest": "bulkrpc.BulkRequest:1.0.2",
    "Unit": "pdumodel.Unit:2.0.1",
}
_TYPES_44 = {
    "Pdu": "pdumodel.Pdu:6.5.7",
    "Inlet": "pdumodel.Inlet:3.0.4",
    "Outlet": "pdumodel.Outlet:3.0.4",
    "OverCurrentProtector": "pdumodel.OverCurrentProtector:4.0.4",
    "TripSensor": "pdumodel.OverCurrentProtectorTripSensor:1.1.14",
    "NumericSensor": "sensors.NumericSensor:4.0.9",
    "AccumulatingNumericSensor": "sensors.AccumulatingNumericSensor:2.0.10",
    "StateSensor": "sensors.StateSensor:4.0.8",
    "Switch": "sensors.Switch:2.0.10",
    "DeviceManager": "peripheral.DeviceManager:5.3.6",
    "DeviceSlot": "peripheral.DeviceSlot:5.0.3",
    "Device": "peripheral.Device:7.0.3",
    "CascadeManager": "cascading.CascadeManager:3.0.0",
    "SessionManager": "session.SessionManager:2.0.0",
    "Firmware": "firmware.Firmware:2.0.4",
    "BulkRequest": "bulkrpc.BulkRequest:1.0.2",
    "Unit": "pdumodel.Unit:2.0.1",
}

# Base interface chain (most derived first) for the implicit getTypeInfo and for stats keys.
BASES = {
    "Pdu": ["Pdu"],
    "Inlet": ["Inlet"],
    "Outlet": ["Outlet"],
    "OverCurrentProtector": ["OverCurrentProtector"],
    "TripSensor": ["TripSensor", "StateSensor"],
    "NumericSensor": ["NumericSensor"],
    "AccumulatingNumericSensor": ["AccumulatingNumericSensor", "NumericSensor"],
    "StateSensor": ["StateSensor"],
    "Switch": ["Switch", "StateSensor"],
}

_COMMON_FIELDS: dict[str, list[str]] = {
    "Nameplate": [
        "manufacturer",
        "brand",
        "model",
        "partNumber",
        "serialNumber",
        "rating",
        "imageFileURL",
    ],
    "Nameplate.Rating": ["voltage", "current", "frequency", "power"],
    "Rating": ["current", "decimalCurrent", "minVoltage", "maxVoltage"],
    "Outlet.Settings": [
        "name",
        "startupState",
        "usePduCycleDelay",
        "cycleDelay",
        "nonCritical",
        "sequenceDelay",
    ],
    "Outlet.LedState": ["red", "green", "blinking"],
    "Inlet.Settings": ["name"],
    "OverCurrentProtector.Settings": ["name"],
    "OverCurrentProtector.MetaData": ["label", "namePlate", "rating", "type", "maxTripCnt"],
    "DoublePole": [
        "label",
        "line",
        "inNodeId",
        "outNodeId",
        "voltage",
        "voltageLN",
        "current",
        "peakCurrent",
        "activePower",
        "apparentPower",
        "powerFactor",
        "activeEnergy",
        "apparentEnergy",
    ],
    "Pdu.OutletSequenceState": [
        "sequenceRunning",
        "nextOutletToSwitch",
        "timeUntilNextSwitch",
        "outletsRemaining",
        "cancelableOutletsRemaining",
    ],
    "TypeSpec": ["readingtype", "type", "unit"],
    "NumericSensor.Reading": ["timestamp", "available", "status", "valid", "value"],
    "NumericSensor.Reading.Status": [
        "aboveUpperCritical",
        "aboveUpperWarning",
        "belowLowerWarning",
        "belowLowerCritical",
    ],
    "NumericSensor.MetaData": [
        "type",
        "decdigits",
        "accuracy",
        "resolution",
        "tolerance",
        "noiseThreshold",
        "range",
        "thresholdCaps",
    ],
    "NumericSensor.Range": ["lower", "upper"],
    "NumericSensor.ThresholdCapabilities": [
        "hasUpperCritical",
        "hasUpperWarning",
        "hasLowerWarning",
        "hasLowerCritical",
    ],
    "NumericSensor.Thresholds": [
        "upperCriticalActive",
        "upperCritical",
        "upperWarningActive",
        "upperWarning",
        "lowerWarningActive",
        "lowerWarning",
        "lowerCriticalActive",
        "lowerCritical",
        "assertionTimeout",
        "deassertionHysteresis",
    ],
    "StateSensor.State": ["timestamp", "available", "value"],
    "DeviceID": ["serial", "type", "isActuator", "channel"],
    "PosElement": ["portType", "port"],
    "Device": ["deviceID", "position", "packageClass", "device"],
    "DeviceSlot.Settings": [
        "name",
        "description",
        "location",
        "useDefaultThresholds",
        "properties",
    ],
    "DeviceSlot.Location": ["x", "y", "z"],
    "DeviceManager.MetaData": ["oneWirePortCount", "onboardDeviceCount"],
    "DeviceManager.DeviceTypeInfo": [
        "type",
        "isActuator",
        "identifier",
        "name",
        "defaultRange",
        "defaultDecDigits",
    ],
    "DeviceManager.FirmwareUpdateState": ["active", "remaining"],
    "PackageInfo": ["state", "position", "hwInfo", "fwInfo"],
    "PackageInfo.FirmwareInfo.Version": ["majorNumber", "minorNumber", "bootloaderVersion"],
    "Session": [
        "sessionId",
        "username",
        "remoteIp",
        "clientType",
        "creationTime",
        "timeout",
        "idle",
        "userIdle",
    ],
    "HistoryEntry": ["creationTime", "remoteIp", "clientType"],
    "Unit.MetaData": ["hasOrientationSensor", "supportedDisplayOrientations"],
    "Unit.Settings": ["buzzerMuted", "autoDisplayOrientation", "displayOrientation"],
}

_FIELDS_36: dict[str, list[str]] = {
    "Pdu.MetaData": [
        "nameplate",
        "ctrlBoardSerial",
        "hwRevision",
        "fwRevision",
        "macAddress",
        "hasSwitchableOutlets",
        "hasMeteredOutlets",
        "hasLatchingOutletRelays",
        "isInlineMeter",
        "isEnergyPulseSupported",
    ],
    "Pdu.Settings": [
        "name",
        "startupState",
        "cycleDelay",
        "inRushGuardDelay",
        "outletPowerStateSequence",
        "powerOnDelay",
        "latchingRelays",
        "energyPulseEnabled",
        "energyPulsesPerKWh",
    ],
    "Pdu.Sensors": ["powerSupplyStatus", "activePower", "activeEnergy"],
    "Outlet.MetaData": [
        "label",
        "receptacleType",
        "namePlate",
        "rating",
        "isSwitchable",
        "isLatching",
        "maxRelayCycleCnt",
    ],
    "Outlet.State": [
        "available",
        "powerState",
        "switchOnInProgress",
        "cycleInProgress",
        "isLoadShed",
        "ledState",
        "lastPowerStateChange",
    ],
    "Outlet.Sensors": [
        "voltage",
        "current",
        "peakCurrent",
        "maximumCurrent",
        "unbalancedCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "phaseAngle",
        "lineFrequency",
        "crestFactor",
        "outletState",
    ],
    "Inlet.MetaData": ["label", "plugType", "namePlate", "rating"],
    "Inlet.Sensors": [
        "voltage",
        "current",
        "peakCurrent",
        "residualCurrent",
        "residualDCCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "unbalancedCurrent",
        "lineFrequency",
        "phaseAngle",
        "crestFactor",
        "powerQuality",
        "surgeProtectorStatus",
        "residualCurrentStatus",
    ],
    "Pole": [
        "label",
        "line",
        "nodeId",
        "voltage",
        "voltageLN",
        "current",
        "peakCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "phaseAngle",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "residualCurrent",
        "residualDCCurrent",
        "crestFactor",
        "residualCurrentStatus",
    ],
    "OverCurrentProtector.Sensors": [
        "trip",
        "voltage",
        "current",
        "peakCurrent",
        "maximumCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "displacementPowerFactor",
        "crestFactor",
        "activeEnergy",
        "apparentEnergy",
        "phaseAngle",
        "lineFrequency",
    ],
    "CascadeManager.Status": ["role", "master", "linkUnits"],
    "CascadeManager.LinkUnit": ["host", "status"],
    "DeviceManager.Settings": [
        "zCoordMode",
        "autoManageNewDevices",
        "deviceAltitude",
        "presenceDetectionTimeout",
        "defaultThresholdsMap",
        "maxActivePoweredDryContacts",
    ],
    "DeviceManager.Statistics": ["cSumErrCnt"],
    "CtrlStatistic": [
        "masterCSumErrCnt",
        "slaveCSumErrCnt",
        "timeoutCnt",
        "resetCnt",
        "emResetCnt",
    ],
    "PackageInfo.HardwareInfo": [
        "serial",
        "packageClass",
        "model",
        "minDowngradeVersion",
        "revision",
    ],
    "PackageInfo.FirmwareInfo": ["compileDate", "version", "updateDate"],
}

_FIELDS_44: dict[str, list[str]] = {
    "Pdu.MetaData": [
        *_FIELDS_36["Pdu.MetaData"],
        "hasDCInlets",
        "pduOrientation",
        "supportedInletWirings",
    ],
    "Pdu.Settings": [
        *_FIELDS_36["Pdu.Settings"],
        "demandUpdateInterval",
        "demandAveragingIntervals",
        "suspendTripCauseOutlets",
        "inhibitRelayControl",
        "inletWiring",
    ],
    "Pdu.Sensors": [
        "powerSupplyStatus",
        "activePower",
        "apparentPower",
        "activeEnergy",
        "apparentEnergy",
    ],
    "Outlet.MetaData": [
        *_FIELDS_36["Outlet.MetaData"],
        "hasWaveformSupport",
        "hasServiceModeSupport",
    ],
    "Outlet.State": [
        "available",
        "powerState",
        "switchOnInProgress",
        "cycleInProgress",
        "isLoadShed",
        "isSuspended",
        "hasInrushWaveform",
        "inServiceMode",
        "ledState",
        "lastPowerStateChange",
    ],
    "Outlet.Sensors": [
        "voltage",
        "current",
        "peakCurrent",
        "maximumCurrent",
        "unbalancedCurrent",
        "unbalancedVoltage",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "phaseAngle",
        "lineFrequency",
        "crestFactor",
        "voltageThd",
        "currentThd",
        "inrushCurrent",
        "outletState",
    ],
    "Inlet.MetaData": ["label", "plugType", "namePlate", "rating", "hasWaveformSupport", "isDC"],
    "Inlet.Sensors": [
        "voltage",
        "current",
        "peakCurrent",
        "residualCurrent",
        "residualACCurrent",
        "residualDCCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "unbalancedCurrent",
        "unbalancedLineLineCurrent",
        "unbalancedVoltage",
        "unbalancedLineLineVoltage",
        "lineFrequency",
        "phaseAngle",
        "crestFactor",
        "voltageThd",
        "currentThd",
        "powerQuality",
        "surgeProtectorStatus",
        "residualCurrentStatus",
    ],
    "Pole": [
        "label",
        "line",
        "nodeId",
        "voltage",
        "voltageLN",
        "current",
        "peakCurrent",
        "activePower",
        "reactivePower",
        "apparentPower",
        "powerFactor",
        "phaseAngle",
        "displacementPowerFactor",
        "activeEnergy",
        "apparentEnergy",
        "residualCurrent",
        "residualACCurrent",
        "residualDCCurrent",
        "crestFactor",
        "voltageThd",
        "currentThd",
        "residualCurrentStatus",
    ],
    "OverCurrentProtector.Sensors": [
        *_FIELDS_36["OverCurrentProtector.Sensors"],
        "residualCurrent",
        "residualACCurrent",
        "residualDCCurrent",
        "residualCurrentStatus",
    ],
    "CascadeManager.Status": ["role", "primaryUnit", "primaryLinkId", "linkUnits"],
    "CascadeManager.LinkUnit": ["type", "host", "status", "fwVersion"],
    "DeviceManager.Settings": [*_FIELDS_36["DeviceManager.Settings"], "muteOtherAccessControlUnit"],
    "DeviceManager.Statistics": ["cSumErrCnt", "fuseTripCnt"],
    "CtrlStatistic": ["mainCSumErrCnt", "subCSumErrCnt", "timeoutCnt", "resetCnt", "emResetCnt"],
    "PackageInfo.HardwareInfo": [*_FIELDS_36["PackageInfo.HardwareInfo"], "address"],
    "PackageInfo.FirmwareInfo": [*_FIELDS_36["PackageInfo.FirmwareInfo"], "firmwareName"],
    "Firmware.Info": ["product", "platform", "version"],
    "NumericSensor.MinMax": [
        "minReading",
        "minReadingTimestamp",
        "maxReading",
        "maxReadingTimestamp",
        "valid",
        "observedSince",
    ],
    "TripSensor.TripEventInformation": ["cause", "timestamp", "current"],
}


@dataclass(frozen=True)
class Profile:
    """One firmware generation as seen on the wire."""

    name: str
    fw_version: str
    types: dict[str, str]
    fields: dict[str, list[str]]
    slot_count: int
    device_channel: int
    is_4x: bool
    # methods that only exist in this generation's IDL (others answer -32601)
    extra_methods: frozenset[str] = field(default_factory=frozenset)

    def typecode(self, iface: str) -> str:
        return self.types[iface]

    def pick(self, struct: str, full: dict[str, Any]) -> dict[str, Any]:
        """Return ``full`` reduced to the struct's fields of this profile, in IDL order."""
        return {name: full[name] for name in self.fields[struct]}

    def has(self, struct: str, name: str) -> bool:
        return name in self.fields[struct]


PROFILES: dict[str, Profile] = {
    "3.6": Profile(
        name="3.6",
        fw_version="3.6.0.5-46486",
        types=_TYPES_36,
        fields={**_COMMON_FIELDS, **_FIELDS_36},
        slot_count=32,
        device_channel=0,
        is_4x=False,
    ),
    "4.4": Profile(
        name="4.4",
        fw_version="4.4.1.5-53217",
        types=_TYPES_44,
        fields={**_COMMON_FIELDS, **_FIELDS_44},
        slot_count=64,
        device_channel=-1,
        is_4x=True,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[str(name)]
    except KeyError:
        raise ValueError(
            f"unknown firmware profile {name!r}; choose one of {sorted(PROFILES)}"
        ) from None
