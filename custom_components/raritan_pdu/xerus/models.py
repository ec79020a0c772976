"""Typed, immutable models of the Xerus objects and their tolerant JSON decoders.

Decoding never raises on unknown enum values, extra or missing fields or ``null`` references:
missing values become defaults (``""``, ``False``, ``None``), unknown enum ints stay ints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import lru_cache
from operator import itemgetter
from typing import Any

from .const import (
    CHANNEL_INVALID,
    CascadeRole,
    LinkUnitStatus,
    LinkUnitType,
    OcpType,
    OutletStartupState,
    PortType,
    PowerLine,
    PowerState,
    ReadingType,
    SensorType,
    SensorUnit,
    state_mapping,
    to_enum,
    unit_symbol,
)
from .exceptions import XerusError

type JsonDict = dict[str, Any]

# --- small tolerant accessors -----------------------------------------------------------------


def _obj(value: object) -> JsonDict:
    return value if isinstance(value, dict) else {}


def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _bool(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def _int(data: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return default
    return value


def _float(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def decode_map(value: object) -> dict[Any, Any]:
    """Decode an IDL ``map<K, V>`` (a JSON array of ``{"key": K, "value": V}``).

    A plain JSON object is accepted as well.
    """
    if isinstance(value, dict):
        return dict(value)
    result: dict[Any, Any] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "key" in item:
                key = item["key"]
                if isinstance(key, list | dict):
                    continue
                result[key] = item.get("value")
    return result


def is_void_result(value: object) -> bool:
    """True for the result of a void method: ``null`` or ``{}``."""
    return value is None or value == {}


# --- references and type names --------------------------------------------------------------

_VERSION_SEGMENT = re.compile(r"_\d+_\d+_\d+")


@lru_cache(maxsize=512)
def base_type_name(type_code: str) -> str:
    """Strip versions: ``"sensors.NumericSensor:4.0.5"`` → ``"sensors.NumericSensor"``."""
    return _VERSION_SEGMENT.sub("", type_code.split(":", 1)[0])


@dataclass(frozen=True, slots=True)
class Ref:
    """An interface reference: the RID to call and the most-derived type code."""

    rid: str
    type: str

    @property
    def base_type(self) -> str:
        """Type name without versions (``sensors.NumericSensor``)."""
        return base_type_name(self.type)

    @classmethod
    def from_json(cls, value: object) -> Ref | None:
        """Decode ``{"rid": ..., "type": ...}``; ``null`` or garbage gives ``None``."""
        if not isinstance(value, dict):
            return None
        rid = value.get("rid")
        if not isinstance(rid, str) or not rid:
            return None
        type_code = value.get("type")
        return cls(rid, type_code if isinstance(type_code, str) else "")


def decode_refs(value: object) -> list[Ref]:
    """Decode a vector of references, dropping ``null`` entries."""
    if not isinstance(value, list):
        return []
    return [ref for ref in (Ref.from_json(item) for item in value) if ref is not None]


# --- sensors --------------------------------------------------------------------------------


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
def _kind_of_type(type_code: str) -> SensorKind | None:
    base = base_type_name(type_code)
    if base in _ACCUMULATING_BASES:
        return SensorKind.ACCUMULATING
    if base in _NUMERIC_BASES:
        return SensorKind.NUMERIC
    if base in _STATE_BASES:
        return SensorKind.STATE
    name = base.rsplit(".", 1)[-1]
    if "Accumulating" in name:
        return SensorKind.ACCUMULATING
    if "Numeric" in name:
        return SensorKind.NUMERIC
    if "State" in name or name == "Switch":
        return SensorKind.STATE
    return None


def sensor_kind(ref: Ref, key: str = "") -> SensorKind:
    """Kind of a sensor reference, dispatched on the base type name (versions stripped)."""
    kind = _kind_of_type(ref.type)
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
        data = _obj(value)
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

    @property
    def rid(self) -> str:
        return self.ref.rid

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

    @classmethod
    def from_ref(cls, key: str, ref: Ref) -> SensorInfo:
        """A sensor whose metadata was not read (yet)."""
        kind = sensor_kind(ref, key)
        spec = UNSPECIFIED_STATE if kind is SensorKind.STATE else UNSPECIFIED_NUMERIC
        return cls(key, ref, kind, spec)

    def with_numeric_metadata(self, value: object) -> SensorInfo:
        """Apply a ``NumericSensor.getMetaData`` result."""
        data = _obj(value)
        rng = _obj(data.get("range"))
        return SensorInfo(
            self.key,
            self.ref,
            self.kind,
            TypeSpec.from_json(data.get("type"), ReadingType.NUMERIC),
            _int(data, "decdigits"),
            _float(rng, "lower"),
            _float(rng, "upper"),
            _float(data, "resolution"),
        )

    def with_type_spec(self, value: object) -> SensorInfo:
        """Apply a ``Sensor.getTypeSpec`` result."""
        return SensorInfo(
            self.key,
            self.ref,
            self.kind,
            TypeSpec.from_json(value, ReadingType.DISCRETE_MULTI),
            self.decdigits,
            self.range_lower,
            self.range_upper,
            self.resolution,
        )


def decode_sensor_refs(value: object, prefix: str = "") -> dict[str, SensorInfo]:
    """Decode a ``*.Sensors`` struct into ``{key: SensorInfo}`` (``null`` refs are absent).

    Vector fields (``powerSupplyStatus``) give keys ``name[0]``, ``name[1]`` ...
    """
    result: dict[str, SensorInfo] = {}
    for key, item in _obj(value).items():
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


_READING_FIELDS = itemgetter("available", "valid", "value", "timestamp", "status")
_STATUS_FIELDS = itemgetter(
    "aboveUpperCritical", "aboveUpperWarning", "belowLowerWarning", "belowLowerCritical"
)
_STATE_FIELDS = itemgetter("available", "value", "timestamp")


@dataclass(frozen=True, slots=True)
class NumericReading:
    """``NumericSensor.Reading``; ``value`` is ``None`` unless ``available and valid``."""

    value: float | None
    available: bool
    valid: bool
    timestamp: int | None = None
    above_upper_critical: bool = False
    above_upper_warning: bool = False
    below_lower_warning: bool = False
    below_lower_critical: bool = False

    @classmethod
    def from_json(cls, value: object) -> NumericReading:
        # Fast path for well-formed readings (a poll decodes thousands of them).
        try:
            available, valid, raw, ts, status = _READING_FIELDS(value)  # type: ignore[arg-type]
            upper_crit, upper_warn, lower_warn, lower_crit = _STATUS_FIELDS(status)
        except (KeyError, TypeError):
            return cls._from_json_tolerant(value)
        raw_type = type(raw)
        if available is True and valid is True and (raw_type is float or raw_type is int):
            number: float | None = float(raw)
        else:
            number = None
        return cls(
            number,
            available is True,
            valid is True,
            ts if type(ts) is int else None,
            upper_crit is True,
            upper_warn is True,
            lower_warn is True,
            lower_crit is True,
        )

    @classmethod
    def _from_json_tolerant(cls, value: object) -> NumericReading:
        if not isinstance(value, dict):
            return cls(None, False, False)
        available = value.get("available") is True
        valid = value.get("valid") is True
        raw = value.get("value")
        number = (
            float(raw)
            if available and valid and isinstance(raw, int | float) and not isinstance(raw, bool)
            else None
        )
        status = value.get("status")
        ts = value.get("timestamp")
        if isinstance(status, dict):
            return cls(
                number,
                available,
                valid,
                ts if isinstance(ts, int) else None,
                status.get("aboveUpperCritical") is True,
                status.get("aboveUpperWarning") is True,
                status.get("belowLowerWarning") is True,
                status.get("belowLowerCritical") is True,
            )
        return cls(number, available, valid, ts if isinstance(ts, int) else None)


@dataclass(frozen=True, slots=True)
class StateReading:
    """``StateSensor.State``; ``value`` is ``None`` when not available."""

    value: int | None
    available: bool
    timestamp: int | None = None

    @classmethod
    def from_json(cls, value: object) -> StateReading:
        try:
            available, raw, ts = _STATE_FIELDS(value)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return cls._from_json_tolerant(value)
        return cls(
            raw if available is True and type(raw) is int else None,
            available is True,
            ts if type(ts) is int else None,
        )

    @classmethod
    def _from_json_tolerant(cls, value: object) -> StateReading:
        if not isinstance(value, dict):
            return cls(None, False)
        available = value.get("available") is True
        raw = value.get("value")
        ts = value.get("timestamp")
        return cls(
            raw if available and isinstance(raw, int) and not isinstance(raw, bool) else None,
            available,
            ts if isinstance(ts, int) else None,
        )


@dataclass(frozen=True, slots=True)
class OutletState:
    """``Outlet.State`` (fields missing on older firmware default to ``False``)."""

    available: bool
    power_state: PowerState | int | None
    switch_on_in_progress: bool = False
    cycle_in_progress: bool = False
    is_load_shed: bool = False
    is_suspended: bool = False
    in_service_mode: bool = False
    last_power_state_change: int | None = None

    @property
    def is_on(self) -> bool | None:
        """``True``/``False`` for a known power state, ``None`` if not available."""
        if not self.available or self.power_state is None:
            return None
        return self.power_state == PowerState.ON

    @classmethod
    def from_json(cls, value: object) -> OutletState:
        if not isinstance(value, dict):
            return cls(False, None)
        available = value.get("available") is True
        return cls(
            available,
            to_enum(PowerState, value.get("powerState")) if available else None,
            value.get("switchOnInProgress") is True,
            value.get("cycleInProgress") is True,
            value.get("isLoadShed") is True,
            value.get("isSuspended") is True,
            value.get("inServiceMode") is True,
            _int(value, "lastPowerStateChange"),
        )


# --- nameplates, metadata, settings ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nameplate:
    """``pdumodel.Nameplate`` (ratings are strings such as ``"24A"``)."""

    manufacturer: str = ""
    brand: str = ""
    model: str = ""
    part_number: str = ""
    serial_number: str = ""
    rating_voltage: str = ""
    rating_current: str = ""
    rating_frequency: str = ""
    rating_power: str = ""

    @classmethod
    def from_json(cls, value: object) -> Nameplate:
        data = _obj(value)
        rating = _obj(data.get("rating"))
        return cls(
            _str(data, "manufacturer"),
            _str(data, "brand"),
            _str(data, "model"),
            _str(data, "partNumber"),
            _str(data, "serialNumber"),
            _str(rating, "voltage"),
            _str(rating, "current"),
            _str(rating, "frequency"),
            _str(rating, "power"),
        )


@dataclass(frozen=True, slots=True)
class Rating:
    """``pdumodel.Rating`` (numeric usage rating of inlets/outlets/OCPs)."""

    current: float | None = None
    min_voltage: int | None = None
    max_voltage: int | None = None

    @classmethod
    def from_json(cls, value: object) -> Rating:
        data = _obj(value)
        current = _float(data, "decimalCurrent")
        if current is None:
            current = _float(data, "current")
        return cls(current, _int(data, "minVoltage"), _int(data, "maxVoltage"))


@dataclass(frozen=True, slots=True)
class PduMetaData:
    """``pdumodel.Pdu.MetaData``."""

    nameplate: Nameplate
    ctrl_board_serial: str = ""
    hw_revision: str = ""
    fw_revision: str = ""
    mac_address: str = ""
    has_switchable_outlets: bool = False
    has_metered_outlets: bool = False
    has_latching_outlet_relays: bool = False
    is_inline_meter: bool = False

    @classmethod
    def from_json(cls, value: object) -> PduMetaData:
        data = _obj(value)
        return cls(
            Nameplate.from_json(data.get("nameplate")),
            _str(data, "ctrlBoardSerial"),
            _str(data, "hwRevision"),
            _str(data, "fwRevision"),
            _str(data, "macAddress"),
            _bool(data, "hasSwitchableOutlets"),
            _bool(data, "hasMeteredOutlets"),
            _bool(data, "hasLatchingOutletRelays"),
            _bool(data, "isInlineMeter"),
        )


@dataclass(frozen=True, slots=True)
class PduSettings:
    """``pdumodel.Pdu.Settings`` (the fields an integration needs)."""

    name: str = ""
    cycle_delay: int | None = None
    inhibit_relay_control: bool = False
    startup_state: int | None = None

    @classmethod
    def from_json(cls, value: object) -> PduSettings:
        data = _obj(value)
        return cls(
            _str(data, "name"),
            _int(data, "cycleDelay"),
            _bool(data, "inhibitRelayControl"),
            _int(data, "startupState"),
        )


@dataclass(frozen=True, slots=True)
class OutletMetaData:
    """``pdumodel.Outlet.MetaData``."""

    label: str = ""
    receptacle_type: str = ""
    rating: Rating = field(default_factory=Rating)
    is_switchable: bool = False
    is_latching: bool = False

    @classmethod
    def from_json(cls, value: object) -> OutletMetaData:
        data = _obj(value)
        return cls(
            _str(data, "label"),
            _str(data, "receptacleType"),
            Rating.from_json(data.get("rating")),
            _bool(data, "isSwitchable"),
            _bool(data, "isLatching"),
        )


@dataclass(frozen=True, slots=True)
class OutletSettings:
    """``pdumodel.Outlet.Settings``."""

    name: str = ""
    startup_state: OutletStartupState | int | None = None
    use_pdu_cycle_delay: bool = True
    cycle_delay: int | None = None
    non_critical: bool = False
    sequence_delay: int | None = None

    @classmethod
    def from_json(cls, value: object) -> OutletSettings:
        data = _obj(value)
        return cls(
            _str(data, "name"),
            to_enum(OutletStartupState, data.get("startupState")),
            _bool(data, "usePduCycleDelay", True),
            _int(data, "cycleDelay"),
            _bool(data, "nonCritical"),
            _int(data, "sequenceDelay"),
        )


# --- identity and topology ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PduIdentity:
    """Identity of one (link) unit, plus the cascade role of the unit the client talks to."""

    pdu_id: int
    rid: str
    serial: str
    model: str
    manufacturer: str
    brand: str
    part_number: str
    firmware: str
    hardware: str
    mac: str
    ctrl_board_serial: str
    name: str
    rating_voltage: str
    rating_current: str
    rating_frequency: str
    rating_power: str
    has_switchable_outlets: bool
    has_metered_outlets: bool
    cycle_delay: int | None
    inhibit_relay_control: bool
    role: CascadeRole | int
    primary_host: str | None

    @property
    def unique_id(self) -> str:
        """Serial number, else controller board serial, else MAC (reference 5.7)."""
        serial = self.serial if self.serial and self.serial != "<not set>" else ""
        return serial or self.ctrl_board_serial or self.mac.lower()

    @classmethod
    def from_json(
        cls,
        pdu_id: int,
        rid: str,
        metadata: object,
        settings: object,
        *,
        role: CascadeRole | int = CascadeRole.STANDALONE,
        primary_host: str | None = None,
    ) -> PduIdentity:
        meta = PduMetaData.from_json(metadata)
        sett = PduSettings.from_json(settings)
        plate = meta.nameplate
        return cls(
            pdu_id=pdu_id,
            rid=rid,
            serial=plate.serial_number,
            model=plate.model,
            manufacturer=plate.manufacturer,
            brand=plate.brand,
            part_number=plate.part_number,
            firmware=meta.fw_revision,
            hardware=meta.hw_revision,
            mac=meta.mac_address,
            ctrl_board_serial=meta.ctrl_board_serial,
            name=sett.name,
            rating_voltage=plate.rating_voltage,
            rating_current=plate.rating_current,
            rating_frequency=plate.rating_frequency,
            rating_power=plate.rating_power,
            has_switchable_outlets=meta.has_switchable_outlets,
            has_metered_outlets=meta.has_metered_outlets,
            cycle_delay=sett.cycle_delay,
            inhibit_relay_control=sett.inhibit_relay_control,
            role=role,
            primary_host=primary_host,
        )


@dataclass(frozen=True, slots=True)
class LinkUnit:
    """Entry of ``CascadeManager.Status.linkUnits`` (3.6: host/status; 4.x: +type, fwVersion)."""

    link_id: int
    host: str
    status: LinkUnitStatus | int
    type: LinkUnitType | int | None = None
    fw_version: str | None = None


@dataclass(frozen=True, slots=True)
class CascadeStatus:
    """``CascadeManager.getStatus()`` of firmware 3.6 (``master``) and 4.x (``primaryUnit``)."""

    role: CascadeRole | int
    primary_host: str | None
    primary_link_id: int | None
    link_units: dict[int, LinkUnit]

    @classmethod
    def standalone(cls) -> CascadeStatus:
        return cls(CascadeRole.STANDALONE, None, None, {})

    @classmethod
    def from_json(cls, value: object) -> CascadeStatus:
        data = _obj(value)
        role = to_enum(CascadeRole, data.get("role"))
        host = _opt_str(data, "primaryUnit")
        if host is None:
            host = _opt_str(data, "master")
        units: dict[int, LinkUnit] = {}
        for key, raw in decode_map(data.get("linkUnits")).items():
            link_id = key if isinstance(key, int) else None
            if link_id is None and isinstance(key, str) and key.isdigit():
                link_id = int(key)
            if link_id is None:
                continue
            unit = _obj(raw)
            status = to_enum(LinkUnitStatus, unit.get("status"))
            units[link_id] = LinkUnit(
                link_id,
                _str(unit, "host"),
                LinkUnitStatus.UNKNOWN if status is None else status,
                to_enum(LinkUnitType, unit.get("type")),
                _opt_str(unit, "fwVersion"),
            )
        return cls(
            CascadeRole.STANDALONE if role is None else role,
            host or None,
            _int(data, "primaryLinkId"),
            units,
        )


@dataclass(frozen=True, slots=True)
class PoleInfo:
    """``pdumodel.Pole`` of an inlet."""

    index: int
    label: str
    line: PowerLine | int | None
    node_id: int | None
    sensors: dict[str, SensorInfo]

    @classmethod
    def from_json(cls, index: int, value: object) -> PoleInfo:
        data = _obj(value)
        sensors = {
            key: info
            for key, info in decode_sensor_refs(data).items()
            if key not in ("label", "line", "nodeId")
        }
        return cls(
            index,
            _str(data, "label"),
            to_enum(PowerLine, data.get("line")),
            _int(data, "nodeId"),
            sensors,
        )


@dataclass(frozen=True, slots=True)
class OutletInfo:
    """An outlet (``pdumodel.Outlet``); ``index`` is 0-based, ``number`` = index + 1."""

    index: int
    rid: str
    label: str
    name: str
    receptacle_type: str
    rating_current: float | None
    is_switchable: bool
    is_latching: bool
    sensors: dict[str, SensorInfo]
    pdu_id: int = 0
    settings: OutletSettings = field(default_factory=OutletSettings)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def display_name(self) -> str:
        return self.name or f"Outlet {self.label or self.number}"


@dataclass(frozen=True, slots=True)
class InletInfo:
    """An inlet (``pdumodel.Inlet``) with its poles."""

    index: int
    rid: str
    label: str
    name: str
    plug_type: str
    rating_current: float | None
    sensors: dict[str, SensorInfo]
    poles: list[PoleInfo]
    pdu_id: int = 0

    @property
    def display_name(self) -> str:
        return self.name or f"Inlet {self.label or self.index + 1}"


@dataclass(frozen=True, slots=True)
class OcpInfo:
    """An over-current protector (breaker/fuse); ``sensors["trip"]`` is its trip state sensor."""

    index: int
    rid: str
    label: str
    name: str
    type: OcpType | int | None
    rating_current: float | None
    sensors: dict[str, SensorInfo]
    pdu_id: int = 0

    @property
    def display_name(self) -> str:
        return self.name or f"Overcurrent protector {self.label or self.index + 1}"


@dataclass(frozen=True, slots=True)
class PosElement:
    """``peripheral.PosElement``: one hop of a peripheral's position."""

    port_type: PortType | int | None
    port: str


@dataclass(frozen=True, slots=True)
class PeripheralInfo:
    """An assigned peripheral device slot (one sensor/actuator channel)."""

    slot_index: int
    slot_rid: str
    name: str
    description: str
    serial: str
    package_class: str
    type_spec: TypeSpec
    is_actuator: bool
    channel: int | None
    position: tuple[PosElement, ...]
    sensor: SensorInfo | None
    pdu_id: int = 0
    type_name: str | None = None
    location: tuple[str, str, str] = ("", "", "")

    @property
    def unique_key(self) -> str:
        """``serial:type:actuator[:channel]``, identical on firmware 3.6 and 4.x.

        The channel is appended only if > 0: a channel-less probe reports 0 on 3.6 and
        -1 (CHANNEL_INVALID) on 4.x.
        """
        key = f"{self.serial}:{int(self.type_spec.type)}:{int(self.is_actuator)}"
        if self.channel is not None and self.channel > 0:
            key += f":{self.channel}"
        return key

    @property
    def display_name(self) -> str:
        return self.name or self.type_name or f"Sensor {self.slot_index + 1}"

    @classmethod
    def from_json(
        cls,
        slot_index: int,
        slot_rid: str,
        device: object,
        settings: object,
        *,
        pdu_id: int = 0,
        type_names: Mapping[tuple[int, int, int, bool], str] | None = None,
    ) -> PeripheralInfo | None:
        """Decode ``DeviceSlot.getDevice`` (valueobject) + ``getSettings``; None if unassigned."""
        if not isinstance(device, dict):
            return None
        value = device.get("value") if "value" in device else device
        data = _obj(value)
        if not data:
            return None
        devid = _obj(data.get("deviceID"))
        spec = TypeSpec.from_json(devid.get("type"))
        is_actuator = _bool(devid, "isActuator")
        ref = Ref.from_json(data.get("device"))
        sensor: SensorInfo | None = None
        if ref is not None:
            kind = _kind_of_type(ref.type)
            if kind is None:
                kind = SensorKind.NUMERIC if spec.is_numeric else SensorKind.STATE
            sensor = SensorInfo("device", ref, kind, spec)
        position = tuple(
            PosElement(to_enum(PortType, _obj(p).get("portType")), _str(_obj(p), "port"))
            for p in data.get("position") or []
            if isinstance(p, dict)
        )
        sett = _obj(settings)
        loc = _obj(sett.get("location"))
        type_name = None
        if type_names:
            type_name = type_names.get(
                (int(spec.readingtype), int(spec.type), int(spec.unit), is_actuator)
            )
        channel = _int(devid, "channel")
        return cls(
            slot_index=slot_index,
            slot_rid=slot_rid,
            name=_str(sett, "name"),
            description=_str(sett, "description"),
            serial=_str(devid, "serial"),
            package_class=_str(data, "packageClass"),
            type_spec=spec,
            is_actuator=is_actuator,
            channel=channel if channel is not None else CHANNEL_INVALID,
            position=position,
            sensor=sensor,
            pdu_id=pdu_id,
            type_name=type_name,
            location=(_str(loc, "x"), _str(loc, "y"), _str(loc, "z")),
        )


def decode_device_type_infos(value: object) -> dict[tuple[int, int, int, bool], str]:
    """``DeviceManager.getDeviceTypeInfos`` → ``{(readingtype, type, unit, isActuator): name}``."""
    names: dict[tuple[int, int, int, bool], str] = {}
    if not isinstance(value, list):
        return names
    for item in value:
        data = _obj(item)
        name = _str(data, "name")
        if not name:
            continue
        spec = TypeSpec.from_json(data.get("type"))
        key = (int(spec.readingtype), int(spec.type), int(spec.unit), _bool(data, "isActuator"))
        names.setdefault(key, name)
    return names


@dataclass(frozen=True, slots=True)
class UnitTopology:
    """Everything discovered on one unit (primary or link unit).

    ``sensors`` are the unit totals of ``Pdu.getSensors``.
    """

    identity: PduIdentity
    outlets: list[OutletInfo]
    inlets: list[InletInfo]
    ocps: list[OcpInfo]
    peripherals: list[PeripheralInfo]
    sensors: dict[str, SensorInfo]

    @property
    def pdu_id(self) -> int:
        return self.identity.pdu_id

    def iter_sensors(self) -> Iterator[SensorInfo]:
        """Every sensor of the unit (totals, inlets, poles, OCPs, outlets, peripherals)."""
        yield from self.sensors.values()
        for inlet in self.inlets:
            yield from inlet.sensors.values()
            for pole in inlet.poles:
                yield from pole.sensors.values()
        for ocp in self.ocps:
            yield from ocp.sensors.values()
        for outlet in self.outlets:
            yield from outlet.sensors.values()
        for peripheral in self.peripherals:
            if peripheral.sensor is not None:
                yield peripheral.sensor


@dataclass(frozen=True, slots=True)
class Topology:
    """The primary unit and every reachable link unit.

    ``link_status`` is the status the primary reports for every link id; ``unavailable`` are link
    ids that are not in ``link_units`` (status not OK, or their discovery failed — the error is in
    ``link_errors``).
    """

    primary: UnitTopology
    link_units: dict[int, UnitTopology]
    link_status: dict[int, LinkUnitStatus | int]
    unavailable: frozenset[int] = frozenset()
    link_errors: dict[int, XerusError] = field(default_factory=dict)
    cascade: CascadeStatus = field(default_factory=CascadeStatus.standalone)

    @property
    def units(self) -> list[UnitTopology]:
        """Primary first, then link units by id."""
        return [self.primary, *(self.link_units[k] for k in sorted(self.link_units))]

    def unit(self, pdu_id: int) -> UnitTopology | None:
        if pdu_id == self.primary.pdu_id:
            return self.primary
        return self.link_units.get(pdu_id)


@dataclass(frozen=True, slots=True)
class Readings:
    """Result of one poll, keyed by the RID that was read."""

    numeric: dict[str, NumericReading] = field(default_factory=dict)
    states: dict[str, StateReading] = field(default_factory=dict)
    outlets: dict[str, OutletState] = field(default_factory=dict)
    errors: dict[str, XerusError] = field(default_factory=dict)


__all__ = [
    "CascadeStatus",
    "InletInfo",
    "LinkUnit",
    "Nameplate",
    "NumericReading",
    "OcpInfo",
    "OutletInfo",
    "OutletMetaData",
    "OutletSettings",
    "OutletState",
    "PduIdentity",
    "PduMetaData",
    "PduSettings",
    "PeripheralInfo",
    "PoleInfo",
    "PosElement",
    "Rating",
    "Readings",
    "Ref",
    "SensorInfo",
    "SensorKind",
    "StateReading",
    "Topology",
    "TypeSpec",
    "UnitTopology",
    "base_type_name",
    "decode_device_type_infos",
    "decode_map",
    "decode_refs",
    "decode_sensor_refs",
    "sensor_kind",
]
