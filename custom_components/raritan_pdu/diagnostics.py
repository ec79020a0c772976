"""Diagnostics: config entry, topology and a summary of the last readings, redacted."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .const import CONF_FINGERPRINT, CONF_MAC
from .coordinator import RaritanConfigEntry
from .xerus import Topology, UnitTopology

TO_REDACT_ENTRY = {CONF_HOST, CONF_USERNAME, CONF_PASSWORD, CONF_FINGERPRINT, CONF_MAC, "unique_id"}
TO_REDACT_TOPOLOGY = {"serial", "ctrl_board_serial", "mac", "primary_host", "host"}


def _plain(value: Any) -> Any:
    """Dataclasses, enums and containers as JSON-friendly data."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return value


class _Redactor:
    """Replaces the serial numbers found in the topology wherever they appear in strings."""

    def __init__(self, topology: Topology) -> None:
        secrets: set[str] = set()
        for unit in topology.units:
            identity = unit.identity
            secrets.update(
                s for s in (identity.serial, identity.ctrl_board_serial, identity.mac) if s
            )
            secrets.update(p.serial for p in unit.peripherals if p.serial)
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


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RaritanConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data
    topology = coordinator.topology
    redact = _Redactor(topology)
    data = coordinator.data
    readings: dict[str, Any] = {"available": data is not None}
    if data is not None:
        readings.update(
            {
                "numeric": len(data.numeric),
                "states": len(data.states),
                "outlets": len(data.outlets),
                "errors": {rid: _plain(err) for rid, err in data.errors.items()},
                "sample": {
                    rid: _plain(reading) for rid, reading in list(data.numeric.items())[:20]
                },
                "outlet_states": {rid: _plain(state) for rid, state in data.outlets.items()},
            }
        )
    units = {
        ("primary" if unit is topology.primary else f"link_unit_{unit.pdu_id}"): _unit_summary(unit)
        for unit in topology.units
    }
    result = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "data": dict(entry.data),
        },
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "last_exception": _plain(coordinator.last_exception),
            "update_interval": str(coordinator.update_interval),
            "registered_rids": len(coordinator.registered_rids),
            "max_bulk_size": coordinator.client.max_bulk_size,
            "http_requests": coordinator.client.request_count,
            "session_token": coordinator.client.uses_session_token,
        },
        "link_status": _plain(topology.link_status),
        "unavailable_link_units": sorted(topology.unavailable),
        "link_errors": _plain(topology.link_errors),
        "units": units,
        "readings": readings,
    }
    redacted = async_redact_data(result, TO_REDACT_ENTRY | TO_REDACT_TOPOLOGY)
    return redact(redacted)  # type: ignore[no-any-return]
