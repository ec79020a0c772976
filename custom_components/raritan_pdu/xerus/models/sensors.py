"""Sensors: how to read them (kind), what they measure (type spec) and their discovery info."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache

from ..const import ReadingType, SensorType, SensorUnit, state_mapping, to_enum, unit_symbol
from .catalogue import FIELD_CATALOGUE
from .fields import as_dict, get_float, get_int
from .refs import Ref, base_type_name


class SensorKind(StrEnum):
    """How a sensor is read: NUMERIC/ACCUMULATING with ``getReading``, STATE with ``getState``."""

    NUMERIC = "numeric"
    ACCUMULATING = "accumulating"
    STATE = "state"


_NUMERIC_BASES = frozenset(
    {
        "sensors.NumericSensor",
        "pdumodel.TypeBResidualCurrentNumericSensor",
        "pdumodel.VoltageMonitoringSensor",
    }
)
_ACCUMULATING_BASES = frozenset({"sensors.AccumulatingNumericSensor"})
_STATE_BASES = frozenset(
    {
        "sensors.StateSensor",
        "sensors.Switch",
        "pdumodel.OverCurrentProtectorTripSensor",
        "pdumodel.ResidualCurrentStateSensor",
        "pdumodel.PowerQualitySensor",
        "pdumodel.TransferSwitchBypassStateSensor",
    }
)
_KIND_BY_BASE: dict[str, SensorKind] = {
    **dict.fromkeys(_NUMERIC_BASES, SensorKind.NUMERIC),
    **dict.fromkeys(_ACCUMULATING_BASES, SensorKind.ACCUMULATING),
    **dict.fromkeys(_STATE_BASES, SensorKind.STATE),
}
#: Interfaces this table does not know: guessed from the name, first match wins.
_KIND_BY_NAME_PART = (
    ("Accumulating", SensorKind.ACCUMULATING),
    ("Numeric", SensorKind.NUMERIC),
    ("State", SensorKind.STATE),
)
#: Field names of state sensors in the Sensors structs (fallback for unknown interfaces).
STATE_SENSOR_KEYS = frozenset(
    {
        "outletState",
        "trip",
        "residualCurrentStatus",
        "powerQuality",
        "surgeProtectorStatus",
        "powerSupplyStatus",
        "operationalState",
        "switchFault",
    }
)


@lru_cache(maxsize=512)
def kind_of_type(type_code: str) -> SensorKind | None:
    """Kind of a sensor interface type code, ``None`` if the type name does not tell."""
    base = base_type_name(type_code)
    kind = _KIND_BY_BASE.get(base)
    if kind is not None:
        return kind
    name = base.rsplit(".", 1)[-1]
    if name == "Switch":
        return SensorKind.STATE
    return next((kind for part, kind in _KIND_BY_NAME_PART if part in name), None)


def sensor_kind(ref: Ref, key: str = "") -> SensorKind:
    """Kind of a sensor reference, dispatched on the base type name (versions stripped)."""
    kind = kind_of_type(ref.type)
    if kind is not None:
        return kind
    return SensorKind.STATE if key in STATE_SENSOR_KEYS else SensorKind.NUMERIC


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """``Sensor.TypeSpec``: reading type, sensor type and unit (plain ints, unknowns kept)."""

    readingtype: ReadingType | int
    type: SensorType | int
    unit: SensorUnit | int

    @classmethod
    def from_json(cls, value: object, default_readingtype: int = 0) -> TypeSpec:
        data = as_dict(value)
        readingtype = to_enum(ReadingType, data.get("readingtype"))
        sensor_type = to_enum(SensorType, data.get("type"))
        unit = to_enum(SensorUnit, data.get("unit"))
        return cls(
            ReadingType(default_readingtype) if readingtype is None else readingtype,
            SensorType.UNSPECIFIED if sensor_type is None else sensor_type,
            SensorUnit.NONE if unit is None else unit,
        )

    @property
    def is_numeric(self) -> bool:
        return self.readingtype == ReadingType.NUMERIC

    @property
    def unit_symbol(self) -> str | None:
        return unit_symbol(self.unit)


UNSPECIFIED_NUMERIC = TypeSpec(ReadingType.NUMERIC, SensorType.UNSPECIFIED, SensorUnit.NONE)
UNSPECIFIED_STATE = TypeSpec(ReadingType.DISCRETE_MULTI, SensorType.UNSPECIFIED, SensorUnit.NONE)
#: The catalogue's type specs, shared by every sensor of the field (thousands on a stack).
_CATALOGUE: dict[str, tuple[TypeSpec, int | None]] = {
    key: (TypeSpec(info.readingtype, info.type, info.unit), info.decdigits)
    for key, info in FIELD_CATALOGUE.items()
}


@dataclass(frozen=True, slots=True)
class SensorInfo:
    """A sensor found during discovery.

    ``key`` is the IDL field name (``activePower``, ``outletState``, ``trip``; ``device`` for a
    peripheral); ``ref.rid`` is what a poll reads.
    """

    key: str
    ref: Ref
    kind: SensorKind
    type_spec: TypeSpec
    decdigits: int | None = None
    range_lower: float | None = None
    range_upper: float | None = None
    resolution: float | None = None
    #: True when ``type_spec``/``decdigits``/range were read from the sensor itself
    #: (``getMetaData``/``getTypeSpec``); False when they come from the field catalogue, the
    #: peripheral type defaults (``getDeviceTypeInfos``) or are unknown.
    device_metadata: bool = False

    @property
    def rid(self) -> str:
        return self.ref.rid

    @property
    def catalogued(self) -> bool:
        """True when the field catalogue knows what this sensor measures (no metadata needed)."""
        info = _CATALOGUE.get(self.key)
        return info is not None and info[0].is_numeric is (self.kind is not SensorKind.STATE)

    @property
    def is_state(self) -> bool:
        return self.kind is SensorKind.STATE

    @property
    def unit_symbol(self) -> str | None:
        return self.type_spec.unit_symbol

    @property
    def state_mapping(self) -> type[IntEnum] | None:
        """Enum naming the state values (``OpenClosedState`` for ``trip`` ...), if known."""
        if not self.is_state:
            return None
        return state_mapping(self.type_spec.type, self.type_spec.readingtype, self.ref.base_type)

    def known_state(self, value: int | None) -> bool:
        """Whether ``value`` is a state this sensor defines (``StateReading.value``).

        False for ``None``, for numeric sensors and for a value outside the sensor's state table
        (a breaker ``trip`` of 7, a door state of 9: a newer firmware's value or garbage, which
        must not be shown as a definite state). A DISCRETE_ON_OFF sensor without a table knows
        0 and 1; a DISCRETE_MULTI sensor of a type without a table accepts any value.
        """
        if value is None or not self.is_state:
            return False
        mapping = self.state_mapping
        if mapping is not None:
            return value in mapping
        if self.type_spec.readingtype == ReadingType.DISCRETE_ON_OFF:
            return value in (0, 1)
        return True

    @classmethod
    def from_ref(cls, key: str, ref: Ref) -> SensorInfo:
        """A sensor found in a ``*.Sensors`` struct: type spec and digits from the catalogue.

        A field the catalogue does not know (or whose reference is of another kind than the
        catalogue expects) keeps an UNSPECIFIED type spec until its metadata is read.
        """
        kind = sensor_kind(ref, key)
        catalogued = _CATALOGUE.get(key)
        if catalogued is not None and catalogued[0].is_numeric is (kind is not SensorKind.STATE):
            return cls(key, ref, kind, catalogued[0], catalogued[1])
        spec = UNSPECIFIED_STATE if kind is SensorKind.STATE else UNSPECIFIED_NUMERIC
        return cls(key, ref, kind, spec)

    def with_numeric_metadata(self, value: object) -> SensorInfo:
        """Apply a ``NumericSensor.getMetaData`` result (what is missing in it stays)."""
        data = as_dict(value)
        if not data:
            return self
        rng = as_dict(data.get("range"))
        spec = (
            TypeSpec.from_json(data["type"], ReadingType.NUMERIC)
            if isinstance(data.get("type"), dict)
            else self.type_spec
        )
        decdigits = get_int(data, "decdigits")
        return SensorInfo(
            self.key,
            self.ref,
            self.kind,
            spec,
            self.decdigits if decdigits is None or not 0 <= decdigits <= 15 else decdigits,
            get_float(rng, "lower"),
            get_float(rng, "upper"),
            get_float(data, "resolution"),
            device_metadata=True,
        )

    def with_type_spec(self, value: object) -> SensorInfo:
        """Apply a ``Sensor.getTypeSpec`` result (garbage leaves the sensor as it is)."""
        if not isinstance(value, dict):
            return self
        return SensorInfo(
            self.key,
            self.ref,
            self.kind,
            TypeSpec.from_json(value, ReadingType.DISCRETE_MULTI),
            self.decdigits,
            self.range_lower,
            self.range_upper,
            self.resolution,
            device_metadata=True,
        )


def decode_sensor_refs(value: object, prefix: str = "") -> dict[str, SensorInfo]:
    """Decode a ``*.Sensors`` struct into ``{key: SensorInfo}`` (``null`` refs are absent).

    Vector fields (``powerSupplyStatus``) give keys ``name[0]``, ``name[1]`` ...
    """
    result: dict[str, SensorInfo] = {}
    for key, item in as_dict(value).items():
        if isinstance(item, list):
            for idx, sub in enumerate(item):
                ref = Ref.from_json(sub)
                if ref is not None:
                    name = f"{prefix}{key}[{idx}]"
                    result[name] = SensorInfo.from_ref(key, ref)
            continue
        ref = Ref.from_json(item)
        if ref is not None:
            result[prefix + key] = SensorInfo.from_ref(key, ref)
    return result


__all__ = [
    "STATE_SENSOR_KEYS",
    "UNSPECIFIED_NUMERIC",
    "UNSPECIFIED_STATE",
    "SensorInfo",
    "SensorKind",
    "TypeSpec",
    "decode_sensor_refs",
    "kind_of_type",
    "sensor_kind",
]
