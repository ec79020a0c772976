"""Constant tables of the Xerus API (enumerations are sent as 0-based integers).

Unknown integers are never an error: :func:`to_enum` returns the plain ``int`` when a value is
not (yet) known to this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final


def to_enum[E: IntEnum](enum_cls: type[E], value: object) -> E | int | None:
    """Return ``enum_cls(value)``; unknown ints stay ints; non-ints give ``None``."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return enum_cls(value)
    except ValueError:
        return value


class ReadingType(IntEnum):
    """``Sensor.TypeSpec.readingtype``."""

    NUMERIC = 0
    DISCRETE_ON_OFF = 1
    DISCRETE_MULTI = 2


class SensorType(IntEnum):
    """``Sensor.TypeSpec.type`` (reference section 8.3, complete as of firmware 4.4)."""

    UNSPECIFIED = 0
    VOLTAGE = 1
    CURRENT = 2
    UNBALANCE_CURRENT = 3
    POWER = 4
    POWER_FACTOR = 5
    ENERGY = 6
    FREQUENCY = 7
    TEMPERATURE = 8
    HUMIDITY = 9
    AIR_FLOW = 10
    AIR_PRESSURE = 11
    CONTACT_CLOSURE = 12
    ON_OFF_SENSOR = 13
    TRIP_SENSOR = 14
    VIBRATION = 15
    WATER_LEAK = 16
    SMOKE_DETECTOR = 17
    TOTAL_HARMONIC_DISTORTION = 18
    MASS = 19
    ELECTRICAL_RESISTANCE = 20
    FLUX = 21
    LUMINOUS_INTENSITY = 22
    ACCELERATION = 23
    MAGNETIC_FLUX_DENSITY = 24
    ELECTRIC_FIELD_STRENGTH = 25
    MAGNETIC_FIELD_STRENGTH = 26
    ANGLE = 27
    SELECTION = 28
    FAULT_STATE = 29
    POWER_QUALITY = 30
    ROTATIONAL_SPEED = 31
    LUMINOUS_ENERGY = 32
    LUMINOUS_FLUX = 33
    ILLUMINANCE = 34
    LUMINOUS_EMITTANCE = 35
    MOTION = 36
    OCCUPANCY = 37
    TAMPER = 38
    DRY_CONTACT = 39
    POWERED_DRY_CONTACT = 40
    ABSOLUTE_HUMIDITY = 41
    DOOR_STATE = 42
    DOOR_LOCK_STATE = 43
    DOOR_HANDLE_LOCK = 44
    CREST_FACTOR = 45
    DISTANCE = 46
    LENGTH = 47
    UNBALANCE_VOLTAGE = 48
    PARTICLE_DENSITY = 49
    DEW_POINT = 50
    ELECTRICAL_IMPEDANCE = 51
    TS_BYPASS_STATE = 52
    BATTERY_LEVEL = 53
    SHELF_POWER_SUPPLY_FAULT = 54


class SensorUnit(IntEnum):
    """``Sensor.TypeSpec.unit`` (reference section 8.4, complete as of firmware 4.4)."""

    NONE = 0
    VOLT = 1
    AMPERE = 2
    WATT = 3
    VOLT_AMP = 4
    WATT_HOUR = 5
    VOLT_AMP_HOUR = 6
    DEGREE_CELSIUS = 7
    HZ = 8
    PERCENT = 9
    METER_PER_SEC = 10
    PASCAL = 11
    G = 12
    RPM = 13
    METER = 14
    HOUR = 15
    MINUTE = 16
    SECOND = 17
    VOLT_AMP_REACTIVE = 18
    VOLT_AMP_REACTIVE_HOUR = 19
    GRAM = 20
    OHM = 21
    LITERS_PER_HOUR = 22
    CANDELA = 23
    METER_PER_SQUARE_SEC = 24
    TESLA = 25
    VOLT_PER_METER = 26
    VOLT_PER_AMPERE = 27
    DEGREE = 28
    DEGREE_FAHRENHEIT = 29
    KELVIN = 30
    JOULE = 31
    COULOMB = 32
    NIT = 33
    LUMEN = 34
    LUMEN_SECOND = 35
    LUX = 36
    PSI = 37
    NEWTON = 38
    FOOT = 39
    FOOT_PER_SEC = 40
    CUBIC_METER = 41
    RADIANT = 42
    STERADIANT = 43
    HENRY = 44
    FARAD = 45
    MOL = 46
    BECQUEREL = 47
    GRAY = 48
    SIEVERT = 49
    G_PER_CUBIC_METER = 50
    UG_PER_CUBIC_METER = 51


#: Display symbol of every unit (``None`` for dimensionless values).
UNIT_SYMBOLS: Final[dict[SensorUnit, str | None]] = {
    SensorUnit.NONE: None,
    SensorUnit.VOLT: "V",
    SensorUnit.AMPERE: "A",
    SensorUnit.WATT: "W",
    SensorUnit.VOLT_AMP: "VA",
    SensorUnit.WATT_HOUR: "Wh",
    SensorUnit.VOLT_AMP_HOUR: "VAh",
    SensorUnit.DEGREE_CELSIUS: "°C",
    SensorUnit.HZ: "Hz",
    SensorUnit.PERCENT: "%",
    SensorUnit.METER_PER_SEC: "m/s",
    SensorUnit.PASCAL: "Pa",
    SensorUnit.G: "g",
    SensorUnit.RPM: "rpm",
    SensorUnit.METER: "m",
    SensorUnit.HOUR: "h",
    SensorUnit.MINUTE: "min",
    SensorUnit.SECOND: "s",
    SensorUnit.VOLT_AMP_REACTIVE: "var",
    SensorUnit.VOLT_AMP_REACTIVE_HOUR: "varh",
    SensorUnit.GRAM: "g",
    SensorUnit.OHM: "Ω",
    SensorUnit.LITERS_PER_HOUR: "l/h",
    SensorUnit.CANDELA: "cd",
    SensorUnit.METER_PER_SQUARE_SEC: "m/s²",
    SensorUnit.TESLA: "T",
    SensorUnit.VOLT_PER_METER: "V/m",
    SensorUnit.VOLT_PER_AMPERE: "V/A",
    SensorUnit.DEGREE: "°",
    SensorUnit.DEGREE_FAHRENHEIT: "°F",
    SensorUnit.KELVIN: "K",
    SensorUnit.JOULE: "J",
    SensorUnit.COULOMB: "C",
    SensorUnit.NIT: "cd/m²",
    SensorUnit.LUMEN: "lm",
    SensorUnit.LUMEN_SECOND: "lm·s",
    SensorUnit.LUX: "lx",
    SensorUnit.PSI: "psi",
    SensorUnit.NEWTON: "N",
    SensorUnit.FOOT: "ft",
    SensorUnit.FOOT_PER_SEC: "ft/s",
    SensorUnit.CUBIC_METER: "m³",
    SensorUnit.RADIANT: "rad",
    SensorUnit.STERADIANT: "sr",
    SensorUnit.HENRY: "H",
    SensorUnit.FARAD: "F",
    SensorUnit.MOL: "mol",
    SensorUnit.BECQUEREL: "Bq",
    SensorUnit.GRAY: "Gy",
    SensorUnit.SIEVERT: "Sv",
    SensorUnit.G_PER_CUBIC_METER: "g/m³",
    SensorUnit.UG_PER_CUBIC_METER: "µg/m³",
}


def unit_symbol(unit: int) -> str | None:
    """Display symbol of a unit constant; ``None`` for NONE and unknown units."""
    try:
        return UNIT_SYMBOLS.get(SensorUnit(unit))
    except ValueError:
        return None


# --- discrete state mappings (reference 8.5 / 7.6) -------------------------------------------


class OnOffState(IntEnum):
    """``Sensor.OnOffState``."""

    OFF = 0
    ON = 1


class OpenClosedState(IntEnum):
    """``Sensor.OpenClosedState``; for TRIP_SENSOR, OPEN (0) means tripped / blown."""

    OPEN = 0
    CLOSED = 1


class NormalAlarmedState(IntEnum):
    """``Sensor.NormalAlarmedState``."""

    NORMAL = 0
    ALARMED = 1


class OkFaultState(IntEnum):
    """``Sensor.OkFaultState``."""

    OK = 0
    FAULT = 1


class ResidualCurrentState(IntEnum):
    """``pdumodel.ResidualCurrentStateSensor`` states."""

    NORMAL = 0
    WARNING = 1
    CRITICAL = 2
    SELFTEST = 3
    FAILURE = 4


class PowerQualityState(IntEnum):
    """``pdumodel.PowerQualitySensor`` states."""

    NORMAL = 0
    WARNING = 1
    CRITICAL = 2


_TYPE_MAPPINGS: Final[dict[int, type[IntEnum]]] = {
    SensorType.CONTACT_CLOSURE: NormalAlarmedState,
    SensorType.ON_OFF_SENSOR: OnOffState,
    SensorType.TRIP_SENSOR: OpenClosedState,
    SensorType.VIBRATION: NormalAlarmedState,
    SensorType.WATER_LEAK: NormalAlarmedState,
    SensorType.SMOKE_DETECTOR: NormalAlarmedState,
    SensorType.POWER_QUALITY: PowerQualityState,
    SensorType.OCCUPANCY: NormalAlarmedState,
    SensorType.TAMPER: NormalAlarmedState,
    SensorType.DRY_CONTACT: OnOffState,
    SensorType.POWERED_DRY_CONTACT: OnOffState,
    SensorType.DOOR_STATE: OpenClosedState,
    SensorType.DOOR_LOCK_STATE: OpenClosedState,
    SensorType.DOOR_HANDLE_LOCK: OpenClosedState,
}
#: Types that use NormalAlarmedState only when their reading type is DISCRETE_ON_OFF.
_ON_OFF_ONLY_MAPPINGS: Final[dict[int, type[IntEnum]]] = {
    SensorType.MAGNETIC_FIELD_STRENGTH: NormalAlarmedState,
    SensorType.FAULT_STATE: NormalAlarmedState,
}
#: Interfaces whose states are defined by the interface, not by the sensor type.
_INTERFACE_MAPPINGS: Final[dict[str, type[IntEnum]]] = {
    "pdumodel.ResidualCurrentStateSensor": ResidualCurrentState,
    "pdumodel.PowerQualitySensor": PowerQualityState,
    "pdumodel.OverCurrentProtectorTripSensor": OpenClosedState,
}


def state_mapping(
    sensor_type: int, readingtype: int | None = None, interface: str | None = None
) -> type[IntEnum] | None:
    """Enumeration that names the ``StateSensor`` values of a sensor, or ``None`` if unknown.

    ``interface`` is the base type name of the sensor reference (``Ref.base_type``); interfaces with
    their own state tables (residual current, power quality, trip) take precedence.
    """
    if interface is not None and interface in _INTERFACE_MAPPINGS:
        return _INTERFACE_MAPPINGS[interface]
    mapping = _TYPE_MAPPINGS.get(sensor_type)
    if mapping is not None:
        return mapping
    if readingtype in (None, ReadingType.DISCRETE_ON_OFF):
        return _ON_OFF_ONLY_MAPPINGS.get(sensor_type)
    return None


# --- per sensor type: measurement kind and default unit --------------------------------------


@dataclass(frozen=True, slots=True)
class SensorTypeInfo:
    """What a sensor type measures: ``kind`` (lower-case name) and its usual unit."""

    kind: str
    unit: SensorUnit | None
    discrete: bool = False


def _t(unit: SensorUnit | None, discrete: bool = False) -> tuple[SensorUnit | None, bool]:
    return unit, discrete


_U = SensorUnit
_TYPE_UNITS: Final[dict[SensorType, tuple[SensorUnit | None, bool]]] = {
    SensorType.UNSPECIFIED: _t(None),
    SensorType.VOLTAGE: _t(_U.VOLT),
    SensorType.CURRENT: _t(_U.AMPERE),
    SensorType.UNBALANCE_CURRENT: _t(_U.PERCENT),
    SensorType.POWER: _t(_U.WATT),
    SensorType.POWER_FACTOR: _t(_U.NONE),
    SensorType.ENERGY: _t(_U.WATT_HOUR),
    SensorType.FREQUENCY: _t(_U.HZ),
    SensorType.TEMPERATURE: _t(_U.DEGREE_CELSIUS),
    SensorType.HUMIDITY: _t(_U.PERCENT),
    SensorType.AIR_FLOW: _t(_U.METER_PER_SEC),
    SensorType.AIR_PRESSURE: _t(_U.PASCAL),
    SensorType.CONTACT_CLOSURE: _t(None, True),
    SensorType.ON_OFF_SENSOR: _t(None, True),
    SensorType.TRIP_SENSOR: _t(None, True),
    SensorType.VIBRATION: _t(_U.G),
    SensorType.WATER_LEAK: _t(None, True),
    SensorType.SMOKE_DETECTOR: _t(None, True),
    SensorType.TOTAL_HARMONIC_DISTORTION: _t(_U.PERCENT),
    SensorType.MASS: _t(_U.GRAM),
    SensorType.ELECTRICAL_RESISTANCE: _t(_U.OHM),
    SensorType.FLUX: _t(_U.LITERS_PER_HOUR),
    SensorType.LUMINOUS_INTENSITY: _t(_U.CANDELA),
    SensorType.ACCELERATION: _t(_U.METER_PER_SQUARE_SEC),
    SensorType.MAGNETIC_FLUX_DENSITY: _t(_U.TESLA),
    SensorType.ELECTRIC_FIELD_STRENGTH: _t(_U.VOLT_PER_METER),
    SensorType.MAGNETIC_FIELD_STRENGTH: _t(None),
    SensorType.ANGLE: _t(_U.DEGREE),
    SensorType.SELECTION: _t(None, True),
    SensorType.FAULT_STATE: _t(None, True),
    SensorType.POWER_QUALITY: _t(None, True),
    SensorType.ROTATIONAL_SPEED: _t(_U.RPM),
    SensorType.LUMINOUS_ENERGY: _t(_U.LUMEN_SECOND),
    SensorType.LUMINOUS_FLUX: _t(_U.LUMEN),
    SensorType.ILLUMINANCE: _t(_U.LUX),
    SensorType.LUMINOUS_EMITTANCE: _t(_U.LUX),
    SensorType.MOTION: _t(None, True),
    SensorType.OCCUPANCY: _t(None, True),
    SensorType.TAMPER: _t(None, True),
    SensorType.DRY_CONTACT: _t(None, True),
    SensorType.POWERED_DRY_CONTACT: _t(None, True),
    SensorType.ABSOLUTE_HUMIDITY: _t(_U.G_PER_CUBIC_METER),
    SensorType.DOOR_STATE: _t(None, True),
    SensorType.DOOR_LOCK_STATE: _t(None, True),
    SensorType.DOOR_HANDLE_LOCK: _t(None, True),
    SensorType.CREST_FACTOR: _t(_U.NONE),
    SensorType.DISTANCE: _t(_U.METER),
    SensorType.LENGTH: _t(_U.METER),
    SensorType.UNBALANCE_VOLTAGE: _t(_U.PERCENT),
    SensorType.PARTICLE_DENSITY: _t(_U.UG_PER_CUBIC_METER),
    SensorType.DEW_POINT: _t(_U.DEGREE_CELSIUS),
    SensorType.ELECTRICAL_IMPEDANCE: _t(_U.OHM),
    SensorType.TS_BYPASS_STATE: _t(None, True),
    SensorType.BATTERY_LEVEL: _t(_U.PERCENT),
    SensorType.SHELF_POWER_SUPPLY_FAULT: _t(None, True),
}

#: ``SensorType`` → (kind, usual unit, discrete?) for every type 0..54.
SENSOR_TYPE_INFO: Final[dict[SensorType, SensorTypeInfo]] = {
    st: SensorTypeInfo(st.name.lower(), unit, discrete)
    for st, (unit, discrete) in _TYPE_UNITS.items()
}


def sensor_type_info(sensor_type: int) -> SensorTypeInfo:
    """Info of a sensor type; unknown types give kind ``"type_<n>"`` and no unit."""
    try:
        return SENSOR_TYPE_INFO[SensorType(sensor_type)]
    except ValueError:
        return SensorTypeInfo(f"type_{sensor_type}", None)


# --- pdumodel / cascading / peripheral enumerations ------------------------------------------


class PowerState(IntEnum):
    """``pdumodel.Outlet.PowerState``."""

    OFF = 0
    ON = 1


class OutletStartupState(IntEnum):
    """``pdumodel.Outlet.StartupState`` (has the extra PDU_DEFINED compared to the Pdu one)."""

    ON = 0
    OFF = 1
    LAST_KNOWN = 2
    PDU_DEFINED = 3


class PduStartupState(IntEnum):
    """``pdumodel.Pdu.StartupState``."""

    ON = 0
    OFF = 1
    LAST_KNOWN = 2


class PowerLine(IntEnum):
    """``pdumodel.PowerLine``."""

    L1 = 0
    L2 = 1
    L3 = 2
    NEUTRAL = 3
    EARTH = 4
    PLUS = 5
    MINUS = 6


class OcpType(IntEnum):
    """``pdumodel.OverCurrentProtector.Type``."""

    BREAKER_1POLE = 0
    BREAKER_2POLE = 1
    BREAKER_3POLE = 2
    FUSE = 3
    FUSE_PAIR = 4
    RCBO_2POLE = 5
    RCBO_3POLE = 6
    RCBO_4POLE = 7


class CascadeRole(IntEnum):
    """``cascading.CascadeManager.Role`` (PRIMARY_UNIT was MASTER on firmware 3.6)."""

    STANDALONE = 0
    PRIMARY_UNIT = 1
    LINK_UNIT = 2


class LinkUnitStatus(IntEnum):
    """``cascading.CascadeManager.LinkUnitStatus``."""

    UNKNOWN = 0
    OK = 1
    UNREACHABLE = 2
    ACCESS_DENIED = 3
    FIRMWARE_UPDATE = 4
    FIRMWARE_MISMATCH = 5
    PENDING = 6
    WAITING = 7
    PAIRING_TIMEOUT = 8
    PAIRING = 9


class LinkUnitType(IntEnum):
    """``cascading.CascadeManager.LinkUnitType`` (firmware 4.0+)."""

    NETWORK = 0
    SECURE_SERIAL = 1
    ZIGBEE = 2


class PortType(IntEnum):
    """``peripheral.PortType`` (4.x names; indices are stable since 3.x)."""

    ONBOARD = 0
    DEV_PORT = 1
    HUB_PORT = 2
    CHAIN_POS = 3
    REMOTE_HUB_PORT = 4
    WIRELESS_BRIDGE = 5
    WIRELESS_DEVICE = 6
    UNSPECIFIED = 7
    GATEWAY_SENSOR = 8
    FEATURE_PORT = 9
    USB_PORT = 10
    USB_HUB_PORT = 11
    USB_RS485_DONGLE = 12


class OutletError(IntEnum):
    """Return codes of ``Outlet.setPowerState`` / ``cyclePowerState`` (and Pdu bulk switching)."""

    OK = 0
    NOT_SWITCHABLE = 1
    LOAD_SHEDDING_ACTIVE = 2
    DISABLED = 3
    NOT_OFF = 4
    RELAY_CONTROL_DISABLED = 5


class SwitchError(IntEnum):
    """Return codes of ``sensors.Switch.setState``."""

    OK = 0
    INVALID_PARAMETER = 1
    NOT_AVAILABLE = 2
    PDC_POWER_LIMIT = 3


class SessionCloseReason(IntEnum):
    """``session.SessionManager.CloseReason``."""

    LOGOUT = 0
    TIMEOUT = 1
    BROWSER_CLOSED = 2
    FORCED_DISCONNECT = 3


#: ``SessionManager.newSession`` return code: single login limitation active.
ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER: Final = 1
#: JSON-RPC error code used for missing privileges.
RPC_ERR_PRIVILEGE: Final = -32001
#: ``peripheral.DeviceSlot.CHANNEL_INVALID``.
CHANNEL_INVALID: Final = -1

#: Well-known resource ids.
RID_BULK: Final = "/bulk"
RID_SESSION: Final = "/session"
RID_CASCADE: Final = "/cascade"
RID_UNIT: Final = "/model/unit"
RID_FIRMWARE: Final = "/firmware"
RID_PERIPHERAL_MANAGER: Final = "/model/peripheraldevicemanager"
#: ``pdumodel.OutletGroupManager`` (primary only; it manages the groups of the whole stack).
RID_OUTLET_GROUPS: Final = "/model/outletgroup"


def pdu_rid(pdu_id: int) -> str:
    """Well-known RID of a (link) unit's ``pdumodel.Pdu``."""
    return f"/model/pdu/{pdu_id}"
