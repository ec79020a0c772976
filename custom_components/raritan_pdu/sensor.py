"""Numeric sensors of outlets, inlets, poles, breakers, unit totals and external sensors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

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
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry
from .entity import (
    KIND_EXT,
    KIND_INLET,
    KIND_OCP,
    KIND_OUTLET,
    KIND_POLE,
    KIND_UNIT,
    ObjectRef,
    PduObject,
    RaritanFieldEntity,
    async_setup_topology_entities,
    async_update_child_devices,
    device_info_for,
    has_inlet_devices,
    is_phase,
    line_label,
    sensors_of,
)
from .xerus.const import SensorType, SensorUnit, sensor_type_info
from .xerus.models import (
    NumericReading,
    PeripheralInfo,
    SensorInfo,
    SensorKind,
    Topology,
    UnitTopology,
)

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
class RaritanSensorEntityDescription(SensorEntityDescription):
    """A numeric sensor, keyed by the IDL sensor field name (``activePower``...).

    Unit, device class and display precision come from the sensor's TypeSpec and ``decdigits``
    at setup; ``enabled_in`` lists the object kinds where the sensor is enabled by default.
    """

    value_fn: Callable[[NumericReading], float | None] = lambda reading: reading.value
    enabled_in: frozenset[str] = frozenset()


_ALL = frozenset({KIND_OUTLET, KIND_INLET, KIND_POLE, KIND_OCP, KIND_UNIT, KIND_EXT})
_MAIN = frozenset({KIND_OUTLET, KIND_INLET, KIND_OCP, KIND_UNIT})
_DIAG = EntityCategory.DIAGNOSTIC


def _d(
    key: str,
    translation_key: str,
    enabled_in: frozenset[str] = frozenset(),
    entity_category: EntityCategory | None = None,
) -> RaritanSensorEntityDescription:
    return RaritanSensorEntityDescription(
        key=key,
        translation_key=translation_key,
        enabled_in=enabled_in,
        entity_category=entity_category,
    )


#: Numeric sensor fields of Outlet/Inlet/Pole/OverCurrentProtector/Pdu.Sensors (reference §5-§7).
SENSOR_DESCRIPTIONS: dict[str, RaritanSensorEntityDescription] = {
    d.key: d
    for d in (
        _d("current", "current", _ALL),
        _d("activePower", "active_power", _ALL),
        _d("apparentPower", "apparent_power", _MAIN),
        _d("powerFactor", "power_factor", frozenset({KIND_OUTLET, KIND_INLET})),
        _d("activeEnergy", "active_energy", _MAIN),
        _d("voltage", "voltage", frozenset({KIND_INLET}), _DIAG),
        _d("voltageLN", "voltage_ln", frozenset({KIND_POLE}), _DIAG),
        _d("residualCurrent", "residual_current", frozenset({KIND_INLET})),
        _d("residualACCurrent", "residual_ac_current"),
        _d("residualDCCurrent", "residual_dc_current"),
        _d("peakCurrent", "peak_current", entity_category=_DIAG),
        _d("maximumCurrent", "maximum_current", entity_category=_DIAG),
        _d("inrushCurrent", "inrush_current", entity_category=_DIAG),
        _d("unbalancedCurrent", "unbalanced_current", entity_category=_DIAG),
        _d("unbalancedLineLineCurrent", "unbalanced_line_line_current", entity_category=_DIAG),
        _d("unbalancedVoltage", "unbalanced_voltage", entity_category=_DIAG),
        _d("unbalancedLineLineVoltage", "unbalanced_line_line_voltage", entity_category=_DIAG),
        _d("reactivePower", "reactive_power"),
        _d("displacementPowerFactor", "displacement_power_factor", entity_category=_DIAG),
        _d("apparentEnergy", "apparent_energy"),
        _d("phaseAngle", "phase_angle", entity_category=_DIAG),
        _d("lineFrequency", "line_frequency", entity_category=_DIAG),
        _d("crestFactor", "crest_factor", entity_category=_DIAG),
        _d("voltageThd", "voltage_thd", entity_category=_DIAG),
        _d("currentThd", "current_thd", entity_category=_DIAG),
    )
}

#: Translation key prefix per object kind (outlets and inlets with their own device: none).
_PREFIX = {
    KIND_OUTLET: "",
    KIND_INLET: "inlet_",
    KIND_POLE: "pole_",
    KIND_OCP: "ocp_",
    KIND_UNIT: "total_",
}


def describe(
    base: RaritanSensorEntityDescription, kind: str, info: SensorInfo, *, own_device: bool = False
) -> RaritanSensorEntityDescription:
    """The description of one sensor of one object (prefix, unit, class, precision)."""
    unit, device_class = presentation(info)
    accumulating = info.kind is SensorKind.ACCUMULATING or (
        info.type_spec.type == SensorType.ENERGY
    )
    prefix = "" if own_device else _PREFIX.get(kind, "")
    return replace(
        base,
        key=base.translation_key or base.key,
        translation_key=f"{prefix}{base.translation_key}",
        entity_registry_enabled_default=kind in base.enabled_in,
        native_unit_of_measurement=unit,
        device_class=device_class,
        state_class=(
            SensorStateClass.TOTAL_INCREASING if accumulating else SensorStateClass.MEASUREMENT
        ),
        suggested_display_precision=info.decdigits,
        suggested_unit_of_measurement=(
            UnitOfEnergy.KILO_WATT_HOUR if unit == UnitOfEnergy.WATT_HOUR else None
        ),
    )


def describe_peripheral(
    peripheral: PeripheralInfo, info: SensorInfo
) -> RaritanSensorEntityDescription:
    """Description of an external numeric sensor, named by its type (``ext_temperature``)."""
    kind = sensor_type_info(int(peripheral.type_spec.type)).kind
    base = RaritanSensorEntityDescription(
        key=kind,
        translation_key=f"ext_{kind}" if kind in EXT_SENSOR_KINDS else "ext_sensor",
        enabled_in=_ALL,
    )
    return replace(describe(base, KIND_EXT, info), key=kind)


#: Peripheral numeric sensor kinds with a translated name (others are called "Sensor").
EXT_SENSOR_KINDS = frozenset(
    sensor_type_info(t).kind
    for t in SensorType
    if not sensor_type_info(t).discrete
    and t not in (SensorType.UNSPECIFIED, SensorType.MAGNETIC_FIELD_STRENGTH)
)


def _numeric(info: SensorInfo) -> bool:
    return info.kind is not SensorKind.STATE


def object_sensors(
    unit: UnitTopology,
) -> Iterator[tuple[ObjectRef, PduObject, str, dict[str, str], bool]]:
    """(ref, object, kind, name placeholders, has own device) for every metered object."""
    yield ObjectRef.for_unit(unit), unit, KIND_UNIT, {}, False
    own_inlet_device = has_inlet_devices(unit)
    for inlet in unit.inlets:
        yield ObjectRef.for_inlet(unit, inlet), inlet, KIND_INLET, {}, own_inlet_device
        # Poles of single-phase inlets repeat the inlet's readings: only multi-phase inlets.
        poles = inlet.poles if len([p for p in inlet.poles if is_phase(p)]) > 1 else []
        for pole in poles:
            yield (
                ObjectRef.for_pole(unit, inlet, pole),
                pole,
                KIND_POLE,
                {"line": line_label(pole)},
                False,
            )
    for ocp in unit.ocps:
        yield ObjectRef.for_ocp(unit, ocp), ocp, KIND_OCP, {"ocp": ocp.name or ocp.label}, False
    for outlet in unit.outlets:
        yield ObjectRef.for_outlet(unit, outlet), outlet, KIND_OUTLET, {}, False


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[RaritanSensor]:
    """Every numeric sensor entity of the topology (null sensor references give none)."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for ref, obj, kind, placeholders, own_device in object_sensors(unit):
            device_info = device_info_for(unit, obj)
            for field, info in sensors_of(obj).items():
                base = SENSOR_DESCRIPTIONS.get(field)
                if base is None or not _numeric(info):
                    continue
                description = describe(base, kind, info, own_device=own_device)
                yield RaritanSensor(
                    coordinator,
                    ref,
                    description,
                    device_info,
                    field=field,
                    placeholders=placeholders,
                )
        for peripheral in unit.peripherals:
            sensor = peripheral.sensor
            if sensor is None or peripheral.is_actuator or not _numeric(sensor):
                continue
            yield RaritanSensor(
                coordinator,
                ObjectRef.for_peripheral(unit, peripheral),
                describe_peripheral(peripheral, sensor),
                device_info_for(unit, peripheral),
                field="device",
                name=peripheral.name or None,
            )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every unit, and of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)
    coordinator = entry.runtime_data

    @callback
    def _rename_devices() -> None:
        async_update_child_devices(hass, entry, coordinator.topology)

    entry.async_on_unload(coordinator.async_add_topology_listener(_rename_devices))


class RaritanSensor(RaritanFieldEntity, SensorEntity):
    """A numeric sensor (or energy counter) of a PDU object or an external sensor."""

    entity_description: RaritanSensorEntityDescription

    @property
    def native_value(self) -> float | None:
        """The reading; ``None`` (unknown) when the device reports it unavailable or invalid."""
        rid = self.sensor_rid
        data = self.coordinator.data
        if rid is None or data is None:
            return None
        reading = data.numeric.get(rid)
        return None if reading is None else self.entity_description.value_fn(reading)
