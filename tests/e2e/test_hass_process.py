"""A real ``hass`` process with this integration against the emulator, driven only through HTTP.

What a user does - onboarding, "Add integration" with the certificate trust step, switching an
outlet, reading a power sensor, reloading the entry - through the same REST APIs the frontend uses;
the assertions look at the emulated device itself (its JSON-RPC API), not at Home Assistant's idea
of it.
"""

from __future__ import annotations

import time

import pytest

from .conftest import DOMAIN, E2EEnv, outlet_entity, run_config_flow, wait_for

pytestmark = pytest.mark.e2e


def test_config_flow_went_through_certificate_trust(pdu_entry: E2EEnv) -> None:
    """The user form, then the fingerprint of the self-signed certificate, then an entry."""
    steps = [step["step_id"] for step in pdu_entry.flow_steps]
    assert steps == ["user", "trust_certificate"], steps
    entry = pdu_entry.entry["result"]
    assert entry["domain"] == DOMAIN
    assert entry["state"] == "loaded", entry
    entries = pdu_entry.api("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    assert [e["entry_id"] for e in entries] == [entry["entry_id"]]


def test_host_name_resolves(e2e_env: E2EEnv) -> None:
    """A host name works like an address: with ``localhost`` the flow reaches the emulator (and
    offers its certificate for trust) instead of "Unexpected error" from a broken resolver in
    Home Assistant's shared aiohttp session (aiodns 3.2.0 with pycares 5 resolves no name)."""
    result, steps = run_config_flow(e2e_env, host="localhost", stop_at="trust_certificate")
    assert result["step_id"] == "trust_certificate", result
    assert [step["step_id"] for step in steps] == ["user", "trust_certificate"], steps


def switch_outlet_1_off_and_on(env: E2EEnv) -> None:
    """Switch outlet 1 off and back on in Home Assistant; the emulated relay follows."""
    emulator = env.emulator
    switch = outlet_entity(env, 1, "switch")

    def call(service: str) -> None:
        env.api("POST", f"/api/services/switch/{service}", {"entity_id": switch})

    if not emulator.outlet_is_on(0):
        call("turn_on")
        wait_for(lambda: emulator.outlet_is_on(0), 30, "the emulator's outlet 1 to switch on")
    call("turn_off")
    wait_for(lambda: not emulator.outlet_is_on(0), 30, "the emulator's outlet 1 to switch off")
    wait_for(lambda: env.state(switch)["state"] == "off", 30, f"{switch} to show off")
    # ... and back on, leaving the device as we found it
    call("turn_on")
    wait_for(lambda: emulator.outlet_is_on(0), 30, "the emulator's outlet 1 to switch on again")
    wait_for(lambda: env.state(switch)["state"] == "on", 30, f"{switch} to show on")


def test_switch_outlet_changes_the_device(pdu_entry: E2EEnv) -> None:
    switch_outlet_1_off_and_on(pdu_entry)


def test_power_sensor_matches_the_device(pdu_entry: E2EEnv) -> None:
    """An outlet's active power in Home Assistant equals a fresh reading of the device sensor."""
    env = pdu_entry
    sensor = outlet_entity(env, 3, "sensor", "power")
    if not env.emulator.outlet_is_on(2):
        env.emulator.set_outlet(2, True)
    # Ask for a poll now instead of waiting for the 30 s interval, then compare with the device.
    for _attempt in range(3):
        env.api("POST", "/api/services/homeassistant/update_entity", {"entity_id": sensor})
        time.sleep(1)
        state = env.state(sensor)
        device = env.emulator.outlet_reading(2, "activePower")
        assert state["attributes"].get("unit_of_measurement") == "W", state
        if state["state"] not in ("unknown", "unavailable"):
            ha_value = float(state["state"])
            if abs(ha_value - device) <= max(2.0, 0.05 * abs(device)):
                assert device > 0, "outlet 3 is on and should draw power"
                return
    raise AssertionError(f"{sensor} = {state['state']} W, device reads {device} W")


def test_reload_entry(pdu_entry: E2EEnv) -> None:
    """Reload (the entry's menu, or after an update): the entry loads again, its entities come
    back from the device and still switch it."""
    env = pdu_entry
    entry_id = env.entry["result"]["entry_id"]
    switch = outlet_entity(env, 1, "switch")
    result = env.api("POST", f"/api/config/config_entries/entry/{entry_id}/reload")
    assert result == {"require_restart": False}, result

    def entry_state() -> str:
        entries = env.api("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        return str(next(e["state"] for e in entries if e["entry_id"] == entry_id))

    wait_for(lambda: entry_state() == "loaded", 60, "the entry to be loaded again")
    wait_for(
        lambda: env.state(switch)["state"] in ("on", "off"), 60, f"{switch} to be available again"
    )
    switch_outlet_1_off_and_on(env)
