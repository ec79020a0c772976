"""A person in a browser: log in, open an outlet's device page, click its switch, see the device
change.

Headless Debian Chromium (``/usr/bin/chromium``) driven by Playwright for Python. Playwright cannot
download its own browsers here, so the system browser is used; without it the test skips (locally)
or fails (CI). Shares the Home Assistant process and config entry of ``test_hass_process.py``
(session fixtures).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import (
    PASSWORD,
    USERNAME,
    E2EEnv,
    integration_entities,
    outlet_entity,
    skip_or_fail,
    sync_playwright_session,
    wait_for,
)

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# The closed network here refuses Chromium's background connections; these flags stop them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTLET = 2  # 1-based; test_hass_process switches outlet 1
DASHBOARD = re.compile(r"/(lovelace|home)(/|$)")


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -r requirements_test.txt)")
    return CHROMIUM


def test_toggle_outlet_in_the_browser(chromium: Path, pdu_entry: E2EEnv, tmp_path: Path) -> None:
    env = pdu_entry
    emulator = env.emulator
    switch = outlet_entity(env, OUTLET, "switch")
    device_id = next(r["device_id"] for r in integration_entities(env) if r["entity_id"] == switch)
    before = emulator.outlet_is_on(OUTLET - 1)
    wait_for(
        lambda: env.state(switch)["state"] == ("on" if before else "off"),
        60,
        f"{switch} to match the device before the click",
    )
    shot = tmp_path / "outlet-toggled.png"

    with sync_playwright_session() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            # Home Assistant redirects to its login page; the form fields are plain inputs.
            page.goto(env.hass.url)
            page.wait_for_url("**/auth/authorize**")
            page.locator("input[name=username]").fill(USERNAME)
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("input[name=password]").press("Enter")
            # Logged in: the frontend shows the default dashboard (/lovelace/0 on HA 2025.4,
            # /home/overview on 2026.11).
            page.wait_for_url(DASHBOARD)

            # The outlet's device page: its "Controls" card has the outlet switch's toggle.
            page.goto(f"{env.hass.url}/config/devices/device/{device_id}")
            toggle = page.locator("ha-entity-toggle ha-switch").first
            toggle.wait_for(state="visible")
            toggle.click()
            wait_for(
                lambda: emulator.outlet_is_on(OUTLET - 1) != before,
                30,
                f"the emulator's outlet {OUTLET} to change after the click",
            )
            wait_for(
                lambda: env.state(switch)["state"] == ("off" if before else "on"),
                30,
                f"{switch} to follow",
            )
            page.wait_for_timeout(1000)  # let the toggle animation settle for the screenshot
            page.screenshot(path=str(shot), full_page=True)
            print(f"\ne2e: screenshot of the device page after the click: {shot}")
        finally:
            browser.close()

    assert emulator.outlet_is_on(OUTLET - 1) != before
