"""Fault matrix, the connection: timeouts, resets, failed TLS handshakes, redirects, a device
that refuses large bulks or answers slowly. What the user sees: the entities, the flows and
repairs in progress, the log (counted by level), and what reached the device.

Polls run through the coordinator's ``async_refresh`` against an emulator on the manual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.raritan_pdu.const import DOMAIN
from custom_components.raritan_pdu.coordinator import RaritanCoordinator
from tests.emulator import PduEmulator

from .conftest import (
    LogGuard,
    assert_truthful,
    guarded_setup,
    power_entities,
    refresh,
)

EmulatorFactory = Callable[..., Any]


def flows_in_progress(hass: HomeAssistant) -> list[str]:
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


def repair_issues(hass: HomeAssistant) -> list[tuple[str, str]]:
    return [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def outage(
    hass: HomeAssistant,
    emu: PduEmulator,
    coordinator: RaritanCoordinator,
    log_guard: LogGuard,
    fault: Callable[[], None],
    polls: int = 3,
) -> None:
    """Polls while ``fault`` keeps failing them, then one good poll: entities unavailable
    during, one error line and one "recovered" line, the device's values after."""
    mark = log_guard.mark()
    for _ in range(polls):
        fault()
        await refresh(hass, coordinator)
        assert not coordinator.last_update_success
        assert {hass.states.get(e).state for e in power_entities(hass, emu)} == {STATE_UNAVAILABLE}
    emu.faults.clear()
    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert len(log_guard.errors(mark)) == 1, log_guard.problems(mark)
    recovered = [
        r for r in log_guard.caplog.records[mark:] if r.getMessage().endswith("data recovered")
    ]
    assert len(recovered) == 1
    assert not flows_in_progress(hass)
    assert not repair_issues(hass)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_connection_lost_mid_poll(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, reset: bool
) -> None:
    """The connection is closed (or reset) without an answer, again on every retry: the
    entities are unavailable after that poll, logged once; back on the next success, logged
    once. A single drop is retried and nobody notices."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, clock="manual"
    )

    emu.faults.drop_connection(count=1, reset=reset)
    await refresh(hass, coordinator)
    assert coordinator.last_update_success
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))

    def drops() -> None:
        emu.faults.drop_connection(count=100, reset=reset)

    await outage(hass, emu, coordinator, log_guard, drops)


async def test_timeout_mid_poll(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """The PDU stops answering (its answers never come within the timeout): unavailable after
    the failed poll, logged once; back on the next success, logged once."""
    with patch("custom_components.raritan_pdu.DEFAULT_TIMEOUT", 1.0):
        emu, _entry, coordinator = await guarded_setup(
            hass, emulator_factory, log_guard, link_units=0, clock="manual"
        )
    await outage(
        hass,
        emu,
        coordinator,
        log_guard,
        lambda: emu.faults.delay_responses(3600, count=10),
        polls=2,
    )


async def test_failed_tls_handshake_is_no_certificate_change(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """TLS handshakes reset with the pinned certificate unchanged (a busy or rebooting PDU):
    an ordinary outage, never a reauthentication or repair about the certificate."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual", tls=True, keep_alive=False
    )
    assert entry.data["fingerprint"] == emu.tls_fingerprint

    emu.faults.tls_handshake_failure(count=1)
    await refresh(hass, coordinator)  # one failed handshake: retried
    assert not flows_in_progress(hass)
    await outage(
        hass, emu, coordinator, log_guard, lambda: emu.faults.tls_handshake_failure(count=3)
    )
    assert entry.state is ConfigEntryState.LOADED


async def test_https_redirect_to_plain_http_carries_no_credentials(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """The PDU (or something in between) redirects the HTTPS poll to ``http://``: nothing is
    sent there - no password, no session token -, the poll fails cleanly and polling goes on."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual", tls=True
    )
    for status in (301, 302, 307, 308):
        await outage(
            hass,
            emu,
            coordinator,
            log_guard,
            lambda status=status: emu.faults.redirect(count=3, status=status),
            polls=1,
        )
    stats = emu.stats()
    assert stats["cleartext_requests"] == 0
    assert stats["cleartext_credentials"] == 0
    assert stats["cleartext_tokens"] == 0


async def test_redirect_to_another_host_carries_no_credentials(
    hass: HomeAssistant,
    other_host_allowed: None,
    emulator_factory: EmulatorFactory,
    log_guard: LogGuard,
) -> None:
    """A redirect to another host (plain HTTP here): not followed, credentials stay home."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual"
    )
    await outage(
        hass,
        emu,
        coordinator,
        log_guard,
        lambda: emu.faults.redirect(count=3, other_host=True),
        polls=1,
    )
    assert emu.stats()["other_host_requests"] == 0


@pytest.mark.parametrize("status", [413, 500])
async def test_device_refusing_large_bulks_adapts(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard, status: int
) -> None:
    """A PDU that refuses bulks above a size (HTTP 413, or 500 like other firmware): the
    entities never go unavailable, every value is the device's, polls settle on a few requests;
    and once the PDU takes large bulks again, a poll is one request again (the limit grows
    back, it does not only shrink)."""
    emu, _entry, coordinator = await guarded_setup(
        hass,
        emulator_factory,
        log_guard,
        link_units=1,
        clock="manual",
        max_bulk=24,
        max_bulk_status=status,
    )
    planned = len(coordinator.registered_rids - coordinator.slow_rids) + 1  # + link status
    assert planned > 2 * 24
    requests = []
    for _ in range(20):
        emu.reset_stats()
        await refresh(hass, coordinator)
        assert coordinator.last_update_success
        assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
        requests.append(emu.stats()["http_requests"])
    # Settled: the fewest requests the limit allows (a probe of a larger size now and then).
    assert requests[-1] == -(-planned // 24) or requests[-1] <= -(-planned // 12)
    assert sorted(requests)[len(requests) // 2] <= -(-planned // 12)

    emu.config.max_bulk = None  # e.g. a firmware update
    for _ in range(200):
        emu.reset_stats()
        await refresh(hass, coordinator)
        assert coordinator.last_update_success
        if emu.stats()["http_requests"] == 1:
            break
    assert emu.stats()["http_requests"] == 1
    assert (coordinator.client.max_bulk_size or planned) >= planned
    assert not log_guard.problems()


async def test_slow_answers_keep_polling(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """Answers that take 12 s of device time (in emulated time): polls succeed, values are the
    device's, nothing is logged as an error."""
    emu, _entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=1, clock="manual", device_speed="px3"
    )
    for _ in range(3):
        emu.faults.slow_responses(12)
        await refresh(hass, coordinator)
        assert coordinator.last_update_success
        assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert not log_guard.errors()


async def test_certificate_change_tells_the_user_once(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, log_guard: LogGuard
) -> None:
    """The PDU gets a new certificate (a reset, a new upload): polling stops, the user is told
    once - one reauthentication flow showing the new fingerprint, no repair issue besides,
    however many polls were due - and after trusting it polling resumes with it pinned."""
    emu, entry, coordinator = await guarded_setup(
        hass, emulator_factory, log_guard, link_units=0, clock="manual", tls=True
    )
    mark = log_guard.mark()
    new = emu.faults.change_certificate()
    for _ in range(4):
        await refresh(hass, coordinator)
    assert {hass.states.get(e).state for e in power_entities(hass, emu)} == {STATE_UNAVAILABLE}
    assert flows_in_progress(hass) == ["reauth"]
    assert not repair_issues(hass)
    assert len(log_guard.problems(mark)) <= 1, log_guard.problems(mark)

    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == new
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"trust": True})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data["fingerprint"] == new
    await refresh(hass, entry.runtime_data)
    assert assert_truthful(hass, emu) == len(power_entities(hass, emu))
    assert not flows_in_progress(hass)
