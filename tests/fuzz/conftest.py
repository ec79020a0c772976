"""Strategies and fixtures of the fuzz tests (issue #12, "Bad input").

Every test is deterministic (``derandomize=True``, no example database) and bounded
(``max_examples``), so that the suite takes seconds and CI is stable. ``recorded`` holds the
answers a real discovery got from the emulator (by ``(rid, method)``); ``ReplayDevice`` serves
them, mutated, to discovery through the ``SupportsBulk`` protocol.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    BulkResult,
    ReadingPlan,
    Topology,
    XerusClient,
)
from custom_components.raritan_pdu.xerus.discovery import discover_topology
from custom_components.raritan_pdu.xerus.rpc import encode_calls


def fuzz(max_examples: int) -> settings:
    """The settings of one fuzz test."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


#: Field names of the Xerus JSON, so that generated objects reach the decoders' inner paths.
VOCABULARY = [
    "_ret_",
    "available",
    "valid",
    "value",
    "timestamp",
    "status",
    "aboveUpperCritical",
    "powerState",
    "cycleInProgress",
    "lastPowerStateChange",
    "readingtype",
    "type",
    "unit",
    "rid",
    "decdigits",
    "range",
    "lower",
    "upper",
    "resolution",
    "deviceID",
    "serial",
    "isActuator",
    "channel",
    "position",
    "portType",
    "port",
    "packageClass",
    "device",
    "nameplate",
    "serialNumber",
    "rating",
    "current",
    "decimalCurrent",
    "label",
    "name",
    "isSwitchable",
    "role",
    "linkUnits",
    "key",
    "primaryUnit",
    "master",
    "json",
    "statcode",
    "id",
    "jsonrpc",
    "result",
    "error",
    "code",
    "message",
    "responses",
    "line",
    "nodeId",
    "location",
]

#: Numbers that are no JSON numbers a reading may carry: NaN, ±Infinity (also what ``1e400``
#: parses to) and integers beyond a float.
special_numbers = st.sampled_from(
    [float("nan"), float("inf"), float("-inf"), 10**400, -(10**309), 2**64, 10**308]
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    special_numbers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=4)), children, max_size=4
        ),
    ),
    max_leaves=10,
)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits for I/O (discovery against ``ReplayDevice``)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("the coroutine waited for something")


type Path = tuple[str | int, ...]


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON document (the root ``()`` included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(value: Any, path: Path, new: Any, *, drop: bool = False) -> Any:
    """A copy of ``value`` with the part at ``path`` replaced by ``new`` (or dropped)."""
    if not path:
        return copy.deepcopy(new)
    head, rest = path[0], path[1:]
    changed = copy.copy(value)
    if drop and not rest:
        del changed[head]
    else:
        changed[head] = replaced(value[head], rest, new, drop=drop)
    return changed


def mutate(value: Any, rng: random.Random, pool: Sequence[Any]) -> Any:
    """``value`` with one part (any depth, chosen evenly) replaced by a value of ``pool``, or
    dropped."""
    path = rng.choice(paths(value))
    return replaced(value, path, rng.choice(pool), drop=bool(path) and rng.random() < 0.15)


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one part replaced by arbitrary JSON (or dropped), shrinkable."""
    path = draw(st.sampled_from(paths(document)))
    if path and draw(st.integers(0, 9)) == 0:
        return replaced(document, path, None, drop=True)
    # Scalars of the wrong type half of the time: what a confused device sends most.
    return replaced(document, path, draw(st.one_of(json_scalars, json_values)))


class ReplayDevice:
    """A ``SupportsBulk``: recorded sub-responses, some mutated (``rate``: share of calls)."""

    def __init__(
        self,
        recorded: dict[tuple[str, str], Any],
        rng: random.Random | None = None,
        pool: Sequence[Any] = (None,),
        rate: float = 0.0,
    ) -> None:
        self.recorded = recorded
        self.rng = rng or random.Random(0)
        self.pool = pool
        self.rate = rate
        self.mutated = 0

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        results = []
        for call in calls:
            raw = copy.deepcopy(self.recorded.get((call.rid, call.method), {"statcode": 404}))
            if self.rate and self.rng.random() < self.rate:
                raw = mutate(raw, self.rng, self.pool)
                self.mutated += 1
            results.append(BulkResult.from_sub_response(raw))
        return results


class _Recorder:
    """A ``SupportsBulk`` in front of a real client that keeps every raw sub-response."""

    def __init__(self, client: XerusClient) -> None:
        self.client = client
        self.answers: dict[tuple[str, str], Any] = {}

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        raw = await self.client.bulk_raw(encode_calls(calls))
        for call, item in zip(calls, raw, strict=True):
            self.answers[(call.rid, call.method)] = item
        return [BulkResult.from_sub_response(item) for item in raw]


@dataclass(frozen=True)
class Recorded:
    """A real discovery and poll of the emulator, answer by answer."""

    #: ``(rid, method)`` -> the raw sub-response discovery got.
    answers: dict[tuple[str, str], Any]
    topology: Topology
    plan: ReadingPlan
    #: The raw sub-responses of one poll of ``plan``.
    poll: list[Any]


@pytest_asyncio.fixture
async def recorded(emulator_factory: Any) -> Recorded:
    """Discovering and polling a three-phase primary with a link unit and external sensors."""
    emu = await emulator_factory(outlets=3, link_units=1, peripherals=11, inlet_phases=3)
    async with XerusClient(
        emu.host, emu.port, use_tls=False, password=emu.config.password
    ) as client:
        recorder = _Recorder(client)
        topology = await discover_topology(recorder)
        plan = ReadingPlan.for_topology(topology)
        poll = await client.bulk_raw(plan.fragments)
    return Recorded(recorder.answers, topology, plan, poll)
