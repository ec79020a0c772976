"""External sensors and actuators in the peripheral device slots of a unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..const import CHANNEL_INVALID, PortType, to_enum
from .fields import as_dict, get_bool, get_float, get_int, get_str
from .refs import Ref
from .sensors import SensorInfo, SensorKind, TypeSpec, kind_of_type

#: ``(readingtype, type, unit, isActuator)``: how ``getDeviceTypeInfos`` keys a peripheral type.
type DeviceTypeKey = tuple[int, int, int, bool]


@dataclass(frozen=True, slots=True)
class DeviceTypeDefaults:
    """``DeviceManager.DeviceTypeInfo`` of one peripheral type: name, digits and range."""

    name: str
    decdigits: int | None = None
    range_lower: float | None = None
    range_upper: float | None = None


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
    #: The package's model (``PackageInfo.hwInfo.model``, "DPX3-T1H1"; "" if not told).
    package_model: str = ""

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
        type_names: Mapping[DeviceTypeKey, str] | None = None,
        type_defaults: Mapping[DeviceTypeKey, DeviceTypeDefaults] | None = None,
        package_models: Mapping[str, str] | None = None,
    ) -> PeripheralInfo | None:
        """Decode ``DeviceSlot.getDevice`` (valueobject) + ``getSettings``.

        ``None`` if the slot is unassigned (``null``) or its device cannot be identified (no
        ``deviceID`` object). The sensor's digits and range are the defaults of its type
        (``getDeviceTypeInfos``: ``type_defaults``) until its own metadata is read;
        ``package_models`` gives the model of its package by serial number.
        """
        if not isinstance(device, dict):
            return None
        value = device.get("value") if "value" in device else device
        data = as_dict(value)
        devid = data.get("deviceID")
        if not isinstance(devid, dict):
            return None
        spec = TypeSpec.from_json(devid.get("type"))
        is_actuator = get_bool(devid, "isActuator")
        key = (int(spec.readingtype), int(spec.type), int(spec.unit), is_actuator)
        defaults = type_defaults.get(key) if type_defaults else None
        ref = Ref.from_json(data.get("device"))
        sensor: SensorInfo | None = None
        if ref is not None:
            kind = kind_of_type(ref.type)
            if kind is None:
                kind = SensorKind.NUMERIC if spec.is_numeric else SensorKind.STATE
            sensor = SensorInfo("device", ref, kind, spec)
            if defaults is not None and kind is not SensorKind.STATE:
                sensor = SensorInfo(
                    "device",
                    ref,
                    kind,
                    spec,
                    defaults.decdigits,
                    defaults.range_lower,
                    defaults.range_upper,
                )
        positions = data.get("position")
        position = tuple(
            PosElement(to_enum(PortType, p.get("portType")), get_str(p, "port"))
            for p in (positions if isinstance(positions, list) else ())
            if isinstance(p, dict)
        )
        sett = as_dict(settings)
        loc = as_dict(sett.get("location"))
        type_name = type_names.get(key) if type_names else None
        if type_name is None and defaults is not None:
            type_name = defaults.name or None
        channel = get_int(devid, "channel")
        serial = get_str(devid, "serial")
        return cls(
            slot_index=slot_index,
            slot_rid=slot_rid,
            name=get_str(sett, "name"),
            description=get_str(sett, "description"),
            serial=serial,
            package_class=get_str(data, "packageClass"),
            type_spec=spec,
            is_actuator=is_actuator,
            channel=channel if channel is not None else CHANNEL_INVALID,
            position=position,
            sensor=sensor,
            pdu_id=pdu_id,
            type_name=type_name,
            location=(get_str(loc, "x"), get_str(loc, "y"), get_str(loc, "z")),
            package_model=(package_models or {}).get(serial, ""),
        )


def decode_device_type_defaults(value: object) -> dict[DeviceTypeKey, DeviceTypeDefaults]:
    """``DeviceManager.getDeviceTypeInfos`` → ``{(readingtype, type, unit, isActuator): info}``."""
    infos: dict[DeviceTypeKey, DeviceTypeDefaults] = {}
    if not isinstance(value, list):
        return infos
    for item in value:
        data = as_dict(item)
        if not isinstance(data.get("type"), dict):
            continue
        spec = TypeSpec.from_json(data.get("type"))
        key = (int(spec.readingtype), int(spec.type), int(spec.unit), get_bool(data, "isActuator"))
        decdigits = get_int(data, "defaultDecDigits")
        rng = as_dict(data.get("defaultRange"))
        infos.setdefault(
            key,
            DeviceTypeDefaults(
                get_str(data, "name"),
                decdigits if decdigits is not None and 0 <= decdigits <= 15 else None,
                get_float(rng, "lower"),
                get_float(rng, "upper"),
            ),
        )
    return infos


def decode_device_type_infos(value: object) -> dict[DeviceTypeKey, str]:
    """``DeviceManager.getDeviceTypeInfos`` → ``{(readingtype, type, unit, isActuator): name}``."""
    return {
        key: info.name for key, info in decode_device_type_defaults(value).items() if info.name
    }


def decode_package_models(value: object) -> dict[str, str]:
    """``DeviceManager.getDiscoveredPackageInfos`` → ``{package serial: model}``.

    Entries without a serial or a model (or not a ``PackageInfo``) are left out.
    """
    models: dict[str, str] = {}
    for item in value if isinstance(value, list) else ():
        hw_info = as_dict(as_dict(item).get("hwInfo"))
        serial, model = get_str(hw_info, "serial"), get_str(hw_info, "model")
        if serial and model:
            models.setdefault(serial, model)
    return models


__all__ = [
    "DeviceTypeDefaults",
    "DeviceTypeKey",
    "PeripheralInfo",
    "PosElement",
    "decode_device_type_defaults",
    "decode_device_type_infos",
    "decode_package_models",
]
