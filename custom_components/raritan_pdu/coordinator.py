"""Data update coordinator: the topology and one /bulk request per poll, merged per resource id.

* Topology: from Home Assistant's storage when the entry has one (checked with one small request
  at setup), else discovered. It is rediscovered beside the polls (a background task, never inside
  a poll): every ``TOPOLOGY_REFRESH_INTERVAL``, when the link status read with every poll changed,
  when polled resource ids are unknown (a reboot) and while a link unit is unreachable, never
  more often than a doubling backoff allows when discoveries fail.
* Polling: the resource ids registered by entities, fast values in every poll and slow ones
  (``SLOW_FIELDS``) every ``SLOW_POLL_EVERY``-th, in ONE HTTP request. ``coordinator.data`` is
  the merged :class:`~.xerus.Readings` (a slow value keeps its last reading between its reads);
  the listeners of a resource id are called only when its reading changed, so an unchanged
  poll costs no state write. Polls never overlap, and a command's confirming read is never
  overwritten by a poll that was already under way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import statistics
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    AUTH_FAILURES_TO_REAUTH,
    DOMAIN,
    LOGGER,
    OWN_SETTINGS_ECHO_WINDOW,
    POLL_BUSY_FRACTION,
    POLL_INTERVAL_STEP,
    POLL_LONGEST_FRACTION,
    REGISTRATION_REFRESH_DELAY,
    SCAN_INTERVAL,
    SLOW_FIELDS,
    SLOW_POLL_EVERY,
    TOPOLOGY_MIN_AGE,
    TOPOLOGY_REFRESH_INTERVAL,
    TOPOLOGY_RETRY_INTERVAL,
    TOPOLOGY_RETRY_MAX,
)
from .privileges import AccountAccess
from .storage import RaritanStore
from .xerus import (
    CascadeStatus,
    Event,
    LinkUnitStatus,
    NumericReading,
    NumericStateChanged,
    OutletFeeds,
    OutletState,
    OutletStateChanged,
    PollResult,
    ReadingPlan,
    Readings,
    ReadKind,
    ReadTarget,
    SequenceState,
    StateChanged,
    StateReading,
    Topology,
    TopologyChanged,
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusClient,
    XerusConnectionError,
    XerusError,
    XerusNotFoundError,
    XerusTimeoutError,
    XerusTlsError,
)

if TYPE_CHECKING:
    from .push import EventStream

type RaritanConfigEntry = ConfigEntry[RaritanCoordinator]

type Reading = NumericReading | StateReading | OutletState | SequenceState


class _Plan(NamedTuple):
    """A cadence's reading plan (``RaritanCoordinator._plan``)."""

    plan: ReadingPlan
    #: How many of its reads go to each unit.
    units: Counter[int]
    #: The units whose outlet states it reads.
    outlet_units: frozenset[int]
    #: The units whose outlet states it leaves to their event channel (``feeds``).
    covered: frozenset[int]


class RaritanCoordinator(DataUpdateCoordinator[Readings]):
    """Keeps the topology of a primary unit (and its link units) and polls what entities need."""

    config_entry: RaritanConfigEntry
    topology: Topology

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RaritanConfigEntry,
        client: XerusClient,
        store: RaritanStore,
    ) -> None:
        """Initialise the coordinator (no I/O)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.data[CONF_HOST]}",
            update_interval=SCAN_INTERVAL,
            # Listeners are called per resource id (``_async_refresh_finished``); all of them
            # only when the success of the polls changes.
            always_update=False,
        )
        self.client = client
        self.store = store
        #: What the PDU account may do, and the controls left out for it (``privileges.py``).
        self.access = AccountAccess(client)
        #: The merged readings of every poll and command (changed in place, never replaced).
        self.data = Readings()
        # What the entities need.
        self._rid_refs: Counter[str] = Counter()
        self._rid_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # Listeners told only when a reading's threshold state changed (the alarms).
        self._threshold_listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # Per batch listener, its members per resource id (async_register_batched_rids).
        self._batches: dict[Callable[[Iterable[Any]], None], dict[str, list[Any]]] = {}
        self._missing: set[str] = set()
        # Per cadence (full or fast): the plan and how many of its reads go to each unit.
        self._plans: dict[bool, _Plan] = {}
        #: Outlet states from event channels drained in the polls (``xerus.feeds``).
        self.feeds = OutletFeeds()
        self._feeds_task: asyncio.Task[None] | None = None
        self._started = False
        # The topology.
        self._rid_unit: dict[str, int] = {}
        self._slow: frozenset[str] = frozenset()
        self._topology_listeners: list[CALLBACK_TYPE] = []
        self._topology_time = 0.0
        self._topology_verified = False
        self._check_pending = False
        self._topology_task: asyncio.Task[None] | None = None
        self._topology_failures = 0
        self._topology_retry_at = 0.0
        # Unknown resource ids that started a rediscovery, and those a rediscovery kept (the
        # device lists them but does not answer for them): no reason to rediscover again.
        self._unknown_rids: set[str] = set()
        self._unknown_after_discovery: set[str] = set()
        # Polls and commands.
        self._lock = asyncio.Lock()
        self._polls_since_slow = SLOW_POLL_EVERY
        self._changed: set[str] = set()
        self._threshold_changed: set[str] = set()
        self._seq = 0
        self._commanded: dict[str, int] = {}
        self._units_down: set[int] = set()
        self._durations: deque[float] = deque(maxlen=SLOW_POLL_EVERY)
        self._stretch_logged = False
        # Pushed events (``push.py``): the entry's stream, what it cost, who listens.
        self.push: EventStream | None = None
        self.push_stats: Counter[str] = Counter()
        self._event_listeners: list[Callable[[Event], None]] = []
        # Objects whose settings this integration wrote: until when their settings events are
        # the echo of that write (monotonic time).
        self._own_settings: dict[str, float] = {}
        self._registration_debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=REGISTRATION_REFRESH_DELAY,
            immediate=False,
            function=self.async_refresh,
        )

    # ------------------------------------------------------------------ topology

    async def _async_setup(self) -> None:
        """The topology: the stored one (after one small request to the device), else discover.

        A discovery that failed although the device answered is not repeated before the
        backoff of the entry's store allows (Home Assistant retries a setup every few seconds).
        """
        store = self.store
        await store.async_load()
        if store.topology is not None:
            age = time.time() - (store.discovered_at or 0.0)
            self._set_topology(store.topology, age=age, verified=False)
            await self._async_check_device()
            primary = store.topology.primary
            if primary.identity.has_switchable_outlets and not primary.power_settings.raw:
                # Stored by a version without the power features (#9): no groups or settings.
                self._start_topology_refresh("the stored topology has no power settings")
            return
        if store.discovery_failures:
            await self._async_check_device()
            if (wait := store.discovery_wait) > 0:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="discovery_backoff",
                    translation_placeholders={"seconds": str(math.ceil(wait))},
                )
        topology = await self._async_discover()
        self._set_topology(topology, age=0.0, verified=True)
        store.async_set_topology(topology, self.client.timing)

    async def _async_check_device(self) -> None:
        """One small request: the device answers and accepts the credentials, and the topology
        still matches it (else it is rediscovered in the background)."""
        topology: Topology | None = getattr(self, "topology", None)
        try:
            if topology is None:
                await self.client.poll(ReadingPlan(()), with_cascade=True)
                cascade = None
            else:
                cascade = (await self._async_poll(ReadingPlan(()), topology, ())).cascade
        except XerusError as err:
            raise self._translate_error(err) from err
        self.store.auth_failures = 0
        if cascade is not None:
            self._check_cascade(cascade)

    async def _async_poll(
        self, plan: ReadingPlan, check: Topology | None, channels: tuple[str, ...]
    ) -> PollResult:
        """One request: the plan, the link status, the event channels that feed outlet states
        (``channels``, drained last) and, with ``check``, the library's cheap check
        (``poll(check=)``) of that topology, which notices a reboot, a sensor package plugged in
        or out and link units added, released or swapped."""
        if check is not None:
            result = await self.client.poll(plan, check=check, channels=channels)
            if result.changes:
                self._start_topology_refresh(f"the topology changed: {'; '.join(result.changes)}")
            self._check_pending = False
            return result
        if not self.topology.link_status:
            if not channels:
                return PollResult(await self.client.poll(plan), None)
            return await self.client.poll(plan, channels=channels)
        # A primary unit with link units: the same request also asks for the link status, so
        # a link unit that fails, comes back, is added or is released is noticed at once.
        return await self.client.poll(plan, with_cascade=True, channels=channels)

    async def _async_discover(self) -> Topology:
        try:
            return await self.client.discover()
        except XerusError as err:
            if _is_expensive(err):
                self.store.async_discovery_failed()
            raise self._translate_error(err) from err

    def _set_topology(self, topology: Topology, *, age: float, verified: bool) -> None:
        self.topology = topology
        self._topology_time = time.monotonic() - age
        self._topology_verified = verified
        self._check_pending = not verified
        rid_unit: dict[str, int] = {}
        slow: set[str] = set()
        for unit in topology.units:
            for sensor in unit.iter_sensors():
                rid_unit[sensor.rid] = unit.pdu_id
                if sensor.key in SLOW_FIELDS:
                    slow.add(sensor.rid)
            for outlet in unit.outlets:
                rid_unit[outlet.rid] = unit.pdu_id
            for target in (ReadTarget.load_shedding(unit), ReadTarget.sequence(unit)):
                rid_unit[target.rid] = unit.pdu_id
        self._rid_unit, self._slow = rid_unit, frozenset(slow)
        self._plans.clear()
        self.feeds.set_topology(topology)
        # Readings of resource ids the topology no longer has (a reboot renamed them).
        data = self.data
        for readings in (data.numeric, data.states, data.outlets, data.errors, data.sequences):
            for rid in [rid for rid in readings if rid not in rid_unit]:
                del readings[rid]
        if verified:
            for pdu_id in topology.unavailable - self._units_down:
                self._units_down.add(pdu_id)
                LOGGER.warning(
                    "Link unit %s of %s is not reachable", pdu_id, self.config_entry.title
                )

    def _topology_age(self) -> float:
        return time.monotonic() - self._topology_time

    def _maybe_refresh_topology(self) -> None:
        age = self._topology_age()
        if age >= TOPOLOGY_REFRESH_INTERVAL.total_seconds():
            self._start_topology_refresh("scheduled refresh")
        elif self.topology.unavailable and age >= TOPOLOGY_RETRY_INTERVAL.total_seconds():
            self._start_topology_refresh("a link unit is unreachable")

    @callback
    def _start_topology_refresh(self, reason: str) -> bool:
        """Rediscover beside the polls (unless one runs, or failures asked to wait)."""
        if self._topology_task is not None and not self._topology_task.done():
            return True
        if time.monotonic() < self._topology_retry_at:
            return False
        LOGGER.debug("Rediscovering %s: %s", self.config_entry.title, reason)
        self._topology_task = self.config_entry.async_create_background_task(
            self.hass, self._async_topology_refresh(), f"{self.name} topology refresh"
        )
        return True

    async def _async_topology_refresh(self) -> None:
        asked = set(self._unknown_rids)  # the unknown ids this discovery is for
        try:
            topology = await self.client.discover()
        except XerusError as err:
            self._topology_failures += 1
            delay = min(
                TOPOLOGY_RETRY_INTERVAL.total_seconds() * 2 ** (self._topology_failures - 1),
                TOPOLOGY_RETRY_MAX.total_seconds(),
            )
            self._topology_retry_at = time.monotonic() + delay
            LOGGER.debug(
                "Rediscovering %s failed, keeping the known topology for %.0f s: %s",
                self.config_entry.title,
                delay,
                err,
            )
            return
        self._topology_failures, self._topology_retry_at = 0, 0.0
        async with self._lock:
            before = self._available_units()
            self._apply_topology(topology)
            back = self._available_units() - before
            rid_unit = self._rid_unit
            self._unknown_rids = {rid for rid in self._unknown_rids - asked if rid in rid_unit}
            self._unknown_after_discovery = {
                rid for rid in self._unknown_after_discovery | asked if rid in rid_unit
            }
        if self._started and (self._missing or back):
            # Entities moved to resource ids without readings (a reboot renamed them), or a
            # link unit is back: read them now, not at the next scheduled poll.
            self._registration_debouncer.async_cancel()
            await self.async_refresh()

    def _available_units(self) -> set[int]:
        return {unit.pdu_id for unit in self.topology.units if self.unit_available(unit.pdu_id)}

    @callback
    def _apply_topology(self, topology: Topology) -> None:
        """Use a newly discovered topology (keeping unreachable link units), tell listeners."""
        old = self.topology
        # A link unit that is still linked but not reachable keeps its objects, so its
        # entities stay (unavailable) instead of being removed and re-added.
        kept = {
            link_id: unit
            for link_id, unit in old.link_units.items()
            if link_id not in topology.link_units and link_id in topology.link_status
        }
        if kept:
            topology = dataclasses.replace(topology, link_units={**topology.link_units, **kept})
        self._set_topology(topology, age=0.0, verified=True)
        self.store.async_set_topology(topology, self.client.timing)
        for listener in list(self._topology_listeners):
            listener()

    @callback
    def async_add_topology_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after every topology refresh; returns the remover."""
        self._topology_listeners.append(listener)

        @callback
        def remove() -> None:
            self._topology_listeners.remove(listener)

        return remove

    def unit_available(self, pdu_id: int) -> bool:
        """Whether the unit is reachable (the primary always is while polls succeed)."""
        if pdu_id == self.topology.primary.pdu_id:
            return True
        return (
            pdu_id in self.topology.link_units
            and pdu_id not in self.topology.unavailable
            and self.topology.link_status.get(pdu_id) == LinkUnitStatus.OK
        )

    # ------------------------------------------------------------------ registration

    @callback
    def async_register_rids(
        self,
        rids: Iterable[str],
        listener: CALLBACK_TYPE | None = None,
        *,
        thresholds_only: bool = False,
    ) -> CALLBACK_TYPE:
        """Add resource ids to the poll; ``listener`` is called when one of their readings
        changed (``thresholds_only``: only when a reading's threshold state changed, what an
        alarm shows, not with every new value). Returns the callable that removes them again.

        Called by every entity in ``async_added_to_hass``: disabled entities are never
        added, so they cost nothing. Ids without data yet trigger one (debounced) refresh.
        """
        listeners = self._threshold_listeners if thresholds_only else self._rid_listeners
        return self._register(list(rids), listener, listeners)

    @callback
    def async_register_batched_rids(
        self, rids: Iterable[str], member: object, batch: Callable[[Iterable[Any]], None]
    ) -> CALLBACK_TYPE:
        """:meth:`async_register_rids` for entities told together: when readings changed,
        ``batch`` is called once with every ``member`` one of whose readings changed (the
        numeric sensors: a poll of a large stack changes hundreds of them)."""
        return self._register(list(rids), member, self._batches.setdefault(batch, {}))

    def _register(
        self, rid_list: list[str], listener: Any, listeners: dict[str, list[Any]]
    ) -> CALLBACK_TYPE:
        missing = False
        for rid in rid_list:
            if self._rid_refs[rid] == 0:
                self._plans.clear()
                if not _has_reading(self.data, rid):
                    self._missing.add(rid)
                    missing = True
            self._rid_refs[rid] += 1
            if listener is not None:
                listeners.setdefault(rid, []).append(listener)
        if missing and self._started:
            self._registration_debouncer.async_schedule_call()

        return partial(self._unregister_rids, rid_list, listener, listeners)

    @callback
    def _unregister_rids(
        self, rids: list[str], listener: Any, listeners: dict[str, list[Any]]
    ) -> None:
        for rid in rids:
            if listener is not None:
                of_rid = listeners[rid]
                of_rid.remove(listener)
                if not of_rid:
                    del listeners[rid]
            self._rid_refs[rid] -= 1
            if self._rid_refs[rid] <= 0:
                del self._rid_refs[rid]
                self._missing.discard(rid)
                self._plans.clear()

    @property
    def registered_rids(self) -> set[str]:
        """The resource ids that entities currently need."""
        return set(self._rid_refs)

    @property
    def slow_rids(self) -> frozenset[str]:
        """The resource ids of the topology that are read on the slow cadence."""
        return self._slow

    @property
    def started(self) -> bool:
        """Whether the entities' first poll was sent (:meth:`async_start`)."""
        return self._started

    async def async_start(self) -> None:
        """Called once the platforms have added their entities: read what they need now, then
        let every entity that waited for its first reading write its state."""
        self._started = True
        if self._missing:
            await self.async_refresh()
        self.async_update_listeners()

    # ------------------------------------------------------------------ polling

    def _plan(self, full: bool) -> _Plan:
        """The plan of a cadence; a fast one leaves out the outlet states of the units whose
        event channel feeds them (``feeds``), the full one reads them too (the safety net)."""
        covered = self.feeds.covered(full=full)
        cached = self._plans.get(full)
        if cached is None or cached.covered != covered:
            primary = self.topology.primary.pdu_id
            fed = frozenset().union(*map(self.feeds.outlets, covered))
            wanted = {
                rid
                for rid in self._rid_refs
                if (full or rid not in self._slow)
                and rid not in fed
                and self.unit_available(self._rid_unit.get(rid, primary))
            }
            plan = ReadingPlan.for_topology(self.topology, rids=wanted)
            units = Counter(self._rid_unit.get(t.rid, primary) for t in plan.targets)
            outlet_units = frozenset(
                self._rid_unit.get(t.rid, primary)
                for t in plan.targets
                if t.kind is ReadKind.OUTLET
            )
            cached = self._plans[full] = _Plan(plan, units, outlet_units, covered)
        return cached

    async def _async_update_data(self) -> Readings:
        """Poll the registered resource ids in one request (slow ones every Nth poll)."""
        async with self._lock:
            self._maybe_refresh_topology()
            full = bool(self._missing) or self._polls_since_slow >= SLOW_POLL_EVERY
            plan, units, outlet_units, covered = self._plan(full)
            # The channels of the units whose outlet states entities need (those the plan
            # reads, and those it leaves to them).
            drains = self.feeds.drains(outlet_units | covered)
            if not plan and not drains:
                return self.data
            started = self._seq
            begin = time.monotonic()
            result = await self._async_read(plan, full, drains)
            self._note_duration(time.monotonic() - begin, len(plan) + len(drains))
            self.store.auth_failures = 0
            readings = result.readings
            if drains:
                fed = self.feeds.take(drains, result.events, readings, outlet_units)
                readings.outlets.update(fed)
            self._merge(readings, started)
            self._polls_since_slow = 1 if full else self._polls_since_slow + 1
            if full:
                self._missing.clear()
            self._check_units(units, readings)
            if result.cascade is not None:
                self._check_cascade(result.cascade)
            self._open_feeds(outlet_units | covered)
        return self.data

    async def _async_read(
        self, plan: ReadingPlan, full: bool, drains: tuple[tuple[int, str], ...]
    ) -> PollResult:
        # The cheap topology check rides along with the slow values (every few minutes) and
        # in the first poll of a topology from storage.
        check = self.topology if full or self._check_pending else None
        try:
            return await self._async_poll(plan, check, tuple(rid for _, rid in drains))
        except XerusError as err:
            # The device may have drained the channels before the answer was lost.
            self.feeds.lost()
            raise self._translate_error(err) from err

    def _open_feeds(self, units: frozenset[int]) -> None:
        """Open the event channels that should feed these units' outlet states (a task beside
        the polls: two requests for all units; until then, and if it fails, the states are
        read)."""
        if not self._started or (self._feeds_task is not None and not self._feeds_task.done()):
            return
        if pending := self.feeds.to_open(units):
            self._feeds_task = self.config_entry.async_create_task(
                self.hass,
                self.feeds.open(self.client, pending),
                f"{self.name} outlet event channels",
                eager_start=False,
            )

    def _merge(self, readings: Readings, started: int) -> None:
        """Take a poll's readings into ``data``, noting the resource ids whose reading changed.

        Readings of resource ids that a command confirmed after this poll started are older
        than the command's own read: they are dropped.
        """
        data, changed, thresholds = self.data, self._changed, self._threshold_changed
        skip = {rid for rid, seq in self._commanded.items() if seq > started}
        self._commanded = {rid: seq for rid, seq in self._commanded.items() if seq > started}
        errors = data.errors
        notes = _Notes(errors, changed, thresholds, skip)
        _merge_kind(data.numeric, readings.numeric, _NUMERIC_KEY, _THRESHOLD_KEY, notes)
        _merge_kind(data.states, readings.states, _STATE_KEY, None, notes)
        _merge_kind(data.outlets, readings.outlets, None, None, notes)
        _merge_kind(data.sequences, readings.sequences, None, None, notes)
        known = self._unknown_after_discovery
        if known:
            known.difference_update(readings.numeric, readings.states, readings.outlets)
        not_found = {
            rid for rid, err in readings.errors.items() if _is_not_found(err) and rid not in known
        }
        keep_old = bool(not_found) and self._rediscover_unknown_rids(not_found)
        for rid, err in readings.errors.items():
            if rid in skip or (keep_old and rid in not_found):
                continue
            if rid not in errors:
                changed.add(rid)
            errors[rid] = err
        if not not_found:
            self._topology_verified = True

    def _rediscover_unknown_rids(self, rids: set[str]) -> bool:
        """Polled resource ids are unknown to the device (it rebooted, or its firmware changed):
        rediscover. True while the last readings can stand in for them until then.

        Ids that a rediscovery found again (the device lists an object it does not answer
        for) are not: they are that entity's error, not a reason to rediscover every minute.
        """
        if self._topology_verified and self._topology_age() < TOPOLOGY_MIN_AGE.total_seconds():
            return False
        # Noted first: the discovery task starts eagerly and takes the ids it is for.
        self._unknown_rids |= rids
        return self._start_topology_refresh("unknown resource ids in the poll")

    def _check_units(self, units: Counter[int], readings: Readings) -> None:
        """Log a link unit whose every read failed (once), and when it answers again."""
        errors = readings.errors
        if not errors and not self._units_down:
            return
        primary = self.topology.primary.pdu_id
        failed: Counter[int] = Counter()
        first: dict[int, XerusError] = {}
        for rid, error in errors.items():
            if _is_not_found(error):
                continue  # stale resource ids (a reboot): rediscovered, not a unit down
            pdu_id = self._rid_unit.get(rid, primary)
            failed[pdu_id] += 1
            first.setdefault(pdu_id, error)
        for pdu_id, polled in units.items():
            if pdu_id == primary:
                continue
            if failed[pdu_id] >= polled and pdu_id not in self._units_down:
                self._units_down.add(pdu_id)
                LOGGER.warning(
                    "Link unit %s of %s does not answer: %s",
                    pdu_id,
                    self.config_entry.title,
                    first[pdu_id],
                )
                self._start_topology_refresh(f"link unit {pdu_id} does not answer")
            elif failed[pdu_id] < polled and pdu_id in self._units_down:
                self._units_down.discard(pdu_id)
                LOGGER.info("Link unit %s of %s answers again", pdu_id, self.config_entry.title)

    def _check_cascade(self, status: CascadeStatus | XerusError) -> None:
        """Rediscover when the link units differ from the topology's."""
        if isinstance(status, XerusError):
            return
        current = {link_id: int(unit.status) for link_id, unit in status.link_units.items()}
        known = {link_id: int(value) for link_id, value in self.topology.link_status.items()}
        if current != known:
            self._start_topology_refresh(f"link units changed ({known} -> {current})")

    def _note_duration(self, seconds: float, size: int) -> None:
        """Stretch the interval while polls keep the device busy for too long of it.

        The device's share is an average over a cadence cycle (one full poll with the slow
        values, ``SLOW_POLL_EVERY - 1`` fast ones), from the time per reading the polls took;
        and the longest poll must still end well inside the interval."""
        if self._topology_task is not None and not self._topology_task.done():
            return  # the poll waited for a discovery request: not its own time
        self._durations.append(seconds / max(size, 1))
        per_read = statistics.fmean(self._durations)
        full, fast = len(self._plan(True).plan), len(self._plan(False).plan)
        cycle = (full + (SLOW_POLL_EVERY - 1) * fast) / SLOW_POLL_EVERY
        needed = max(per_read * cycle / POLL_BUSY_FRACTION, per_read * full / POLL_LONGEST_FRACTION)
        step = POLL_INTERVAL_STEP.total_seconds()
        interval = max(SCAN_INTERVAL.total_seconds(), math.ceil(needed / step) * step)
        current = self.update_interval
        if current is None or interval == current.total_seconds():
            return
        self.update_interval = timedelta(seconds=interval)
        if interval == SCAN_INTERVAL.total_seconds():
            LOGGER.info(
                "%s answers fast enough again: polling every %.0f s",
                self.config_entry.title,
                interval,
            )
        elif not self._stretch_logged:
            self._stretch_logged = True
            LOGGER.warning(
                "%s needs %.1f s to answer a poll of %d readings: polling every %.0f s instead "
                "of %.0f s (disable entities you do not need to poll faster)",
                self.config_entry.title,
                per_read * full,
                full,
                interval,
                SCAN_INTERVAL.total_seconds(),
            )
        else:
            LOGGER.debug("%s: polling every %.0f s", self.config_entry.title, interval)

    @callback
    def _async_refresh_finished(self) -> None:
        """Tell the entities whose readings changed, each once however many of its readings
        changed (a unit's alarm watches a hundred), before Home Assistant tells all of them
        when the success of the polls changed."""
        changed, self._changed = self._changed, set()
        thresholds, self._threshold_changed = self._threshold_changed, set()
        # Each listener once (the list is built in C: a poll changes hundreds of RIDs).
        listeners = dict.fromkeys(
            chain.from_iterable(filter(None, map(self._rid_listeners.get, changed)))
        )
        if thresholds:
            listeners.update(
                dict.fromkeys(
                    chain.from_iterable(
                        filter(None, map(self._threshold_listeners.get, thresholds))
                    )
                )
            )
        for listener in listeners:
            listener()
        for batch, members_of in self._batches.items():
            members = dict.fromkeys(chain.from_iterable(filter(None, map(members_of.get, changed))))
            if members:
                batch(members)

    # ------------------------------------------------------------------ commands

    @callback
    def async_set_reading(self, rid: str, reading: Reading) -> None:
        """Publish a command's confirming read (or a pushed reading); a poll under way cannot
        overwrite it."""
        self._seq += 1
        self._commanded[rid] = self._seq
        data = self.data
        if isinstance(reading, OutletState):
            data.outlets[rid] = reading
        elif isinstance(reading, SequenceState):
            data.sequences[rid] = reading
        elif isinstance(reading, NumericReading):
            data.numeric[rid] = reading
        else:
            data.states[rid] = reading
        data.errors.pop(rid, None)
        self._missing.discard(rid)
        for listener in [
            *self._rid_listeners.get(rid, ()),
            *self._threshold_listeners.get(rid, ()),
        ]:
            listener()
        for batch, members_of in list(self._batches.items()):
            if members := members_of.get(rid):
                batch(list(members))

    # ------------------------------------------------------------------ pushed events

    @callback
    def async_apply_event(self, event: Event) -> None:
        """Apply an event pushed by the PDU (``push.py``), then tell the event listeners.

        An event that carries a new state updates that resource id through the ordered path
        of commands (:meth:`async_set_reading`: a poll that started before cannot overwrite
        it), unless what is shown is newer; a topology change starts a rediscovery beside the
        polls. Events of resource ids this topology does not know (a reboot renamed them) are
        ignored: the poll notices the reboot.
        """
        rid = event.source
        if isinstance(event, TopologyChanged):
            if self._is_own_settings_echo(event):
                LOGGER.debug("%s: %s echoes our own write", self.config_entry.title, event.name)
            else:
                self._start_topology_refresh(f"the PDU reported {event.name}")
        elif rid is not None and rid in self._rid_unit:
            reading = _event_reading(event)
            if reading is not None and not _is_older(reading, self._shown_reading(rid)):
                self.async_set_reading(rid, reading)
        for listener in list(self._event_listeners):
            listener(event)

    @callback
    def async_writing_settings(self, *rids: str) -> None:
        """This integration is about to write the settings of ``rids``: the settings events
        the PDU pushes for them in the next moments need no rediscovery (the write's
        confirmation updates the topology, or the command restores what was there)."""
        now = time.monotonic()
        self._own_settings = {rid: end for rid, end in self._own_settings.items() if end > now}
        for rid in rids:
            self._own_settings[rid] = now + OWN_SETTINGS_ECHO_WINDOW

    def _is_own_settings_echo(self, event: TopologyChanged) -> bool:
        """A settings event of an object whose settings we just wrote (a unit's event may
        name the unit by an address other than the well-known one we write to: any unit's
        write counts for it)."""
        if not event.name.endswith("SettingsChangedEvent") or event.source is None:
            return False
        now = time.monotonic()
        if self._own_settings.get(event.source, 0.0) > now:
            return True
        return event.name.endswith("Pdu.SettingsChangedEvent") and any(
            self._own_settings.get(unit.identity.rid, 0.0) > now for unit in self.topology.units
        )

    def _shown_reading(self, rid: str) -> Reading | None:
        data = self.data
        return data.outlets.get(rid) or data.numeric.get(rid) or data.states.get(rid)

    @callback
    def async_add_event_listener(self, listener: Callable[[Event], None]) -> CALLBACK_TYPE:
        """Call ``listener`` with every pushed event (after it was applied); returns the
        remover."""
        self._event_listeners.append(listener)
        return partial(self._event_listeners.remove, listener)

    @callback
    def async_set_topology_details(self, topology: Topology) -> None:
        """A command changed what the topology knows (settings it confirmed): the same objects
        and RIDs with new details. Kept in storage; entities re-resolve and write."""
        self.topology = topology
        discovered_at = self.store.discovered_at
        self.store.async_set_topology(topology, self.client.timing)
        self.store.discovered_at = discovered_at  # not a discovery: the age stays
        for listener in list(self._topology_listeners):
            listener()

    @callback
    def async_authentication_failed(self) -> None:
        """A command was rejected for its credentials: confirm with a poll before reauth."""
        self.store.auth_failures += 1
        if self.store.auth_failures >= AUTH_FAILURES_TO_REAUTH:
            self.config_entry.async_start_reauth(self.hass)
        else:
            self.config_entry.async_create_task(self.hass, self.async_request_refresh())

    async def async_shutdown(self) -> None:
        """Stop the pushed events and cancel pending refreshes."""
        if self.push is not None:
            await self.push.async_stop()
        self._registration_debouncer.async_shutdown()
        await super().async_shutdown()

    # ------------------------------------------------------------------ errors

    def _translate_error(self, err: XerusError) -> Exception:
        """Map a client error to what Home Assistant expects from a coordinator."""
        self.store.async_set_error(f"{type(err).__name__}: {err}")
        host = self.config_entry.data[CONF_HOST]
        if isinstance(err, XerusCertificateMismatchError) or (
            isinstance(err, XerusTlsError) and err.fingerprint
        ):
            # The pinned certificate was replaced, or a certificate that verified against
            # the CAs no longer does (e.g. the PDU was reset to its self-signed one): the
            # reauthentication flow shows the new fingerprint and pins it once trusted.
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="certificate_changed",
                translation_placeholders={"host": host, "fingerprint": err.fingerprint or "?"},
            )
        if isinstance(err, XerusAuthenticationError) and err.credentials_rejected:
            # Confirmed after several rejections in a row: attempts counted here, or requests
            # the library counted (``consecutive``, within one call and those before it).
            self.store.auth_failures += 1
            rejected = max(self.store.auth_failures, err.consecutive)
            if rejected >= AUTH_FAILURES_TO_REAUTH:
                return ConfigEntryAuthFailed(
                    translation_domain=DOMAIN,
                    translation_key="invalid_auth",
                    translation_placeholders={"host": host},
                )
            return UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="auth_rejected",
                translation_placeholders={
                    "count": str(self.store.auth_failures),
                    "limit": str(AUTH_FAILURES_TO_REAUTH),
                },
            )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="update_failed",
            translation_placeholders={"error": str(err) or type(err).__name__},
        )


def _is_expensive(err: XerusError) -> bool:
    """A failure after the device answered (it spent time on the request): back off."""
    if isinstance(err, XerusTimeoutError):
        return True
    return not isinstance(err, XerusConnectionError | XerusAuthenticationError)


def _is_not_found(err: XerusError) -> bool:
    return isinstance(err, XerusNotFoundError)


#: What of a reading is shown, compared between polls (``None``: all of it). The numeric
#: reading's every field but the timestamp: the threshold flags count, a sensor can enter a
#: warning with an unchanged value. (``attrgetter``: this compares hundreds per poll.)
_NUMERIC_KEY: Final = attrgetter(
    "value",
    "available",
    "valid",
    "above_upper_critical",
    "above_upper_warning",
    "below_lower_warning",
    "below_lower_critical",
)
_STATE_KEY: Final = attrgetter("value", "available")
#: What of a numeric reading its threshold state (``NumericReading.threshold_state``) shows.
_THRESHOLD_KEY: Final = attrgetter(
    "available",
    "above_upper_critical",
    "above_upper_warning",
    "below_lower_warning",
    "below_lower_critical",
)


class _Notes(NamedTuple):
    """What a poll's merge reads and notes (:meth:`RaritanCoordinator._merge`)."""

    errors: dict[str, XerusError]
    changed: set[str]
    thresholds: set[str]
    skip: set[str]


def _merge_kind[ReadingT: (NumericReading, StateReading, OutletState, SequenceState)](
    known: dict[str, ReadingT],
    new: dict[str, ReadingT],
    shown: Callable[[ReadingT], object] | None,
    threshold: Callable[[ReadingT], object] | None,
    notes: _Notes,
) -> None:
    """Take ``new`` readings of one kind into ``known``; note the RIDs whose shown value
    changed (an error that cleared counts) in ``notes.changed``, and in ``notes.thresholds``
    those whose threshold state changed too (``threshold``: what of a reading that is;
    ``None``: any change). Timestamps alone are no change.

    Runs for every reading of every poll: a state the plan decoded from an unchanged answer
    is the object already known (``ReadingPlan.decode``) and costs one comparison.
    """
    errors, changed, thresholds, skip = notes
    if skip:
        new = {rid: reading for rid, reading in new.items() if rid not in skip}
    # Known readings looked up by map(), the changed ones collected by comprehensions and
    # stored by update(): per reading only the comparison runs in Python.
    olds = list(map(known.get, new))
    if shown is None:
        diff = [
            rid
            for (rid, reading), old in zip(new.items(), olds, strict=True)
            if old is not reading and (old is None or old != reading)
        ]
    elif shown is _NUMERIC_KEY:
        # Most numeric readings that changed changed their value: compared first.
        diff = [
            rid
            for (rid, reading), old in zip(new.items(), olds, strict=True)
            if old is None
            or old.value != reading.value  # type: ignore[attr-defined]  # numeric readings
            or shown(old) != shown(reading)
        ]
    else:
        diff = [
            rid
            for (rid, reading), old in zip(new.items(), olds, strict=True)
            if old is not reading and (old is None or shown(old) != shown(reading))
        ]
    if threshold is None:
        thresholds.update(diff)
    elif diff:
        thresholds.update(
            [
                rid
                for rid, old, reading in zip(
                    diff, map(known.get, diff), map(new.__getitem__, diff), strict=True
                )
                if old is None or threshold(old) != threshold(reading)
            ]
        )
    changed.update(diff)
    if errors:
        # A reading again where an error was: shown again, whatever it is.
        cleared = errors.keys() & new.keys()
        for rid in cleared:
            del errors[rid]
        changed.update(cleared)
    known.update(new)


def _event_reading(event: Event) -> Reading | None:
    """The new reading an event carries (``None``: it carries none)."""
    if isinstance(event, OutletStateChanged | NumericStateChanged | StateChanged):
        return event.new
    return None


def _is_older(new: Reading, shown: Reading | None) -> bool:
    """Whether ``new`` is older than the reading shown (by the device's timestamps)."""
    if shown is None or type(new) is not type(shown):
        return False
    before, after = _stamp(shown), _stamp(new)
    return before is not None and after is not None and after < before


def _stamp(reading: Reading) -> int | None:
    if isinstance(reading, OutletState):
        return reading.last_power_state_change
    if isinstance(reading, SequenceState):
        return None  # no device timestamp; events never carry one
    return reading.timestamp


def _has_reading(data: Readings, rid: str) -> bool:
    return (
        rid in data.numeric
        or rid in data.states
        or rid in data.outlets
        or rid in data.errors
        or rid in data.sequences
    )
