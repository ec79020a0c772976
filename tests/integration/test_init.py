"""Setup, unload and device registration of the Raritan PDU integration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_PASSWORD,
    EVENT_STATE_CHANGED,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import (
    async_setup_retries,
    entity_id,
    entry_data,
    get_device,
    make_config_entry,
    setup_integration,
)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_setup_and_unload(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """The entry loads, registers a device per unit, and logs out when unloaded."""
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED

    unit = emulator.unit(0)
    primary = get_device(hass, unit.serial)
    assert primary is not None
    assert primary.serial_number == unit.serial
    assert primary.model == unit.model
    assert primary.sw_version
    assert primary.configuration_url == f"http://127.0.0.1:{emulator.port}/"
    assert (dr.CONNECTION_NETWORK_MAC, dr.format_mac(unit.mac)) in primary.connections
    assert primary.via_device_id is None
    for link_id in (2, 3):
        link = get_device(hass, emulator.unit(link_id).serial)
        assert link is not None
        assert link.via_device_id == primary.id
        assert link.configuration_url is None
    assert emulator.stats()["sessions_active"] == 1

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert emulator.stats()["sessions_active"] == 0


async def test_setup_invalid_auth_starts_reauth(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """Rejected credentials at setup: retried (a single 401 may be a hiccup of the PDU), then,
    rejected every time, the entry waits for reauthentication."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_PASSWORD: "wrong"}))
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    await async_setup_retries(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_not_ready_until_reachable(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """An unreachable PDU is retried, and no device session is left behind per attempt."""
    emulator.faults.fail_call(method="getOutlets", statcode=503)
    entry = make_config_entry(emulator)
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert emulator.stats()["sessions_active"] == 0

    emulator.faults.clear()
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


async def test_late_registration_is_polled_soon(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """RIDs registered after setup are read by one extra poll shortly after, not in 30 s."""
    coordinator = init_integration.runtime_data
    unit = coordinator.topology.primary
    rid = unit.sensors[next(iter(unit.sensors))].rid
    unregistered = [s.rid for s in unit.iter_sensors() if s.rid not in coordinator.registered_rids]
    rid = unregistered[0] if unregistered else rid
    coordinator.data.errors.pop(rid, None)
    coordinator.data.numeric.pop(rid, None)
    coordinator.data.states.pop(rid, None)
    emulator.reset_stats()
    remove = coordinator.async_register_rids([rid])
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.stats()["http_requests"] == 1
    assert rid in coordinator.registered_rids
    assert (
        rid in coordinator.data.numeric
        or rid in coordinator.data.states
        or rid in coordinator.data.errors
    )
    remove()
    assert rid not in coordinator.registered_rids or not unregistered


@pytest.mark.parametrize("emulator_config", [{"tls": True}])
async def test_certificate_no_longer_trusted_starts_reauth(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A CA-verified PDU that now presents a self-signed certificate asks the user to trust it."""
    entry = make_config_entry(emulator, entry_data(emulator, fingerprint=None))
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == emulator.tls_fingerprint


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_no_unknown_state_at_setup_or_reload(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """Entities are added before their first poll, yet none is ever written ``unknown`` (the
    logbook's "Outlet 1 became unknown", a ``from: on`` trigger): the first state an entity
    writes is the PDU's reading, at setup and at every reload. Buttons and event entities have
    no state but the time they were last pressed or fired (``unknown`` until then, as in every
    integration), so they are left out."""
    written: list[tuple[str, str]] = []

    @callback
    def record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.domain not in ("button", "event"):
            written.append((new.entity_id, new.state))

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    await setup_integration(hass, mock_config_entry)
    switch = entity_id(hass, "switch", f"{emulator.unit(0).serial}_outlet_1_switch")
    assert written[[e for e, _ in written].index(switch)] == (switch, STATE_ON)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert len({e for e, _ in written}) > 50
    assert [e for e, state in written if state == STATE_UNKNOWN] == []
    # Unloading makes them unavailable; the reload brings their readings back at once.
    assert [state for e, state in written if e == switch] == [STATE_ON, STATE_UNAVAILABLE, STATE_ON]


async def test_entry_of_a_newer_version_is_refused(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """An entry written by a newer major version (after a downgrade) is not set up."""
    current = make_config_entry(emulator)
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=current.unique_id, data=dict(current.data), version=2
    )
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
