"""Numeric sensors of outlets, inlets, poles, breakers, unit totals and external sensors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any, Final

from homeassistant.components.sensor import (
    RestoreSensor,
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

from .alarms import RaritanAlarmEntity, Watched, object_watched
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanEntity, RaritanFieldEntity, RaritanUnitReadEntity
from .helpers import async_setup_topology_entities
from .objects import (
    MeteredObject,
    ObjectKind,
    ObjectSensor,
    PduObject,
    RaritanFieldDescription,
    metered_objects,
    object_sensors,
    peripheral_object,
    unit_object,
)
from .xerus.const import SensorType, SensorUnit, sensor_type_info
from .xerus.models import (
    NumericReading,
    PeripheralInfo,
    SensorInfo,
    SensorKind,
    SequenceState,
    ThresholdState,
    Topology,
    UnitTopology,
)
from .xerus.plan import ReadTarget

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


#: What a sensor shows of its reading unless its description says otherwise.
_READING_VALUE: Final = attrgetter("value")


@dataclass(frozen=True, kw_only=True)
class RaritanSensorEntityDescription(SensorEntityDescription, RaritanFieldDescription):
    """A numeric sensor field. Unit, device class and display precision come from the sensor's
    TypeSpec and ``decdigits`` (:func:`presentation`)."""

    #: The shown value of a reading (the default: its ``value``, read without a call by the
    #: write of a poll's changed sensors).
    value_fn: Callable[[NumericReading], float | None] = _READING_VALUE


_OUTLET, _INLET, _POLE = ObjectKind.OUTLET, ObjectKind.INLET, ObjectKind.POLE
_OCP, _UNIT, _EXT = ObjectKind.OCP, ObjectKind.UNIT, ObjectKind.EXT
_GROUP = ObjectKind.GROUP
_EVERYWHERE = frozenset(ObjectKind)
_SUPPLY = frozenset({_INLET, _UNIT})
_METERED = frozenset({_OUTLET, _INLET, _UNIT, _GROUP})
_TOTALS = (_OUTLET, _INLET, _POLE, _OCP, _UNIT, _GROUP)  # outlet groups have power and energy
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
#: kinds that have them in firmware 3.6 or 4.4 (reference §5-§7), and where they are enabled:
#: per outlet and breaker what users read and automate on (current, power; energy per outlet),
#: per inlet (line) and unit what sizes the supply (also apparent power, power factor, voltage).
#: An outlet's apparent power and power factor would add two reads per outlet to every poll
#: (a PDU with 7 link units x 48 outlets then keeps the device busy for more than half of the
#: poll interval) for values few users look at: they are there, disabled.
SENSOR_DESCRIPTIONS: dict[str, RaritanSensorEntityDescription] = {
    d.field: d
    for d in (
        _d("current", "current", {_OUTLET, _INLET, _POLE, _OCP}, _EVERYWHERE),
        _d("activePower", "active_power", _TOTALS, _EVERYWHERE),
        _d("apparentPower", "apparent_power", _TOTALS, _SUPPLY),
        _d("powerFactor", "power_factor", {_OUTLET, _INLET, _POLE, _OCP}, {_INLET}),
        _d("activeEnergy", "active_energy", _TOTALS, _METERED),
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
        _d("apparentEnergy", "apparent_energy", _TOTALS),
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


#: Per unit with switchable outlets: a running switching sequence (diagnostic, disabled by
#: default: it adds one read per unit to every poll).
SEQUENCE_DESCRIPTION = SensorEntityDescription(
    key="switching_sequence",
    translation_key="switching_sequence",
    device_class=SensorDeviceClass.ENUM,
    options=["idle", "running"],
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[SensorEntity]:
    """Every numeric sensor entity of the topology (null sensor references give none), the
    alarm levels, and the switching sequence of each unit with switchable outlets."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        if unit.identity.has_switchable_outlets:
            yield RaritanSequenceSensor(coordinator, unit_object(unit))
        for sensor in object_sensors(unit, SENSOR_DESCRIPTIONS, state=False):
            yield _sensor(coordinator, sensor)
        for peripheral in unit.peripherals:
            info = peripheral.sensor
            if info is None or peripheral.is_actuator or info.is_state:
                continue
            target = peripheral_object(unit, peripheral)
            sensor = ObjectSensor(target, describe_peripheral(peripheral), "device", None, info)
            yield _sensor(coordinator, sensor)
            yield RaritanAlarmLevelSensor(coordinator, unit, target, EXT_ALARM_LEVEL_DESCRIPTION)
        yield from _alarm_levels(coordinator, unit)


def _is_counter(info: SensorInfo) -> bool:
    return info.kind is SensorKind.ACCUMULATING or info.type_spec.type == SensorType.ENERGY


def _sensor(coordinator: RaritanCoordinator, sensor: ObjectSensor) -> RaritanSensor:
    if _is_counter(sensor.info):
        return RaritanCounterSensor(coordinator, sensor)
    return RaritanSensor(coordinator, sensor)


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
        self._attr_native_unit_of_measurement = unit
        self._attr_device_class = device_class
        self._attr_state_class = (
            SensorStateClass.TOTAL_INCREASING
            if _is_counter(info)
            else SensorStateClass.MEASUREMENT
        )
        self._attr_suggested_display_precision = info.decdigits
        if unit == UnitOfEnergy.WATT_HOUR:
            # Shown in kWh, with every Wh the counter has: "22.378 kWh", not "22 kWh" for hours.
            self._attr_suggested_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
            self._attr_suggested_display_precision = (info.decdigits or 0) + 3

    def _reading(self) -> NumericReading | None:
        rid = self.sensor_rid
        return None if rid is None else self.coordinator.data.numeric.get(rid)

    def _shown(self) -> tuple[Any, ...]:
        # The reading; ``None`` (unknown) when the device reports it unavailable or invalid.
        # Taken into ``native_value`` and ``available`` here, once per change: every state
        # write asks for ``_shown()`` first (``RaritanEntity``), and a poll changes hundreds of
        # sensors. (Not ``_attr_native_value``: that one costs a setter call per change and a
        # cache miss per write.)
        reading = self._reading()
        value = None if reading is None else self.entity_description.value_fn(reading)
        self.native_value = value
        self.available = available = self._available()
        return (available, value)

    #: An energy counter (:class:`RaritanCounterSensor`: its values pass its guard).
    _counter = False
    #: The value shown: the reading, ``None`` when the device reports it unavailable or
    #: invalid. Plain attributes, set by :meth:`_shown` and :meth:`_write_changed` before each
    #: write, not properties: a poll of a large stack writes hundreds of sensors, and each
    #: write reads both (a property is a Python call each time).
    native_value: float | None = None
    #: Whether it is shown available (:meth:`RaritanEntity._available` at the last write).
    available: bool = False

    @callback
    def _handle_coordinator_update(self) -> None:
        self._write_changed((self,))

    def _guarded(self, reading: NumericReading | None, value: float | None) -> float | None:
        """The value to show of a counter's reading (:class:`RaritanCounterSensor`)."""
        raise NotImplementedError

    @staticmethod
    def _write_changed(sensors: Iterable[RaritanSensor]) -> None:
        """``RaritanEntity._handle_coordinator_update`` of numeric sensors whose reading
        changed, for all of them in one call (:meth:`_shown` and ``_available`` inlined, what
        they read of the coordinator read once): a poll of a large stack changes hundreds."""
        coordinator: RaritanCoordinator | None = None
        cls: type[RaritanSensor] | None = None
        for sensor in sensors:
            if type(sensor) is not cls:
                # Home Assistant's write (RaritanEntity's would ask _shown() again), looked up
                # per batch, so that whatever wraps it meanwhile is called.
                cls = type(sensor)
                write = super(RaritanEntity, cls).async_write_ha_state
            if sensor.coordinator is not coordinator:
                coordinator = sensor.coordinator
                topology, data, success = (
                    coordinator.topology,
                    coordinator.data,
                    coordinator.last_update_success,
                )
                numeric, errors = data.numeric, data.errors
            if topology is not sensor._resolved_for:
                sensor._resolve()
            reading: NumericReading | None
            try:
                reading = numeric[sensor._rid]  # type: ignore[index]
            except KeyError:
                reading = value = None  # not read yet, or no sensor (None)
            else:
                value_fn = sensor.entity_description.value_fn
                value = reading.value if value_fn is _READING_VALUE else value_fn(reading)
            if sensor._counter:
                value = sensor._guarded(reading, value)
            available = (
                success
                and sensor._unit_ok
                and not (errors and not sensor._registered.isdisjoint(errors))
            )
            shown = (available, value)
            if shown != sensor._written:
                sensor._written = shown
                sensor.native_value = value
                sensor.available = available
                write(sensor)

    @classmethod
    def _batch(cls) -> Callable[[Iterable[Any]], None] | None:
        return cls._write_changed


#: A counter reading below the published value is a glitch (a valid-looking 0 after a reboot, a
#: link unit swapped) unless this many reads in a row stay below it, none lower than the one
#: before, and the last above the first: the PDU's counter was reset and counts again.
RESET_CONFIRMATIONS: Final = 3


class CounterGuard:
    """The published value of a counter: it never goes down unless the counter was reset."""

    __slots__ = ("_below", "value")

    def __init__(self, value: float | None = None) -> None:
        """Start from ``value`` (the last published one, e.g. restored after a restart)."""
        self.value = value
        self._below: list[float] = []

    def update(self, reading: float | None) -> float | None:
        """The value to publish for a new reading (``None``: unknown)."""
        if reading is None:
            return None
        if self.value is None or reading >= self.value:
            self.value = reading
            self._below.clear()
            return reading
        below = self._below
        if below and reading < below[-1]:
            below.clear()
        below.append(reading)
        if len(below) >= RESET_CONFIRMATIONS and below[-1] > below[0]:
            # Published once, as Home Assistant expects of a total_increasing reset.
            self.value = reading
            below.clear()
        return self.value


class RaritanCounterSensor(RaritanSensor, RestoreSensor):
    """An energy counter (``total_increasing``): a drop is published only for a real reset.

    The last published value is restored after a restart, so a glitch in the first reading
    cannot reach the statistics either.
    """

    _counter = True

    def __init__(self, coordinator: RaritanCoordinator, sensor: ObjectSensor) -> None:
        """Initialise the counter."""
        super().__init__(coordinator, sensor)
        self._guard = CounterGuard()
        self._seen: NumericReading | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the last published value, then take the current reading."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if (
            last is not None
            and isinstance(last.native_value, int | float)
            and last.native_unit_of_measurement == self.native_unit_of_measurement
        ):
            self._guard.value = float(last.native_value)
        self._take_reading()

    def _take_reading(self) -> None:
        reading = self._reading()
        value = None if reading is None else self.entity_description.value_fn(reading)
        self._guarded(reading, value)

    def _guarded(self, reading: NumericReading | None, value: float | None) -> float | None:
        # Each reading passes the guard once (a write for another reason is no new read).
        if reading is not self._seen:
            self._seen = reading
            self.native_value = self._guard.update(value)
        return self.native_value

    def _shown(self) -> tuple[Any, ...]:
        self.available = available = self._available()
        return (available, self.native_value)


class RaritanSequenceSensor(RaritanUnitReadEntity, SensorEntity):
    """A unit's switching sequence (``Pdu.getOutletSequenceState``): ``running`` while outlets
    are still to be switched on one after the other, with the next outlet and when."""

    entity_description = SEQUENCE_DESCRIPTION
    unit_read = ReadTarget.sequence

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the sequence sensor of the unit ``target``."""
        super().__init__(coordinator, target, SEQUENCE_DESCRIPTION.key)

    def _state(self) -> SequenceState | None:
        target = self.read_target
        return self.coordinator.data.sequences.get(target.rid) if target else None

    @property
    def native_value(self) -> str | None:
        """``running`` or ``idle``."""
        state = self._state()
        if state is None or not state.available:
            return None
        return "running" if state.running else "idle"

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The outlet switched next (number), in how many seconds, and how many remain."""
        state = self._state()
        if state is None or not state.running:
            return None
        wait = state.time_until_next
        return {
            "next_outlet": None if state.next_outlet is None else state.next_outlet + 1,
            "time_until_next_switch": None if wait is None else wait / 1000,
            "outlets_remaining": state.outlets_remaining,
        }

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.native_value, self.extra_state_attributes)


# --- alarm levels (issue #10) ----------------------------------------------------------------

_ALARM_OPTIONS: Final = [state.value for state in ThresholdState]


def _alarm_level(
    key: str, kinds: Iterable[ObjectKind], enabled_in: Iterable[ObjectKind]
) -> RaritanSensorEntityDescription:
    return RaritanSensorEntityDescription(
        key=key,
        translation_key=key,
        field="",
        kinds=frozenset(kinds),
        enabled_in=frozenset(enabled_in),
        device_class=SensorDeviceClass.ENUM,
        options=_ALARM_OPTIONS,
    )


#: Per metered object, the worst threshold state of the readings its default entities poll
#: (:data:`.alarms.ALARM_FIELDS`): normal / warning / critical. Disabled for outlets (a large
#: stack has hundreds; the unit's "Alarm" names an outlet in alarm anyway).
ALARM_LEVEL_DESCRIPTION = _alarm_level(
    "alarm_level", {_OUTLET, _INLET, _POLE, _OCP}, {_INLET, _POLE, _OCP}
)
#: The same for an external numeric sensor, named by its type ("Temperature alarm level").
EXT_ALARM_LEVEL_DESCRIPTION = _alarm_level("ext_alarm_level", {_EXT}, {_EXT})


def _alarm_levels(
    coordinator: RaritanCoordinator, unit: UnitTopology
) -> Iterator[RaritanAlarmLevelSensor]:
    for target in metered_objects(unit):
        if target.kind in ALARM_LEVEL_DESCRIPTION.kinds and any(object_watched(unit, target)):
            yield RaritanAlarmLevelSensor(coordinator, unit, target, ALARM_LEVEL_DESCRIPTION)


class RaritanAlarmLevelSensor(RaritanAlarmEntity, SensorEntity):
    """The alarm level of one object: normal, warning or critical (the PDU's thresholds)."""

    entity_description: RaritanSensorEntityDescription

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        unit: UnitTopology,
        target: MeteredObject,
        description: RaritanSensorEntityDescription,
    ) -> None:
        """Initialise the alarm level of ``target``."""
        key = "alarm_level" if target.kind is _EXT else description.key
        super().__init__(coordinator, target, key)
        self.entity_description = description
        self._attr_translation_key = description.name_key(target.kind, own_device=target.own_device)
        self._attr_entity_registry_enabled_default = target.kind in description.enabled_in
        placeholders = dict(target.placeholders)
        if target.kind is _EXT and isinstance(target.obj, PeripheralInfo):
            placeholders["sensor"] = target.name or target.obj.display_name
        if placeholders:
            self._attr_translation_placeholders = placeholders
        self._placeholders = target.placeholders

    def _watch(self, unit: UnitTopology, obj: PduObject) -> Iterator[Watched]:
        target = MeteredObject(unit, obj, self._ref, placeholders=self._placeholders)
        return object_watched(unit, target)

    @property
    def native_value(self) -> str | None:
        """The worst threshold state of the object's readings (``None``: none known)."""
        state = self._summary().state
        return None if state is None else state.value
