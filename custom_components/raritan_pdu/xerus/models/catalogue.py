"""What a sensor field measures, known from its IDL name: discovery need not ask the device.

The sensors of outlets, inlets, poles, over-current protectors and unit totals are struct fields
(``Outlet.Sensors.activePower`` ...) whose meaning the IDL fixes: ``activePower`` is active power
in W, ``activeEnergy`` an accumulating counter in Wh, ``trip`` the breaker's trip state. The
catalogue gives each field's ``TypeSpec`` (reading type, sensor type, unit; reference sections
5.4, 6.5, 7.1-7.6, 8.3-8.5 and the real metadata of section 13.5) and the decimal digits real
units report for it (``NumericSensor.MetaData.decdigits``: voltage 0, current 3, power factor 2,
energy 0 ...). Discovery reads ``getMetaData``/``getTypeSpec`` only for fields not listed here;
``XerusClient.read_sensor_metadata`` reads a device's own values later, if wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..const import ReadingType, SensorType, SensorUnit


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """The catalogued meaning of one sensor field."""

    readingtype: ReadingType
    type: SensorType
    unit: SensorUnit
    #: Usual ``decdigits`` of a numeric field (``None`` for state sensors).
    decdigits: int | None = None

    @property
    def is_numeric(self) -> bool:
        return self.readingtype is ReadingType.NUMERIC


_N, _ON_OFF, _MULTI = ReadingType.NUMERIC, ReadingType.DISCRETE_ON_OFF, ReadingType.DISCRETE_MULTI
_T, _U = SensorType, SensorUnit


def _num(sensor_type: SensorType, unit: SensorUnit, decdigits: int) -> FieldInfo:
    return FieldInfo(_N, sensor_type, unit, decdigits)


_VOLTAGE = _num(_T.VOLTAGE, _U.VOLT, 0)
_CURRENT = _num(_T.CURRENT, _U.AMPERE, 3)
_UNBALANCED_CURRENT = _num(_T.UNBALANCE_CURRENT, _U.PERCENT, 0)
_UNBALANCED_VOLTAGE = _num(_T.UNBALANCE_VOLTAGE, _U.PERCENT, 1)
_POWER_FACTOR = _num(_T.POWER_FACTOR, _U.NONE, 2)
_THD = _num(_T.TOTAL_HARMONIC_DISTORTION, _U.PERCENT, 1)

#: IDL sensor field name -> what it measures. Fields of ``Outlet``/``Inlet``/``Pole``/
#: ``OverCurrentProtector``/``Pdu.Sensors`` (3.x and 4.x); the same name means the same on
#: every object.
FIELD_CATALOGUE: Final[dict[str, FieldInfo]] = {
    "voltage": _VOLTAGE,
    "voltageLN": _VOLTAGE,
    "current": _CURRENT,
    "peakCurrent": _CURRENT,
    "maximumCurrent": _CURRENT,
    "inrushCurrent": _CURRENT,
    "residualCurrent": _CURRENT,
    "residualACCurrent": _CURRENT,
    "residualDCCurrent": _CURRENT,
    "unbalancedCurrent": _UNBALANCED_CURRENT,
    "unbalancedLineLineCurrent": _UNBALANCED_CURRENT,
    "unbalancedVoltage": _UNBALANCED_VOLTAGE,
    "unbalancedLineLineVoltage": _UNBALANCED_VOLTAGE,
    "activePower": _num(_T.POWER, _U.WATT, 0),
    "reactivePower": _num(_T.POWER, _U.VOLT_AMP_REACTIVE, 0),
    "apparentPower": _num(_T.POWER, _U.VOLT_AMP, 0),
    "powerFactor": _POWER_FACTOR,
    "displacementPowerFactor": _POWER_FACTOR,
    "activeEnergy": _num(_T.ENERGY, _U.WATT_HOUR, 0),
    "apparentEnergy": _num(_T.ENERGY, _U.VOLT_AMP_HOUR, 0),
    "phaseAngle": _num(_T.ANGLE, _U.DEGREE, 1),
    "lineFrequency": _num(_T.FREQUENCY, _U.HZ, 1),
    "crestFactor": _num(_T.CREST_FACTOR, _U.NONE, 1),
    "voltageThd": _THD,
    "currentThd": _THD,
    # State sensors (their values: reference 7.5, 7.6, 8.5).
    "outletState": FieldInfo(_ON_OFF, _T.ON_OFF_SENSOR, _U.NONE),
    "trip": FieldInfo(_ON_OFF, _T.TRIP_SENSOR, _U.NONE),
    "surgeProtectorStatus": FieldInfo(_ON_OFF, _T.FAULT_STATE, _U.NONE),
    "powerSupplyStatus": FieldInfo(_ON_OFF, _T.FAULT_STATE, _U.NONE),
    "powerQuality": FieldInfo(_MULTI, _T.POWER_QUALITY, _U.NONE),
    # The interface (ResidualCurrentStateSensor) defines the states, not the sensor type.
    "residualCurrentStatus": FieldInfo(_MULTI, _T.UNSPECIFIED, _U.NONE),
}


def field_info(key: str) -> FieldInfo | None:
    """The catalogued meaning of a sensor field (``None``: unknown, ask the device)."""
    return FIELD_CATALOGUE.get(key)


__all__ = ["FIELD_CATALOGUE", "FieldInfo", "field_info"]
