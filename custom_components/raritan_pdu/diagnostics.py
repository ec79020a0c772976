"""Diagnostics in every entry state: entry, stored topology, last error, polling, redacted.

A loaded entry adds the coordinator's state and a summary of the last readings; an entry that is
not loaded, retrying or failed still shows what its store knows (the topology of the last
discovery, the last error, the discovery backoff, what the client learned of the device's speed).
Host, user name, password, certificate fingerprints, serial numbers and MAC addresses are
redacted everywhere, also inside error messages and keys.
"""

from __future__ import annotations

import re
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_FINGERPRINT, CONF_MAC
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .privileges import privileges_diagnostics
from .storage import RaritanStore, async_get_store
from .xerus import Topology, UnitTopology

TO_REDACT_ENTRY = {CONF_HOST, CONF_USERNAME, CONF_PASSWORD, CONF_FINGERPRINT, CONF_MAC, "unique_id"}
TO_REDACT_TOPOLOGY = {"serial", "ctrl_board_serial", "mac", "primary_host", "host"}

_HEX_PAIRS = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2})+$", re.IGNORECASE)


def _plain(value: Any) -> Any:
    """Dataclasses, named tuples, enums and containers as JSON-friendly data."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif isinstance(value, tuple) and hasattr(value, "_asdict"):  # a named tuple (NumericReading)
        value = value._asdict()
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return value


def _spellings(secret: str) -> set[str]:
    """A secret as it may appear in text: as is, and MACs/fingerprints in every case, with and
    without colons."""
    found = {secret}
    if _HEX_PAIRS.match(secret):
        bare = secret.replace(":", "")
        found |= {secret.lower(), secret.upper(), bare.lower(), bare.upper()}
    return found


class _Redactor:
    """Replaces every secret of the entry and the topology wherever it appears in strings."""

    def __init__(
        self, data: dict[str, Any], unique_id: str | None, topology: Topology | None
    ) -> None:
        secrets: set[str] = {unique_id} if unique_id else set()
        for key in (CONF_HOST, CONF_USERNAME, CONF_PASSWORD, CONF_FINGERPRINT, CONF_MAC):
            if isinstance(value := data.get(key), str) and value:
                secrets |= _spellings(value)
        for unit in topology.units if topology is not None else ():
            identity = unit.identity
            for value in (identity.serial, identity.ctrl_board_serial, identity.mac):
                if value:
                    secrets |= _spellings(value)
            secrets.update(p.serial for p in unit.peripherals if p.serial)
        for link in topology.cascade.link_units.values() if topology is not None else ():
            if link.host:
                secrets.add(link.host)
        # Longest first, so a serial that contains another one is replaced whole.
        self._secrets = sorted(secrets, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(key)): self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        return value


def _unit_summary(unit: UnitTopology) -> dict[str, Any]:
    return {
        "identity": _plain(unit.identity),
        "outlets": len(unit.outlets),
        "inlets": len(unit.inlets),
        "ocps": len(unit.ocps),
        "peripherals": len(unit.peripherals),
        "unit_sensors": sorted(unit.sensors),
        "topology": _plain(unit),
    }


def _topology(topology: Topology) -> dict[str, Any]:
    return {
        "link_status": _plain(topology.link_status),
        "unavailable_link_units": sorted(topology.unavailable),
        "link_errors": _plain(topology.link_errors),
        "units": {
            ("primary" if unit is topology.primary else f"link_unit_{unit.pdu_id}"): (
                _unit_summary(unit)
            )
            for unit in topology.units
        },
    }


def _time(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()


def _store(store: RaritanStore) -> dict[str, Any]:
    topology = store.topology
    return {
        "topology_discovered_at": _time(store.discovered_at),
        "topology_units": None if topology is None else len(topology.units),
        "topology_sensors": (
            None if topology is None else sum(len(list(u.iter_sensors())) for u in topology.units)
        ),
        "load_error": store.load_error,
        "last_error": store.last_error,
        "last_error_at": _time(store.last_error_at),
        "discovery_failures": store.discovery_failures,
        "discovery_wait_s": round(store.discovery_wait),
        "authentication_failures": store.auth_failures,
        "timing": store.timing,
    }


def _coordinator(coordinator: RaritanCoordinator) -> dict[str, Any]:
    data = coordinator.data
    client = coordinator.client
    return {
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "last_exception": _plain(coordinator.last_exception),
            "update_interval": str(coordinator.update_interval),
            "registered_rids": len(coordinator.registered_rids),
            "slow_rids": len(coordinator.slow_rids & coordinator.registered_rids),
            "max_bulk_size": client.max_bulk_size,
            "http_requests": client.request_count,
            "session_token": client.uses_session_token,
            "timing": _plain(client.timing),
            # Per unit: whether an event channel feeds its outlet states (xerus.feeds).
            "outlet_feeds": coordinator.feeds.describe(),
        },
        "privileges": privileges_diagnostics(coordinator.access),
        "readings": {
            "numeric": len(data.numeric),
            "states": len(data.states),
            "outlets": len(data.outlets),
            "errors": {rid: _plain(err) for rid, err in data.errors.items()},
            "sample": {rid: _plain(reading) for rid, reading in list(data.numeric.items())[:20]},
            "outlet_states": {rid: _plain(state) for rid, state in data.outlets.items()},
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RaritanConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry, whatever its state."""
    store = async_get_store(hass, entry.entry_id)
    await store.async_load()
    coordinator: RaritanCoordinator | None = getattr(entry, "runtime_data", None)
    topology = coordinator.topology if coordinator is not None else store.topology
    result: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "state": entry.state.value,
            "reason": entry.reason,
            "data": dict(entry.data),
        },
        "store": _store(store),
        "loaded": coordinator is not None,
    }
    if topology is not None:
        result.update(_topology(topology))
    if coordinator is not None:
        result.update(_coordinator(coordinator))
    redacted = async_redact_data(result, TO_REDACT_ENTRY | TO_REDACT_TOPOLOGY)
    return _Redactor(dict(entry.data), entry.unique_id, topology)(redacted)  # type: ignore[no-any-return]
