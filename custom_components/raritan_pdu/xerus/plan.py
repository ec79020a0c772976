"""Reading plans: what one poll reads, pre-serialized, the fast decoder of its answer, and
what a poll returns (:class:`PollResult`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter, methodcaller
from typing import Any

from .events import EventBatch
from .exceptions import XerusError, XerusProtocolError
from .models import (
    CascadeStatus,
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


def _load_shedding(value: object) -> StateReading:
    """``Pdu.isLoadSheddingActive``: 1 active, 0 not; anything but a bool is unknown."""
    return StateReading(int(value), True) if type(value) is bool else StateReading(None, False)


#: Per kind: the ``Readings`` field (numeric, states, outlets, sequences) and the decoder.
_NUMERIC, _STATES, _OUTLETS, _SEQUENCES = range(4)
_DECODERS: dict[ReadKind, tuple[int, Callable[[Any], Any]]] = {
    ReadKind.NUMERIC: (_NUMERIC, NumericReading.from_json),
    ReadKind.STATE: (_STATES, StateReading.from_json),
    ReadKind.OUTLET: (_OUTLETS, OutletState.from_json),
    ReadKind.LOAD_SHEDDING: (_STATES, _load_shedding),
    ReadKind.SEQUENCE: (_SEQUENCES, SequenceState.from_json),
}
#: The last ``_ret_`` decoded at a position (nothing yet).
_NOTHING: Any = object()
#: The ``_ret_`` of a sub-request that failed.
_FAILED: Any = object()


class ReadingPlan:
    """A list of read targets with its ``/bulk`` sub-requests serialized once.

    Duplicate RIDs are read once. A poll sends the pre-built request fragments and decodes the
    answer with :meth:`decode`. The targets never change; the plan remembers the last answer it
    decoded for each outlet state, state sensor and unit-level read, so that a poll re-reading
    a plan decodes only what changed. Numeric readings are decoded anew every time: their
    timestamp moves with every sample of the device, so an equal answer is rare, and keeping
    the last answers would keep two dicts per reading of the parsed body alive from one poll
    to the next, which Python's cycle collector pays for (on the largest installation, 1,700
    objects promoted through its generations per poll, and a body parsed into fragmented
    memory).
    """

    __slots__ = (
        "_fragments",
        "_numeric_positions",
        "_numeric_rids",
        "_others",
        "_rids",
        "_targets",
    )

    def __init__(self, targets: Iterable[ReadTarget]) -> None:
        seen: set[str] = set()
        unique: list[ReadTarget] = []
        for target in targets:
            if target.rid not in seen:
                seen.add(target.rid)
                unique.append(target)
        self._targets: tuple[ReadTarget, ...] = tuple(unique)
        self._rids: tuple[str, ...] = tuple(t.rid for t in unique)
        self._fragments: tuple[str, ...] = tuple(
            encode_sub_request(t.request_rid, _METHODS[t.kind], i) for i, t in enumerate(unique)
        )
        slots = [_DECODERS[t.kind][0] for t in unique]
        numeric = [pos for pos, slot in enumerate(slots) if slot == _NUMERIC]
        self._numeric_positions: tuple[int, ...] = tuple(numeric)
        self._numeric_rids: tuple[str, ...] = tuple(self._rids[pos] for pos in numeric)
        #: The other targets, by the ``Readings`` field they go to.
        self._others: tuple[_Remembered, ...] = tuple(
            _Remembered(slot, [pos for pos, other in enumerate(slots) if other == slot], unique)
            for slot in (_STATES, _OUTLETS, _SEQUENCES)
            if slot in slots
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
        """Turn the raw sub-responses (aligned with the targets) into :class:`Readings`.

        A ``_ret_`` equal to the one this plan decoded last for the same target (not a numeric
        reading: see the class) gives the same reading object again (decoding is a function of
        that value alone): an unchanged state costs a comparison, and ``new is old`` tells a
        consumer that it did not change. (Equal means Python's ``==``: a device that answers
        ``1`` where it answered ``true`` before, with nothing else changed, keeps the earlier
        reading until another field changes.)
        """
        if len(responses) != len(self._rids):
            raise ValueError("the responses are not aligned with the plan's targets")
        values = _all_returns(responses)
        errors: dict[str, XerusError] = {}
        if values is None:
            values = self._returns(responses, errors)
            numeric = {
                rid: values[pos]
                for pos, rid in zip(self._numeric_positions, self._numeric_rids, strict=True)
                if rid not in errors
            }
        else:
            # Every sub-request answered: the returns taken apart by map() and zip(), in C.
            numeric = dict(
                zip(
                    self._numeric_rids,
                    map(values.__getitem__, self._numeric_positions),
                    strict=True,
                )
            )
        # Numeric readings are not remembered: see the class docstring.
        outputs: list[dict[str, Any]] = [{}, {}, {}, {}]
        for group in self._others:
            outputs[group.slot] = group.decode(values)
        _, states, outlets, sequences = outputs
        return Readings(NumericReading.from_json_many(numeric), states, outlets, errors, sequences)

    def _returns(self, responses: Sequence[Any], errors: dict[str, XerusError]) -> list[Any]:
        """The ``_ret_`` of each sub-response, ``_FAILED`` where it failed (its error noted in
        ``errors``): an answer not every sub-request of which succeeded."""
        values: list[Any] = []
        for rid, resp in zip(self._rids, responses, strict=True):
            # (Only JSON objects take a string index: a list, a string, ``MISSING`` or an
            # error raise TypeError.)
            try:
                msg = resp["json"]
                value = msg["result"]["_ret_"]
                ok = resp["statcode"] == 200 and ("error" not in msg or msg["error"] is None)
            except (KeyError, TypeError):
                ok = False
            if ok:
                values.append(value)
                continue
            values.append(_FAILED)
            decoded = decode_sub_response(resp)
            errors[rid] = (
                decoded
                if isinstance(decoded, XerusError)
                else XerusProtocolError("reading without _ret_")
            )
        return values


class _Remembered:
    """The targets of a plan that go to one ``Readings`` field and are remembered: the last
    ``_ret_`` decoded for each, and what it decoded to (:meth:`ReadingPlan.decode`)."""

    __slots__ = ("decoders", "last", "last_raw", "positions", "rids", "slot")

    def __init__(self, slot: int, positions: list[int], targets: Sequence[ReadTarget]) -> None:
        self.slot = slot
        self.positions = tuple(positions)
        self.rids = tuple(targets[pos].rid for pos in positions)
        self.decoders = tuple(_DECODERS[targets[pos].kind][1] for pos in positions)
        self.last_raw: list[Any] = [_NOTHING] * len(positions)
        self.last: list[Any] = [None] * len(positions)

    def decode(self, values: list[Any]) -> dict[str, Any]:
        """The readings of this group in ``values`` (``_FAILED`` where a sub-request failed)."""
        raw = list(map(values.__getitem__, self.positions))
        if raw == self.last_raw:
            # Nothing changed (most polls: outlets are rarely switched), compared in C.
            return dict(zip(self.rids, self.last, strict=True))
        readings: dict[str, Any] = {}
        last_raw, last, decoders = self.last_raw, self.last, self.decoders
        for i, (rid, value, previous) in enumerate(zip(self.rids, raw, last_raw, strict=True)):
            if value is _FAILED:
                continue
            if value is previous or value == previous:
                readings[rid] = last[i]
            else:
                last_raw[i] = value
                readings[rid] = last[i] = decoders[i](value)
        return readings


_JSON = itemgetter("json")
_RESULT = itemgetter("result")
_RETURN = itemgetter("_ret_")
_STATCODE = itemgetter("statcode")
_ERROR = methodcaller("get", "error")
_NOT_200 = (200).__ne__


def _all_returns(responses: Sequence[Any]) -> list[Any] | None:
    """The ``_ret_`` of every sub-response, or ``None`` unless each is a success with one
    (HTTP status 200, no JSON-RPC error)."""
    try:
        messages = list(map(_JSON, responses))
        values = list(map(_RETURN, map(_RESULT, messages)))
        if any(map(_ERROR, messages)) or any(map(_NOT_200, map(_STATCODE, responses))):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    return values


@dataclass(frozen=True, slots=True)
class PollResult:
    """A poll that also read the cascade status (``client.poll(plan, with_cascade=True)``) or
    drained event channels (``channels=``).

    ``cascade`` is the link unit status the primary reported in the same request, or the error of
    that sub-request (a malformed answer is a ``XerusProtocolError``); ``None`` when it was not
    read. ``changes``: with ``client.poll(plan, check=topology)``, what of that topology no
    longer matches the device (empty: it still does); ``None`` when nothing was checked.
    ``events``: per drained channel, the events it returned (``events.EventBatch``) or the error
    of its ``pollEventsNb``.
    """

    readings: Readings
    cascade: CascadeStatus | XerusError | None
    changes: tuple[str, ...] | None = None
    events: tuple[EventBatch | XerusError, ...] = ()

    @property
    def topology_changed(self) -> bool | None:
        """Whether the checked topology differs from the device (``None``: not checked)."""
        return None if self.changes is None else bool(self.changes)


__all__ = ["PollResult", "ReadKind", "ReadTarget", "ReadingPlan"]
