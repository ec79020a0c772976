"""The PDU card on a dashboard, in a browser: what a user sees and does with it.

A second emulated PDU (a primary and a link unit with 48 outlets each, some outlets named, a
tripped breaker on the link unit) is added to the session's Home Assistant through the config
flow; a dashboard gets one card per unit through the websocket API, as the dashboard editor saves
it. Headless Chromium (Debian's, as in ``test_browser.py``) then opens it: every outlet of both
units is there with its state, a click switches an outlet (the emulator's relay changes), a
critical outlet asks first, the outlet menu power-cycles, and the card is offered in the card
picker. Screenshots at desktop and phone width, light and dark, go to ``SCREENSHOTS``.

The entry and the dashboard are removed at the end, so the other e2e tests see the session's PDU
alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_socket

from .conftest import E2EEnv, log_in, run_config_flow, sync_playwright_session, wait_for
from .harness import REPO, EmulatorProcess, EmulatorSettings
from .test_browser import CHROMIUM_ARGS, chromium  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

#: Where the screenshots go: ``E2E_OUTPUT_DIR`` (CI sets it to what it keeps), else ``build/``.
SCREENSHOTS = Path(os.environ.get("E2E_OUTPUT_DIR") or REPO / "build" / "e2e") / "card"

OUTLETS = 48
LINK_ID = 2
#: Outlet names set on the PDU, by (unit, 0-based outlet): short, long, and most left unnamed.
NAMES = {
    (0, 0): "Core switch",
    (0, 1): "Firewall",
    (0, 2): "NAS",
    (0, 3): "Hypervisor 1 - production cluster, do not switch off",
    (0, 6): "Lab bench",
    (0, 11): "Modem",
    (LINK_ID, 0): "Storage shelf A",
    (LINK_ID, 1): "Storage shelf B",
    (LINK_ID, 24): "Test rig",
}
#: Critical outlets of each card (1-based numbers).
CRITICAL = {0: [1, 2, 4], LINK_ID: [1, 2]}
DASHBOARD_PATH = "raritan-pdu"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@dataclass
class CardPdu:
    """The second PDU and the dashboard with its cards."""

    emulator: EmulatorProcess
    entry_id: str
    units: dict[int, dict[str, Any]]
    """Layout of each unit (``raritan_pdu/layout``), by PDU id."""
    url: str
    """The dashboard."""
    every_unit: set[str]
    """The device ids of every unit of every PDU (the session's too)."""

    def card(self, page: Any, pdu_id: int) -> Any:
        return page.locator(f'raritan-pdu-card[data-device="{self.units[pdu_id]["device_id"]}"]')

    def tile(self, page: Any, pdu_id: int, number: int) -> Any:
        return self.card(page, pdu_id).locator(f'.tile[data-outlet="{number}"]')


def name_outlets(emulator: EmulatorProcess) -> None:
    """Set outlet names on the PDU, as its web interface does (``Outlet.setSettings``)."""
    for (pdu_id, index), name in NAMES.items():
        rid = emulator.outlet_rid(index, pdu_id)
        settings = emulator.rpc(rid, "getSettings")
        assert emulator.rpc(rid, "setSettings", {"settings": {**settings, "name": name}}) == 0


def outlet_state(emulator: EmulatorProcess, pdu_id: int, number: int) -> dict[str, Any]:
    return dict(emulator.rpc(emulator.outlet_rid(number - 1, pdu_id), "getState"))


def loaded_layout(env: E2EEnv, entry_id: str) -> dict[int, dict[str, Any]] | None:
    """Both units of the entry, once every outlet's switch has a state; else None."""
    answer = env.websocket({"type": "raritan_pdu/layout"})
    assert answer["success"], answer
    entry = next((e for e in answer["result"]["entries"] if e["entry_id"] == entry_id), None)
    if entry is None or len(entry["units"]) != 2:
        return None
    states = {s["entity_id"]: s["state"] for s in env.states()}
    outlets = [o for unit in entry["units"] for o in unit["outlets"]]
    if len(outlets) != 2 * OUTLETS or any(
        states.get(o["switch"]) not in ("on", "off") for o in outlets
    ):
        return None
    return {unit["pdu_id"]: unit for unit in entry["units"]}


def dashboard_config(units: dict[int, dict[str, Any]]) -> dict[str, Any]:
    cards = [
        {
            "type": "custom:raritan-pdu-card",
            "device": unit["device_id"],
            "critical_outlets": CRITICAL[pdu_id],
        }
        for pdu_id, unit in units.items()
    ]
    return {"title": "PDUs", "views": [{"title": "Rack", "path": "rack", "cards": cards}]}


@pytest.fixture(scope="module")
def card_pdu(pdu_entry: E2EEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CardPdu]:
    """The second PDU, added through the config flow, and a dashboard with a card per unit.

    Set up before the browser (``browser`` depends on it): Playwright's synchronous API runs an
    event loop, and the websocket calls here run one of their own."""
    pytest_socket.enable_socket()  # set up before the function-scoped socket_enabled
    env = pdu_entry
    tmp = tmp_path_factory.mktemp("card")
    settings = EmulatorSettings(
        outlets=OUTLETS,
        link_units=1,
        peripherals=0,
        tls=True,
        seed=48,
        # Breaker C2 of the link unit tripped (its outlets draw nothing); a short cycle delay.
        extra_args=("--fault-trip-breaker", f"{LINK_ID}:1", "--cycle-delay", "3"),
    )
    emulator = EmulatorProcess(settings, log_path=tmp / "emulator.log")
    entry_id = ""
    dashboard_id = ""
    try:
        emulator.start()
        name_outlets(emulator)
        result, _steps = run_config_flow(env, emulator=emulator)
        assert result["type"] == "create_entry", result
        entry_id = result["result"]["entry_id"]
        units = wait_for(lambda: loaded_layout(env, entry_id), 120, "both units with their outlets")
        answer = env.websocket(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_PATH,
                "title": "PDUs",
                "icon": "mdi:power-socket-eu",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
        assert answer["success"], answer
        dashboard_id = answer["result"]["id"]
        answer = env.websocket(
            {
                "type": "lovelace/config/save",
                "url_path": DASHBOARD_PATH,
                "config": dashboard_config(units),
            }
        )
        assert answer["success"], answer
        answer = env.websocket({"type": "raritan_pdu/layout"})
        every_unit = {u["device_id"] for e in answer["result"]["entries"] for u in e["units"]}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        url = f"{env.hass.url}/{DASHBOARD_PATH}/rack"
        yield CardPdu(emulator, entry_id, units, url, every_unit)
    finally:
        if dashboard_id:
            env.websocket({"type": "lovelace/dashboards/delete", "dashboard_id": dashboard_id})
        if entry_id:
            env.hass.request(
                "DELETE", f"/api/config/config_entries/entry/{entry_id}", token=env.token
            )
        emulator.stop()


@contextmanager
def chromium_browser(executable: Path) -> Iterator[Any]:
    """Headless Chromium, for one test: Playwright's synchronous API runs an event loop of its
    own, which must not outlive the test (the asyncio fixtures close theirs after each)."""
    with sync_playwright_session() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def login_state(card_pdu: CardPdu, chromium: Path, pdu_entry: E2EEnv) -> dict[str, Any]:  # noqa: F811
    """A logged-in browser's storage (Home Assistant keeps its tokens in local storage)."""
    pytest_socket.enable_socket()
    with chromium_browser(chromium) as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.set_default_timeout(60_000)
        log_in(page, pdu_entry)
        return dict(context.storage_state())


@contextmanager
def dashboard(
    executable: Path, login_state: dict[str, Any], card_pdu: CardPdu, **context: Any
) -> Iterator[Any]:
    """The dashboard in a new browser (viewport, colour scheme ...), both cards drawn."""
    from playwright.sync_api import expect

    with chromium_browser(executable) as browser:
        ctx = browser.new_context(storage_state=login_state, **{"viewport": DESKTOP, **context})
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        page.goto(card_pdu.url)
        for pdu_id in card_pdu.units:
            tiles = card_pdu.card(page, pdu_id).locator(".tile[data-state]")
            expect(tiles).to_have_count(OUTLETS, timeout=60_000)
        yield page


@pytest.fixture
def page(card_pdu: CardPdu, chromium: Path, login_state: dict[str, Any]) -> Iterator[Any]:  # noqa: F811
    """The dashboard at desktop width, light theme."""
    with dashboard(chromium, login_state, card_pdu) as page:
        yield page


def tile_states(card: Any) -> dict[int, str]:
    rows = card.locator(".tile").evaluate_all(
        "els => els.map(e => [e.dataset.outlet, e.dataset.state])"
    )
    return {int(number): state for number, state in rows}


def switch_states(env: E2EEnv, unit: dict[str, Any]) -> dict[int, str]:
    states = {s["entity_id"]: s["state"] for s in env.states()}
    return {o["number"]: states[o["switch"]] for o in unit["outlets"]}


def test_card_shows_every_outlet_of_both_units(
    page: Any, card_pdu: CardPdu, pdu_entry: E2EEnv
) -> None:
    """48 outlets per unit in PDU order, each with Home Assistant's state, the names set on the
    PDU, the critical ones marked; the totals, the breakers and the tripped one at the top."""
    for pdu_id, unit in card_pdu.units.items():
        card = card_pdu.card(page, pdu_id)
        numbers = card.locator(".tile").evaluate_all(
            "els => els.map(e => Number(e.dataset.outlet))"
        )
        assert numbers == list(range(1, OUTLETS + 1))
        wait_for(
            lambda card=card, unit=unit: tile_states(card) == switch_states(pdu_entry, unit),
            30,
            f"the tiles of unit {pdu_id} to show the switches' states",
        )
        for (unit_id, index), name in NAMES.items():
            if unit_id == pdu_id:
                assert card.locator(f'.tile[data-outlet="{index + 1}"] .name').inner_text() == name
        critical = card.locator(".tile[data-critical]").evaluate_all(
            "els => els.map(e => Number(e.dataset.outlet))"
        )
        assert critical == CRITICAL[pdu_id]
        assert card.locator(".title").inner_text() == unit["name"]
        metrics = card.locator(".metric").all_inner_texts()
        assert any(re.search(r"POWER\s+[\d.,]+\s*k?W", m, re.IGNORECASE) for m in metrics), metrics
        on = next(o for o in unit["outlets"] if o["number"] == 3)
        assert re.fullmatch(
            r"[\d.,]+\s*W", card_pdu.tile(page, pdu_id, on["number"]).locator(".value").inner_text()
        )
    breakers = card_pdu.card(page, LINK_ID).locator(".chip").all_inner_texts()
    assert any("C2 tripped" in chip for chip in breakers), breakers
    assert not any(
        "tripped" in chip for chip in card_pdu.card(page, 0).locator(".chip").all_inner_texts()
    )


def test_click_switches_the_outlet(page: Any, card_pdu: CardPdu) -> None:
    """A click on an outlet of the link unit switches its relay; Enter on a focused outlet too."""
    emulator = card_pdu.emulator
    for number, press in ((5, "click"), (6, "Enter")):
        before = emulator.outlet_is_on(number - 1, LINK_ID)
        main = card_pdu.tile(page, LINK_ID, number).locator(".main")
        if press == "click":
            main.click()
        else:
            main.focus()
            page.keyboard.press(press)
        wait_for(
            lambda number=number, before=before: (
                emulator.outlet_is_on(number - 1, LINK_ID) != before
            ),
            30,
            f"the link unit's outlet {number} to switch after the {press}",
        )
        expected = "off" if before else "on"
        tile = card_pdu.tile(page, LINK_ID, number)
        wait_for(
            lambda tile=tile, expected=expected: tile.get_attribute("data-state") == expected,
            30,
            f"outlet {number} to show {expected}",
        )


def test_critical_outlet_asks_before_switching(page: Any, card_pdu: CardPdu) -> None:
    """Outlet 1 of the primary is critical: a click asks; Cancel leaves it, confirming switches."""
    emulator = card_pdu.emulator
    before = emulator.outlet_is_on(0)
    card = card_pdu.card(page, 0)
    dialog = card.locator("dialog.confirm")
    verb = "Switch off" if before else "Switch on"

    card_pdu.tile(page, 0, 1).locator(".main").click()
    dialog.wait_for(state="visible")
    assert dialog.locator("h2").inner_text() == f"{verb} “Core switch” (outlet 1)?"
    page.screenshot(path=str(SCREENSHOTS / "critical-confirmation.png"))
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    assert emulator.outlet_is_on(0) == before

    card_pdu.tile(page, 0, 1).locator(".main").click()
    dialog.get_by_role("button", name=verb).click()
    wait_for(lambda: emulator.outlet_is_on(0) != before, 30, "the primary's outlet 1 to switch")
    tile = card_pdu.tile(page, 0, 1)
    expected = "off" if before else "on"
    wait_for(
        lambda: tile.get_attribute("data-state") == expected, 30, f"outlet 1 to show {expected}"
    )


def test_power_cycle_from_the_outlet_menu(page: Any, card_pdu: CardPdu) -> None:
    """The outlet's menu (its ⋮ button) power-cycles it: the PDU switches it off and on again."""
    emulator = card_pdu.emulator
    before = outlet_state(emulator, 0, 3)
    card_pdu.tile(page, 0, 3).locator(".more").click()
    menu = card_pdu.card(page, 0).locator("dialog.menu")
    menu.wait_for(state="visible")
    assert menu.locator("h2").inner_text() == "Outlet 3 · NAS"
    # title, facts ("On · 33 W · ..."), actions: nothing else (a missing badge once read "null")
    lines = [line for line in menu.inner_text().split("\n") if line.strip()]
    assert lines[1].startswith(("On", "Off")), lines
    menu.get_by_role("button", name="Power cycle").click()
    menu.wait_for(state="hidden")
    wait_for(
        lambda: (
            outlet_state(emulator, 0, 3)["lastPowerStateChange"] != before["lastPowerStateChange"]
        ),
        30,
        "the emulator to power-cycle outlet 3",
    )


def test_card_picker_offers_the_card(page: Any, card_pdu: CardPdu) -> None:
    """Edit dashboard > Add card: the picker offers the Raritan PDU card with a preview; picked,
    its editor offers every unit of every PDU."""
    page.goto(f"{card_pdu.url}?edit=1")
    page.get_by_role("button", name=re.compile("add card", re.IGNORECASE)).click()
    # The dialog opens on "By card" (2025.4) or "By entity" (2026.11).
    page.get_by_text(re.compile(r"^\s*by card\s*$", re.IGNORECASE)).first.click()
    picker = page.locator("hui-card-picker")
    picker.wait_for(state="visible")
    picker.locator("input").first.fill("Raritan")
    offered = picker.locator(".card", has=page.get_by_text("Raritan PDU", exact=True)).first
    offered.locator("raritan-pdu-card .tile").first.wait_for(state="visible")  # the preview
    page.screenshot(path=str(SCREENSHOTS / "card-picker.png"))
    offered.click()
    units = page.locator("raritan-pdu-card-editor select#device option")
    units.first.wait_for(state="attached")
    assert set(units.evaluate_all("els => els.map(e => e.value)")) == card_pdu.every_unit


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(
    card_pdu: CardPdu,
    chromium: Path,  # noqa: F811
    login_state: dict[str, Any],
    scheme: str,
    width: str,
    viewport: dict[str, int],
) -> None:
    """The dashboard as a user sees it, saved for people to look at; at phone width the outlets
    wrap into at least four columns inside the screen, and the dark theme is dark."""
    with dashboard(chromium, login_state, card_pdu, viewport=viewport, color_scheme=scheme) as page:
        card = card_pdu.card(page, 0)
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        lefts = card.locator(".tile").evaluate_all(
            "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
        )
        columns = len(set(lefts))
        assert columns >= 4, lefts
        luminance = card.evaluate(
            """el => {
                const c = getComputedStyle(el.shadowRoot.querySelector("ha-card")).backgroundColor;
                const [r, g, b] = c.match(/[\\d.]+/g).map(Number);
                return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
            }"""
        )
        assert (luminance < 0.3) if scheme == "dark" else (luminance > 0.7), luminance
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}-{scheme}.png"))
        # Each whole card: a screen tall enough for it (the toolbar would cover a scrolled one).
        cards = [card_pdu.card(page, pdu_id).bounding_box() for pdu_id in card_pdu.units]
        bottom = max(b["y"] + b["height"] for b in cards if b is not None)
        page.set_viewport_size({"width": viewport["width"], "height": int(bottom) + 200})
        for pdu_id, unit in card_pdu.units.items():
            name = "primary" if unit["primary"] else "link"
            card_pdu.card(page, pdu_id).screenshot(
                path=str(SCREENSHOTS / f"card-{name}-{width}-{scheme}.png")
            )
        print(f"\ne2e: screenshots in {SCREENSHOTS}")
