"""The objects of a PDU as the platforms see them: stable addresses, walkers, field descriptions.

Entities never keep a resource id (RID): opaque RIDs change after a PDU reboot or firmware
update. They keep an :class:`ObjectRef` (unit serial + stable index / pole line / peripheral key)
and resolve the object, and with it the RID, through ``coordinator.topology`` whenever they read.

A platform finds what to create with :func:`object_sensors` (the sensors of every metered object
that one of its field descriptions describes) or with :func:`outlet_object` /
:func:`peripheral_object`; each of these gives a :class:`MeteredObject`, which says how the
object's entities are addressed and named.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from homeassistant.helpers.entity import EntityDescription

from .xerus.const import PowerLine
from .xerus.models import (
    InletInfo,
    OcpInfo,
    OutletGroupInfo,
    OutletInfo,
    PeripheralInfo,
    PoleInfo,
    SensorInfo,
    Topology,
    UnitTopology,
)

type PduObject = (
    UnitTopology | OutletInfo | InletInfo | PoleInfo | OcpInfo | PeripheralInfo | OutletGroupInfo
)


class ObjectKind(StrEnum):
    """What an object of a unit is; the value is the object part of unique ids."""

    UNIT = "unit"
    OUTLET = "outlet"
    INLET = "inlet"
    POLE = "pole"
    OCP = "ocp"
    EXT = "ext"
    GROUP = "group"


#: Translation key prefix of the entities of an object kind: the device name does not say what
#: the object is (``total_active_power`` "Total power" on the unit device). Objects with a device
#: of their own (outlets, sensor packages, the inlets of multi-inlet units) need none.
NAME_PREFIXES: Final[Mapping[ObjectKind, str]] = MappingProxyType(
    {
        ObjectKind.UNIT: "total_",
        ObjectKind.INLET: "inlet_",
        ObjectKind.POLE: "pole_",
        ObjectKind.OCP: "ocp_",
    }
)
#: Kinds whose objects can have a device of their own (inlets only on multi-inlet units).
OWN_DEVICE_KINDS: Final = frozenset(
    {ObjectKind.OUTLET, ObjectKind.INLET, ObjectKind.EXT, ObjectKind.GROUP}
)

#: The unit totals (``Pdu.getSensors``) by IDL field, with their entity keys. On a unit with one
#: inlet they repeat that inlet's readings exactly: the inlet gets no entity of these fields (and
#: none is polled twice); the unit keeps its totals, whose unique ids never changed.
UNIT_TOTALS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "activePower": "active_power",
        "apparentPower": "apparent_power",
        "activeEnergy": "active_energy",
        "apparentEnergy": "apparent_energy",
    }
)

#: Names of the neutral, earth and DC poles in entity names.
_LINE_LABELS: Final = {
    PowerLine.NEUTRAL: "N",
    PowerLine.EARTH: "PE",
    PowerLine.PLUS: "+",
    PowerLine.MINUS: "-",
}


def line_key(pole: PoleInfo) -> str:
    """Stable, readable key of a pole: ``l1``, ``l2``, ``neutral`` ... (index if unknown)."""
    if isinstance(pole.line, PowerLine):
        return pole.line.name.lower()
    if pole.line is not None:
        return f"line{pole.line}"
    return f"pole{pole.index + 1}"


def is_phase(pole: PoleInfo) -> bool:
    """Whether the pole is a phase conductor (L1, L2, L3), not neutral or earth."""
    return pole.line in (PowerLine.L1, PowerLine.L2, PowerLine.L3)


def line_label(pole: PoleInfo) -> str:
    """Label shown in entity names: the pole label, else ``L1``/``N``/``PE``..."""
    if pole.label:
        return pole.label
    if isinstance(pole.line, PowerLine):
        return _LINE_LABELS.get(pole.line, pole.line.name)
    return line_key(pole).upper()


def has_inlet_devices(unit: UnitTopology) -> bool:
    """Units with several inlets get a device per inlet; single-inlet units keep it on the unit."""
    return len(unit.inlets) > 1


def repeats_unit_total(unit: UnitTopology, kind: ObjectKind, field_name: str) -> bool:
    """Whether a field of an object only repeats a unit total (the inlet of a one-inlet unit)."""
    return (
        kind is ObjectKind.INLET
        and len(unit.inlets) == 1
        and field_name in UNIT_TOTALS
        and field_name in unit.sensors
    )


def is_switchable(unit: UnitTopology, outlet: OutletInfo) -> bool:
    """Whether the outlet has a relay Home Assistant can switch (none on metered-only units)."""
    return unit.identity.has_switchable_outlets and outlet.is_switchable


def sensors_of(obj: PduObject) -> Mapping[str, SensorInfo]:
    """The sensors of an object keyed by IDL field name (a peripheral's own sensor: ``device``).

    Vector fields are keyed with their index: ``powerSupplyStatus[0]``.
    """
    if isinstance(obj, PeripheralInfo):
        return {"device": obj.sensor} if obj.sensor is not None else {}
    return obj.sensors


def split_field(name: str) -> tuple[str, int | None]:
    """``powerSupplyStatus[1]`` → (``powerSupplyStatus``, 1); plain fields: (name, None)."""
    if name.endswith("]") and "[" in name:
        field_name, _, index = name[:-1].partition("[")
        if index.isdigit():
            return field_name, int(index)
    return name, None


# --- stable addresses ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Stable address of an object of a PDU (survives RID changes and reboots).

    ``index`` is the 0-based outlet/inlet/OCP index (for a pole: of its inlet; for an outlet
    group its ``uniqueId``, which survives reboots and renames, on the primary's serial),
    ``line`` the pole's line key, ``ext_key`` the peripheral's ``unique_key``.
    """

    serial: str
    kind: ObjectKind
    index: int = 0
    line: str = ""
    ext_key: str = ""

    @property
    def object_id(self) -> str:
        """The object part of unique ids (architecture §3)."""
        if self.kind is ObjectKind.UNIT:
            return "unit"
        if self.kind is ObjectKind.POLE:
            return f"inlet_{self.index + 1}_pole_{self.line}"
        if self.kind is ObjectKind.EXT:
            return f"ext_{self.ext_key}"
        if self.kind is ObjectKind.GROUP:
            return f"group_{self.index}"
        return f"{self.kind}_{self.index + 1}"

    def unique_id(self, key: str) -> str:
        """Entity unique id: ``<serial>_<object>_<key>``."""
        return f"{self.serial}_{self.object_id}_{key}"


def find_unit(topology: Topology, serial: str) -> UnitTopology | None:
    """The unit with this serial number (primary or link unit), if it is in the topology."""
    for unit in topology.units:
        if unit.identity.unique_id == serial:
            return unit
    return None


def _find_inlet(unit: UnitTopology, index: int) -> InletInfo | None:
    return next((i for i in unit.inlets if i.index == index), None)


def _find_indexed(unit: UnitTopology, ref: ObjectRef) -> PduObject | None:
    """Objects addressed by index alone: outlets, breakers, groups (by unique id)."""
    objects: list[OutletInfo] | list[OcpInfo] = (
        unit.outlets if ref.kind is ObjectKind.OUTLET else unit.ocps
    )
    if ref.kind is ObjectKind.GROUP:
        return next((g for g in unit.groups if g.unique_id == ref.index), None)
    return next((o for o in objects if o.index == ref.index), None)


def _find_object(unit: UnitTopology, ref: ObjectRef) -> PduObject | None:
    match ref.kind:
        case ObjectKind.UNIT:
            return unit
        case ObjectKind.OUTLET | ObjectKind.OCP | ObjectKind.GROUP:
            return _find_indexed(unit, ref)
        case ObjectKind.INLET:
            return _find_inlet(unit, ref.index)
        case ObjectKind.POLE:
            inlet = _find_inlet(unit, ref.index)
            poles = inlet.poles if inlet is not None else []
            return next((p for p in poles if line_key(p) == ref.line), None)
        case ObjectKind.EXT:
            return next((p for p in unit.peripherals if p.unique_key == ref.ext_key), None)


def resolve(topology: Topology, ref: ObjectRef) -> tuple[UnitTopology, PduObject] | None:
    """Find the unit and the object ``ref`` addresses in the current topology."""
    unit = find_unit(topology, ref.serial)
    if unit is None:
        return None
    obj = _find_object(unit, ref)
    return None if obj is None else (unit, obj)


def redundant_unique_ids(topology: Topology) -> Iterator[str]:
    """Unique ids of entities that earlier versions created and that repeat a unit total."""
    for unit in topology.units:
        if len(unit.inlets) == 1:
            ref = ObjectRef(unit.identity.unique_id, ObjectKind.INLET, unit.inlets[0].index)
            for field_name, key in UNIT_TOTALS.items():
                if field_name in unit.sensors:
                    yield ref.unique_id(key)


# --- what the platforms create entities for --------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeteredObject:
    """An object of a unit that gets entities, with what addresses and names them.

    ``own_device``: the object's entities are on a device of its own, so their names need no
    prefix; ``placeholders``: the translation placeholders of their names (``{line}``,
    ``{ocp}``); ``name``: a name set on the PDU for the entity itself (a sensor slot's name).
    """

    unit: UnitTopology
    obj: PduObject
    ref: ObjectRef
    own_device: bool = False
    placeholders: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None

    @property
    def kind(self) -> ObjectKind:
        """The object's kind."""
        return self.ref.kind


def unit_object(unit: UnitTopology) -> MeteredObject:
    """The unit itself (its totals, power supplies and identify button)."""
    return MeteredObject(unit, unit, ObjectRef(unit.identity.unique_id, ObjectKind.UNIT))


def outlet_object(unit: UnitTopology, outlet: OutletInfo) -> MeteredObject:
    """An outlet (always on its own device)."""
    ref = ObjectRef(unit.identity.unique_id, ObjectKind.OUTLET, outlet.index)
    return MeteredObject(unit, outlet, ref, own_device=True)


def peripheral_object(unit: UnitTopology, peripheral: PeripheralInfo) -> MeteredObject:
    """One sensor or actuator channel of an external sensor package (on the package's device)."""
    ref = ObjectRef(unit.identity.unique_id, ObjectKind.EXT, ext_key=peripheral.unique_key)
    return MeteredObject(unit, peripheral, ref, own_device=True, name=peripheral.name or None)


def group_object(unit: UnitTopology, group: OutletGroupInfo) -> MeteredObject:
    """An outlet group of the primary ``unit`` (on a device of its own)."""
    ref = ObjectRef(unit.identity.unique_id, ObjectKind.GROUP, group.unique_id)
    return MeteredObject(unit, group, ref, own_device=True)


def group_members(
    topology: Topology, group: OutletGroupInfo
) -> list[tuple[UnitTopology, OutletInfo]]:
    """The member outlets of a group that the topology knows (units not reachable: left out)."""
    found = []
    for member in group.members:
        unit = topology.unit(member.pdu_id) if member.pdu_id is not None else None
        if unit is None:
            continue
        outlet = next((o for o in unit.outlets if o.index == member.index), None)
        if outlet is not None:
            found.append((unit, outlet))
    return found


def metered_objects(unit: UnitTopology) -> Iterator[MeteredObject]:
    """The unit, its inlets (and the poles of multi-phase inlets), breakers, outlets and
    (primary) outlet groups."""
    serial = unit.identity.unique_id
    yield unit_object(unit)
    own_inlet_device = has_inlet_devices(unit)
    for inlet in unit.inlets:
        ref = ObjectRef(serial, ObjectKind.INLET, inlet.index)
        yield MeteredObject(unit, inlet, ref, own_device=own_inlet_device)
        # Poles of single-phase inlets repeat the inlet's readings: only multi-phase inlets.
        if len([p for p in inlet.poles if is_phase(p)]) > 1:
            for pole in inlet.poles:
                ref = ObjectRef(serial, ObjectKind.POLE, inlet.index, line_key(pole))
                yield MeteredObject(unit, pole, ref, placeholders={"line": line_label(pole)})
    for ocp in unit.ocps:
        ref = ObjectRef(serial, ObjectKind.OCP, ocp.index)
        yield MeteredObject(unit, ocp, ref, placeholders={"ocp": ocp.name or ocp.label})
    for outlet in unit.outlets:
        yield outlet_object(unit, outlet)
    for group in unit.groups:
        yield group_object(unit, group)


# --- descriptions of sensor fields -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RaritanFieldDescription(EntityDescription):
    """An entity of one sensor field of PDU objects.

    ``key`` is the entity key of unique ids (``active_power``), ``field`` the IDL field it shows
    (``activePower``; ``device`` for an external sensor), ``kinds`` the object kinds that have
    that field in some firmware (checked against the bindings by the tests): other objects get
    no entity for it, so every translation key a description can produce is one a PDU can show.
    ``translation_key`` is the name of the field on an object with its own device; others get
    the prefix of their kind, unless ``prefixed`` is false. ``indexed_key`` formats the entity
    key of an element of a vector field (``power_supply_{number}_status``).
    """

    field: str
    kinds: frozenset[ObjectKind]
    enabled_in: frozenset[ObjectKind] = frozenset(ObjectKind)
    prefixed: bool = True
    indexed_key: str | None = None

    def entity_key(self, index: int | None) -> str:
        """The entity key of the field (of its element ``index`` for a vector field)."""
        if index is None or self.indexed_key is None:
            return self.key
        return self.indexed_key.format(number=index + 1)

    def name_key(self, kind: ObjectKind, *, own_device: bool) -> str:
        """The translation key of the field's entity on an object of ``kind``."""
        base = self.translation_key or self.key
        if own_device or not self.prefixed:
            return base
        return NAME_PREFIXES.get(kind, "") + base

    def name_keys(self) -> frozenset[str]:
        """Every translation key the description can produce (tests check strings.json)."""
        keys = {self.name_key(kind, own_device=False) for kind in self.kinds}
        keys |= {self.name_key(k, own_device=True) for k in self.kinds & OWN_DEVICE_KINDS}
        return frozenset(keys)


@dataclass(frozen=True, slots=True)
class ObjectSensor:
    """A sensor of a metered object and the description of the entity that shows it.

    ``field`` is the sensor's key in the object's sensors (``powerSupplyStatus[0]``), ``index``
    the element of a vector field.
    """

    target: MeteredObject
    description: RaritanFieldDescription
    field: str
    index: int | None
    info: SensorInfo

    @property
    def key(self) -> str:
        """The entity key (unique id part) of this sensor's entity."""
        return self.description.entity_key(self.index)


def object_sensors(
    unit: UnitTopology, descriptions: Mapping[str, RaritanFieldDescription], *, state: bool
) -> Iterator[ObjectSensor]:
    """Every sensor of the unit's metered objects that ``descriptions`` (by field) describe.

    ``state`` selects state sensors (binary sensors) or numeric ones; null sensor references are
    not in the topology, so they give no entity.
    """
    for target in metered_objects(unit):
        for name, info in sensors_of(target.obj).items():
            field_name, index = split_field(name)
            description = descriptions.get(field_name)
            if description is None or target.kind not in description.kinds:
                continue
            if repeats_unit_total(unit, target.kind, field_name):
                continue
            if info.is_state is state:
                yield ObjectSensor(target, description, name, index, info)
