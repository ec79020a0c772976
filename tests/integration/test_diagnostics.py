"""Diagnostics: useful content, nothing identifying."""

from __future__ import annotations

import json

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.emulator import PduEmulator


async def test_diagnostics_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Topology and readings are there; credentials, serials, MACs and hosts are not."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    entry = diagnostics["entry"]
    for key in ("host", "username", "password", "mac"):
        assert entry["data"][key] == REDACTED
    assert entry["data"]["port"] == emulator.port
    assert entry["unique_id"] == REDACTED

    units = diagnostics["units"]
    assert set(units) == {"primary", "link_unit_2", "link_unit_3"}
    primary = units["primary"]
    assert primary["outlets"] == len(emulator.unit(0).outlets)
    assert primary["identity"]["model"] == emulator.unit(0).model
    assert primary["identity"]["serial"] == REDACTED
    assert primary["identity"]["mac"] == REDACTED
    assert diagnostics["coordinator"]["last_update_success"] is True
    assert diagnostics["readings"]["numeric"] > 0
    assert diagnostics["coordinator"]["registered_rids"] > 0

    # No serial number (units, link units, sensor packages), MAC or address anywhere,
    # not even inside keys or unique ids.
    text = json.dumps(diagnostics)
    secrets = {init_integration.data["password"], init_integration.data["mac"]}
    for unit in emulator.units:
        secrets.update({unit.serial, unit.ctrl_serial, unit.mac})
        secrets.update(p.serial for p in unit.peripherals)
    for secret in secrets:
        assert secret not in text, secret
    assert "127.0.0.1" not in text
