"""Fault matrix, credentials and sessions: password changes (in a poll and in a command),
transient 401s, a failing ``newSession``, expired and revoked session tokens on a PDU that allows
one session per user, reloads; and no secret in the log or the diagnostics over all of it.

Tests that need the client's clock to move (session retry intervals, token lifetimes) take
``freezer`` first and poll with ``async_poll``; the others run on the emulator's manual clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.raritan_pdu.const import AUTH_FAILURES_TO_REAUTH, DOMAIN
from custom_components.raritan_pdu.coordinator import RaritanCoordinator
from custom_components.raritan_pdu.xerus.transport import SESSION_RETRY_INTERVAL
from tests.emulator import PduEmulator

from .conftest import (
    SECRET,
    LogGuard,
    assert_truthful,
    async_poll,
    entry_data,
    guarded_setup,
    make_config_entry,
    power_entities,
    refresh,
    setup_integration,
)

EmulatorFactory = Callable[..., Any]
NEW_PASSWORD = "Pw-rotated-42!x"


def outlet_switch(hass: HomeAssistant, emu: PduEmulator, number: int) -> str:
    unique_id = f"{emu.unit(0).serial}_outlet_{number}_switch"
    found = er.async_get(hass).async_get_entity_id("switch", DOMAIN, unique_id)
    assert found is not None
    return found


async def switch(hass: HomeAssistant, service: str, target: str) -> None:
    await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: target}, blocking=True)


def reauth_flows(hass: HomeAssistant) -> list[dict[str, Any]]:
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert all(flow["context"]["source"] == SOURCE_REAUTH for flow in flows)
    return list(flows)


async def reauthenticate(hass: HomeAssistant, flow: dict[str, Any], password: str) -> None:
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    if result.get("step_id") != "reauth_confirm":  # pragma: no cover - shape of the flow
        pytest.fail(f"unexpected reauth step {result}")
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": "admin", "password": password}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)


class Unavailability:
    """Counts how often any of the entities became unavailable."""

    def __init__(self, hass: HomeAssistant, entities: set[str]) -> None:
        self.count = 0
        self._entities = entities
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_event)

    @callback
    def _on_event(self, event: Event[Any]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] in self._entities and new is not None:
            self.count += new.state == STATE_UNAVAILABLE


async def test_password_changed_hits_a_command_then_reauth_resumes(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """The password is changed on the PDU and the next thing is a command: it fails with a
    clear message (nothing switched, nothing lost silently), reauthentication is asked for once
    the rejection is confirmed, and after it polling and switching work without a restart."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, watch=(NEW_PASSWORD,), link_units=0, clock="manual"
    )
    target = outlet_switch(hass, emu, 1)

    emu.faults.change_password(NEW_PASSWORD)
    emu.faults.expire_sessions()
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, SERVICE_TURN_OFF, target)
    assert err.value.translation_key == "authentication_failed"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emu.unit(0).outlet(0).power_state == 1
    for _ in range(AUTH_FAILURES_TO_REAUTH):
        if reauth_flows(hass):
            break
        await refresh(hass, coordinator)
    flows = reauth_flows(hass)
    assert len(flows) == 1
    assert hass.states.get(target).state == STATE_UNAVAILABLE

    await reauthenticate(hass, flows[0], NEW_PASSWORD)
    assert entry.state is ConfigEntryState.LOADED
    assert coordinator.last_update_success or entry.runtime_data.last_update_success
    await switch(hass, SERVICE_TURN_OFF, target)
    assert emu.unit(0).outlet(0).power_state == 0
    assert hass.states.get(target).state == STATE_OFF
    await refresh(hass, entry.runtime_data)
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert not reauth_flows(hass)


async def test_transient_401s_never_ask_for_the_password(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """Two 401s with the right credentials (an authentication backend briefly down), also
    around a command: no reauthentication, polling goes on, the command's outcome is right."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual"
    )
    target = outlet_switch(hass, emu, 2)
    for _ in range(3):
        emu.faults.transient_401(count=2)
        await refresh(hass, coordinator)
        await refresh(hass, coordinator)
    emu.faults.transient_401(count=2)
    with pytest.raises(HomeAssistantError):
        await switch(hass, SERVICE_TURN_OFF, target)
    await hass.async_block_till_done(wait_background_tasks=True)
    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert not reauth_flows(hass)
    # The command was refused before the device saw it, and nothing claims otherwise.
    shown = STATE_ON if emu.unit(0).outlet(1).power_state else STATE_OFF
    assert hass.states.get(target).state == shown
    await switch(hass, SERVICE_TURN_OFF, target)
    assert emu.unit(0).outlet(1).power_state == 0
    await refresh(hass, coordinator)
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))


async def test_failed_new_session_does_not_disable_tokens_for_good(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """The session expired and the PDU answers ``newSession`` with a 503 once: the poll goes
    on with Basic authentication (no unavailable entity), and session tokens are used again a
    while later (a PDU allows only a few sessions; Basic auth costs a login per request)."""
    emu, entry, _coordinator = await guarded_setup(hass, emulator_factory, log_guard, link_units=0)
    entities = set(power_entities(hass, emu))
    down = Unavailability(hass, entities)
    assert emu.stats()["sessions_active"] == 1

    emu.faults.expire_sessions()
    emu.faults.fail_new_session(count=1)
    await async_poll(hass, freezer)
    assert entry.runtime_data.last_update_success
    assert emu.stats()["sessions_active"] == 0
    await async_poll(hass, freezer)
    assert emu.stats()["sessions_active"] == 0  # Basic for a while

    freezer.tick(SESSION_RETRY_INTERVAL)
    await async_poll(hass, freezer)
    assert entry.runtime_data.last_update_success
    assert emu.stats()["sessions_active"] == 1
    assert down.count == 0
    assert not log_guard.problems()


async def test_single_login_sessions_renewed_without_a_blip(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """A PDU that allows one session per user, whose tokens expire (idle timeout, a lifetime)
    or are revoked: renewed transparently, never an unavailable entity, never more than one
    session on the device."""
    emu, entry, _coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, single_login=True
    )
    down = Unavailability(hass, set(power_entities(hass, emu)))
    target = outlet_switch(hass, emu, 1)

    emu.faults.session_expiry(45)  # tokens die 45 s after creation: every other poll
    for poll in range(8):
        await async_poll(hass, freezer)
        assert entry.runtime_data.last_update_success
        assert emu.stats()["sessions_active"] <= 1
        if poll == 3:
            emu.faults.expire_sessions()  # revoked by an administrator
            await switch(hass, SERVICE_TURN_OFF, target)
            assert emu.unit(0).outlet(0).power_state == 0
    assert down.count == 0
    assert emu.stats()["sessions_created"] >= 4
    assert not log_guard.problems()


async def test_reloads_leave_no_session_behind(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """Unload and reload 50 times on a PDU that allows one session per user: every setup
    works, and no session is left open on the device."""
    emu, entry, _coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, single_login=True, clock="manual"
    )
    for _ in range(50):
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
        assert emu.stats()["sessions_active"] == 0
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert emu.stats()["sessions_active"] == 1
    assert assert_truthful(hass, emu) > 0
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert emu.stats()["sessions_active"] == 0
    assert not log_guard.problems()


async def test_no_secret_in_diagnostics_after_faults(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """After errors that name the host (the last error is kept for diagnostics) and a session
    renewal: the diagnostics hold no host, password, token, serial or MAC."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, clock="manual"
    )
    emu.faults.drop_connection(count=100)
    await refresh(hass, coordinator)
    emu.faults.clear()
    emu.faults.expire_sessions()
    await refresh(hass, coordinator)
    emu.faults.html_response(count=3)
    await refresh(hass, coordinator)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    assert diagnostics["store"]["last_error"]
    secrets = {emu.host, SECRET, *log_guard.tokens, *log_guard.secrets}
    for unit in emu.units:
        secrets.update({unit.serial, unit.mac, unit.mac.replace(":", ""), unit.ctrl_serial})
    for secret in secrets:
        assert secret not in text, secret


async def test_read_only_account(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """An account without the "Switch Outlet" privilege: every sensor works, a command fails
    with a message naming the privilege, nothing is switched, no reauthentication is asked
    for and no entity goes unavailable (on firmware that does not tell the account's
    privileges, so every control is there)."""
    emu = await emulator_factory(
        link_units=0,
        clock="manual",
        password=SECRET,
        noise=False,
        readonly_users={"viewer": "View-only-pw-9"},
        auth_interface=False,
    )
    log_guard.watch(emu)
    entry = make_config_entry(emu, entry_data(emu, username="viewer", password="View-only-pw-9"))
    await setup_integration(hass, entry)
    coordinator: RaritanCoordinator = entry.runtime_data
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    target = outlet_switch(hass, emu, 1)
    for _ in range(2):
        with pytest.raises(HomeAssistantError) as err:
            await switch(hass, SERVICE_TURN_OFF, target)
        assert err.value.translation_key == "insufficient_privileges"
        assert "privilege" in str(err.value)
    await refresh(hass, coordinator)
    assert emu.unit(0).outlet(0).power_state == 1
    assert hass.states.get(target).state == STATE_ON
    assert not reauth_flows(hass)
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert not log_guard.errors()
