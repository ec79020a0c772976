"""Coordinator behaviour seen from Home Assistant: polling cost, failures, topology changes.

Tests that poll take ``freezer`` as their FIRST fixture, so time (and with it the emulator's
readings and sessions) is frozen before setup.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PORT, EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
)
from homeassistant.helpers import (
    entity_registry as er,
)
from homeassistant.helpers import (
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import (
    AUTH_FAILURES_TO_REAUTH,
    CONF_FINGERPRINT,
    DOMAIN,
    TOPOLOGY_REFRESH_INTERVAL,
    TOPOLOGY_RETRY_INTERVAL,
)
from tests.emulator import PduEmulator

from .conftest import (
    ProxyFactory,
    async_poll,
    entry_data,
    get_device,
    make_config_entry,
    setup_integration,
)


def power_entity(hass: HomeAssistant, emu: PduEmulator, pdu_id: int, outlet: int = 1) -> str:
    """Entity id of the active power sensor of an outlet (1-based) of a unit."""
    unique_id = f"{emu.unit(pdu_id).serial}_outlet_{outlet}_active_power"
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def async_tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Let ``delta`` pass (at least one poll happens)."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_one_request_per_poll(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every poll reads all three units with exactly one HTTP request."""
    for pdu_id in (0, 2, 3):
        assert state_of(hass, power_entity(hass, emulator, pdu_id)) != STATE_UNAVAILABLE
    emulator.reset_stats()
    await async_poll(hass, freezer)
    stats = emulator.stats()
    assert stats["http_requests"] == 1
    assert stats["bulk_requests"] == 1
    # Every registered fast reading (the slow ones come every few polls), plus the link status
    # of the primary unit.
    coordinator = init_integration.runtime_data
    fast = coordinator.registered_rids - coordinator.slow_rids
    assert stats["bulk_subrequests"] == len(fast) + 1

    # The values follow the device.
    outlet = emulator.unit(2).outlet(0)
    value = float(state_of(hass, power_entity(hass, emulator, 2)))
    assert value == pytest.approx(outlet.sensors["activePower"].value())


async def test_update_entity_polls(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """homeassistant.update_entity refreshes now, with the same single request."""
    assert await async_setup_component(hass, "homeassistant", {})
    emulator.reset_stats()
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": power_entity(hass, emulator, 0)},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert emulator.stats()["http_requests"] == 1


async def test_disabled_sensor_costs_nothing_until_enabled(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A sensor disabled by default is not read; once enabled, it joins the same request."""
    registry = er.async_get(hass)
    coordinator = init_integration.runtime_data
    disabled = [
        entry
        for entry in er.async_entries_for_config_entry(registry, init_integration.entry_id)
        if entry.domain == "sensor" and entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    ]
    assert disabled, "expected sensors disabled by default"
    # An outlet's apparent power: disabled by default, read in every poll once enabled.
    unique_id = f"{emulator.unit(0).serial}_outlet_3_apparent_power"
    target = registry.async_get(registry.async_get_entity_id("sensor", DOMAIN, unique_id) or "")
    assert target is not None
    assert target in disabled
    assert hass.states.get(target.entity_id) is None

    emulator.reset_stats()
    await async_poll(hass, freezer)
    before = emulator.stats()["bulk_subrequests"]
    rids_before = set(coordinator.registered_rids)

    registry.async_update_entity(target.entity_id, disabled_by=None)
    await hass.async_block_till_done()
    # Home Assistant reloads the entry shortly after an entity was enabled.
    await async_tick(hass, freezer, timedelta(seconds=31))
    assert init_integration.state is ConfigEntryState.LOADED
    coordinator = init_integration.runtime_data
    assert state_of(hass, target.entity_id) not in (STATE_UNAVAILABLE,)

    emulator.reset_stats()
    await async_poll(hass, freezer)
    stats = emulator.stats()
    assert stats["http_requests"] == 1
    added = set(coordinator.registered_rids) - rids_before
    assert len(added) == 1
    assert stats["bulk_subrequests"] == before + 1


async def test_poll_failure_makes_entities_unavailable(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed poll makes every entity unavailable until the next good one."""
    entity_id = power_entity(hass, emulator, 0)
    # The client splits and retries a bulk the device rejects; keep rejecting everything.
    emulator.faults.http_error(500, count=1000)
    await async_poll(hass, freezer)
    assert state_of(hass, entity_id) == STATE_UNAVAILABLE
    coordinator = init_integration.runtime_data
    assert not coordinator.last_update_success
    assert "500" in str(coordinator.last_exception)

    emulator.faults.clear()
    await async_poll(hass, freezer)
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE


async def test_link_unit_failure_only_affects_its_entities(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """An unreachable link unit: its entities go unavailable, the others keep working."""
    coordinator = init_integration.runtime_data
    emulator.faults.link_unreachable(2)
    await async_poll(hass, freezer)
    assert state_of(hass, power_entity(hass, emulator, 2)) == STATE_UNAVAILABLE
    assert state_of(hass, power_entity(hass, emulator, 0)) != STATE_UNAVAILABLE
    assert state_of(hass, power_entity(hass, emulator, 3)) != STATE_UNAVAILABLE

    # The next poll asks the primary about its link units and stops reading the failed one.
    await async_poll(hass, freezer)
    assert not coordinator.unit_available(2)
    assert coordinator.unit_available(3)
    assert state_of(hass, power_entity(hass, emulator, 2)) == STATE_UNAVAILABLE
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 1
    assert state_of(hass, power_entity(hass, emulator, 3)) != STATE_UNAVAILABLE

    # The device stays registered while the link unit is down.
    assert get_device(hass, emulator.unit(2).serial)

    # Back online: the link status read with the next poll brings it back one poll later.
    emulator.faults.link_unreachable(2, False)
    await async_poll(hass, freezer)
    await async_poll(hass, freezer)
    assert coordinator.unit_available(2)
    assert state_of(hass, power_entity(hass, emulator, 2)) != STATE_UNAVAILABLE


async def test_reboot_rediscovers_without_unavailability(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """After a PDU reboot every opaque RID changed: the poll rediscovers and reads again."""
    entity_id = power_entity(hass, emulator, 2, outlet=3)
    await async_tick(hass, freezer, timedelta(minutes=2))
    emulator.faults.reboot()
    await async_poll(hass, freezer)
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE
    assert init_integration.runtime_data.last_update_success

    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 1
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE


async def test_topology_refresh_adds_renames_and_removes(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Every few hours the topology is read again: new link unit, renamed outlet, removed unit."""
    device_registry = dr.async_get(hass)
    primary = get_device(hass, emulator.unit(0).serial)
    assert primary is not None
    removed_serial = emulator.unit(3).serial
    assert get_device(hass, removed_serial)

    emulator.faults.rename_outlet(0, "NAS")
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 1  # nothing rediscovered before it is due
    outlet = get_device(hass, f"{emulator.unit(0).serial}_outlet_1")
    assert outlet is not None
    assert outlet.name != "NAS"

    await async_tick(hass, freezer, TOPOLOGY_REFRESH_INTERVAL)
    outlet = get_device(hass, f"{emulator.unit(0).serial}_outlet_1")
    assert outlet is not None
    assert outlet.name == "NAS"

    # Link units added and released show in the link status of the next poll: rediscovered
    # at once, beside the poll.
    new_id = emulator.faults.add_link_unit()
    emulator.faults.remove_link_unit(3)
    await async_poll(hass, freezer)

    added = get_device(hass, emulator.unit(new_id).serial)
    assert added is not None
    assert added.via_device_id == primary.id
    assert get_device(hass, removed_serial) is None
    assert not [
        device
        for device in dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
        if any(ident.startswith(f"{removed_serial}_") for _, ident in device.identifiers)
    ]

    # Entities of the new link unit exist and have values after the next poll.
    await async_poll(hass, freezer)
    assert state_of(hass, power_entity(hass, emulator, new_id)) != STATE_UNAVAILABLE


async def test_authentication_failure_while_polling_starts_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """The password changed on the PDU: entities go unavailable at once, and reauth starts once
    the PDU rejected the credentials in a few polls in a row."""
    emulator.faults.change_password("changed")
    emulator.faults.expire_sessions()
    await async_poll(hass, freezer)
    assert state_of(hass, power_entity(hass, emulator, 0)) == STATE_UNAVAILABLE
    for _ in range(AUTH_FAILURES_TO_REAUTH - 1):
        assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        await async_poll(hass, freezer)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    # Polling stopped; after reauthentication it resumes without restarting Home Assistant.
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 0
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"username": "admin", "password": "changed"}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, power_entity(hass, emulator, 0)) != STATE_UNAVAILABLE
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 1


async def test_transient_rejections_do_not_stop_polling(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """Two HTTP 401s with unchanged credentials (a busy PDU): no reauthentication, polling
    goes on and the entities come back."""
    emulator.faults.expire_sessions()
    emulator.faults.http_error(401, count=2)
    for _ in range(AUTH_FAILURES_TO_REAUTH):
        await async_poll(hass, freezer)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert init_integration.runtime_data.last_update_success
    assert state_of(hass, power_entity(hass, emulator, 0)) != STATE_UNAVAILABLE


@pytest.mark.parametrize("emulator_config", [{"tls": True}])
async def test_certificate_change_while_polling(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    proxy_factory: ProxyFactory,
) -> None:
    """The PDU suddenly presents another certificate: no data, and the user is asked once, by
    the reauthentication flow that shows the new fingerprint (no repair issue besides)."""
    first = await proxy_factory(emulator, cert_host="first.example")
    entry = make_config_entry(
        emulator,
        entry_data(emulator, **{CONF_PORT: first.port, CONF_FINGERPRINT: first.fingerprint}),
    )
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    entity_id = power_entity(hass, emulator, 0)
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE

    await first.stop()
    second = await proxy_factory(emulator, cert_host="second.example", port=first.port)
    await async_poll(hass, freezer)

    assert state_of(hass, entity_id) == STATE_UNAVAILABLE
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 0  # polling stopped until the user decides

    # Trusting the new certificate pins it, and polling resumes.
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == second.fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"trust": True})
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_FINGERPRINT] == second.fingerprint
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE


async def test_failed_topology_refresh_keeps_polling(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A rediscovery that fails does not cost the readings; it is retried a bit later."""
    entity_id = power_entity(hass, emulator, 0)
    emulator.faults.fail_call(method="getOutlets", statcode=503)
    emulator.faults.rename_outlet(0, "Backup NAS")
    await async_tick(hass, freezer, TOPOLOGY_REFRESH_INTERVAL)
    assert state_of(hass, entity_id) != STATE_UNAVAILABLE
    outlet = get_device(hass, f"{emulator.unit(0).serial}_outlet_1")
    assert outlet is not None
    assert outlet.name != "Backup NAS"

    emulator.faults.clear()
    await async_tick(hass, freezer, TOPOLOGY_RETRY_INTERVAL)
    outlet = get_device(hass, f"{emulator.unit(0).serial}_outlet_1")
    assert outlet is not None
    assert outlet.name == "Backup NAS"


async def test_link_unit_added_is_found_at_the_next_polls(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """A link unit added on the primary shows up within two polls, not hours later."""
    new_id = emulator.faults.add_link_unit()
    await async_poll(hass, freezer)  # sees the new link status
    await async_poll(hass, freezer)  # rediscovers, reads the new unit
    device = get_device(hass, emulator.unit(new_id).serial)
    assert device is not None
    assert state_of(hass, power_entity(hass, emulator, new_id)) != STATE_UNAVAILABLE

    emulator.reset_stats()
    await async_poll(hass, freezer)
    assert emulator.stats()["http_requests"] == 1


async def test_standalone_pdu_polls_only_readings(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator_factory: Any,
) -> None:
    """Without link units the poll reads exactly what the entities need."""
    emu = await emulator_factory(link_units=0, event_service=False)
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    emu.reset_stats()
    await async_poll(hass, freezer)
    stats = emu.stats()
    assert stats["http_requests"] == 1
    coordinator = entry.runtime_data
    assert stats["bulk_subrequests"] == len(coordinator.registered_rids - coordinator.slow_rids)


async def test_failing_sub_request_only_affects_its_entity(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """One reading failing on the device makes only its entity unavailable."""
    coordinator = init_integration.runtime_data
    outlet = coordinator.topology.primary.outlets[0]
    broken = power_entity(hass, emulator, 0, outlet=1)
    neighbour = power_entity(hass, emulator, 0, outlet=2)
    emulator.faults.fail_call(rid=outlet.sensors["activePower"].rid, statcode=500)
    await async_poll(hass, freezer)
    assert state_of(hass, broken) == STATE_UNAVAILABLE
    assert state_of(hass, neighbour) != STATE_UNAVAILABLE
    assert coordinator.last_update_success

    emulator.faults.clear()
    await async_poll(hass, freezer)
    assert state_of(hass, broken) != STATE_UNAVAILABLE


async def test_link_unit_that_stops_answering_is_not_rediscovered_every_poll(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every read of a link unit fails while the primary still reports it OK: its entities are
    unavailable, one line says so (and one when it is back), and the PDU is not rediscovered
    at every poll."""
    power = power_entity(hass, emulator, 2)
    rids = [s.rid for s in init_integration.runtime_data.topology.unit(2).iter_sensors()]
    rids += [o.rid for o in init_integration.runtime_data.topology.unit(2).outlets]
    rids.append(init_integration.runtime_data.topology.unit(2).identity.rid)  # its Pdu reads
    for rid in rids:
        emulator.faults.fail_call(rid=rid, statcode=503)
    caplog.clear()
    emulator.reset_stats()
    for _ in range(4):
        await async_poll(hass, freezer)
    assert state_of(hass, power) == STATE_UNAVAILABLE
    assert state_of(hass, power_entity(hass, emulator, 3)) != STATE_UNAVAILABLE
    # At most the one rediscovery when it stopped answering: three units' outlets once.
    assert emulator.stats()["method_names"].get("getOutlets", 0) <= 3
    assert caplog.text.count("Link unit 2 of") == 1
    assert "Traceback" not in caplog.text

    # Looked for again on the retry cadence of unreachable link units.
    emulator.faults.clear()
    caplog.clear()
    await async_tick(hass, freezer, TOPOLOGY_RETRY_INTERVAL)
    assert state_of(hass, power) != STATE_UNAVAILABLE
    assert caplog.text.count("answers again") == 1


async def test_outage_logs_one_line_each_way(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The PDU stops answering for several polls: one error line, one line when it is back."""
    caplog.clear()
    emulator.faults.http_error(500, count=1000)
    for _ in range(3):
        await async_poll(hass, freezer)
    emulator.faults.clear()
    await async_poll(hass, freezer)
    errors = [
        r
        for r in caplog.records
        if r.levelname in ("ERROR", "WARNING") and r.name.startswith("custom_components")
    ]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "recovered" in caplog.text
    # No traceback at INFO or above (Home Assistant 2026 adds the exception to its own DEBUG
    # line "Full error:").
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]


async def test_stopping_home_assistant_logs_out(
    hass: HomeAssistant, emulator: PduEmulator, init_integration: MockConfigEntry
) -> None:
    """Home Assistant stops without unloading the entry: the device session is closed now, not
    at the device's idle timeout."""
    assert emulator.stats()["sessions_active"] == 1
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert emulator.stats()["sessions_active"] == 0
