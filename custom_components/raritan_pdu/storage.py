"""What a config entry keeps between Home Assistant starts and between setup attempts.

``RaritanStore`` is one per entry, created at its first setup attempt and kept in
``hass.data`` until the entry is removed:

* in Home Assistant's storage (``.storage/raritan_pdu.<entry id>``, versioned, removed with the
  entry): the last good topology, when it was discovered, and what the client learned about
  the device (its timing model), so that a restart or a setup retry creates the entities at
  once instead of rediscovering the PDU;
* in memory only: the last error, the discovery backoff and the count of rejected
  credentials, which survive setup retries and feed the diagnostics in every entry state.

The topology is written as the protocol library's own versioned JSON (``Topology.to_json`` /
``Topology.from_json``). A document that does not decode (another version, a model that
changed) is ignored: the entry rediscovers once.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import (
    DISCOVERY_BACKOFF,
    DISCOVERY_BACKOFF_MAX,
    DOMAIN,
    STORAGE_KEY,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
)
from .xerus import BulkTiming, Topology, XerusStorageError

DATA_STORES: HassKey[dict[str, RaritanStore]] = HassKey(f"{DOMAIN}_stores")



# --- the topology as JSON --------------------------------------------------------------------


def topology_to_json(topology: Topology) -> dict[str, Any]:
    """The stored form of a topology: the library's own JSON."""
    return topology.to_json()


def topology_from_json(document: Any) -> Topology:
    """The topology of a stored document (raises ``XerusStorageError`` if it does not fit)."""
    return Topology.from_json(document)


def timing_to_json(timing: BulkTiming) -> dict[str, Any]:
    """What the client learned about the device's speed, as JSON (diagnostics)."""
    return dataclasses.asdict(timing)


# --- the per-entry store ---------------------------------------------------------------------


class RaritanStore:
    """The stored topology of one entry, and what its setup attempts learned."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store of ``entry_id`` (no I/O)."""
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{STORAGE_KEY}.{entry_id}", private=True, atomic_writes=True
        )
        self._loaded = False
        self._removed = False
        self.topology: Topology | None = None
        #: Unix time of the stored topology's discovery.
        self.discovered_at: float | None = None
        self.timing: dict[str, Any] | None = None
        #: Why the stored document was not used (diagnostics).
        self.load_error: str | None = None
        # In memory only: they describe this Home Assistant run.
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.discovery_failures = 0
        self._next_discovery = 0.0
        self.auth_failures = 0

    async def async_load(self) -> None:
        """Read the stored document once (a document that does not decode is ignored)."""
        if self._loaded:
            return
        self._loaded = True
        document = await self._store.async_load()
        if not document:
            return
        try:
            # A few hundred milliseconds for a large stack: not in the event loop.
            self.topology = await self._hass.async_add_executor_job(
                topology_from_json, document.get("topology")
            )
        except XerusStorageError as err:
            self.load_error = str(err) or type(err).__name__
            return
        discovered = document.get("discovered_at")
        self.discovered_at = float(discovered) if isinstance(discovered, int | float) else None
        self.timing = document.get("timing")

    @callback
    def async_set_topology(self, topology: Topology, timing: BulkTiming) -> None:
        """Keep a freshly discovered topology (written a few seconds later)."""
        self.topology = topology
        self.discovered_at = time.time()
        self.timing = timing_to_json(timing)
        self.discovery_failures = 0
        self._next_discovery = 0.0
        self._hass.async_create_background_task(
            self._async_save(topology), f"{DOMAIN} store topology", eager_start=False
        )

    async def _async_save(self, topology: Topology) -> None:
        encoded = await self._hass.async_add_executor_job(topology_to_json, topology)
        if topology is not self.topology or self._removed:
            return  # a newer one is being encoded, or the entry is gone
        document = {"topology": encoded, "discovered_at": self.discovered_at, "timing": self.timing}
        self._store.async_delay_save(lambda: document, STORAGE_SAVE_DELAY)

    async def async_remove(self) -> None:
        """Delete the stored document (the entry was removed)."""
        self._removed = True
        await self._store.async_remove()

    # errors and backoff (memory only)

    @callback
    def async_set_error(self, error: str | None) -> None:
        """The last error of a setup attempt or a poll (``None``: it works again)."""
        if error is not None:
            self.last_error, self.last_error_at = error, time.time()

    @callback
    def async_discovery_failed(self) -> None:
        """A discovery failed after the device answered: wait longer before the next one."""
        self.discovery_failures += 1
        delay = DISCOVERY_BACKOFF.total_seconds() * 2 ** (self.discovery_failures - 1)
        delay = min(delay, DISCOVERY_BACKOFF_MAX.total_seconds())
        self._next_discovery = time.monotonic() + delay

    @property
    def discovery_wait(self) -> float:
        """Seconds until the next discovery is allowed (0: now)."""
        return max(0.0, self._next_discovery - time.monotonic())


def async_get_store(hass: HomeAssistant, entry_id: str) -> RaritanStore:
    """The store of an entry (created at the first call; kept until the entry is removed)."""
    stores = hass.data.setdefault(DATA_STORES, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = RaritanStore(hass, entry_id)
    return store


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget an entry's store and delete its file."""
    store = hass.data.get(DATA_STORES, {}).pop(entry_id, None) or RaritanStore(hass, entry_id)
    await store.async_remove()
