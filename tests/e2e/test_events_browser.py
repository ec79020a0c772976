"""Pushed events and alarms in the real UI (#10): an outlet switched on the PDU by someone else
(another client's ``setPowerState``) changes on the outlet's device page without a poll, and the
unit's device page shows the *Alarm* problem sensor. Screenshots go to ``SCREENSHOTS``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from .conftest import E2EEnv, log_in, sync_playwright_session, wait_for
from .harness import REPO
from .test_browser import CHROMIUM_ARGS, chromium  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(os.environ.get("E2E_OUTPUT_DIR") or REPO / "build" / "e2e") / "events"
DESKTOP = {"width": 1280, "height": 1000}


def _unit(env: E2EEnv) -> dict[str, Any]:
    answer = env.websocket({"type": "raritan_pdu/layout"})
    assert answer["success"], answer
    return dict(answer["result"]["entries"][0]["units"][0])


def test_switched_at_the_pdu_shows_at_once_and_the_alarm_is_on_the_unit_page(
    pdu_entry: E2EEnv,
    chromium: Path,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    pytest_socket.enable_socket()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    env = pdu_entry
    unit = wait_for(lambda: _unit(env) if _unit(env)["outlets"] else None, 60, "the unit")
    outlet = unit["outlets"][0]
    switch = outlet["switch"]
    alarm = next(
        s["entity_id"]
        for s in env.states()
        if s["entity_id"].startswith("binary_sensor.") and s["entity_id"].endswith("_alarm")
    )
    with sync_playwright_session() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=DESKTOP).new_page()
            page.set_default_timeout(60_000)
            log_in(page, env)
            page.goto(f"{env.hass.url}/config/devices/device/{unit['device_id']}")
            expect(page.get_by_text("Alarm", exact=True).first).to_be_visible()
            page.wait_for_timeout(1500)
            page.screenshot(path=str(SCREENSHOTS / "unit-device-alarm.png"), full_page=True)
            assert env.state(alarm)["state"] in ("on", "off")

            page.goto(f"{env.hass.url}/config/devices/device/{outlet['device_id']}")
            toggle = page.locator("ha-entity-toggle").first
            expect(toggle).to_be_visible()
            before = env.state(switch)["state"]
            page.screenshot(path=str(SCREENSHOTS / "outlet-before.png"))
            start = time.monotonic()
            env.emulator.set_outlet(0, before != "on")  # another client switches it
            wanted = "off" if before == "on" else "on"
            wait_for(lambda: env.state(switch)["state"] == wanted, 25, "the switch to follow")
            took = time.monotonic() - start
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOTS / "outlet-after.png"))
            print(f"\ne2e: switched at the PDU, shown in Home Assistant after {took:.2f} s")
        finally:
            browser.close()
