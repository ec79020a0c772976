"""Emulator profile struct keys (tests/emulator/profiles.py) -> binding class paths."""

from __future__ import annotations

PREFIXES = {
    "Pdu": "pdumodel.Pdu",
    "Outlet": "pdumodel.Outlet",
    "Inlet": "pdumodel.Inlet",
    "OverCurrentProtector": "pdumodel.OverCurrentProtector",
    "Unit": "pdumodel.Unit",
    "Nameplate": "pdumodel.Nameplate",
    "Rating": "pdumodel.Rating",
    "Pole": "pdumodel.Pole",
    "DoublePole": "pdumodel.DoublePole",
    "CtrlStatistic": "pdumodel.CtrlStatistic",
    "TripSensor": "pdumodel.OverCurrentProtectorTripSensor",
    "TypeSpec": "sensors.Sensor.TypeSpec",
    "NumericSensor": "sensors.NumericSensor",
    "StateSensor": "sensors.StateSensor",
    "AlertedSensorManager": "sensors.AlertedSensorManager",
    "DeviceID": "peripheral.DeviceID",
    "PosElement": "peripheral.PosElement",
    "DeviceSlot": "peripheral.DeviceSlot",
    "DeviceManager": "peripheral.DeviceManager",
    "PackageInfo": "peripheral.PackageInfo",
    "Session": "session.Session",
    "HistoryEntry": "session.HistoryEntry",
    "CascadeManager": "cascading.CascadeManager",
    "Firmware": "firmware.Firmware",
    "OutletGroup": "pdumodel.OutletGroup",
}
# value objects have no ``elements`` list in the bindings (their layout is checked by the scenario)
NOT_STRUCTS = {"Device"}


INTERFACES = {
    "Pdu": "pdumodel.Pdu",
    "Inlet": "pdumodel.Inlet",
    "Outlet": "pdumodel.Outlet",
    "OverCurrentProtector": "pdumodel.OverCurrentProtector",
    "TripSensor": "pdumodel.OverCurrentProtectorTripSensor",
    "NumericSensor": "sensors.NumericSensor",
    "AccumulatingNumericSensor": "sensors.AccumulatingNumericSensor",
    "StateSensor": "sensors.StateSensor",
    "Switch": "sensors.Switch",
    "Sensor": "sensors.Sensor",
    "DeviceManager": "peripheral.DeviceManager",
    "DeviceSlot": "peripheral.DeviceSlot",
    "Device": "peripheral.Device",
    "CascadeManager": "cascading.CascadeManager",
    "SessionManager": "session.SessionManager",
    "Firmware": "firmware.Firmware",
    "BulkRequest": "bulkrpc.BulkRequest",
    "Unit": "pdumodel.Unit",
    "AlertedSensorManager": "sensors.AlertedSensorManager",
    "EDevice": "pdumodel.EDevice",
    "OutletGroupManager": "pdumodel.OutletGroupManager",
    "OutletGroup": "pdumodel.OutletGroup",
    "EventService": "event.Service",
    "EventChannel": "event.Channel",
    "User": "usermgmt.User",
    "RoleManager": "usermgmt.RoleManager",
}


def binding_path(key: str) -> str:
    head, _, rest = key.partition(".")
    base = PREFIXES[head]
    return f"{base}.{rest}" if rest else base
