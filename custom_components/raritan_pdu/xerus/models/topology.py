"""Everything discovered on a primary unit and its link units, and its stored form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

from ..const import LinkUnitStatus
from ..exceptions import XerusError, XerusStorageError
from .codec import decoder, encode
from .components import InletInfo, OcpInfo, OutletInfo, OutletSettings
from .identity import CascadeStatus, PduIdentity
from .peripherals import PeripheralInfo
from .power import OutletGroupInfo, UnitPowerSettings
from .sensors import SensorInfo

#: ``Topology.to_json()["format"]`` and the version this library writes and reads.
TOPOLOGY_FORMAT: Final = "xerus-topology"
TOPOLOGY_VERSION: Final = 1

type SensorMap = Callable[[SensorInfo], SensorInfo]


def _mapped(sensors: dict[str, SensorInfo], fn: SensorMap) -> dict[str, SensorInfo]:
    return {key: fn(info) for key, info in sensors.items()}


@dataclass(frozen=True, slots=True)
class UnitTopology:
    """Everything discovered on one unit (primary or link unit).

    ``sensors`` are the unit totals of ``Pdu.getSensors``; ``power_settings`` the power fields
    of ``Pdu.getSettings``; ``groups`` the outlet groups (only the primary has them: it manages
    the groups of the whole stack, members may be outlets of any unit).
    """

    identity: PduIdentity
    outlets: list[OutletInfo]
    inlets: list[InletInfo]
    ocps: list[OcpInfo]
    peripherals: list[PeripheralInfo]
    sensors: dict[str, SensorInfo]
    power_settings: UnitPowerSettings = field(default_factory=UnitPowerSettings)
    groups: list[OutletGroupInfo] = field(default_factory=list)

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
        for group in self.groups:
            yield from group.sensors.values()

    def map_sensors(self, fn: SensorMap) -> UnitTopology:
        """The same unit with every sensor replaced by ``fn(sensor)``."""
        return replace(
            self,
            outlets=[replace(o, sensors=_mapped(o.sensors, fn)) for o in self.outlets],
            inlets=[
                replace(
                    i,
                    sensors=_mapped(i.sensors, fn),
                    poles=[replace(p, sensors=_mapped(p.sensors, fn)) for p in i.poles],
                )
                for i in self.inlets
            ],
            ocps=[replace(c, sensors=_mapped(c.sensors, fn)) for c in self.ocps],
            peripherals=[
                p if p.sensor is None else replace(p, sensor=fn(p.sensor))
                for p in self.peripherals
            ],
            sensors=_mapped(self.sensors, fn),
            groups=[replace(g, sensors=_mapped(g.sensors, fn)) for g in self.groups],
        )


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

    def map_sensors(self, fn: SensorMap) -> Topology:
        """The same topology with every sensor replaced by ``fn(sensor)``."""
        return replace(
            self,
            primary=self.primary.map_sensors(fn),
            link_units={pdu_id: u.map_sensors(fn) for pdu_id, u in self.link_units.items()},
        )

    def _with_unit(self, pdu_id: int, fn: Callable[[UnitTopology], UnitTopology]) -> Topology:
        if pdu_id == self.primary.pdu_id:
            return replace(self, primary=fn(self.primary))
        if pdu_id not in self.link_units:
            return self
        return replace(self, link_units={**self.link_units, pdu_id: fn(self.link_units[pdu_id])})

    def with_outlet_settings(self, pdu_id: int, index: int, settings: OutletSettings) -> Topology:
        """The same topology with an outlet's settings replaced (what a write confirmed)."""

        def change(unit: UnitTopology) -> UnitTopology:
            outlets = [
                replace(o, settings=settings, name=settings.name) if o.index == index else o
                for o in unit.outlets
            ]
            return replace(unit, outlets=outlets)

        return self._with_unit(pdu_id, change)

    def with_unit_power_settings(self, pdu_id: int, settings: UnitPowerSettings) -> Topology:
        """The same topology with a unit's power settings replaced (what a write confirmed)."""
        return self._with_unit(pdu_id, lambda unit: replace(unit, power_settings=settings))

    def to_json(self) -> dict[str, Any]:
        """The lossless, versioned JSON form (to keep in storage), see :meth:`from_json`."""
        return {"format": TOPOLOGY_FORMAT, "version": TOPOLOGY_VERSION, "topology": encode(self)}

    @classmethod
    def from_json(cls, data: object) -> Topology:
        """Read what :meth:`to_json` wrote (by this or an older version of the library).

        An unknown format or version, or a document that does not fit the models, raises
        ``XerusStorageError`` (then discover the topology again). The errors of
        ``link_errors`` come back as the same classes with the same messages.
        """
        if not isinstance(data, dict) or data.get("format") != TOPOLOGY_FORMAT:
            raise XerusStorageError("stored topology: not a topology document")
        version = data.get("version")
        if version != TOPOLOGY_VERSION:
            raise XerusStorageError(f"stored topology: unknown version {version!r}")
        topology: Topology = decoder(cls)(data.get("topology"))
        return topology


__all__ = ["TOPOLOGY_FORMAT", "TOPOLOGY_VERSION", "Topology", "UnitTopology"]
