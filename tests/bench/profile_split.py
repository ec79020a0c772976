"""Where Home Assistant's CPU time goes during a poll: a cProfile split by owner.

Every profiled function belongs to an owner by its file: the integration (its protocol library
``xerus`` and its Home Assistant glue), Home Assistant (state machine and event bus, entity
state writes, the rest) or the benchmark itself. Functions of nobody in particular (the standard
library, aiohttp, builtins such as ``json.loads``) count for whoever called them, using the
profile's caller edges; what only the event loop calls (socket reads, TLS, HTTP parsing of
responses) is its own bucket. A sensor's ``native_value`` is the integration's work even when
Home Assistant's ``async_write_ha_state`` asks for it; the state machine's work is Home
Assistant's.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

XERUS = "integration: xerus library (request, decode)"
GLUE = "integration: HA glue (coordinator, entities)"
HA_CORE = "HA: state machine + event bus"
HA_ENTITY = "HA: entity state writes (entity helpers, platforms)"
HA_OTHER = "HA: other (coordinator helper, ...)"
LOOP = "event loop, network, TLS (asyncio, aiohttp, ssl)"
BENCH = "benchmark harness"
EMULATOR = "emulator"
GC = "Python's cycle collector (gc; after anyone's allocations)"

INTEGRATION_BUCKETS = (XERUS, GLUE)
HA_BUCKETS = (HA_CORE, HA_ENTITY, HA_OTHER)
BUCKETS = (XERUS, GLUE, HA_CORE, HA_ENTITY, HA_OTHER, LOOP, GC, BENCH, EMULATOR)

_MAX_DEPTH = 40

type Func = tuple[str, int, str]


def owner(func: Func) -> str | None:
    """The bucket a function's own time belongs to (None: whoever called it)."""
    filename = func[0].replace("\\", "/")
    if "/custom_components/raritan_pdu/xerus/" in filename:
        return XERUS
    if "/custom_components/raritan_pdu/" in filename:
        return GLUE
    if "/tests/bench/" in filename or "/pytest_homeassistant_custom_component/" in filename:
        return BENCH
    if "/tests/emulator/" in filename:
        return EMULATOR
    if "/homeassistant/" in filename:
        if filename.endswith("/homeassistant/core.py"):
            return HA_CORE
        if (
            filename.endswith(("/helpers/entity.py", "/helpers/entity_platform.py"))
            or "/homeassistant/components/" in filename
        ):
            return HA_ENTITY
        return HA_OTHER
    return None


class _Attribution:
    """Shares of a function's inclusive time per bucket, following caller edges upwards."""

    def __init__(self, stats: Mapping[Func, Any]) -> None:
        self._stats = stats
        self._cache: dict[Func, dict[str, float]] = {}

    def shares(self, func: Func, depth: int = 0) -> dict[str, float]:
        bucket = owner(func)
        if bucket is not None:
            return {bucket: 1.0}
        if func in self._cache:
            return self._cache[func]
        entry = self._stats.get(func)
        callers: Mapping[Func, tuple[Any, ...]] = entry[4] if entry else {}
        total = sum(edge[3] for edge in callers.values())
        if not callers or total <= 0 or depth >= _MAX_DEPTH:
            return {LOOP: 1.0}
        self._cache[func] = {LOOP: 1.0}  # breaks recursion cycles
        result: dict[str, float] = defaultdict(float)
        for caller, edge in callers.items():
            if caller == func:
                continue
            weight = edge[3] / total
            for name, share in self.shares(caller, depth + 1).items():
                result[name] += weight * share
        self._cache[func] = dict(result) or {LOOP: 1.0}
        return self._cache[func]


def split(
    stats: Mapping[Func, Any], gc_seconds: Mapping[Func, float] | None = None
) -> dict[str, float]:
    """Seconds per bucket of a ``pstats.Stats(...).stats`` mapping; ``gc_seconds``: the cycle
    collector's time per function it ran in (:attr:`CpuProfiler.gc_seconds`), moved out of
    that function's own time into :data:`GC`."""
    attribution = _Attribution(stats)
    seconds: dict[str, float] = dict.fromkeys(BUCKETS, 0.0)
    collected = dict(gc_seconds or {})
    for func, (_cc, _nc, profiled, _ct, callers) in stats.items():
        moved = min(profiled, collected.pop(func, 0.0))
        seconds[GC] += moved
        tottime = profiled - moved
        bucket = owner(func)
        if bucket is not None:
            seconds[bucket] += tottime
            continue
        edge_total = sum(edge[2] for edge in callers.values())
        if edge_total <= 0:
            seconds[LOOP] += tottime
            continue
        for caller, edge in callers.items():
            for name, share in attribution.shares(caller).items():
                seconds[name] += tottime * edge[2] / edge_total * share
    return seconds


def top_functions(
    stats: Mapping[Func, Any],
    polls: int,
    count: int = 12,
    gc_seconds: Mapping[Func, float] | None = None,
) -> list[dict[str, Any]]:
    """The functions of the integration and of Home Assistant with the most own time (tottime,
    without the cycle collector's time in them), per poll."""
    collected = gc_seconds or {}

    def own(item: tuple[Func, Any]) -> float:
        return max(item[1][2] - collected.get(item[0], 0.0), 0.0)

    owned = [item for item in stats.items() if owner(item[0]) not in (None, BENCH, EMULATOR)]
    ranked = sorted(owned, key=own, reverse=True)[:count]
    rows = []
    for func, (_cc, calls, _tottime, cumtime, _callers) in ranked:
        tottime = own((func, (_cc, calls, _tottime, cumtime, _callers)))
        filename, line, name = func
        short = filename.split("site-packages/")[-1]
        if "/custom_components/" in short:
            short = "custom_components/" + short.split("/custom_components/", 1)[1]
        rows.append(
            {
                "function": f"{short}:{line}({name})" if line else name,
                "owner": owner(func),
                "calls_per_poll": round(calls / polls),
                "tottime_ms_per_poll": round(tottime * 1000 / polls, 2),
                "cumtime_ms_per_poll": round(cumtime * 1000 / polls, 2),
            }
        )
    return rows


def _func(frame: Any) -> Func:
    """The pstats key of the function a frame runs."""
    code = frame.f_code
    return (code.co_filename, code.co_firstlineno, code.co_name)


class CpuProfiler:
    """cProfile measuring CPU time (``time.process_time``), started and stopped around polls,
    and the cycle collector's time per function it interrupted (``gc_seconds``)."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile(time.process_time)
        self.gc_seconds: dict[Func, float] = defaultdict(float)
        self.gc_collections = [0, 0, 0]
        self._gc_started: tuple[float, Func] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            caller = sys._getframe(1)  # the Python frame the collection interrupted
            self._gc_started = (time.process_time(), _func(caller))
        elif self._gc_started is not None:
            start, func = self._gc_started
            self._gc_started = None
            self.gc_seconds[func] += time.process_time() - start
            generation = info.get("generation", 0)
            if 0 <= generation < len(self.gc_collections):
                self.gc_collections[generation] += 1

    def __enter__(self) -> CpuProfiler:
        gc.callbacks.append(self._on_gc)
        self.profile.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        self.profile.disable()
        gc.callbacks.remove(self._on_gc)

    def stats(self) -> Mapping[Func, Any]:
        """The collected statistics (``pstats.Stats.stats``)."""
        return pstats.Stats(self.profile).stats  # type: ignore[attr-defined,no-any-return]
