"""Outlet groups: ``pdumodel.OutletGroupManager`` at ``/model/outletgroup`` (firmware 3.5+) and its
``pdumodel.OutletGroup`` objects (reference §3.1, §14.3).

Groups live on the primary unit and may hold outlets of every unit (link units included): the
primary manages them ("outlet groups are managed by the primary unit"). So ``/model/outletgroup``
exists on the primary only; ``/link/<n>/model/outletgroup`` answers 404.

* ``groupId``: the lowest free id from 1 (reused after a deletion, as the IDL says);
  ``uniqueId``: a random 31-bit number (seeded) that is never reused.
* Opaque RIDs ``/tfwopaque/pdumodel.OutletGroup:<v>/outletGroup.<n>`` (``n`` counts every group
  ever created, so a new group never gets the RID of a deleted one) with the reboot suffix like
  every object; sensors ``OG<n>ActivePower``, ``OG<n>ApparentPower`` (4.x), ``OG<n>ActiveEnergy``,
  ``OG<n>ApparentEnergy`` (4.x). Well-known: ``/model/outletgroup/<groupId>[/<sensor>]``.
* Readings: power = the sum over the members now; energy = an accumulator of its own that starts
  at 0 when the group is created and grows by exactly what flows through its members (a member
  joining or leaving never makes it jump; ``resetValue`` resets it). Unavailable while a member's
  unit is unreachable. (Whether real firmware sums the members' counters instead is not
  documented.)
* Switching: ``setAllOutletPowerStates`` / ``cycleAllOutletPowerStates`` go through every unit's
  own sequence (``power.switch`` / ``power.cycle``: outletPowerStateSequence, in-rush guard,
  sequence delays); members that cannot switch (not switchable, disabled, relay control
  inhibited, unit unreachable) are left alone; the answer is 0 (the only code the IDL documents).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from . import power
from .errors import invalid_params
from .model import (
    T_ENERGY,
    T_POWER,
    U_VOLT_AMP,
    U_VOLT_AMP_HOUR,
    U_WATT,
    U_WATT_HOUR,
    NumericSpec,
    Outlet,
    RpcObject,
    Sensor,
    arg,
    ret,
)

if TYPE_CHECKING:
    from .server import CallContext, PduEmulator

ERR_INVALID_ARGUMENT, ERR_NO_SUCH_ID, ERR_MAX_GROUP_COUNT_REACHED = 1, 2, 3
MAX_NAME = 64

_WATT = NumericSpec(T_POWER, U_WATT, 0, 1.0, 0.0, 1000000.0)
_VA = NumericSpec(T_POWER, U_VOLT_AMP, 0, 1.0, 0.0, 1000000.0)
_WH = NumericSpec(T_ENERGY, U_WATT_HOUR, 0, 1.0, 0.0, 1099511627776.0)
_VAH = NumericSpec(T_ENERGY, U_VOLT_AMP_HOUR, 0, 1.0, 0.0, 1099511627776.0)


class GroupEnergySensor(Sensor):
    """A group energy counter: ``resetValue`` resets the group's accumulators."""

    def __init__(self, group: OutletGroup, name: str, spec: NumericSpec, read: Any) -> None:
        super().__init__(
            group.unit,
            name,
            "AccumulatingNumericSensor",
            numeric=spec,
            read=read,
            available=group.available,
        )
        self.group = group

    def reset_counter(self) -> None:
        self.group.reset_energy()


class OutletGroup(RpcObject):
    """One outlet group (``pdumodel.OutletGroup``)."""

    iface = "OutletGroup"

    def __init__(
        self, manager: OutletGroupManager, group_id: int, unique_id: int, serial: int, name: str
    ) -> None:
        super().__init__(manager.unit, f"outletGroup.{serial}")
        self.group_id = group_id
        self.unique_id = unique_id
        self.serial = serial
        self.name = name
        # (member, its throughput Wh / VAh when it joined): energy = offset + what flowed since
        self._entries: list[tuple[Outlet, float, float]] = []
        self._offset = (0.0, 0.0)
        n = f"OG{serial}"
        self.sensors: dict[str, Sensor] = {
            "activePower": self._power_sensor(f"{n}ActivePower", _WATT, self.active_power),
            "apparentPower": self._power_sensor(f"{n}ApparentPower", _VA, self.apparent_power),
            "activeEnergy": GroupEnergySensor(self, f"{n}ActiveEnergy", _WH, self._energy_wh),
            "apparentEnergy": GroupEnergySensor(
                self, f"{n}ApparentEnergy", _VAH, self._energy_vah
            ),
        }
        if not self.profile.is_4x:  # OutletGroup 1.0.1: activePower and activeEnergy only
            del self.sensors["apparentPower"], self.sensors["apparentEnergy"]

    def _power_sensor(self, name: str, spec: NumericSpec, read: Any) -> Sensor:
        return Sensor(
            self.unit, name, "NumericSensor", numeric=spec, read=read, available=self.available
        )

    # --- model (tests read these) -----------------------------------------------------------
    @property
    def members(self) -> list[Outlet]:
        """Member outlets whose unit still exists (a removed link unit takes its outlets)."""
        units = {id(u) for u in self.emu.units}
        return [o for o, _, _ in self._entries if id(o.unit) in units]

    @members.setter
    def members(self, outlets: Iterable[Outlet]) -> None:
        """New members (test API on a group that exists: a SettingsChangedEvent)."""
        old = self.settings()
        self._set_members(outlets)
        if self.emu.groups.groups.get(self.group_id) is self:
            self.settings_changed(old)

    def _set_members(self, outlets: Iterable[Outlet]) -> None:
        self._fold()
        self._entries = [(o, o.throughput_wh, o.throughput_vah) for o in dict.fromkeys(outlets)]

    def settings_changed(self, old: dict[str, Any]) -> None:
        self.emu.events.emit(
            "OutletGroup.SettingsChangedEvent", self, oldSettings=old, newSettings=self.settings()
        )

    def power_control(self, state: int, *, cycle: bool = False) -> None:
        self.emu.events.emit("OutletGroup.PowerControlEvent", self, state=state, cycle=cycle)

    def available(self) -> bool:
        return not any(o.unit.offline for o in self.members)

    def active_power(self) -> float:
        t = self.emu.sample_time()
        return sum(o.active_power(t) for o in self.members)

    def apparent_power(self) -> float:
        t = self.emu.sample_time()
        return sum(o.apparent_power(t) for o in self.members)

    @property
    def energy_wh(self) -> float:
        """Active energy of the group (integrates the member units up to now first)."""
        self._tick()
        return self._energy_wh()

    @property
    def apparent_energy_vah(self) -> float:
        self._tick()
        return self._energy_vah()

    def reset_energy(self) -> None:
        self._tick()
        self._offset = (0.0, 0.0)
        self._entries = [(o, o.throughput_wh, o.throughput_vah) for o, _, _ in self._entries]

    def _tick(self) -> None:
        for unit in {id(o.unit): o.unit for o, _, _ in self._entries}.values():
            unit.tick()

    def _energy_wh(self) -> float:
        return self._offset[0] + sum(o.throughput_wh - wh for o, wh, _ in self._entries)

    def _energy_vah(self) -> float:
        return self._offset[1] + sum(o.throughput_vah - vah for o, _, vah in self._entries)

    def _fold(self) -> None:
        self._tick()
        self._offset = (self._energy_wh(), self._energy_vah())

    def _by_unit(self) -> list[tuple[Any, list[Outlet]]]:
        """Switchable members per reachable unit whose relay control is not inhibited."""
        out = []
        for unit in self.emu.units:
            blocked = unit.offline or (self.profile.is_4x and unit.inhibit_relay_control)
            mine = [o for o in self.members if o.unit is unit and o.is_switchable]
            mine = [o for o in mine if not o.disabled]
            if mine and not blocked:
                out.append((unit, mine))
        return out

    def switch(self, pstate: int) -> None:
        for unit, outlets in self._by_unit():
            power.switch(unit, outlets, pstate)

    def cycle(self) -> None:
        for unit, outlets in self._by_unit():
            power.cycle(unit, outlets)

    # --- RPC ---------------------------------------------------------------------------------
    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"groupId": self.group_id, "uniqueId": self.unique_id})

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "members": [o.ref() for o in self.members]}

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.settings())

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        s = arg(p, "settings", dict)
        if set(s) != set(self.profile.fields["OutletGroup.Settings"]):
            raise invalid_params("settings must be a complete OutletGroup.Settings")
        name = arg(s, "name", str)
        members = self.emu.groups.resolve_members(s["members"])
        if members is None or not valid_name(name):
            return ret(ERR_INVALID_ARGUMENT)
        old = self.settings()
        self.name = name
        self._set_members(members)
        self.settings_changed(old)
        return ret(0)

    def rpc_getSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        full = dict.fromkeys(self.profile.fields["OutletGroup.Sensors"])
        for key, sensor in self.sensors.items():
            full[key] = sensor.ref()
        return ret(full)

    def rpc_setAllOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        pstate = arg(p, "pstate", int)
        if pstate not in (0, 1):
            raise invalid_params("pstate must be 0 (PS_OFF) or 1 (PS_ON)")
        self.power_control(pstate)
        self.switch(pstate)
        return ret(0)

    def rpc_cycleAllOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.power_control(1, cycle=True)
        self.cycle()
        return ret(0)


def valid_name(name: str) -> bool:
    return bool(name.strip()) and len(name) <= MAX_NAME


class OutletGroupManager(RpcObject):
    """``pdumodel.OutletGroupManager`` of the primary, and the test API ``emu.groups``."""

    iface = "OutletGroupManager"

    def __init__(self, emu: PduEmulator) -> None:
        super().__init__(emu.unit(0), "outletGroupMgr")
        self.groups: dict[int, OutletGroup] = {}
        self.max_groups = 64
        """createGroup answers ERR_MAX_GROUP_COUNT_REACHED (3) beyond this many groups."""
        self._created = 0
        self._rng = random.Random(f"{emu.config.seed}/outlet-groups")
        self._unique_ids: set[int] = set()

    # --- test API ("at the PDU": the web UI or another client) --------------------------------
    def create(self, name: str, members: Iterable[Outlet]) -> OutletGroup:
        """Create a group (lowest free id); ``members`` are ``emu.unit(n).outlet(i)`` objects."""
        if len(self.groups) >= self.max_groups:
            raise ValueError(f"already {self.max_groups} groups")
        group_id = next(i for i in range(1, len(self.groups) + 2) if i not in self.groups)
        unique_id = self._rng.randrange(1, 2**31)
        while unique_id in self._unique_ids:
            unique_id = self._rng.randrange(1, 2**31)
        self._unique_ids.add(unique_id)
        self._created += 1
        group = OutletGroup(self, group_id, unique_id, self._created, name)
        group.members = members
        self.groups[group_id] = group
        self.emu.rebuild_registry()
        self.emu.events.emit(
            "OutletGroupManager.GroupCreatedEvent",
            self,
            id=group_id,
            uniqueId=unique_id,
            group=group.ref(),
            settings=group.settings(),
        )
        return group

    def delete(self, group_id: int) -> None:
        """Delete group ``group_id`` (its RIDs answer 404, its id may be reused)."""
        group = self.groups.pop(group_id)
        self.emu.rebuild_registry()
        self.emu.events.emit(
            "OutletGroupManager.GroupDeletedEvent",
            self,
            id=group_id,
            uniqueId=group.unique_id,
            settings=group.settings(),
        )

    def rename(self, group_id: int, name: str) -> None:
        group = self.groups[group_id]
        old = group.settings()
        group.name = name
        group.settings_changed(old)

    def group(self, group_id: int) -> OutletGroup:
        return self.groups[group_id]

    def all(self) -> list[OutletGroup]:
        """The groups by id."""
        return [self.groups[k] for k in sorted(self.groups)]

    def create_initial(self, count: int) -> None:
        """``outlet_groups=N``: "Group k" holds outlet k-1 of the primary and outlet k-1 of the
        first link unit (without link units: outlets k-1 and k of the primary); indexes wrap."""
        units = self.emu.units
        primary = units[0].outlets
        link = units[1].outlets if len(units) > 1 else []
        for k in range(1, count + 1):
            members = [primary[(k - 1) % len(primary)]] if primary else []
            if link:
                members.append(link[(k - 1) % len(link)])
            elif len(primary) > 1:
                members.append(primary[k % len(primary)])
            self.create(f"Group {k}", members)

    def objects(self) -> Iterator[RpcObject]:
        yield self
        for group in self.all():
            yield group
            yield from group.sensors.values()

    def resolve(self, segs: list[str]) -> RpcObject | None:
        """Well-known ``/model/outletgroup[/<groupId>[/<sensor>]]`` (``segs``: after the first)."""
        if not segs:
            return self
        group = self.groups.get(int(segs[0])) if segs[0].isdigit() else None
        if group is None or len(segs) > 2:
            return None
        return group if len(segs) == 1 else group.sensors.get(segs[1])

    def resolve_members(self, refs: Any) -> list[Outlet] | None:
        """Member refs of a request -> outlets (None: empty, unknown, not an outlet, twice)."""
        if not isinstance(refs, list) or not all(
            isinstance(r, dict) and isinstance(r.get("rid"), str) for r in refs
        ):
            raise invalid_params("members must be a list of object references")
        outlets: list[Outlet] = []
        for ref in refs:
            obj = self.emu.try_resolve(ref["rid"])
            if not isinstance(obj, Outlet) or obj in outlets:
                return None
            outlets.append(obj)
        return outlets or None

    # --- RPC ---------------------------------------------------------------------------------
    def rpc_getAllGroups(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([{"key": g.group_id, "value": g.ref()} for g in self.all()])

    def rpc_getGroup(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        group = self.groups.get(arg(p, "id", int))
        if group is None:
            return {"_ret_": ERR_NO_SUCH_ID, "group": None}
        return {"_ret_": 0, "group": group.ref()}

    def rpc_createGroup(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        name = arg(p, "name", str)
        members = self.resolve_members(arg(p, "members", list))
        if members is None or not valid_name(name):
            return {"_ret_": ERR_INVALID_ARGUMENT, "group": None}
        if len(self.groups) >= self.max_groups:
            return {"_ret_": ERR_MAX_GROUP_COUNT_REACHED, "group": None}
        return {"_ret_": 0, "group": self.create(name, members).ref()}

    def rpc_deleteGroup(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        group_id = arg(p, "id", int)
        if group_id not in self.groups:
            return ret(ERR_NO_SUCH_ID)
        self.delete(group_id)
        return ret(0)
