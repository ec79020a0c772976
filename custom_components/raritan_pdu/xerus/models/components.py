"""The power path of a unit: inlets and their poles, over-current protectors, outlets."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..const import OcpType, OutletStartupState, PowerLine, to_enum
from .fields import JsonDict, as_dict, get_bool, get_float, get_int, get_str
from .power import raw_settings
from .sensors import SensorInfo, decode_sensor_refs


@dataclass(frozen=True, slots=True)
class Rating:
    """``pdumodel.Rating`` (numeric usage rating of inlets/outlets/OCPs)."""

    current: float | None = None
    min_voltage: int | None = None
    max_voltage: int | None = None

    @classmethod
    def from_json(cls, value: object) -> Rating:
        data = as_dict(value)
        current = get_float(data, "decimalCurrent")
        if current is None:
            current = get_float(data, "current")
        return cls(current, get_int(data, "minVoltage"), get_int(data, "maxVoltage"))


def _described(metadata: object, settings: object) -> tuple[JsonDict, str, str, float | None]:
    """What inlets and OCPs share: (metadata, label, name, rating current)."""
    meta = as_dict(metadata)
    name = get_str(as_dict(settings), "name")
    return meta, get_str(meta, "label"), name, Rating.from_json(meta.get("rating")).current


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
        data = as_dict(value)
        return cls(
            get_str(data, "label"),
            get_str(data, "receptacleType"),
            Rating.from_json(data.get("rating")),
            get_bool(data, "isSwitchable"),
            get_bool(data, "isLatching"),
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
    #: The struct as read (JSON text), for the read-modify-write of ``setSettings``.
    raw: str = ""

    @classmethod
    def from_json(cls, value: object) -> OutletSettings:
        data = as_dict(value)
        return cls(
            get_str(data, "name"),
            to_enum(OutletStartupState, data.get("startupState")),
            get_bool(data, "usePduCycleDelay", True),
            get_int(data, "cycleDelay"),
            get_bool(data, "nonCritical"),
            get_int(data, "sequenceDelay"),
            raw_settings(value),
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
        data = as_dict(value)
        sensors = {
            key: info
            for key, info in decode_sensor_refs(data).items()
            if key not in ("label", "line", "nodeId")
        }
        return cls(
            index,
            get_str(data, "label"),
            to_enum(PowerLine, data.get("line")),
            get_int(data, "nodeId"),
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

    @classmethod
    def from_json(
        cls,
        index: int,
        rid: str,
        metadata: object,
        settings: object,
        *,
        sensors: dict[str, SensorInfo],
        pdu_id: int = 0,
    ) -> OutletInfo:
        """Decode ``Outlet.getMetaData`` + ``getSettings`` (either may be missing)."""
        meta = OutletMetaData.from_json(metadata)
        sett = OutletSettings.from_json(settings)
        return cls(
            index=index,
            rid=rid,
            label=meta.label,
            name=sett.name,
            receptacle_type=meta.receptacle_type,
            rating_current=meta.rating.current,
            is_switchable=meta.is_switchable,
            is_latching=meta.is_latching,
            sensors=sensors,
            pdu_id=pdu_id,
            settings=sett,
        )


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

    @classmethod
    def from_json(
        cls,
        index: int,
        rid: str,
        metadata: object,
        settings: object,
        *,
        sensors: dict[str, SensorInfo],
        poles: list[PoleInfo],
        pdu_id: int = 0,
    ) -> InletInfo:
        """Decode ``Inlet.getMetaData`` + ``getSettings`` (either may be missing)."""
        meta, label, name, rating_current = _described(metadata, settings)
        return cls(
            index=index,
            rid=rid,
            label=label,
            name=name,
            plug_type=get_str(meta, "plugType"),
            rating_current=rating_current,
            sensors=sensors,
            poles=poles,
            pdu_id=pdu_id,
        )


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

    @classmethod
    def from_json(
        cls,
        index: int,
        rid: str,
        metadata: object,
        settings: object,
        *,
        sensors: dict[str, SensorInfo],
        pdu_id: int = 0,
    ) -> OcpInfo:
        """Decode ``OverCurrentProtector.getMetaData`` + ``getSettings`` (either may be missing)."""
        meta, label, name, rating_current = _described(metadata, settings)
        return cls(
            index=index,
            rid=rid,
            label=label,
            name=name,
            type=to_enum(OcpType, meta.get("type")),
            rating_current=rating_current,
            sensors=sensors,
            pdu_id=pdu_id,
        )


__all__ = [
    "InletInfo",
    "OcpInfo",
    "OutletInfo",
    "OutletMetaData",
    "OutletSettings",
    "PoleInfo",
    "Rating",
]
