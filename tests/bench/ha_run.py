"""One row of the Home Assistant benchmark: one installation at one device speed.

``python -m tests.bench.ha_run --topology 8x48+32p --device-speed px3 --out row.json``

Runs in a process of its own (``scripts/bench`` starts one per row), so ``peak_rss_mb`` is this
installation's alone; the emulated PDU runs in yet another process (``emulator_proc``), so the
CPU numbers are Home Assistant's alone, as with a real PDU. What it does, as a user would:

1. the config flow (user step, then trusting the PDU's self-signed certificate), timed from
   submitting the user step until every entity the integration created enabled has a state
   (not ``unavailable``; not ``unknown`` either, except for buttons and events, whose state is
   the time of the last press or event);
2. scheduled polls, fired the way Home Assistant's scheduler does (time moved forward with
   ``async_fire_time_changed``): wall time, CPU time of this process, HTTP requests and
   sub-requests, state writes; a few more under cProfile for the CPU split;
3. an unchanged poll (the device's clock stands still: same readings, energy included) and a
   changed poll (the device's clock moved on by one interval: every noisy reading and energy
   counter changes);
4. ``switch.turn_off`` (or ``turn_on``) of outlet 1: HTTP requests, time until the state shows it;
   then outlet 1 switched at the PDU (emulator command): time until Home Assistant shows it
   through the event channel, without a poll; the event channel's requests (``pollEvents``,
   counted apart from the polls' ``http_requests``) over the whole row;
5. a restart: the entry unloaded and set up again in the same Home Assistant;
6. the naive client (one request per call) reading what the integration's last poll read, and
   reading every sensor and outlet state of the installation.

What it relies on besides Home Assistant's public API: the config flow's step ids (``user``,
``trust_certificate``), the outlet switch's unique id ``<serial>_outlet_<n>_switch``
(architecture section 3) and ``entry.runtime_data.update_interval`` (the coordinator's poll
interval). ``tests/bench/test_ha_bench.py`` notices when one of them changes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from homeassistant import loader
from homeassistant import runner as ha_runner
from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_SSL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import async_test_home_assistant

from custom_components.raritan_pdu.const import SLOW_POLL_EVERY

from .naive import naive_read
from .profile_split import (
    BENCH,
    EMULATOR,
    GC,
    HA_BUCKETS,
    HA_CORE,
    HA_ENTITY,
    INTEGRATION_BUCKETS,
    CpuProfiler,
    split,
    top_functions,
)
from .topologies import TOPOLOGIES, BenchTopology

DOMAIN = "raritan_pdu"
INTEGRATION_MODULE = "custom_components.raritan_pdu"
ROOT = Path(__file__).resolve().parents[2]
USERNAME = "admin"
PASSWORD = "raritan"
#: Methods that read values; every other ``get*`` call is reading the structure (discovery).
READ_METHODS = frozenset({"getReading", "getState", "getStatus"})

_LOGGER = logging.getLogger("bench")


# --- the emulated PDU in its own process ------------------------------------------------------


class EmulatorProcess:
    """``tests.bench.emulator_proc`` as a child process, driven over its stdin/stdout."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.info: dict[str, Any] = {}
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.bench.emulator_proc",
            json.dumps(self.config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=1 << 26,
        )
        self.info = await self._read()

    @property
    def url(self) -> str:
        return str(self.info["url"])

    async def _read(self) -> Any:
        assert self._proc is not None and self._proc.stdout is not None
        line = await self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended")
        return json.loads(line)

    async def command(self, cmd: str, **params: Any) -> Any:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write((json.dumps({"cmd": cmd, **params}) + "\n").encode())
        await self._proc.stdin.drain()
        return await self._read()

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.command("stats")
        return result

    async def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.returncode is None:
            try:
                await asyncio.wait_for(self.command("quit"), 10)
                await asyncio.wait_for(self._proc.wait(), 10)
            except (TimeoutError, RuntimeError, BrokenPipeError, ConnectionResetError):
                self._proc.kill()
                await self._proc.wait()
        self._proc = None


def _counts_delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {
        name: count - before.get(name, 0)
        for name, count in sorted(after.items())
        if count - before.get(name, 0)
    }


def stats_delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Request counters between two ``stats`` answers; ``http_requests`` without the event
    channel's (``event_requests``, counted by the device as they arrive: a long poll sent
    while a switch command holds the device is the channel's, not the command's;
    ``long_polls``: its ``pollEvents``)."""
    methods = _counts_delta(after["method_names"], before["method_names"])
    event_requests = after["event_http_requests"] - before["event_http_requests"]
    structure = sum(
        count
        for name, count in methods.items()
        if name.startswith("get") and name not in READ_METHODS
    )
    return {
        "http_requests": after["http_requests"] - before["http_requests"] - event_requests,
        "event_requests": event_requests,
        "long_polls": methods.get("pollEvents", 0),
        "subrequests": after["bulk_subrequests"] - before["bulk_subrequests"],
        "rpc_calls": after["rpc_calls"] - before["rpc_calls"],
        "structure_calls": structure,
        "sessions_created": after["sessions_created"] - before["sessions_created"],
        "device_cpu_s": after["cpu_s"] - before["cpu_s"],
        "bytes_out": after["bytes_out"] - before["bytes_out"],
        "calls_by_interface": _counts_delta(after["methods"], before["methods"]),
    }


# --- what Home Assistant shows ----------------------------------------------------------------


def is_available(entity_id: str, state: State | None) -> bool:
    """An entity shows a state: not unavailable, not unknown (a button's state is its last press,
    unknown until it is pressed; an event entity's the time of its last event)."""
    if state is None or state.state == "unavailable":
        return False
    return state.state != "unknown" or entity_id.startswith(("button.", "event."))


@dataclass
class StateTracker:
    """Counts state changes and state writes of the integration's entities, and when each entity
    last became available."""

    hass: HomeAssistant
    available_since: dict[str, float] = field(default_factory=dict)
    changed: int = 0
    reported: int = 0
    writes: int = 0
    changed_ids: set[str] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    """Set on every state change of an entity."""
    write_cpu_s: float = 0.0
    """CPU time inside Home Assistant's ``Entity.async_write_ha_state`` for the integration's
    entities (the state machine, the event bus, the entity helpers; the integration's property
    getters it calls are in it too), without this tracker's own listeners."""
    harness_cpu_s: float = 0.0

    def install(self) -> None:
        self.hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_changed)
        self.hass.bus.async_listen(
            EVENT_STATE_REPORTED, self._on_reported, event_filter=callback(lambda _data: True)
        )
        original = Entity.async_write_ha_state
        tracker = self

        @callback
        def counted(entity: Entity) -> None:
            if not type(entity).__module__.startswith(INTEGRATION_MODULE):
                original(entity)
                return
            tracker.writes += 1
            start = time.process_time()
            original(entity)
            tracker.write_cpu_s += time.process_time() - start

        Entity.async_write_ha_state = counted  # type: ignore[method-assign]

    @callback
    def _on_changed(self, event: Event[Any]) -> None:
        start = time.process_time()
        entity_id: str = event.data["entity_id"]
        self.wake.set()
        self.changed += 1
        self.changed_ids.add(entity_id)
        if is_available(entity_id, event.data["new_state"]):
            if not is_available(entity_id, event.data["old_state"]):
                self.available_since[entity_id] = time.perf_counter()
        else:
            self.available_since.pop(entity_id, None)
        self.harness_cpu_s += time.process_time() - start

    @callback
    def _on_reported(self, event: Event[Any]) -> None:
        self.reported += 1

    def counters(self) -> tuple[int, int, int]:
        return self.changed, self.reported, self.writes

    def write_cpu(self) -> float:
        """CPU seconds of Home Assistant's state writes so far (see ``write_cpu_s``)."""
        return self.write_cpu_s - self.harness_cpu_s

    def missing(self, entity_ids: list[str]) -> list[str]:
        return [e for e in entity_ids if e not in self.available_since]

    async def wait_available(self, entity_ids: list[str], deadline: float) -> float | None:
        """perf_counter time at which the last of ``entity_ids`` became available (None: not by
        ``deadline``)."""
        if not await wait_until(lambda: not self.missing(entity_ids), self.wake, deadline):
            return None
        return max(self.available_since[e] for e in entity_ids)


async def wait_until(check: Callable[[], bool], wake: asyncio.Event, deadline: float) -> bool:
    """Wait until ``check()`` holds, looking again whenever ``wake`` is set; False at
    ``deadline`` (a ``time.perf_counter`` time)."""
    while not check():
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return False
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), remaining)
    return True


def enabled_entities(hass: HomeAssistant, entry: ConfigEntry) -> tuple[list[str], int]:
    """Entity ids the integration created enabled, and how many it created disabled."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    enabled = sorted(e.entity_id for e in entries if e.disabled_by is None)
    return enabled, len(entries) - len(enabled)


def coordinator_interval(entry: ConfigEntry) -> timedelta:
    """The poll interval (``entry.runtime_data`` is the coordinator, architecture section 3)."""
    interval = getattr(entry.runtime_data, "update_interval", None)
    if not isinstance(interval, timedelta):
        raise RuntimeError("entry.runtime_data has no update_interval: adapt the benchmark")
    return interval


@callback
def fire_time_changed(hass: HomeAssistant, seconds: float, owner: object) -> int:
    """Let ``seconds`` pass for the scheduler of ``owner`` (the coordinator): run its loop
    timers due by then (its next poll is a ``loop.call_at`` timer).

    What ``pytest_homeassistant_custom_component.common.async_fire_time_changed`` does, for one
    owner's timers and without its ``mock.patch`` of the time tracker per timer (about 0.2 ms of
    CPU per timer, which would be counted as Home Assistant's). Only that owner's: the timeouts
    of requests under way are loop timers too (the event channel's long poll may wait 45 s,
    aiohttp's connect and read timeouts), and running them early would fail requests that a
    real Home Assistant lets finish. Returns how many timers ran.
    """
    loop = hass.loop
    due = loop.time() + seconds
    ran = 0
    for handle in list(get_scheduled_timer_handles(loop)):
        callback_owner = getattr(handle._callback, "__self__", None)
        if callback_owner is owner and not handle.cancelled() and handle.when() <= due:
            handle._run()  # what the test helper does
            handle.cancel()
            ran += 1
    return ran


# --- one row ---------------------------------------------------------------------------------


@dataclass
class PollSample:
    wall_s: float
    cpu_s: float
    http_requests: int
    subrequests: int
    device_cpu_s: float
    bytes_out: int
    calls_by_interface: dict[str, int]
    state_changed: int
    state_reported: int
    writes: int
    changed_ids: int
    ok: bool
    write_cpu_s: float = 0.0


class Row:
    """The measurements of one installation at one device speed."""

    def __init__(
        self,
        hass: HomeAssistant,
        emu: EmulatorProcess,
        topology: BenchTopology,
        speed: str,
        args: argparse.Namespace,
    ) -> None:
        self.hass = hass
        self.emu = emu
        self.topology = topology
        self.speed = speed
        self.args = args
        self.tracker = StateTracker(hass)
        self.entry: ConfigEntry | None = None
        self.entity_ids: list[str] = []
        self.interval = timedelta(seconds=30)
        self.first_stats: dict[str, Any] = {}
        self.first_time = 0.0
        self.result: dict[str, Any] = {
            "topology": topology.name,
            "description": topology.description,
            "device_speed": speed,
            "units": topology.units,
            "outlets": topology.units * topology.outlets,
            "peripherals": topology.peripherals,
            "tls": True,
        }
        self.warnings: list[str] = []

    # setup ------------------------------------------------------------------------------------

    async def setup(self) -> bool:
        """The config flow as a user goes through it; False when the PDU never set up."""
        hass = self.hass
        emu_info = self.emu.info
        flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        user_input = {
            CONF_HOST: f"{emu_info['host']}:{emu_info['port']}",
            CONF_SSL: True,
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
            CONF_VERIFY_SSL: True,
        }
        before = await self.emu.stats()
        start = time.perf_counter()
        deadline = start + self.args.setup_timeout
        result = await hass.config_entries.flow.async_configure(flow["flow_id"], user_input)
        trusted = False
        if result["type"] is FlowResultType.FORM and result["step_id"] == "trust_certificate":
            # Tick "Trust this certificate" (every checkbox of the form).
            trust = {str(key): True for key in result["data_schema"].schema}
            result = await hass.config_entries.flow.async_configure(flow["flow_id"], trust)
            trusted = True
        self.result["certificate_trusted"] = trusted
        if result["type"] is not FlowResultType.CREATE_ENTRY:
            self.result["setup_error"] = f"config flow: {result.get('errors') or result}"
            return False
        entry: ConfigEntry = result["result"]
        self.entry = entry
        wake = self.tracker.wake
        unsubscribe = entry.async_on_state_change(wake.set)
        try:
            # The first setup attempt ends as LOADED, or as SETUP_RETRY (then HA retries).
            pending = (ConfigEntryState.NOT_LOADED, ConfigEntryState.SETUP_IN_PROGRESS)
            await wait_until(lambda: entry.state not in pending, wake, deadline)
            state = entry.state
            self.result["setup_first_try"] = state is ConfigEntryState.LOADED
            self.result["setup_first_state"] = state.value
            if state is not ConfigEntryState.LOADED:
                self.result["setup_first_reason"] = entry.reason or state.value
            await wait_until(lambda: entry.state is ConfigEntryState.LOADED, wake, deadline)
        finally:
            unsubscribe()
        if entry.state is not ConfigEntryState.LOADED:
            delta = stats_delta(await self.emu.stats(), before)
            self.result["setup_http_requests"] = delta["http_requests"]
            self.result["setup_subrequests"] = delta["subrequests"]
            first = self.result.get("setup_first_reason")
            self.result["setup_error"] = (
                f"not loaded after {self.args.setup_timeout:.0f} s (first attempt: {first};"
                f" now: {entry.state.value})"
            )
            return False
        await hass.async_block_till_done()
        self.entity_ids, disabled = enabled_entities(hass, entry)
        self.result["entities"] = len(self.entity_ids)
        self.result["entities_disabled"] = disabled
        done = await self.tracker.wait_available(self.entity_ids, deadline)
        after = await self.emu.stats()
        delta = stats_delta(after, before)
        self.result["setup_http_requests"] = delta["http_requests"]
        self.result["setup_subrequests"] = delta["subrequests"]
        self.result["setup_structure_calls"] = delta["structure_calls"]
        if done is None:
            missing = self.tracker.missing(self.entity_ids)
            self.result["setup_error"] = (
                f"{len(missing)} entities not available after {self.args.setup_timeout:.0f} s"
                f" (e.g. {', '.join(missing[:3])})"
            )
            return False
        self.result["setup_s"] = round(done - start, 3)
        self.interval = coordinator_interval(entry)
        self.result["poll_interval_s"] = self.interval.total_seconds()
        return True

    # polls ------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def interval_apart(self) -> AsyncIterator[None]:
        """The device's clock stands still but for ``poll(advance=True)``, which moves it on by
        one interval before the poll: every poll reads what a real one reads 30 s after the one
        before (every noisy reading and energy counter moved), also at instant speed, where
        back-to-back polls in the same second would read unchanged values."""
        await self.emu.command("clock", mode="freeze")
        try:
            yield
        finally:
            await self.emu.command("clock", mode="run")

    async def poll(
        self, profiler: CpuProfiler | None = None, *, advance: bool = False
    ) -> PollSample:
        """One scheduled poll: move time forward by the interval, as the scheduler sees it
        (``advance``: the device's frozen clock too, see :meth:`interval_apart`)."""
        hass = self.hass
        if advance:
            await self.emu.command("clock", mode="advance", seconds=self.interval.total_seconds())
        before = await self.emu.stats()
        changed0, reported0, writes0 = self.tracker.counters()
        self.tracker.changed_ids = set()
        harness0, write_cpu0 = self.tracker.harness_cpu_s, self.tracker.write_cpu()
        cpu0 = time.process_time()
        start = time.perf_counter()
        if profiler is not None:
            profiler.__enter__()
        # The coordinator schedules its poll up to 1 s after the interval (whole second +
        # a fixed fraction).
        assert self.entry is not None
        fire_time_changed(hass, self.interval.total_seconds() + 1, self.entry.runtime_data)
        await hass.async_block_till_done(wait_background_tasks=True)
        if profiler is not None:
            profiler.__exit__()
        wall = time.perf_counter() - start
        # without the tracker's own listeners (counting the state changes is not HA's work)
        cpu = time.process_time() - cpu0 - (self.tracker.harness_cpu_s - harness0)
        after = await self.emu.stats()
        delta = stats_delta(after, before)
        changed1, reported1, writes1 = self.tracker.counters()
        return PollSample(
            wall_s=wall,
            cpu_s=cpu,
            http_requests=delta["http_requests"],
            subrequests=delta["subrequests"],
            device_cpu_s=delta["device_cpu_s"],
            bytes_out=delta["bytes_out"],
            calls_by_interface=delta["calls_by_interface"],
            state_changed=changed1 - changed0,
            state_reported=reported1 - reported0,
            writes=writes1 - writes0,
            changed_ids=len(self.tracker.changed_ids),
            ok=not self.tracker.missing(self.entity_ids),
            write_cpu_s=self.tracker.write_cpu() - write_cpu0,
        )

    async def polls(self) -> None:
        """Scheduled polls with the device's clock running: what every poll costs."""
        # Home Assistant saves its registries 10 s (real time) after their last change: a
        # one-off write of every registry entry after setup that must not land in a measured
        # poll.
        await asyncio.sleep(self.args.settle)
        await self.poll()  # the poll that setup scheduled
        async with self.interval_apart():
            samples = [await self.poll(advance=True) for _ in range(self.args.polls)]
        walls = [s.wall_s for s in samples]
        self.result["polls_measured"] = len(samples)
        self.result["polls_failed"] = sum(not s.ok for s in samples)
        self.result["http_requests_per_poll"] = statistics.mean(s.http_requests for s in samples)
        self.result["subrequests_per_poll"] = statistics.mean(s.subrequests for s in samples)
        self.result["poll_wall_ms"] = round(statistics.median(walls) * 1000, 1)
        self.result["poll_wall_ms_max"] = round(max(walls) * 1000, 1)
        self.result["device_busy_fraction"] = round(
            statistics.median(walls) / self.interval.total_seconds(), 4
        )
        self.result["ha_cpu_ms_per_poll"] = round(
            statistics.median(s.cpu_s for s in samples) * 1000, 1
        )
        # Without the profiler: Home Assistant's state writes, timed around each write.
        writes_ms = statistics.median(s.write_cpu_s for s in samples) * 1000
        self.result["ha_cpu_ms_state_writes_unprofiled"] = round(writes_ms, 1)
        if self.result["ha_cpu_ms_per_poll"]:
            self.result["outside_state_writes_share_unprofiled"] = round(
                1 - writes_ms / self.result["ha_cpu_ms_per_poll"], 4
            )
        self.result["emulator_cpu_ms_per_poll"] = round(
            statistics.median(s.device_cpu_s for s in samples) * 1000, 1
        )
        self.result["poll_response_kb"] = round(
            statistics.mean(s.bytes_out for s in samples) / 1024, 1
        )
        self.result["poll_calls_by_interface"] = samples[-1].calls_by_interface
        self.result["state_writes_per_poll"] = statistics.mean(s.writes for s in samples)
        last_bulk = await self.emu.command("last_bulk")
        self.result["integration_reads"] = self.naive_equivalent(last_bulk)

    def naive_equivalent(self, reads: list[Any]) -> list[Any]:
        """What a naive client sends to learn what a poll of ``reads`` told the integration: the
        same reads, but each outlet state that an event channel fed (``pollEventsNb``, a
        channel the naive client does not have) read with ``Outlet.getState``."""
        assert self.entry is not None
        feeds = self.entry.runtime_data.feeds
        fed = sorted(rid for pdu_id in feeds.covered() for rid in feeds.outlets(pdu_id))
        get_state = {"jsonrpc": "2.0", "method": "getState", "params": {}, "id": 1}
        kept = [read for read in reads if read[1].get("method") != "pollEventsNb"]
        return kept + [[rid, dict(get_state)] for rid in fed]

    async def profile(self) -> None:
        """More polls under cProfile: who spends the CPU time of a poll (by default one cycle of
        the cadence, so that the poll with the slow values counts as often as it runs)."""
        profiler = CpuProfiler()
        count = self.args.profile_polls
        # The full collection that setup's millions of new objects have made due would land in
        # one of these polls (a third of their CPU time): it runs now. The polls' own
        # allocations still trigger the collections they cause.
        gc.collect()
        async with self.interval_apart():
            for _ in range(count):
                await self.poll(profiler, advance=True)
        stats = profiler.stats()
        if self.args.pstats:
            profiler.profile.dump_stats(self.args.pstats)
        seconds = split(stats, profiler.gc_seconds)
        # The harness's own work (the timer firing, counting writes) is not Home Assistant's.
        harness = seconds.pop(BENCH) + seconds.pop(EMULATOR)
        total = sum(seconds.values()) or 1.0
        self.result["cpu_harness_percent_of_profile"] = round(harness / (total + harness) * 100, 1)
        per_poll = self.result["ha_cpu_ms_per_poll"]
        self.result["cpu_split_percent"] = {
            name: round(value / total * 100, 1) for name, value in seconds.items()
        }
        integration = sum(seconds[b] for b in INTEGRATION_BUCKETS) / total
        ha_writes = (seconds[HA_CORE] + seconds[HA_ENTITY]) / total
        ha = sum(seconds[b] for b in HA_BUCKETS) / total
        self.result["integration_cpu_share"] = round(integration, 4)
        self.result["ha_cpu_ms_integration"] = round(per_poll * integration, 1)
        self.result["ha_cpu_ms_state_writes"] = round(per_poll * ha_writes, 1)
        self.result["ha_cpu_ms_ha"] = round(per_poll * ha, 1)
        self.result["ha_cpu_ms_gc"] = round(per_poll * seconds[GC] / total, 1)
        self.result["gc_collections_profiled"] = profiler.gc_collections
        self.result["profile_polls"] = count
        self.result["profile_top"] = top_functions(stats, count, gc_seconds=profiler.gc_seconds)

    def next_poll_full(self) -> None:
        """The coordinator's next poll reads the slow values too (its cadence counter)."""
        assert self.entry is not None
        self.entry.runtime_data._polls_since_slow = SLOW_POLL_EVERY

    async def state_writes(self) -> None:
        """An unchanged poll (device clock still) and a changed one (clock moved on)."""
        await self.emu.command("clock", mode="freeze")
        try:
            # Both polls read everything, the slow values too (energy, voltage: every
            # SLOW_POLL_EVERY-th poll otherwise), so that a slow value that moved before the
            # clock stopped cannot count as a change of the unchanged poll.
            self.next_poll_full()
            await self.poll()  # reads the values at the frozen instant
            self.next_poll_full()
            unchanged = await self.poll()  # reads them again: nothing changed
            await self.emu.command("clock", mode="advance", seconds=self.interval.total_seconds())
            changed = await self.poll()
        finally:
            await self.emu.command("clock", mode="run")
        if unchanged.state_changed:
            # Today's entities change state only when a value changed: the device's clock
            # did not stand still (emu.freeze(), see emulator_proc).
            self.warnings.append(
                f"bench: {unchanged.state_changed} states changed in the unchanged poll"
            )
        self.result["state_writes_unchanged_poll"] = unchanged.writes
        self.result["state_changed_unchanged_poll"] = unchanged.state_changed
        self.result["state_reported_unchanged_poll"] = unchanged.state_reported
        self.result["entities_changed_in_unchanged_poll"] = unchanged.changed_ids
        self.result["state_writes_changed_poll"] = changed.writes
        self.result["ha_cpu_ms_unchanged_poll"] = round(unchanged.cpu_s * 1000, 1)
        self.result["ha_cpu_ms_changed_poll"] = round(changed.cpu_s * 1000, 1)
        self.result["state_changed_changed_poll"] = changed.state_changed
        self.result["entities_changed_in_changed_poll"] = changed.changed_ids

    # switching --------------------------------------------------------------------------------

    async def switch(self) -> None:
        """Switch outlet 1 of the primary unit through the service, as the dashboard does."""
        hass = self.hass
        serial = self.emu.info["serials"][0]
        entity_id = er.async_get(hass).async_get_entity_id(
            "switch", DOMAIN, f"{serial}_outlet_1_switch"
        )
        if entity_id is None or (state := hass.states.get(entity_id)) is None:
            self.result["switch_error"] = "no switch for outlet 1"
            return
        target = "off" if state.state == "on" else "on"
        seen: list[float] = []
        shown = asyncio.Event()

        @callback
        def on_change(event: Event[Any]) -> None:
            new = event.data["new_state"]
            if event.data["entity_id"] == entity_id and new is not None and new.state == target:
                seen.append(time.perf_counter())
                shown.set()

        unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
        before = await self.emu.stats()
        writes0 = self.tracker.writes
        start = time.perf_counter()
        try:
            await hass.services.async_call(
                "switch", f"turn_{target}", {"entity_id": entity_id}, blocking=True
            )
            returned = time.perf_counter()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(shown.wait(), 60)
        finally:
            unsubscribe()
        after = await self.emu.stats()
        device_state = await self.emu.command("outlet", unit=0, index=0)
        self.result["switch_service"] = f"switch.turn_{target}"
        self.result["switch_http_requests"] = stats_delta(after, before)["http_requests"]
        self.result["switch_subrequests"] = stats_delta(after, before)["subrequests"]
        self.result["switch_to_state_ms"] = round((seen[0] - start) * 1000, 1) if seen else None
        self.result["switch_state_before_return"] = bool(seen) and seen[0] <= returned
        self.result["switch_state_writes"] = self.tracker.writes - writes0
        self.result["switch_device_state_ok"] = device_state == (1 if target == "on" else 0)

    # restart ----------------------------------------------------------------------------------

    async def restart(self) -> None:
        """Unload the entry and set it up again in the same Home Assistant."""
        hass = self.hass
        assert self.entry is not None
        await hass.config_entries.async_unload(self.entry.entry_id)
        await hass.async_block_till_done()
        self.tracker.available_since.clear()
        before = await self.emu.stats()
        start = time.perf_counter()
        await hass.config_entries.async_setup(self.entry.entry_id)
        done = await self.tracker.wait_available(self.entity_ids, start + self.args.setup_timeout)
        await hass.async_block_till_done()
        delta = stats_delta(await self.emu.stats(), before)
        self.result["restart_s"] = round(done - start, 3) if done is not None else None
        self.result["restart_http_requests"] = delta["http_requests"]
        self.result["restart_subrequests"] = delta["subrequests"]
        self.result["restart_discovery_calls"] = delta["structure_calls"]
        self.result["restart_full_rediscovery"] = (
            delta["structure_calls"] >= 0.9 * self.result["setup_structure_calls"] > 0
        )

    async def unload(self) -> None:
        if self.entry is not None and self.entry.state is not ConfigEntryState.NOT_LOADED:
            await self.hass.config_entries.async_remove(self.entry.entry_id)
            await self.hass.async_block_till_done()

    # naive client -----------------------------------------------------------------------------

    async def naive(self) -> None:
        """The naive client on the same device, after the integration stopped polling: the
        integration's last poll (``naive_poll``), then every reading (``naive_all``)."""
        reads = self.result.pop("integration_reads", None)
        if reads:
            await self._naive("naive_poll", "naive_ratio", reads)
        await self._naive("naive_all", "naive_all_ratio", await self.emu.command("all_reads"))

    async def _naive(self, key: str, ratio_key: str, reads: list[Any]) -> None:
        naive = await naive_read(
            self.emu.url, reads, USERNAME, PASSWORD, max_calls=self.args.naive_sample
        )
        self.result[key] = naive.as_dict()
        self.result[f"{key}_wall_ms"] = round(naive.wall_s * 1000, 1)
        if ours := self.result.get("poll_wall_ms"):
            self.result[ratio_key] = round(naive.wall_s * 1000 / ours, 1)

    # pushed events -----------------------------------------------------------------------------

    async def push(self) -> None:
        """An outlet switched at the PDU (its display): time until Home Assistant shows it
        without a poll (the entry's event channel), and what the channel cost over the run."""
        hass = self.hass
        serial = self.emu.info["serials"][0]
        entity_id = er.async_get(hass).async_get_entity_id(
            "switch", DOMAIN, f"{serial}_outlet_1_switch"
        )
        if entity_id is None or (state := hass.states.get(entity_id)) is None:
            return
        target = "off" if state.state == "on" else "on"
        for _ in range(500):  # the long poll waits on the device
            if (await self.emu.stats())["events"]["long_polls_waiting"]:
                break
            await asyncio.sleep(0.01)
        shown = asyncio.Event()
        seen: list[float] = []

        @callback
        def on_change(event: Event[Any]) -> None:
            new = event.data["new_state"]
            if event.data["entity_id"] == entity_id and new is not None and new.state == target:
                seen.append(time.perf_counter())
                shown.set()

        unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
        before = await self.emu.stats()
        start = time.perf_counter()
        try:
            await self.emu.command("outlet", unit=0, index=0, set=1 if target == "on" else 0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(shown.wait(), 10)
        finally:
            unsubscribe()
        delta = stats_delta(await self.emu.stats(), before)
        self.result["push_to_state_ms"] = round((seen[0] - start) * 1000, 1) if seen else None
        self.result["push_poll_requests"] = delta["http_requests"]
        push = self.entry.runtime_data.push_stats if self.entry is not None else {}
        self.result["push_channels"] = push.get("channels", 0)
        self.result["push_events"] = push.get("events", 0)
        run = stats_delta(await self.emu.stats(), self.first_stats)
        self.result["long_polls"] = run["long_polls"]
        self.result["long_poll_run_s"] = round(time.perf_counter() - self.first_time, 1)

    async def run(self) -> dict[str, Any]:
        steps = [
            self.polls,
            self.profile,
            self.state_writes,
            self.switch,
            self.push,
            self.restart,
        ]
        started = time.perf_counter()
        self.first_stats = await self.emu.stats()
        self.first_time = time.perf_counter()
        try:
            if await self.setup():
                for step in steps:
                    _LOGGER.info("%s/%s: %s", self.topology.name, self.speed, step.__name__)
                    await step()
        finally:
            await self.unload()
        await self.naive()
        self.result["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        self.result["row_runtime_s"] = round(time.perf_counter() - started, 1)
        self.result["warnings"] = self.warnings[:10]
        self.result["warning_count"] = len(self.warnings)
        return self.result


class _WarningCollector(logging.Handler):
    """Keeps the warnings and errors logged while a row runs (they explain failures)."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.name}: {record.getMessage()}"[:300])


async def run_row(topology: BenchTopology, speed: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start the emulator and Home Assistant, measure, stop both."""
    config = topology.emulator_config(speed)
    if args.outlet_groups:
        config["outlet_groups"] = args.outlet_groups
    emu = EmulatorProcess(config)
    await emu.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-ha-") as config_dir,
            # As HA's test plugin does: a plain DNS resolver instead of one with mDNS
            # (which needs zeroconf and the network integration; the PDU is an IP address).
            patch(
                "homeassistant.helpers.aiohttp_client._async_make_resolver",
                return_value=AsyncResolver(),
            ),
        ):
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                # What pytest's enable_custom_integrations fixture does: find custom_components/.
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
                row = Row(hass, emu, topology, speed, args)
                handler = _WarningCollector(row.warnings)
                logging.getLogger().addHandler(handler)
                row.tracker.install()
                try:
                    return await row.run()
                finally:
                    logging.getLogger().removeHandler(handler)
                    await hass.async_stop(force=True)
    finally:
        await emu.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topology", required=True, choices=sorted(TOPOLOGIES))
    parser.add_argument("--device-speed", required=True, choices=("instant", "px3"))
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--profile-polls", type=int, default=SLOW_POLL_EVERY)
    parser.add_argument("--setup-timeout", type=float, default=150.0)
    parser.add_argument("--naive-sample", type=int, default=200)
    parser.add_argument("--settle", type=float, default=11.0, help="wait after setup (s)")
    parser.add_argument("--outlet-groups", type=int, default=0, help="outlet groups on the PDU")
    parser.add_argument("--out", required=True, help="write the row (JSON) here")
    parser.add_argument(
        "--pstats", help="also save the profiled polls' cProfile statistics here (pstats)"
    )
    return parser.parse_args(argv)


def _hass_loop() -> asyncio.AbstractEventLoop:
    """An event loop configured as Home Assistant's own (executor, exception handler).

    HA 2026 builds it with ``runner.create_event_loop``; 2025.4 with its event loop policy.
    """
    create = getattr(ha_runner, "create_event_loop", None)
    if create is not None:
        loop: asyncio.AbstractEventLoop = create(False)
        return loop
    return ha_runner.HassEventLoopPolicy(False).new_event_loop()  # HA 2025.4


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
    _LOGGER.setLevel(logging.INFO)
    result = asyncio.run(
        run_row(TOPOLOGIES[args.topology], args.device_speed, args), loop_factory=_hass_loop
    )
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
