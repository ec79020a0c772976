"""Malformed and hostile answers (``emu.faults.<name>``) for the client's bad-input tests.

What a broken device, a firmware bug or a hostile host on the path can send, in three layers that
the server applies in this order:

* **per call** (:class:`CallFault`): the response object of one call (a direct call or a bulk
  sub-request) to a given object and/or method: a failure (HTTP status / bulk statcode, or a
  JSON-RPC error) or a changed response (bad readings, unknown enum values, wrong types, missing
  fields, malformed discovery fields). The device did the work; only the answer is wrong.
* **per bulk answer** (:class:`BulkMutation`): the next ``/bulk`` answers as a whole: fewer or
  more responses than requests, wrong sub-response ids.
* **per body** (:class:`BodyMutation`): the bytes of the next JSON answers: N MB bodies, a gzip
  bomb, bytes that are not UTF-8, JSON nested 100,000 deep.

Numbers a JSON parser may choke on are written verbatim (:class:`wire.Raw`): ``NaN``,
``Infinity``, ``-Infinity`` (what Python's ``json`` emits for non-finite floats), ``1e400``
(beyond any double) and an integer of 310 digits (above 1e308): :data:`BAD_NUMBERS`.

Paths name a field of the response object, dot-separated from its root: ``result._ret_.value``,
``result._ret_.range.upper``, ``result._ret_.0`` (list index), ``result._ret_.*.value.position``
(``*``: every element). A path that does not exist in an answer leaves that answer alone.
"""

from __future__ import annotations

import copy
import json
import math
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import wire

if TYPE_CHECKING:
    from .model import Peripheral, RpcObject
    from .server import PduEmulator

HUGE_INT = 10**309
"""An integer above 1e308: JSON allows it, no double holds it (``float()`` overflows)."""

BAD_NUMBERS: dict[str, Any] = {
    "nan": wire.Raw("NaN"),
    "inf": wire.Raw("Infinity"),
    "-inf": wire.Raw("-Infinity"),
    "1e400": wire.Raw("1e400"),
    "huge_int": HUGE_INT,
}
"""Names accepted by ``bad_reading(value=...)`` -> what goes on the wire."""

_MB = 1 << 20


def json_value(value: Any) -> Any:
    """``value`` for the wire: non-finite floats as the tokens Python's ``json`` writes."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return BAD_NUMBERS["nan"]
        return BAD_NUMBERS["inf"] if value > 0 else BAD_NUMBERS["-inf"]
    return value


# --- paths ---------------------------------------------------------------------------------------
def _keys(node: Any, name: str) -> list[Any]:
    """Keys/indexes of ``node`` that ``name`` selects (``*``: all of them)."""
    if isinstance(node, dict):
        return list(node) if name == "*" else ([name] if name in node else [])
    if isinstance(node, list):
        if name == "*":
            return list(range(len(node)))
        try:
            index = int(name)
        except ValueError:
            return []
        return [index] if -len(node) <= index < len(node) else []
    return []


def _parents(root: Any, parts: list[str]) -> Iterator[Any]:
    if not parts:
        yield root
        return
    for key in _keys(root, parts[0]):
        yield from _parents(root[key], parts[1:])


def set_path(root: Any, path: str, value: Any) -> bool:
    """Replace the field(s) at ``path``; False when the path does not exist."""
    *parents, last = path.split(".")
    changed = False
    for parent in _parents(root, parents):
        for key in _keys(parent, last):
            parent[key] = value
            changed = True
    return changed


def delete_path(root: Any, path: str) -> bool:
    """Remove the field(s) (or list elements) at ``path``; False when the path does not exist."""
    *parents, last = path.split(".")
    changed = False
    for parent in _parents(root, parents):
        for key in sorted(_keys(parent, last), key=str, reverse=True):
            del parent[key]
            changed = True
    return changed


# --- per call ------------------------------------------------------------------------------------
@dataclass
class CallFault:
    """A failure or a change of the answers of matching calls.

    Matches by object identity (so well-known and opaque RIDs of the same object, also after a
    reboot), by the RID string (RIDs that resolve to nothing), by method and by unit id."""

    kind: str
    obj: RpcObject | None = None
    rid: str | None = None
    method: str | None = None
    unit: int | None = None
    remaining: int | None = None  # None: until clear()
    skip: int = 0  # matching calls to let pass first
    statcode: int = 500
    rpc_error: tuple[int, str] | None = None
    change: Callable[[dict[str, Any]], bool] | None = None  # None: the call fails

    def matches(self, rid: str, method: str, obj: RpcObject | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and method != self.method:
            return False
        if self.unit is not None and (obj is None or obj.unit.pdu_id != self.unit):
            return False
        if self.obj is not None or self.rid is not None:
            same = (self.obj is not None and obj is self.obj) or rid == self.rid
            if not same:
                return False
        if self.skip > 0:
            self.skip -= 1
            return False
        return True

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


def _field(path: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    wire_value = json_value(value)
    return lambda response: set_path(response, path, wire_value)


def _without(path: str) -> Callable[[dict[str, Any]], bool]:
    return lambda response: delete_path(response, path)


# --- per bulk answer -----------------------------------------------------------------------------
@dataclass
class BulkMutation:
    kind: str
    change: Callable[[list[dict[str, Any]], str], list[dict[str, Any]]]  # (responses, fw)


def _resize(delta: int) -> Callable[[list[dict[str, Any]], str], list[dict[str, Any]]]:
    def change(responses: list[dict[str, Any]], fw: str) -> list[dict[str, Any]]:
        if delta < 0:
            return responses[: max(len(responses) + delta, 0)]
        filler = responses[-1] if responses else {"json": None, "statcode": 500}
        return responses + [copy.deepcopy(filler) for _ in range(delta)]

    return change


def _wrong_id(sub_id: Any) -> Any:
    if isinstance(sub_id, bool) or sub_id is None:
        return 999_999
    if isinstance(sub_id, int):
        return sub_id + 1_000_000
    return f"{sub_id}?"


def _rewrite_ids(swap: bool) -> Callable[[list[dict[str, Any]], str], list[dict[str, Any]]]:
    def change(responses: list[dict[str, Any]], fw: str) -> list[dict[str, Any]]:
        subs = []
        for item in responses:  # performRequest carries the JSON as a string
            sub = item["json"]
            subs.append(json.loads(sub) if isinstance(sub, str) else sub)
        ids = [sub.get("id") if isinstance(sub, dict) else None for sub in subs]
        new_ids = ids[1:] + ids[:1] if swap else [_wrong_id(i) for i in ids]
        out = []
        for item, sub, new_id in zip(responses, subs, new_ids, strict=True):
            if isinstance(sub, dict):
                sub["id"] = new_id
            text = isinstance(item["json"], str)
            out.append({**item, "json": wire.dumps(sub, fw) if text else sub})
        return out

    return change


# --- per body ------------------------------------------------------------------------------------
@dataclass
class BodyMutation:
    """``make(response object, JSON bytes) -> (body, content-encoding)``; the encoding is
    ``"gzip"`` (already compressed), ``"identity"`` (sent as is) or None (the usual gzip)."""

    kind: str
    make: Callable[[Any, bytes], tuple[bytes, str | None]]


def _padded(data: bytes, megabytes: float) -> bytes:
    """Valid JSON of about ``megabytes`` MB: the answer followed by spaces."""
    return data + b" " * max(int(megabytes * _MB) - len(data), 0)


def _garbage(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def _gzip_bomb(data: bytes, megabytes: float) -> bytes:
    """gzip of ``_padded(data, megabytes)`` without ever holding the expanded bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    parts = [packer.compress(data)]
    remaining = max(int(megabytes * _MB) - len(data), 0)
    chunk = b" " * _MB
    while remaining > 0:
        parts.append(packer.compress(chunk[: min(remaining, _MB)]))
        remaining -= _MB
    parts.append(packer.flush())
    return b"".join(parts)


def _deep(payload: Any, depth: int) -> bytes:
    req_id = json.dumps(payload.get("id") if isinstance(payload, dict) else None)
    nested = b"[" * depth + b"]" * depth
    return b'{"jsonrpc":"2.0","result":' + nested + b',"id":' + req_id.encode() + b"}"


def _not_utf8(data: bytes) -> bytes:
    """The answer with the bytes 0xFF 0xFE (never valid UTF-8) inside its ``jsonrpc`` string."""
    return data.replace(b'"2.0"', b'"2.0\xff\xfe"', 1)


# --- the faults ----------------------------------------------------------------------------------
Target = Any  # a RID string, an object of the model (Outlet, Sensor, DeviceSlot ...), or None


class AnswerFaults:
    """The malformed-answer faults of ``emu.faults`` (mixed into :class:`faults.Faults`)."""

    _emu: PduEmulator

    def _clear_answers(self) -> None:
        self._call_faults: list[CallFault] = []
        self._mutations: list[CallFault] = []
        self._bulk_mutations: list[BulkMutation] = []
        self._bodies: list[BodyMutation] = []

    def _describe_answers(self) -> dict[str, Any]:
        return {
            "call_faults": [f.kind for f in self._call_faults if f.remaining != 0],
            "answer_mutations": [f.kind for f in self._mutations if f.remaining != 0],
            "bulk_mutations": [m.kind for m in self._bulk_mutations],
            "body_mutations": [b.kind for b in self._bodies],
        }

    # --- bodies ----------------------------------------------------------------------------------
    def huge_body(self, megabytes: float, count: int = 1, *, garbage: bool = False) -> None:
        """The next ``count`` JSON answers are ``megabytes`` MB long (request processed).

        Default: valid JSON (the real answer followed by spaces; a client without a size limit
        parses it fine, after reading it all). ``garbage=True``: that many bytes of binary
        garbage instead of JSON. Sent uncompressed even to clients accepting gzip."""

        def make(payload: Any, data: bytes) -> tuple[bytes, str | None]:
            body = _garbage(int(megabytes * _MB)) if garbage else _padded(data, megabytes)
            return body, "identity"

        self._bodies.extend([BodyMutation("huge_body", make)] * count)

    def gzip_bomb(self, megabytes: float, count: int = 1) -> None:
        """The next ``count`` JSON answers are a small gzip body (``Content-Encoding: gzip``,
        whether or not the request accepts gzip) that expands to ``megabytes`` MB of valid JSON
        (the answer followed by spaces; about 1 KB on the wire per MB)."""

        def make(payload: Any, data: bytes) -> tuple[bytes, str | None]:
            return _gzip_bomb(data, megabytes), "gzip"

        self._bodies.extend([BodyMutation("gzip_bomb", make)] * count)

    def non_utf8(self, count: int = 1) -> None:
        """The next ``count`` JSON answers carry the bytes 0xFF 0xFE (never valid UTF-8) inside
        their ``jsonrpc`` string, although the header says ``charset=UTF-8``."""

        def make(payload: Any, data: bytes) -> tuple[bytes, str | None]:
            return _not_utf8(data), None

        self._bodies.extend([BodyMutation("non_utf8", make)] * count)

    def deep_json(self, depth: int = 100_000, count: int = 1) -> None:
        """The next ``count`` JSON answers have a ``result`` of ``depth`` nested arrays
        (``[[[...]]]``; Python's ``json`` raises RecursionError on it). Request processed."""

        def make(payload: Any, data: bytes) -> tuple[bytes, str | None]:
            return _deep(payload, depth), None

        self._bodies.extend([BodyMutation("deep_json", make)] * count)

    # --- bulk answers ----------------------------------------------------------------------------
    def bulk_response_count(self, delta: int = -1, count: int = 1) -> None:
        """The next ``count`` bulk answers have ``delta`` responses more (> 0: copies of the last
        one) or fewer (< 0: the last ones missing) than there were requests. All requests
        were processed."""
        self._bulk_mutations.extend([BulkMutation("bulk_response_count", _resize(delta))] * count)

    def bulk_wrong_ids(self, count: int = 1, *, swap: bool = False) -> None:
        """The next ``count`` bulk answers carry wrong sub-response ids: ids that were never
        requested (int id + 1,000,000, string id + "?"), or with ``swap=True`` the ids of the
        neighbours (rotated by one position; the responses themselves stay in order)."""
        self._bulk_mutations.extend([BulkMutation("bulk_wrong_ids", _rewrite_ids(swap))] * count)

    # --- per call answers ------------------------------------------------------------------------
    def wrong_type(
        self,
        target: Target = None,
        method: str | None = None,
        *,
        path: str,
        value: Any,
        count: int | None = None,
    ) -> None:
        """Answers of matching calls carry ``value`` at ``path`` (the field must exist), e.g. a
        string where a number is due (``path="result._ret_.value", value="230.5"``) or an object
        where a list is due (``method="getOutlets", path="result._ret_", value={}``).

        ``target``: a RID (well-known or opaque) or a model object (``emu.unit(0).outlet(1)``,
        a sensor, a peripheral); None: any object. ``count``: how many answers (None: until
        ``clear()``)."""
        self._add_mutation("wrong_type", target, method, _field(path, value), count)

    def missing_field(
        self,
        target: Target = None,
        method: str | None = None,
        *,
        path: str,
        count: int | None = None,
    ) -> None:
        """Answers of matching calls lack the field at ``path`` (e.g.
        ``method="getState", path="result._ret_.powerState"``; ``path="result"``: no result)."""
        self._add_mutation("missing_field", target, method, _without(path), count)

    def bad_reading(self, target: Target = None, value: Any = "nan", count: int | None = 1) -> None:
        """The next ``count`` ``getReading`` answers of ``target`` (None: of any numeric sensor)
        say ``available``, ``valid`` and a ``value`` no double can hold: one of
        :data:`BAD_NUMBERS` (``"nan"`` -> ``NaN``, ``"inf"`` -> ``Infinity``, ``"-inf"``,
        ``"1e400"``, ``"huge_int"`` -> 1 followed by 309 zeros) or any JSON value given."""
        wire_value = BAD_NUMBERS.get(value, value) if isinstance(value, str) else value
        self._add_mutation(
            "bad_reading", target, "getReading", _field("result._ret_.value", wire_value), count
        )

    def energy_glitch(self, target: Target, value: float = 0.0, count: int = 1) -> None:
        """The next ``count`` readings of an energy counter are valid but wrong (``0.0`` or e.g.
        ``0.001``), then the real value comes back. ``target``: the counter (RID or sensor), or
        an outlet / inlet (its ``activeEnergy``)."""
        sensors = getattr(self._resolve(target), "sensors", None)
        if isinstance(sensors, dict) and "activeEnergy" in sensors:
            target = sensors["activeEnergy"]
        self._add_mutation(
            "energy_glitch", target, "getReading", _field("result._ret_.value", float(value)), count
        )

    def unknown_enum(self, target: Target, value: int, count: int | None = None) -> None:
        """``getState`` of ``target`` answers an enum value no generation defines: an outlet's
        ``powerState`` (e.g. 2), or a state sensor's / switch's / trip sensor's ``value``
        (lock state 5, trip 7, door 9, smoke 2). ``count`` None: until ``clear()``."""
        obj = self._resolve(target)
        field = "powerState" if getattr(obj, "iface", "") == "Outlet" else "value"
        self._add_mutation(
            "unknown_enum", target, "getState", _field(f"result._ret_.{field}", value), count
        )

    def peripheral_position(
        self, index: int, value: Any = 1, unit: int = 0, count: int | None = None
    ) -> None:
        """Peripheral ``index`` of ``unit`` is discovered with a malformed ``position`` (default
        the integer 1 where a list of PosElement is due): in its slot's ``getDevice`` and in
        ``DeviceManager.getDiscoveredDevices``."""
        peripheral = self._emu.unit(unit).peripheral(index)
        slot = next((s for s in self._emu.unit(unit).slots if s.peripheral is peripheral), None)
        if slot is None:
            raise ValueError(f"peripheral {index} of unit {unit} is in no slot (unplugged)")
        sensor_rid = peripheral.sensor.rid
        wire_value = json_value(value)

        def in_discovered(response: dict[str, Any]) -> bool:
            devices = response.get("result", {}).get("_ret_") or []
            hits = [d for d in devices if d["value"]["device"]["rid"] == sensor_rid]
            for device in hits:
                device["value"]["position"] = wire_value
            return bool(hits)

        self._add_mutation(
            "peripheral_position",
            slot,
            "getDevice",
            _field("result._ret_.value.position", value),
            count,
        )
        manager = self._emu.unit(unit).device_manager
        self._add_mutation(
            "peripheral_position", manager, "getDiscoveredDevices", in_discovered, count
        )

    def sensor_metadata(
        self,
        target: Target,
        field: str = "range.upper",
        value: Any = HUGE_INT,
        count: int | None = None,
    ) -> None:
        """``getMetaData`` of sensor ``target`` answers ``value`` for ``field`` (a dotted path in
        ``NumericSensor.MetaData``: ``range.upper``, ``range.lower``, ``resolution``,
        ``decdigits`` ...); default an integer above 1e308."""
        self._add_mutation(
            "sensor_metadata", target, "getMetaData", _field(f"result._ret_.{field}", value), count
        )

    # --- helpers (also used by the reliability and random faults) --------------------------------
    def _resolve(self, target: Target) -> RpcObject | None:
        if isinstance(target, str):
            return self._emu.try_resolve(target)
        peripheral: Peripheral | None = target if hasattr(target, "entry") else None
        return peripheral.sensor if peripheral is not None else target

    def _match(self, target: Target) -> tuple[RpcObject | None, str | None]:
        return self._resolve(target), target if isinstance(target, str) else None

    def _add_mutation(
        self,
        kind: str,
        target: Target,
        method: str | None,
        change: Callable[[dict[str, Any]], bool],
        count: int | None,
    ) -> None:
        obj, rid = self._match(target)
        if target is not None and obj is None:  # only answered calls can be changed
            raise ValueError(f"unknown target {target!r}")
        self._mutations.append(
            CallFault(kind, obj=obj, rid=rid, method=method, remaining=count, change=change)
        )

    def _add_call_fault(self, fault: CallFault) -> None:
        self._call_faults.append(fault)

    # --- used by the server ----------------------------------------------------------------------
    def match_call_fault(self, rid: str, method: str, obj: RpcObject | None) -> CallFault | None:
        """The failure for this call, if one applies (consumed)."""
        for fault in self._call_faults:
            if fault.matches(rid, method, obj):
                fault.consume()
                self._emu.count_fault(fault.kind)
                return fault
        return None

    def mutate_response(
        self, rid: str, method: str, obj: RpcObject | None, response: dict[str, Any]
    ) -> dict[str, Any]:
        """The response object of a successful call, changed by the mutations that apply."""
        if not self._mutations:
            return response
        for fault in self._mutations:
            if fault.change is None or not fault.matches(rid, method, obj):
                continue
            candidate = copy.deepcopy(response)
            if fault.change(candidate):
                fault.consume()
                self._emu.count_fault(fault.kind)
                response = candidate
        return response

    def mutate_bulk(self, payload: Any) -> Any:
        """A ``/bulk`` answer (the whole response object), changed by the next bulk mutation."""
        result = payload.get("result") if isinstance(payload, dict) else None
        if not self._bulk_mutations or not isinstance(result, dict) or "responses" not in result:
            return payload
        mutation = self._bulk_mutations.pop(0)
        self._emu.count_fault(mutation.kind)
        fw = "4.4" if self._emu.profile.is_4x else "3.6"
        responses = mutation.change(result["responses"], fw)
        return {**payload, "result": {**result, "responses": responses}}

    def mutate_body(self, payload: Any, data: bytes) -> tuple[bytes, str | None]:
        """(body, content-encoding) of a JSON answer; see :class:`BodyMutation`."""
        if not self._bodies:
            return data, None
        mutation = self._bodies.pop(0)
        self._emu.count_fault(mutation.kind)
        return mutation.make(payload, data)
