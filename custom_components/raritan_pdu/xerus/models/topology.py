"""Everything discovered on a primary unit and its link units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..const import LinkUnitStatus
from ..exceptions import XerusError
from .components import InletInfo, OcpInfo, OutletInfo
from .identity import CascadeStatus, PduIdentity
from .peripherals import PeripheralInfo
from .sensors import SensorInfo


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


__all__ = ["Topology", "UnitTopology"]
