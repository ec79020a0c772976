"""The PDU's own power features: outlet groups, unit power settings, switching sequences."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .fields import JsonDict, as_dict, get_bool, get_int, get_str
from .refs import Ref
from .sensors import SensorInfo


def raw_settings(value: object) -> str:
    """The settings struct as read, as compact JSON text (``""`` if it is no object).

    Kept so that a write can send back the whole struct with one field changed (3.6 and every
    ``Outlet.setSettings`` need the complete struct; fields this library does not decode, such
    as a newer firmware's, go back unchanged).
    """
    if not isinstance(value, dict):
        return ""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def settings_struct(raw: str) -> JsonDict:
    """The struct of :func:`raw_settings` (an empty dict for ``""``)."""
    if not raw:
        return {}
    return as_dict(json.loads(raw))


@dataclass(frozen=True, slots=True)
class UnitPowerSettings:
    """The power fields of ``pdumodel.Pdu.Settings`` (delays in s, the guard in ms)."""

    cycle_delay: int | None = None
    power_on_delay: int | None = None
    in_rush_guard_delay: int | None = None
    startup_state: int | None = None
    raw: str = ""

    @classmethod
    def from_json(cls, value: object) -> UnitPowerSettings:
        data = as_dict(value)
        return cls(
            get_int(data, "cycleDelay"),
            get_int(data, "powerOnDelay"),
            get_int(data, "inRushGuardDelay"),
            get_int(data, "startupState"),
            raw_settings(value),
        )


@dataclass(frozen=True, slots=True)
class GroupMember:
    """A member outlet of a group: its RID, and where it is (``None`` when not in the topology:
    its unit is not reachable)."""

    rid: str
    pdu_id: int | None = None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class OutletGroupInfo:
    """An outlet group (``pdumodel.OutletGroup``, managed by the primary unit).

    ``group_id`` is the id the manager lists it under (reused after a deletion), ``unique_id``
    the random id that identifies it for good (survives reboots and renames).
    """

    group_id: int
    unique_id: int
    rid: str
    name: str
    members: list[GroupMember]
    sensors: dict[str, SensorInfo]

    @property
    def display_name(self) -> str:
        return self.name or f"Outlet group {self.group_id}"

    @property
    def member_rids(self) -> list[str]:
        return [m.rid for m in self.members]


def decode_group_members(settings: object) -> list[str]:
    """The member RIDs of ``OutletGroup.Settings`` (entries that are no reference left out)."""
    members = as_dict(settings).get("members")
    if not isinstance(members, list):
        return []
    refs = (Ref.from_json(item) for item in members)
    return [ref.rid for ref in refs if ref is not None]


def group_name(settings: object) -> str:
    return get_str(as_dict(settings), "name")


@dataclass(frozen=True, slots=True)
class SequenceState:
    """``pdumodel.Pdu.OutletSequenceState``: a multi-outlet switch-on in progress.

    ``next_outlet`` is the 0-based index of the outlet switched next (``None`` when idle),
    ``time_until_next`` in ms.
    """

    available: bool
    running: bool = False
    next_outlet: int | None = None
    time_until_next: int | None = None
    outlets_remaining: int | None = None
    cancelable_remaining: int | None = None

    @classmethod
    def from_json(cls, value: object) -> SequenceState:
        if not isinstance(value, dict):
            return cls(False)
        running = get_bool(value, "sequenceRunning")
        nxt = get_int(value, "nextOutletToSwitch")
        return cls(
            True,
            running,
            nxt if running and nxt is not None and nxt >= 0 else None,
            get_int(value, "timeUntilNextSwitch") if running else None,
            get_int(value, "outletsRemaining"),
            get_int(value, "cancelableOutletsRemaining"),
        )


__all__ = [
    "GroupMember",
    "OutletGroupInfo",
    "SequenceState",
    "UnitPowerSettings",
    "decode_group_members",
    "group_name",
    "raw_settings",
    "settings_struct",
]
