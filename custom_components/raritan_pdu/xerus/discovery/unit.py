"""The discovery of one unit: its structure chain and its peripheral chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum, auto
from typing import Any

from ..const import CascadeRole, pdu_rid
from ..exceptions import XerusError
from ..models import (
    InletInfo,
    OcpInfo,
    OutletInfo,
    PduIdentity,
    PoleInfo,
    Ref,
    SensorInfo,
    UnitPowerSettings,
    UnitTopology,
    decode_sensor_refs,
)
from .peripherals import PeripheralDiscovery
from .rounds import Handler, Round, Warnings, add_sensor_metadata, needs_metadata, optional


class StructureStep(Enum):
    """Where the structure chain of one unit is."""

    #: Pdu: getMetaData, getSettings, getOutlets, getInlets, getOverCurrentProtectors, ...
    PDU = auto()
    #: Per outlet/inlet/OCP: getMetaData, getSettings, getSensors (+ inlet getPoles).
    COMPONENTS = auto()
    #: getMetaData / getTypeSpec of the sensors whose field the catalogue does not know.
    SENSOR_METADATA = auto()
    DONE = auto()


_NEXT_STEP = {
    StructureStep.PDU: StructureStep.COMPONENTS,
    StructureStep.COMPONENTS: StructureStep.SENSOR_METADATA,
    StructureStep.SENSOR_METADATA: StructureStep.DONE,
    StructureStep.DONE: StructureStep.DONE,
}


class _Component:
    """Mutable discovery state of one outlet / inlet / OCP."""

    __slots__ = ("index", "kind", "meta", "poles", "ref", "sensors", "settings")

    def __init__(self, kind: str, index: int, ref: Ref) -> None:
        self.kind = kind
        self.index = index
        self.ref = ref
        self.meta: Any = None
        self.settings: Any = None
        self.sensors: dict[str, SensorInfo] = {}
        self.poles: list[PoleInfo] = []

    @property
    def what(self) -> str:
        return f"{self.kind} {self.index + 1}"


class UnitDiscovery:
    """State of one unit's discovery.

    Two chains advance in parallel, one step per round trip: the structure chain
    (:class:`StructureStep`) and the peripheral chain (:class:`PeripheralStep`). A failure of an
    essential call (Pdu metadata, outlets, inlets, a component's metadata or sensors) stops the
    unit and is kept in ``error``. A malformed answer is not a failure: an object that cannot
    be identified (a list entry that is no reference, metadata that is no object) is left out
    and told once at warning level (``warnings``), everything else is kept.
    """

    def __init__(
        self,
        pdu_id: int,
        role: CascadeRole | int,
        primary_host: str | None,
        warnings: Warnings | None = None,
    ) -> None:
        self.pdu_id = pdu_id
        self.rid = pdu_rid(pdu_id)
        self.role = role
        self.primary_host = primary_host
        self.step = StructureStep.PDU
        self.warnings = warnings or Warnings()
        self.peripherals = PeripheralDiscovery(pdu_id, self.warnings)
        self.error: XerusError | None = None
        self._metadata: Any = None
        self._settings: Any = None
        self._outlets: list[_Component] = []
        self._inlets: list[_Component] = []
        self._ocps: list[_Component] = []
        self._sensors: dict[str, SensorInfo] = {}

    # -- result handlers

    def _essential(self, store: Callable[[Any], None]) -> Handler:
        def handler(value: Any) -> None:
            if not isinstance(value, XerusError):
                store(value)
            elif self.error is None:
                self.error = value

        return handler

    def _optional(self, what: str, store: Callable[[Any], None]) -> Handler:
        return optional(self.pdu_id, what, store)

    # -- scheduling

    @property
    def has_pending_work(self) -> bool:
        """True while a next round trip would send calls for this unit."""
        if self.error is not None:
            return False
        if self.step is StructureStep.SENSOR_METADATA and not self._unknown_sensors():
            self.step = StructureStep.DONE
        return self.step is not StructureStep.DONE or self.peripherals.pending

    def _unknown_sensors(self) -> bool:
        return any(needs_metadata(info) for info in self._component_sensors())

    def add_step(self, rnd: Round) -> None:
        """Add this unit's next step(s) to the round."""
        if not self.has_pending_work:
            return
        step = self.step
        self.step = _NEXT_STEP[step]
        if step is StructureStep.PDU:
            self._add_pdu(rnd)
        elif step is StructureStep.COMPONENTS:
            self._add_components(rnd)
        elif step is StructureStep.SENSOR_METADATA:
            self._add_sensor_metadata(rnd)
        self.peripherals.add_step(rnd)

    # -- structure chain

    def _add_pdu(self, rnd: Round) -> None:
        rid = self.rid
        rnd.add(rid, "getMetaData", self._essential(self._store_metadata))
        rnd.add(rid, "getSettings", self._optional("getSettings", self._store_settings))
        rnd.add(rid, "getOutlets", self._essential(self._components_store("outlet", self._outlets)))
        rnd.add(rid, "getInlets", self._essential(self._components_store("inlet", self._inlets)))
        rnd.add(
            rid,
            "getOverCurrentProtectors",
            self._optional(
                "getOverCurrentProtectors", self._components_store("breaker", self._ocps)
            ),
        )
        rnd.add(rid, "getSensors", self._optional("getSensors", self._store_sensors))
        rnd.add(
            rid,
            "getPeripheralDeviceManager",
            self._optional("getPeripheralDeviceManager", self._store_manager),
        )

    def _store_metadata(self, value: Any) -> None:
        self._metadata = value

    def _store_settings(self, value: Any) -> None:
        self._settings = value

    def _store_sensors(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.warnings.warn(self.pdu_id, "the unit's sensors", value)
        self._sensors.update(decode_sensor_refs(value))

    def _components_store(self, kind: str, target: list[_Component]) -> Callable[[Any], None]:
        """Store a vector of component references; the index is the position in the vector."""

        def store(value: Any) -> None:
            if not isinstance(value, list):
                self.warnings.warn(self.pdu_id, f"the list of {kind}s", value)
                return
            for index, item in enumerate(value):
                ref = Ref.from_json(item)
                if ref is None:
                    self.warnings.warn(self.pdu_id, f"{kind} {index + 1}", item)
                else:
                    target.append(_Component(kind, index, ref))

        return store

    def _store_manager(self, value: Any) -> None:
        self.peripherals.manager = Ref.from_json(value)

    def _add_components(self, rnd: Round) -> None:
        for comp in (*self._outlets, *self._inlets, *self._ocps):
            self._add_component_calls(rnd, comp)
        for comp in self._inlets:
            rnd.add(comp.ref.rid, "getPoles", self._optional("getPoles", _poles_store(comp)))
        add_sensor_metadata(rnd, self._sensors)

    def _add_component_calls(self, rnd: Round, comp: _Component) -> None:
        rid = comp.ref.rid

        def store_meta(value: Any) -> None:
            comp.meta = value

        def store_settings(value: Any) -> None:
            comp.settings = value

        def store_sensors(value: Any) -> None:
            if not isinstance(value, dict):
                self.warnings.warn(self.pdu_id, f"the sensors of {comp.what}", value)
            comp.sensors = decode_sensor_refs(value)

        rnd.add(rid, "getMetaData", self._essential(store_meta))
        rnd.add(rid, "getSettings", self._optional("getSettings", store_settings))
        rnd.add(rid, "getSensors", self._essential(store_sensors))

    def _add_sensor_metadata(self, rnd: Round) -> None:
        for comp in (*self._outlets, *self._inlets, *self._ocps):
            add_sensor_metadata(rnd, comp.sensors)
            for pole in comp.poles:
                add_sensor_metadata(rnd, pole.sensors)

    def _component_sensors(self) -> Iterator[SensorInfo]:
        for comp in (*self._outlets, *self._inlets, *self._ocps):
            yield from comp.sensors.values()
            for pole in comp.poles:
                yield from pole.sensors.values()

    def _identified(self, components: list[_Component]) -> list[_Component]:
        """The components whose metadata is an object (else: left out, told once)."""
        kept = []
        for comp in components:
            if isinstance(comp.meta, dict):
                kept.append(comp)
            else:
                self.warnings.warn(self.pdu_id, f"the metadata of {comp.what}", comp.meta)
        return kept

    # -- result

    def build(self) -> UnitTopology:
        """The unit's topology (call when no work is pending and ``error`` is ``None``)."""
        identity = PduIdentity.from_json(
            self.pdu_id,
            self.rid,
            self._metadata,
            self._settings,
            role=self.role,
            primary_host=self.primary_host,
        )
        pdu_id = self.pdu_id
        outlets = [
            OutletInfo.from_json(
                c.index, c.ref.rid, c.meta, c.settings, sensors=c.sensors, pdu_id=pdu_id
            )
            for c in self._identified(self._outlets)
        ]
        inlets = [
            InletInfo.from_json(
                c.index,
                c.ref.rid,
                c.meta,
                c.settings,
                sensors=c.sensors,
                poles=c.poles,
                pdu_id=pdu_id,
            )
            for c in self._identified(self._inlets)
        ]
        ocps = [
            OcpInfo.from_json(
                c.index, c.ref.rid, c.meta, c.settings, sensors=c.sensors, pdu_id=pdu_id
            )
            for c in self._identified(self._ocps)
        ]
        peripherals = self.peripherals.result()
        return UnitTopology(
            identity,
            outlets,
            inlets,
            ocps,
            peripherals,
            dict(self._sensors),
            power_settings=UnitPowerSettings.from_json(self._settings),
        )


def _poles_store(comp: _Component) -> Callable[[Any], None]:
    def store(value: Any) -> None:
        if isinstance(value, list):
            comp.poles = [PoleInfo.from_json(i, pole) for i, pole in enumerate(value)]

    return store


__all__ = ["StructureStep", "UnitDiscovery"]
