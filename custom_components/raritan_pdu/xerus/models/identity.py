"""Who a unit is: nameplate, metadata, settings, identity and the cascade (link unit) status."""

from __future__ import annotations

from dataclasses import dataclass

from ..const import CascadeRole, LinkUnitStatus, LinkUnitType, to_enum
from .fields import as_dict, decode_map, get_bool, get_int, get_opt_str, get_str


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
        data = as_dict(value)
        rating = as_dict(data.get("rating"))
        return cls(
            get_str(data, "manufacturer"),
            get_str(data, "brand"),
            get_str(data, "model"),
            get_str(data, "partNumber"),
            get_str(data, "serialNumber"),
            get_str(rating, "voltage"),
            get_str(rating, "current"),
            get_str(rating, "frequency"),
            get_str(rating, "power"),
        )


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
        data = as_dict(value)
        return cls(
            Nameplate.from_json(data.get("nameplate")),
            get_str(data, "ctrlBoardSerial"),
            get_str(data, "hwRevision"),
            get_str(data, "fwRevision"),
            get_str(data, "macAddress"),
            get_bool(data, "hasSwitchableOutlets"),
            get_bool(data, "hasMeteredOutlets"),
            get_bool(data, "hasLatchingOutletRelays"),
            get_bool(data, "isInlineMeter"),
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
        data = as_dict(value)
        return cls(
            get_str(data, "name"),
            get_int(data, "cycleDelay"),
            get_bool(data, "inhibitRelayControl"),
            get_int(data, "startupState"),
        )


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
        data = as_dict(value)
        role = to_enum(CascadeRole, data.get("role"))
        host = get_opt_str(data, "primaryUnit")
        if host is None:
            host = get_opt_str(data, "master")
        units: dict[int, LinkUnit] = {}
        for key, raw in decode_map(data.get("linkUnits")).items():
            link_id = key if isinstance(key, int) else None
            if link_id is None and isinstance(key, str) and key.isdigit():
                link_id = int(key)
            if link_id is None:
                continue
            unit = as_dict(raw)
            status = to_enum(LinkUnitStatus, unit.get("status"))
            units[link_id] = LinkUnit(
                link_id,
                get_str(unit, "host"),
                LinkUnitStatus.UNKNOWN if status is None else status,
                to_enum(LinkUnitType, unit.get("type")),
                get_opt_str(unit, "fwVersion"),
            )
        return cls(
            CascadeRole.STANDALONE if role is None else role,
            host or None,
            get_int(data, "primaryLinkId"),
            units,
        )


__all__ = [
    "CascadeStatus",
    "LinkUnit",
    "Nameplate",
    "PduIdentity",
    "PduMetaData",
    "PduSettings",
]
