"""Numeric sensors of outlets, inlets, poles, breakers, unit totals and external sensors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    DEGREE,
    LIGHT_LUX,
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    EntityCategory,
    UnitOfApparentPower,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfLength,
    UnitOfMass,
    UnitOfPower,
    UnitOfPressure,
    UnitOfReactivePower,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanFieldEntity
from .helpers import async_setup_topology_entities
from .objects import (
    ObjectKind,
    ObjectSensor,
    RaritanFieldDescription,
    object_sensors,
    peripheral_object,
)
from .xerus.const import SensorType, SensorUnit, sensor_type_info
from .xerus.models import NumericReading, PeripheralInfo, SensorInfo, SensorKind, Topology

PARALLEL_UPDATES = 0

# Device classes that only exist in newer Home Assistant versions (2025.4 is the oldest we run on).
_REACTIVE_ENERGY: SensorDeviceClass | None = getattr(SensorDeviceClass, "REACTIVE_ENERGY", None)
_ABSOLUTE_HUMIDITY: SensorDeviceClass | None = getattr(SensorDeviceClass, "ABSOLUTE_HUMIDITY", None)

#: TypeSpec unit → (Home Assistant unit, device class implied by the unit).
UNIT_MAP: dict[int, tuple[str | None, SensorDeviceClass | None]] = {
    SensorUnit.NONE: (None, None),
    SensorUnit.VOLT: (UnitOfElectricPotential.VOLT, SensorDeviceClass.VOLTAGE),
    SensorUnit.AMPERE: (UnitOfElectricCurrent.AMPERE, SensorDeviceClass.CURRENT),
    SensorUnit.WATT: (UnitOfPower.WATT, SensorDeviceClass.POWER),
    SensorUnit.VOLT_AMP: (UnitOfApparentPower.VOLT_AMPERE, SensorDeviceClass.APPARENT_POWER),
    SensorUnit.WATT_HOUR: (UnitOfEnergy.WATT_HOUR, SensorDeviceClass.ENERGY),
    SensorUnit.VOLT_AMP_HOUR: ("VAh", None),
    SensorUnit.DEGREE_CELSIUS: (UnitOfTemperature.CELSIUS, SensorDeviceClass.TEMPERATURE),
    SensorUnit.HZ: (UnitOfFrequency.HERTZ, SensorDeviceClass.FREQUENCY),
    SensorUnit.PERCENT: (PERCENTAGE, None),
    SensorUnit.METER_PER_SEC: (UnitOfSpeed.METERS_PER_SECOND, SensorDeviceClass.SPEED),
    SensorUnit.PASCAL: (UnitOfPressure.PA, SensorDeviceClass.PRESSURE),
    SensorUnit.G: ("g", None),
    SensorUnit.RPM: (REVOLUTIONS_PER_MINUTE, None),
    SensorUnit.METER: (UnitOfLength.METERS, SensorDeviceClass.DISTANCE),
    SensorUnit.HOUR: (UnitOfTime.HOURS, SensorDeviceClass.DURATION),
    SensorUnit.MINUTE: (UnitOfTime.MINUTES, SensorDeviceClass.DURATION),
    SensorUnit.SECOND: (UnitOfTime.SECONDS, SensorDeviceClass.DURATION),
    SensorUnit.VOLT_AMP_REACTIVE: (
        UnitOfReactivePower.VOLT_AMPERE_REACTIVE,
        SensorDeviceClass.REACTIVE_POWER,
    ),
    SensorUnit.VOLT_AMP_REACTIVE_HOUR: ("varh", _REACTIVE_ENERGY),
    SensorUnit.GRAM: (UnitOfMass.GRAMS, SensorDeviceClass.WEIGHT),
    SensorUnit.OHM: ("Ω", None),
    SensorUnit.LITERS_PER_HOUR: ("L/h", None),
    SensorUnit.CANDELA: ("cd", None),
    SensorUnit.METER_PER_SQUARE_SEC: ("m/s²", None),
    SensorUnit.TESLA: ("T", None),
    SensorUnit.VOLT_PER_METER: ("V/m", None),
    SensorUnit.VOLT_PER_AMPERE: ("V/A", None),
    SensorUnit.DEGREE: (DEGREE, None),
    SensorUnit.DEGREE_FAHRENHEIT: (UnitOfTemperature.FAHRENHEIT, SensorDeviceClass.TEMPERATURE),
    SensorUnit.KELVIN: (UnitOfTemperature.KELVIN, SensorDeviceClass.TEMPERATURE),
    SensorUnit.JOULE: (UnitOfEnergy.JOULE, SensorDeviceClass.ENERGY),
    SensorUnit.COULOMB: ("C", None),
    SensorUnit.NIT: ("cd/m²", None),
    SensorUnit.LUMEN: ("lm", None),
    SensorUnit.LUMEN_SECOND: ("lm·s", None),
    SensorUnit.LUX: (LIGHT_LUX, SensorDeviceClass.ILLUMINANCE),
    SensorUnit.PSI: (UnitOfPressure.PSI, SensorDeviceClass.PRESSURE),
    SensorUnit.NEWTON: ("N", None),
    SensorUnit.FOOT: (UnitOfLength.FEET, SensorDeviceClass.DISTANCE),
    SensorUnit.FOOT_PER_SEC: (UnitOfSpeed.FEET_PER_SECOND, SensorDeviceClass.SPEED),
    SensorUnit.CUBIC_METER: (UnitOfVolume.CUBIC_METERS, SensorDeviceClass.VOLUME),
    SensorUnit.RADIANT: ("rad", None),
    SensorUnit.STERADIANT: ("sr", None),
    SensorUnit.HENRY: ("H", None),
    SensorUnit.FARAD: ("F", None),
    SensorUnit.MOL: ("mol", None),
    SensorUnit.BECQUEREL: ("Bq", None),
    SensorUnit.GRAY: ("Gy", None),
    SensorUnit.SIEVERT: ("Sv", None),
    SensorUnit.G_PER_CUBIC_METER: ("g/m³", _ABSOLUTE_HUMIDITY),
    SensorUnit.UG_PER_CUBIC_METER: ("µg/m³", None),  # constant renamed in HA 2026 (UnitOfDensity)
}

#: Dimensionless (%, none) sensor types whose meaning gives the device class.
TYPE_DEVICE_CLASS: dict[int, SensorDeviceClass] = {
    SensorType.HUMIDITY: SensorDeviceClass.HUMIDITY,
    SensorType.POWER_FACTOR: SensorDeviceClass.POWER_FACTOR,
    SensorType.BATTERY_LEVEL: SensorDeviceClass.BATTERY,
}


def presentation(info: SensorInfo) -> tuple[str | None, SensorDeviceClass | None]:
    """Home Assistant unit and device class of a numeric sensor, from its TypeSpec."""
    spec = info.type_spec
    unit, device_class = UNIT_MAP.get(int(spec.unit), (info.unit_symbol, None))
    if int(spec.unit) in (SensorUnit.PERCENT, SensorUnit.NONE):
        device_class = TYPE_DEVICE_CLASS.get(int(spec.type))
    if device_class is SensorDeviceClass.ENERGY and info.kind is not SensorKind.ACCUMULATING:
        # An energy counter must be monotonic for the ENERGY device class with TOTAL_INCREASING.
        device_class = SensorDeviceClass.ENERGY if spec.type == SensorType.ENERGY else None
    return unit, device_class


@dataclass(frozen=True, kw_only=True)
class RaritanSensorEntityDescription(SensorEntityDescription, RaritanFieldDescription):
    """A numeric sensor field. Unit, device class and display precision come from the sensor's
    TypeSpec and ``decdigits`` (:func:`presentation`)."""

    value_fn: Callable[[NumericReading], float | None] = lambda reading: reading.value


_OUTLET, _INLET, _POLE = ObjectKind.OUTLET, ObjectKind.INLET, ObjectKind.POLE
_OCP, _UNIT, _EXT = ObjectKind.OCP, ObjectKind.UNIT, ObjectKind.EXT
_EVERYWHERE = frozenset(ObjectKind)
_MAIN = frozenset({_OUTLET, _INLET, _OCP, _UNIT})
_DIAG = EntityCategory.DIAGNOSTIC


def _d(
    field: str,
    key: str,
    kinds: Iterable[ObjectKind],
    enabled_in: Iterable[ObjectKind] = (),
    entity_category: EntityCategory | None = None,
) -> RaritanSensorEntityDescription:
    return RaritanSensorEntityDescription(
        key=key,
        translation_key=key,
        field=field,
        kinds=frozenset(kinds),
        enabled_in=frozenset(enabled_in),
        entity_category=entity_category,
    )


#: Numeric sensor fields of Outlet/Inlet/Pole/OverCurrentProtector/Pdu.Sensors, with the object
#: kinds that have them in firmware 3.6 or 4.4 (reference §5-§7), and where they are enabled.
SENSOR_DESCRIPTIONS: dict[str, RaritanSensorEntityDescription] = {
    d.field: d
    for d in (
        _d("current", "current", {_OUTLET, _INLET, _POLE, _OCP}, _EVERYWHERE),
        _d("activePower", "active_power", {_OUTLET, _INLET, _POLE, _OCP, _UNIT}, _EVERYWHERE),
        _d("apparentPower", "apparent_power", {_OUTLET, _INLET, _POLE, _OCP, _UNIT}, _MAIN),
        _d("powerFactor", "power_factor", {_OUTLET, _INLET, _POLE, _OCP}, {_OUTLET, _INLET}),
        _d("activeEnergy", "active_energy", {_OUTLET, _INLET, _POLE, _OCP, _UNIT}, _MAIN),
        _d("voltage", "voltage", {_OUTLET, _INLET, _POLE, _OCP}, {_INLET}, _DIAG),
        _d("voltageLN", "voltage_ln", {_POLE}, {_POLE}, _DIAG),
        _d("residualCurrent", "residual_current", {_INLET, _POLE, _OCP}, {_INLET}),
        _d("residualACCurrent", "residual_ac_current", {_INLET, _POLE, _OCP}),
        _d("residualDCCurrent", "residual_dc_current", {_INLET, _POLE, _OCP}),
        _d("peakCurrent", "peak_current", {_OUTLET, _INLET, _POLE, _OCP}, entity_category=_DIAG),
        _d("maximumCurrent", "maximum_current", {_OUTLET, _OCP}, entity_category=_DIAG),
        _d("inrushCurrent", "inrush_current", {_OUTLET}, entity_category=_DIAG),
        _d("unbalancedCurrent", "unbalanced_current", {_OUTLET, _INLET}, entity_category=_DIAG),
        _d(
            "unbalancedLineLineCurrent",
            "unbalanced_line_line_current",
            {_INLET},
            entity_category=_DIAG,
        ),
        _d("unbalancedVoltage", "unbalanced_voltage", {_OUTLET, _INLET}, entity_category=_DIAG),
        _d(
            "unbalancedLineLineVoltage",
            "unbalanced_line_line_voltage",
            {_INLET},
            entity_category=_DIAG,
        ),
        _d("reactivePower", "reactive_power", {_OUTLET, _INLET, _POLE, _OCP}),
        _d(
            "displacementPowerFactor",
            "displacement_power_factor",
            {_OUTLET, _INLET, _POLE, _OCP},
            entity_category=_DIAG,
        ),
        _d("apparentEnergy", "apparent_energy", {_OUTLET, _INLET, _POLE, _OCP, _UNIT}),
        _d("phaseAngle", "phase_angle", {_OUTLET, _INLET, _POLE, _OCP}, entity_category=_DIAG),
        _d("lineFrequency", "line_frequency", {_OUTLET, _INLET, _OCP}, entity_category=_DIAG),
        _d("crestFactor", "crest_factor", {_OUTLET, _INLET, _POLE, _OCP}, entity_category=_DIAG),
        _d("voltageThd", "voltage_thd", {_OUTLET, _INLET, _POLE}, entity_category=_DIAG),
        _d("currentThd", "current_thd", {_OUTLET, _INLET, _POLE}, entity_category=_DIAG),
    )
}

#: External sensors of these types measure what the field measures, and share its name.
_EXT_AS_FIELD: Final = {
    SensorType.VOLTAGE: "voltage",
    SensorType.CURRENT: "current",
    SensorType.UNBALANCE_CURRENT: "unbalancedCurrent",
    SensorType.POWER: "activePower",
    SensorType.POWER_FACTOR: "powerFactor",
    SensorType.ENERGY: "activeEnergy",
    SensorType.FREQUENCY: "lineFrequency",
    SensorType.CREST_FACTOR: "crestFactor",
    SensorType.UNBALANCE_VOLTAGE: "unbalancedVoltage",
}
#: Types an external numeric sensor is only called "Sensor" for.
_EXT_UNNAMED: Final = frozenset({SensorType.UNSPECIFIED, SensorType.MAGNETIC_FIELD_STRENGTH})


def _ext(sensor_type: SensorType) -> RaritanSensorEntityDescription:
    info = sensor_type_info(sensor_type)
    if sensor_type in _EXT_AS_FIELD:
        name = SENSOR_DESCRIPTIONS[_EXT_AS_FIELD[sensor_type]].translation_key
    elif info.discrete or sensor_type in _EXT_UNNAMED:
        name = "ext_sensor"
    else:
        name = f"ext_{info.kind}"
    return _ext_description(info.kind, name)


def _ext_description(key: str, translation_key: str | None) -> RaritanSensorEntityDescription:
    ext = frozenset({_EXT})
    return RaritanSensorEntityDescription(
        key=key, translation_key=translation_key, field="device", kinds=ext, enabled_in=ext
    )


#: External numeric sensors per sensor type, keyed (in unique ids) by the lower-case type name.
EXT_SENSOR_DESCRIPTIONS: dict[int, RaritanSensorEntityDescription] = {
    int(sensor_type): _ext(sensor_type) for sensor_type in SensorType
}
#: An external numeric sensor of a type this version does not know: "Sensor", key ``type_<n>``.
EXT_UNKNOWN_DESCRIPTION = _ext_description("sensor", "ext_sensor")


def describe_peripheral(peripheral: PeripheralInfo) -> RaritanSensorEntityDescription:
    """Description of an external numeric sensor, keyed and named by its type."""
    sensor_type = int(peripheral.type_spec.type)
    description = EXT_SENSOR_DESCRIPTIONS.get(sensor_type)
    if description is None:
        return replace(EXT_UNKNOWN_DESCRIPTION, key=sensor_type_info(sensor_type).kind)
    return description


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[RaritanSensor]:
    """Every numeric sensor entity of the topology (null sensor references give none)."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for sensor in object_sensors(unit, SENSOR_DESCRIPTIONS, state=False):
            yield RaritanSensor(coordinator, sensor)
        for peripheral in unit.peripherals:
            info = peripheral.sensor
            if info is None or peripheral.is_actuator or info.is_state:
                continue
            target = peripheral_object(unit, peripheral)
            sensor = ObjectSensor(target, describe_peripheral(peripheral), "device", None, info)
            yield RaritanSensor(coordinator, sensor)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every unit, and of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanSensor(RaritanFieldEntity, SensorEntity):
    """A numeric sensor (or energy counter) of a PDU object or an external sensor."""

    entity_description: RaritanSensorEntityDescription

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        sensor: ObjectSensor,
    ) -> None:
        """Initialise the sensor; unit, class and precision follow its TypeSpec."""
        super().__init__(coordinator, sensor)
        info = sensor.info
        unit, device_class = presentation(info)
        accumulating = info.kind is SensorKind.ACCUMULATING or (
            info.type_spec.type == SensorType.ENERGY
        )
        self._attr_native_unit_of_measurement = unit
        self._attr_device_class = device_class
        self._attr_state_class = (
            SensorStateClass.TOTAL_INCREASING if accumulating else SensorStateClass.MEASUREMENT
        )
        self._attr_suggested_display_precision = info.decdigits
        if unit == UnitOfEnergy.WATT_HOUR:
            self._attr_suggested_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR

    @property
    def native_value(self) -> float | None:
        """The reading; ``None`` (unknown) when the device reports it unavailable or invalid."""
        rid = self.sensor_rid
        data = self.coordinator.data
        if rid is None or data is None:
            return None
        reading = data.numeric.get(rid)
        return None if reading is None else self.entity_description.value_fn(reading)
