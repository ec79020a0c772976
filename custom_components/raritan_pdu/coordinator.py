"""Data update coordinator: topology discovery once, then one /bulk request per poll."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    DOMAIN,
    ISSUE_CERTIFICATE_CHANGED,
    LOGGER,
    REGISTRATION_REFRESH_DELAY,
    SCAN_INTERVAL,
    TOPOLOGY_MIN_AGE,
    TOPOLOGY_REFRESH_INTERVAL,
    TOPOLOGY_RETRY_INTERVAL,
)
from .xerus import (
    CascadeStatus,
    LinkUnitStatus,
    ReadingPlan,
    Readings,
    Topology,
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusClient,
    XerusError,
    XerusNotFoundError,
    XerusTlsError,
)

type RaritanConfigEntry = ConfigEntry[RaritanCoordinator]


class RaritanCoordinator(DataUpdateCoordinator[Readings]):
    """Keeps the topology of a primary unit (and its link units) and polls what entities need.

    * Topology: discovered in ``_async_setup``, refreshed every ``TOPOLOGY_REFRESH_INTERVAL``
      and at the next poll when a poll suggests it changed (unknown resource ids after a
      reboot, a link unit failing, coming back, added or released).
    * Polling: the resource ids registered by entities (``async_register_rids``), read with
      ONE HTTP request for every unit (plus the link status when there are link units).
    """

    config_entry: RaritanConfigEntry
    topology: Topology

    def __init__(self, hass: HomeAssistant, entry: RaritanConfigEntry, client: XerusClient) -> None:
        """Initialise the coordinator (no I/O)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.data[CONF_HOST]}",
            update_interval=SCAN_INTERVAL,
        )
        self.client = client
        self._rid_refs: Counter[str] = Counter()
        self._rid_unit: dict[str, int] = {}
        self._plan: ReadingPlan | None = None
        self._topology_listeners: list[CALLBACK_TYPE] = []
        self._topology_time = 0.0
        self._topology_stale = False
        self._started = False
        self._updating = False
        self._registration_debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=REGISTRATION_REFRESH_DELAY,
            immediate=False,
            function=self.async_refresh,
        )

    # ------------------------------------------------------------------ topology

    async def _async_setup(self) -> None:
        """Discover the whole topology once, before the first poll."""
        self._set_topology(await self._async_discover())

    async def _async_discover(self) -> Topology:
        try:
            return await self.client.discover()
        except XerusError as err:
            raise self._translate_error(err) from err

    def _set_topology(self, topology: Topology) -> None:
        self.topology = topology
        self._topology_time = time.monotonic()
        self._topology_stale = False
        self._rid_unit = {}
        for unit in topology.units:
            for sensor in unit.iter_sensors():
                self._rid_unit[sensor.rid] = unit.pdu_id
            for outlet in unit.outlets:
                self._rid_unit[outlet.rid] = unit.pdu_id
        self._plan = None

    def _topology_due(self) -> bool:
        if self._topology_stale:
            return True
        age = time.monotonic() - self._topology_time
        if self.topology.unavailable and age >= TOPOLOGY_RETRY_INTERVAL.total_seconds():
            return True
        return age >= TOPOLOGY_REFRESH_INTERVAL.total_seconds()

    async def async_refresh_topology(self) -> None:
        """Rediscover the topology, keep unreachable link units, notify the listeners."""
        old = self.topology
        new = await self._async_discover()
        # A link unit that is still linked but not reachable keeps its objects, so its
        # entities stay (unavailable) instead of being removed and re-added.
        kept = {
            link_id: unit
            for link_id, unit in old.link_units.items()
            if link_id not in new.link_units and link_id in new.link_status
        }
        if kept:
            new = dataclasses.replace(new, link_units={**new.link_units, **kept})
        self._set_topology(new)
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

    # ------------------------------------------------------------------ polling

    @callback
    def async_register_rids(self, rids: Iterable[str]) -> CALLBACK_TYPE:
        """Add resource ids to the poll; returns the callable that removes them again.

        Called by every entity in ``async_added_to_hass``: disabled entities are never
        added, so they cost nothing. Ids without data yet trigger one (debounced) refresh.
        """
        rid_list = list(rids)
        missing = False
        for rid in rid_list:
            if self._rid_refs[rid] == 0:
                self._plan = None
                if self.data is None or not _has_reading(self.data, rid):
                    missing = True
            self._rid_refs[rid] += 1
        if missing and self._started and not self._updating:
            self._registration_debouncer.async_schedule_call()

        @callback
        def unregister() -> None:
            for rid in rid_list:
                self._rid_refs[rid] -= 1
                if self._rid_refs[rid] <= 0:
                    del self._rid_refs[rid]
                    self._plan = None

        return unregister

    @property
    def registered_rids(self) -> set[str]:
        """The resource ids that entities currently need."""
        return set(self._rid_refs)

    async def async_start(self) -> None:
        """Called once the platforms have added their entities: read what they need now."""
        self._started = True
        if self._rid_refs and not all(_has_reading(self.data, rid) for rid in self._rid_refs):
            await self.async_refresh()

    def _build_plan(self) -> ReadingPlan:
        if self._plan is None:
            wanted = {
                rid
                for rid in self._rid_refs
                if self.unit_available(self._rid_unit.get(rid, self.topology.primary.pdu_id))
            }
            self._plan = ReadingPlan.for_topology(self.topology, rids=wanted)
        return self._plan

    async def _async_update_data(self) -> Readings:
        """Poll every registered resource id in one request."""
        self._updating = True
        try:
            if self._topology_due():
                await self._async_try_refresh_topology()
            readings = await self._async_poll()
            if (
                any(isinstance(err, XerusNotFoundError) for err in readings.errors.values())
                and time.monotonic() - self._topology_time > TOPOLOGY_MIN_AGE.total_seconds()
            ):
                # Opaque resource ids change when the PDU reboots: rediscover, read again.
                LOGGER.debug("Unknown resource ids in the poll, rediscovering the topology")
                await self.async_refresh_topology()
                readings = await self._async_poll()
        finally:
            self._updating = False
        if self._failed_link_units(readings):
            # A link unit stopped answering: its entities are unavailable now (their reads
            # failed); the next poll asks the primary for the link status and stops
            # polling the unit until it is back.
            self._topology_stale = True
        return readings

    async def _async_try_refresh_topology(self) -> None:
        """Refresh the topology; if that fails, keep polling the known one, retry later.

        Authentication and certificate errors are raised: polling would fail the same way.
        """
        try:
            await self.async_refresh_topology()
        except UpdateFailed as err:
            LOGGER.debug("Topology refresh failed, keeping the known topology: %s", err)
            self._topology_stale = False
            self._topology_time = (
                time.monotonic()
                - TOPOLOGY_REFRESH_INTERVAL.total_seconds()
                + TOPOLOGY_RETRY_INTERVAL.total_seconds()
            )

    def _failed_link_units(self, readings: Readings) -> set[int]:
        """Link units of which every polled resource id failed."""
        polled: dict[int, set[str]] = {}
        for target in self._build_plan().targets:
            pdu_id = self._rid_unit.get(target.rid)
            if pdu_id is not None and pdu_id != self.topology.primary.pdu_id:
                polled.setdefault(pdu_id, set()).add(target.rid)
        return {
            pdu_id for pdu_id, rids in polled.items() if all(r in readings.errors for r in rids)
        }

    async def _async_poll(self) -> Readings:
        plan = self._build_plan()
        if not plan:
            return Readings()
        try:
            if not self.topology.link_status:
                return await self.client.poll(plan)
            # A primary unit with link units: the same request also asks for the link
            # status, so a link unit that fails, comes back, is added or is released is
            # noticed at the next poll instead of the next scheduled rediscovery.
            result = await self.client.poll(plan, with_cascade=True)
        except XerusError as err:
            raise self._translate_error(err) from err
        self._check_link_status(result.cascade)
        return result.readings

    def _check_link_status(self, status: CascadeStatus | XerusError) -> None:
        """Rediscover at the next poll when the link units differ from the topology's."""
        if isinstance(status, XerusError):
            return
        current = {link_id: int(unit.status) for link_id, unit in status.link_units.items()}
        known = {link_id: int(value) for link_id, value in self.topology.link_status.items()}
        if current != known:
            LOGGER.debug("Link units changed (%s -> %s), rediscovering", known, current)
            self._topology_stale = True

    async def async_shutdown(self) -> None:
        """Cancel pending refreshes."""
        self._registration_debouncer.async_shutdown()
        await super().async_shutdown()

    # ------------------------------------------------------------------ errors

    def _translate_error(self, err: XerusError) -> Exception:
        """Map a client error to what Home Assistant expects from a coordinator."""
        host = self.config_entry.data[CONF_HOST]
        if isinstance(err, XerusCertificateMismatchError) or (
            isinstance(err, XerusTlsError) and err.fingerprint
        ):
            # The pinned certificate was replaced, or a certificate that verified against
            # the CAs no longer does (e.g. the PDU was reset to its self-signed one).
            fingerprint = err.fingerprint or "?"
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"{ISSUE_CERTIFICATE_CHANGED}_{self.config_entry.entry_id}",
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_CERTIFICATE_CHANGED,
                translation_placeholders={
                    "name": self.config_entry.title,
                    "host": host,
                    "fingerprint": fingerprint,
                },
            )
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="certificate_changed",
                translation_placeholders={"host": host, "fingerprint": fingerprint},
            )
        if isinstance(err, XerusAuthenticationError):
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"host": host},
            )
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="update_failed",
            translation_placeholders={"error": str(err) or type(err).__name__},
        )


def _has_reading(data: Readings | None, rid: str) -> bool:
    if data is None:
        return False
    return rid in data.numeric or rid in data.states or rid in data.outlets or rid in data.errors
