"""Does a (stored) topology still match the device? A few sub-requests that ride along a poll.

Per unit: ``Pdu.getMetaData`` (the serial number: the same unit), ``getOutlets``, ``getInlets``,
``getOverCurrentProtectors`` (their opaque RIDs change after a reboot or a firmware upgrade,
reference 3.2) and ``DeviceSlot.getDevice`` of every assigned peripheral slot (unplugged,
replaced, or its sensor's RID changed); plus ``/cascade getStatus`` (link units added, released,
failed or back). About 5 sub-requests per unit and one per external sensor, against thousands of
a poll and of a discovery. Not noticed: a peripheral plugged into a slot that was empty (the
next scheduled discovery finds it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .const import RID_CASCADE, pdu_rid
from .exceptions import XerusError
from .models import (
    CascadeStatus,
    InletInfo,
    OcpInfo,
    OutletInfo,
    PduIdentity,
    PeripheralInfo,
    Ref,
    Topology,
    UnitTopology,
)
from .rpc import BulkResult, encode_sub_request

#: No answer matched yet.
_NONE: Any = object()


@dataclass(frozen=True, slots=True)
class _Probe:
    """One check call: what it reads and what of the unit its answer must match."""

    rid: str
    method: str
    #: What is checked (in the change description).
    what: str
    unit: UnitTopology
    #: ``identity``, ``outlets``, ``inlets``, ``ocps`` or ``slot`` (of ``index``).
    kind: str
    index: int = -1


def _rids(value: Any) -> list[tuple[int, str]]:
    if not isinstance(value, list):
        return []
    found = []
    for index, item in enumerate(value):
        ref = Ref.from_json(item)
        if ref is not None:
            found.append((index, ref.rid))
    return found


class TopologyCheck:
    """The check calls for ``topology`` and the comparison of their answers with it."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._probes = list(self._build())
        #: Per probe, the last answer that matched: the same answer again matches at once (a
        #: check reads the outlet references of every unit, hundreds on a large stack).
        self._matched: list[Any] = [_NONE] * len(self._probes)

    def __len__(self) -> int:
        return len(self._probes) + 1  # and /cascade getStatus

    def fragments(self, first_id: int) -> list[str]:
        """The serialized sub-requests, numbered from ``first_id`` (cascade status first)."""
        calls = [(RID_CASCADE, "getStatus"), *((p.rid, p.method) for p in self._probes)]
        return [
            encode_sub_request(rid, method, first_id + i) for i, (rid, method) in enumerate(calls)
        ]

    def _build(self) -> Iterator[_Probe]:
        for unit in self.topology.units:
            rid = pdu_rid(unit.pdu_id)
            name = f"unit {unit.pdu_id}"
            yield _Probe(rid, "getMetaData", f"{name}: the serial number", unit, "identity")
            yield _Probe(rid, "getOutlets", f"{name}: the outlets", unit, "outlets")
            yield _Probe(rid, "getInlets", f"{name}: the inlets", unit, "inlets")
            yield _Probe(rid, "getOverCurrentProtectors", f"{name}: the breakers", unit, "ocps")
            for peripheral in unit.peripherals:
                what = f"{name}: external sensor slot {peripheral.slot_index + 1}"
                yield _Probe(
                    peripheral.slot_rid, "getDevice", what, unit, "slot", peripheral.slot_index
                )

    def changes(
        self, cascade: CascadeStatus | XerusError, results: Sequence[BulkResult]
    ) -> tuple[str, ...]:
        """What differs between the topology and the answers (empty: it still matches)."""
        found = []
        if isinstance(cascade, XerusError):
            if self.topology.link_status:
                found.append(f"the link units: {cascade}")
        elif _link_status(cascade) != {k: int(v) for k, v in self.topology.link_status.items()}:
            found.append("the link units")
        matched = self._matched
        for index, (probe, result) in enumerate(zip(self._probes, results, strict=True)):
            if result.error is not None:
                found.append(f"{probe.what}: {result.error}")
            elif result.value == matched[index]:
                continue
            elif self._matches(probe, result.value):
                matched[index] = result.value
            else:
                found.append(probe.what)
        return tuple(found)

    @staticmethod
    def _matches(probe: _Probe, value: Any) -> bool:
        unit = probe.unit
        if probe.kind == "identity":
            identity = PduIdentity.from_json(unit.pdu_id, unit.identity.rid, value, None)
            return identity.unique_id == unit.identity.unique_id
        if probe.kind == "slot":
            known = next(p for p in unit.peripherals if p.slot_index == probe.index)
            return _same_peripheral(known, value)
        groups: dict[str, Sequence[OutletInfo | InletInfo | OcpInfo]] = {
            "outlets": unit.outlets,
            "inlets": unit.inlets,
            "ocps": unit.ocps,
        }
        return _rids(value) == [(o.index, o.rid) for o in groups[probe.kind]]


def _link_status(cascade: CascadeStatus) -> dict[int, int]:
    return {
        link_id: int(unit.status)
        for link_id, unit in cascade.link_units.items()
        if link_id > 0 and link_id != cascade.primary_link_id
    }


def _same_peripheral(known: PeripheralInfo, device: Any) -> bool:
    now = PeripheralInfo.from_json(known.slot_index, known.slot_rid, device, None)
    if now is None or now.unique_key != known.unique_key:
        return False
    known_rid = known.sensor.rid if known.sensor is not None else None
    return (now.sensor.rid if now.sensor is not None else None) == known_rid


__all__ = ["TopologyCheck"]
