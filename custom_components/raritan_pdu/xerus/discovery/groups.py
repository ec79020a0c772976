"""The discovery of the outlet groups (``/model/outletgroup``, on the primary only).

Round 1 lists the groups (``getAllGroups``, beside the primary's first step); round 2 reads each
group's ``getMetaData`` (its ``uniqueId``), ``getSettings`` (name, members) and ``getSensors``.
No round of its own: discovery keeps its fixed number of round trips. A device without group
support (or an error answer) has no groups; a malformed group is left out and told once.
"""

from __future__ import annotations

from typing import Any

from ..const import RID_OUTLET_GROUPS
from ..models import (
    GroupMember,
    OutletGroupInfo,
    Ref,
    SensorInfo,
    UnitTopology,
    decode_group_members,
    decode_sensor_refs,
    group_name,
)
from ..models.fields import as_dict, decode_map, get_int
from .rounds import Round, Warnings, optional


class _Group:
    __slots__ = ("group_id", "meta", "ref", "sensors", "settings")

    def __init__(self, group_id: int, ref: Ref) -> None:
        self.group_id = group_id
        self.ref = ref
        self.meta: Any = None
        self.settings: Any = None
        self.sensors: dict[str, SensorInfo] = {}


class GroupDiscovery:
    """The outlet groups of the primary: listed in round 1, read in round 2."""

    def __init__(self, warnings: Warnings) -> None:
        self.warnings = warnings
        self._listed = False
        self._read = False
        self._groups: list[_Group] = []
        #: Whether the list of groups was read (False: the device has none, or did not say).
        self.known = False

    @property
    def has_pending_work(self) -> bool:
        return not self._read

    def add_step(self, rnd: Round) -> None:
        if not self._listed:
            self._listed = True
            rnd.add(RID_OUTLET_GROUPS, "getAllGroups", optional(0, "getAllGroups", self._store))
            return
        self._read = True
        for group in self._groups:
            self._add_group(rnd, group)

    def _store(self, value: Any) -> None:
        if value is None:  # no list at all: no groups (a device without them)
            return
        if not isinstance(value, list | dict):
            self.warnings.warn(0, "the list of outlet groups", value)
            return
        self.known = True
        for key, item in decode_map(value).items():
            ref = Ref.from_json(item)
            if ref is None or not isinstance(key, int) or isinstance(key, bool):
                self.warnings.warn(0, f"outlet group {key}", item)
                continue
            self._groups.append(_Group(key, ref))

    def _add_group(self, rnd: Round, group: _Group) -> None:
        def store_meta(value: Any) -> None:
            group.meta = value

        def store_settings(value: Any) -> None:
            group.settings = value

        def store_sensors(value: Any) -> None:
            group.sensors = decode_sensor_refs(value)

        rid = group.ref.rid
        what = f"outlet group {group.group_id}"
        rnd.add(rid, "getMetaData", optional(0, f"{what} getMetaData", store_meta))
        rnd.add(rid, "getSettings", optional(0, f"{what} getSettings", store_settings))
        rnd.add(rid, "getSensors", optional(0, f"{what} getSensors", store_sensors))

    def build(self, units: list[UnitTopology]) -> list[OutletGroupInfo]:
        """The groups, their members located among ``units`` (primary and link units)."""
        where = {
            outlet.rid: (unit.pdu_id, outlet.index) for unit in units for outlet in unit.outlets
        }
        groups = []
        for group in self._groups:
            unique_id = get_int(as_dict(group.meta), "uniqueId")
            if unique_id is None or not isinstance(group.settings, dict):
                # Without its unique id or members a group cannot be addressed or shown.
                self.warnings.warn(0, f"outlet group {group.group_id}", group.meta)
                continue
            members = []
            for rid in decode_group_members(group.settings):
                pdu_id, index = where.get(rid, (None, None))
                members.append(GroupMember(rid, pdu_id, index))
            groups.append(
                OutletGroupInfo(
                    group_id=group.group_id,
                    unique_id=unique_id,
                    rid=group.ref.rid,
                    name=group_name(group.settings),
                    members=members,
                    sensors=group.sensors,
                )
            )
        return groups


__all__ = ["GroupDiscovery"]
