"""Starting without rediscovering: the stored topology, setup retries, diagnostics in every state.

Tests that poll take ``freezer`` as their FIRST fixture (see ``test_coordinator.py``).
"""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PORT, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.raritan_pdu.const import (
    DISCOVERY_BACKOFF,
    STORAGE_KEY,
    STORAGE_SAVE_DELAY,
)
from custom_components.raritan_pdu.diagnostics import async_get_config_entry_diagnostics
from custom_components.raritan_pdu.storage import DATA_STORES
from tests.emulator import PduEmulator

from .conftest import (
    ProxyFactory,
    async_poll,
    entity_id,
    entry_data,
    make_config_entry,
    setup_integration,
)

#: Methods a poll or a setup check may call; everything else reads the structure (discovery).
READ_METHODS = {
    "getReading",
    "getState",
    "getStatus",
    "performBulk",
    "newSession",
    "isLoadSheddingActive",  # the unit-level reads of a poll (#9)
    "getOutletSequenceState",
}


#: What the cheap check of a stored topology reads along with a poll (``xerus/check.py``).
#: The check of a stored topology (and the account's privileges, read with the first one).
CHECK_METHODS = {
    "getMetaData",
    "getOutlets",
    "getInlets",
    "getOverCurrentProtectors",
    "getDevice",
    "getInfoAndPrivileges",
}


def structure_calls(emu: PduEmulator) -> dict[str, int]:
    """Discovery-only calls the device answered since its stats were reset: a discovery reads
    ``getDeviceSlots`` once per unit, the check of a stored topology never does."""
    return {
        name: count
        for name, count in emu.stats()["method_names"].items()
        if name not in READ_METHODS | CHECK_METHODS and name != "closeCurrentSession"
    }


async def async_saved(hass: HomeAssistant) -> None:
    """Let the delayed write of the store happen."""
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_time_changed(hass, hass_now(seconds=STORAGE_SAVE_DELAY + 1))
    await hass.async_block_till_done(wait_background_tasks=True)


def forget_memory(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """What a Home Assistant restart forgets: the in-memory store (the file stays)."""
    hass.data[DATA_STORES].pop(entry.entry_id)


def hass_now(minutes: float = 0, seconds: float = 0) -> datetime:
    return dt_util.utcnow() + timedelta(minutes=minutes, seconds=seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_restart_uses_the_stored_topology(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A restart reads the topology from Home Assistant's storage: no discovery call, every
    entity back with the first poll, and the device session is the only other request."""
    await setup_integration(hass, mock_config_entry)
    await async_saved(hass)
    key = f"{STORAGE_KEY}.{mock_config_entry.entry_id}"
    assert hass_storage[key]["version"] == 1
    assert hass_storage[key]["data"]["topology"]["format"]
    power = entity_id(hass, "sensor", f"{emulator.unit(2).serial}_outlet_1_active_power")

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    forget_memory(hass, mock_config_entry)
    emulator.reset_stats()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert structure_calls(emulator) == {}
    # The device check (one sub-request), the first poll, and the bulk that opens the
    # channels that feed the outlet states (this emulator has no event service: it says so).
    assert emulator.stats()["bulk_requests"] == 3
    assert hass.states.get(power).state != STATE_UNAVAILABLE
    coordinator = mock_config_entry.runtime_data
    assert coordinator.topology.primary.identity.serial == emulator.unit(0).serial


async def test_restart_after_a_reboot_rediscovers_once(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """The PDU rebooted while Home Assistant was down: the stored resource ids are unknown to
    it, the first poll notices, and one rediscovery fixes it."""
    power = entity_id(hass, "sensor", f"{emulator.unit(0).serial}_outlet_2_active_power")
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    emulator.faults.reboot()
    emulator.reset_stats()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert structure_calls(emulator).get("getDeviceSlots") == 3  # one discovery, three units
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["status_codes"] == {"200": 1}
    assert hass.states.get(power).state != STATE_UNAVAILABLE


async def test_unusable_stored_document_rediscovers(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A stored document of another version (or damaged) is ignored: the PDU is discovered."""
    hass_storage[f"{STORAGE_KEY}.{mock_config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{STORAGE_KEY}.{mock_config_entry.entry_id}",
        "data": {"topology": {"format": "xerus-topology", "version": 999, "topology": {}}},
    }
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert structure_calls(emulator).get("getDeviceSlots") == 3


async def test_unreachable_at_start_retries_without_discovery(
    hass: HomeAssistant,
    emulator: PduEmulator,
    proxy_factory: ProxyFactory,
) -> None:
    """The PDU is off when Home Assistant starts: setup retries (backing off) with one small
    request each, never a discovery, and works as soon as the PDU answers again."""
    port = free_port()
    proxy = await proxy_factory(emulator, port=port)
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_PORT: port}))
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
    await proxy.stop()

    emulator.reset_stats()
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    for minutes in (1, 2, 4):
        async_fire_time_changed(hass, hass_now(minutes))
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.SETUP_RETRY
    assert emulator.stats()["http_requests"] == 0

    await proxy_factory(emulator, port=port)
    async_fire_time_changed(hass, hass_now(10))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert structure_calls(emulator) == {}


async def test_failed_discovery_backs_off(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A discovery that fails although the PDU answers is not repeated at every setup retry:
    the retries in between cost one small request each. Diagnostics of the retrying entry show
    what failed, without the address."""
    emulator.faults.fail_call(method="getOutlets", statcode=503)
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert structure_calls(emulator)["getDeviceSlots"] == 1

    # (Through the HTTP view in the test below: under ``freezer`` the view cannot import.)
    diagnostics = await async_get_config_entry_diagnostics(hass, mock_config_entry)
    assert diagnostics["entry"]["state"] == "setup_retry"
    assert diagnostics["loaded"] is False
    assert diagnostics["store"]["discovery_failures"] == 1
    assert "503" in diagnostics["store"]["last_error"]
    assert diagnostics["entry"]["data"]["password"] == REDACTED
    text = json.dumps(diagnostics)
    assert emulator.host not in text
    assert emulator.unit(0).serial not in text

    # Home Assistant retries after 5, 10 and 20 s: within the backoff, no discovery.
    emulator.faults.clear()
    for seconds in (6, 11, 21):
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert structure_calls(emulator)["getDeviceSlots"] == 1

    freezer.tick(DISCOVERY_BACKOFF)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert structure_calls(emulator)["getDeviceSlots"] == 1 + 3


@pytest.mark.parametrize("emulator_config", [{"tls": True}])
async def test_diagnostics_of_an_entry_not_loaded(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics of an unloaded entry still give the stored topology, redacted (no HTTP 500
    for a missing runtime_data)."""
    await async_saved(hass)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    forget_memory(hass, init_integration)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics["entry"]["state"] == "not_loaded"
    assert diagnostics["loaded"] is False
    assert set(diagnostics["units"]) == {"primary", "link_unit_2", "link_unit_3"}
    assert diagnostics["store"]["topology_units"] == 3
    text = json.dumps(diagnostics)
    fingerprint = emulator.tls_fingerprint
    assert fingerprint is not None
    for secret in (fingerprint, fingerprint.replace(":", "").lower(), emulator.host):
        assert secret not in text


async def test_removing_the_entry_removes_its_store(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Deleting the entry deletes its stored topology."""
    await async_saved(hass)
    key = f"{STORAGE_KEY}.{init_integration.entry_id}"
    assert key in hass_storage
    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
