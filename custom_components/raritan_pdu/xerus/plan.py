"""Reading plans: what one poll reads, pre-serialized, and the fast decoder of its answer."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .exceptions import XerusError, XerusProtocolError
from .models import (
    NumericReading,
    OutletInfo,
    OutletState,
    Readings,
    SensorInfo,
    SensorKind,
    SequenceState,
    StateReading,
    Topology,
    UnitTopology,
)
from .rpc import decode_sub_response, encode_sub_request


class ReadKind(StrEnum):
    """What a poll does with one RID."""

    NUMERIC = "numeric"  # NumericSensor/AccumulatingNumericSensor.getReading
    STATE = "state"  # StateSensor.getState
    OUTLET = "outlet"  # Outlet.getState
    LOAD_SHEDDING = "load_shedding"  # Pdu.isLoadSheddingActive -> Readings.states (1 active)
    SEQUENCE = "sequence"  # Pdu.getOutletSequenceState -> Readings.sequences


_METHODS = {
    ReadKind.NUMERIC: "getReading",
    ReadKind.STATE: "getState",
    ReadKind.OUTLET: "getState",
    ReadKind.LOAD_SHEDDING: "isLoadSheddingActive",
    ReadKind.SEQUENCE: "getOutletSequenceState",
}
#: Separates the unit's RID from the method in the reading key of a unit-level read.
_KEY_SEPARATOR = "#"


@dataclass(frozen=True, slots=True)
class ReadTarget:
    """One RID to read in a poll and how to read it."""

    rid: str
    kind: ReadKind

    @classmethod
    def for_sensor(cls, sensor: SensorInfo) -> ReadTarget:
        kind = ReadKind.STATE if sensor.kind is SensorKind.STATE else ReadKind.NUMERIC
        return cls(sensor.rid, kind)

    @classmethod
    def for_outlet(cls, outlet: OutletInfo) -> ReadTarget:
        return cls(outlet.rid, ReadKind.OUTLET)

    @classmethod
    def load_shedding(cls, unit: UnitTopology) -> ReadTarget:
        """Whether load shedding is active on the unit: ``Readings.states[target.rid]``, 1 = on.

        ``rid`` is the reading key ``<unit RID>#isLoadSheddingActive`` (the unit's RID also
        answers other reads): use it, not the unit's RID, to look the reading up.
        """
        key = f"{unit.identity.rid}{_KEY_SEPARATOR}isLoadSheddingActive"
        return cls(key, ReadKind.LOAD_SHEDDING)

    @classmethod
    def sequence(cls, unit: UnitTopology) -> ReadTarget:
        """The unit's switching sequence: ``Readings.sequences[target.rid]`` (key as above)."""
        key = f"{unit.identity.rid}{_KEY_SEPARATOR}getOutletSequenceState"
        return cls(key, ReadKind.SEQUENCE)

    @property
    def request_rid(self) -> str:
        """The RID the sub-request goes to (``rid`` without a unit-level read's method)."""
        return self.rid.partition(_KEY_SEPARATOR)[0]


def _unit_targets(unit: UnitTopology) -> Iterable[ReadTarget]:
    for sensor in unit.iter_sensors():
        yield ReadTarget.for_sensor(sensor)
    for outlet in unit.outlets:
        yield ReadTarget.for_outlet(outlet)
    if unit.identity.has_switchable_outlets:
        yield ReadTarget.load_shedding(unit)
        yield ReadTarget.sequence(unit)


class ReadingPlan:
    """An immutable list of read targets with its ``/bulk`` sub-requests serialized once.

    Duplicate RIDs are read once. A poll sends the pre-built request fragments and decodes the
    answer with :meth:`decode`.
    """

    __slots__ = ("_fragments", "_kinds", "_rids", "_targets")

    def __init__(self, targets: Iterable[ReadTarget]) -> None:
        seen: set[str] = set()
        unique: list[ReadTarget] = []
        for target in targets:
            if target.rid not in seen:
                seen.add(target.rid)
                unique.append(target)
        self._targets: tuple[ReadTarget, ...] = tuple(unique)
        self._rids: tuple[str, ...] = tuple(t.rid for t in unique)
        self._kinds: tuple[ReadKind, ...] = tuple(t.kind for t in unique)
        self._fragments: tuple[str, ...] = tuple(
            encode_sub_request(t.request_rid, _METHODS[t.kind], i) for i, t in enumerate(unique)
        )

    @classmethod
    def for_topology(
        cls, topology: Topology | UnitTopology, rids: Collection[str] | None = None
    ) -> ReadingPlan:
        """Every sensor and outlet state of the topology (or those whose RID is in ``rids``)."""
        units = topology.units if isinstance(topology, Topology) else [topology]
        targets = (t for unit in units for t in _unit_targets(unit))
        if rids is not None:
            wanted = rids if isinstance(rids, set | frozenset) else set(rids)
            targets = (t for t in targets if t.rid in wanted)
        return cls(targets)

    @property
    def targets(self) -> tuple[ReadTarget, ...]:
        return self._targets

    @property
    def fragments(self) -> tuple[str, ...]:
        """Serialized ``/bulk`` sub-requests (sub-request id = position)."""
        return self._fragments

    def __len__(self) -> int:
        return len(self._targets)

    def decode(self, responses: Sequence[Any]) -> Readings:
        """Turn the raw sub-responses (aligned with the targets) into :class:`Readings`."""
        numeric: dict[str, NumericReading] = {}
        states: dict[str, StateReading] = {}
        outlets: dict[str, OutletState] = {}
        errors: dict[str, XerusError] = {}
        sequences: dict[str, SequenceState] = {}
        numeric_kind = ReadKind.NUMERIC
        state_kind = ReadKind.STATE
        outlet_kind = ReadKind.OUTLET
        for rid, kind, resp in zip(self._rids, self._kinds, responses, strict=True):
            if type(resp) is dict and resp.get("statcode") == 200:
                msg = resp.get("json")
                if type(msg) is dict and msg.get("error") is None:
                    result = msg.get("result")
                    if type(result) is dict and "_ret_" in result:
                        value = result["_ret_"]
                        if kind is numeric_kind:
                            numeric[rid] = NumericReading.from_json(value)
                        elif kind is state_kind:
                            states[rid] = StateReading.from_json(value)
                        elif kind is outlet_kind:
                            outlets[rid] = OutletState.from_json(value)
                        elif kind is ReadKind.SEQUENCE:
                            sequences[rid] = SequenceState.from_json(value)
                        elif type(value) is bool:
                            states[rid] = StateReading(int(value), True)
                        else:
                            states[rid] = StateReading(None, False)
                        continue
            decoded = decode_sub_response(resp)
            errors[rid] = (
                decoded
                if isinstance(decoded, XerusError)
                else XerusProtocolError("reading without _ret_")
            )
        return Readings(numeric, states, outlets, errors, sequences)


__all__ = ["ReadKind", "ReadTarget", "ReadingPlan"]
