"""The dashboard card's contract: its layout command and its JavaScript module.

The card draws what ``raritan_pdu/layout`` answers (the units, their outlets in PDU order and the
entity ids of what it shows) and takes the states from the state machine, so these tests check
what a user would see through it: order, names, the entities the card would switch and read, and
what happens to an entity that was renamed or disabled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.raritan_pdu.const import DOMAIN
from tests.e2e.harness import free_port
from tests.emulator import PduEmulator

from .conftest import entry_data, get_device, make_config_entry, setup_integration

CARD_JS = (
    Path(__file__).resolve().parents[2]
    / "custom_components"
    / "raritan_pdu"
    / "frontend"
    / "raritan-pdu-card.js"
)


@pytest.fixture
def emulator_config() -> dict[str, Any]:
    """A primary unit and one link unit."""
    return {"link_units": 1}


async def layout(hass: HomeAssistant, ws_client: WebSocketGenerator, **params: Any) -> Any:
    """The answer to ``raritan_pdu/layout`` as the card gets it (``success`` and ``result``)."""
    client = await ws_client(hass)
    await client.send_json_auto_id({"type": "raritan_pdu/layout", **params})
    return await client.receive_json()


async def units(hass: HomeAssistant, ws_client: WebSocketGenerator) -> list[dict[str, Any]]:
    answer = await layout(hass, ws_client)
    assert answer["success"], answer
    entries = answer["result"]["entries"]
    assert len(entries) == 1
    return list(entries[0]["units"])


def device_of(hass: HomeAssistant, entity_id: str) -> dr.DeviceEntry:
    entry = er.async_get(hass).async_get(entity_id)
    assert entry is not None and entry.device_id is not None, entity_id
    device = dr.async_get(hass).async_get(entry.device_id)
    assert device is not None
    return device


async def test_layout_of_a_primary_and_its_link_unit(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Both units, primary first, each with its outlets in PDU order and the entities the card
    switches (the outlet's own switch and power-cycle button) and reads (its power sensor)."""
    emulator.unit(0).outlet(2).name = "NAS"
    emulator.unit(2).outlet(0).name = "Core switch"
    emulator.unit(2).outlet(4).power_state = 0
    await setup_integration(hass, mock_config_entry)

    primary, link = await units(hass, hass_ws_client)
    assert (primary["serial"], primary["primary"]) == (emulator.unit(0).serial, True)
    assert (link["serial"], link["primary"]) == (emulator.unit(2).serial, False)
    assert primary["model"] == emulator.unit(0).model
    for unit, emu_unit in ((primary, emulator.unit(0)), (link, emulator.unit(2))):
        device = get_device(hass, emu_unit.serial)
        assert device is not None
        assert unit["device_id"] == device.id
        assert unit["name"] == device.name
        # The PDU's order, labels and names; unnamed outlets have no name (not "Outlet 2").
        assert [o["number"] for o in unit["outlets"]] == list(range(1, 9))
        assert [o["label"] for o in unit["outlets"]] == [o.label for o in emu_unit.outlets]
    assert [o["name"] for o in primary["outlets"][:4]] == [None, None, "NAS", None]
    assert link["outlets"][0]["name"] == "Core switch"

    for unit, emu_unit in ((primary, emulator.unit(0)), (link, emulator.unit(2))):
        for outlet, emu_outlet in zip(unit["outlets"], emu_unit.outlets, strict=True):
            # Every entity of the outlet is on the outlet's device.
            device = get_device(hass, f"{emu_unit.serial}_outlet_{outlet['number']}")
            assert device is not None
            assert outlet["device_id"] == device.id
            for key, domain in (("switch", "switch"), ("cycle", "button"), ("power", "sensor")):
                assert outlet[key].startswith(f"{domain}."), outlet
                assert device_of(hass, outlet[key]).id == device.id
            assert hass.states.get(outlet["switch"]).state == (
                STATE_ON if emu_outlet.power_state else STATE_OFF
            )
            assert outlet["switchable"] is True
            assert outlet["non_critical"] is False
            assert outlet["state"] is None  # the switch shows it: no read-only state
    assert hass.states.get(link["outlets"][4]["switch"]).state == STATE_OFF
    power = hass.states.get(primary["outlets"][0]["power"])
    assert power.attributes["unit_of_measurement"] == "W"
    assert float(power.state) > 0


async def test_layout_has_the_totals_breakers_and_alarms(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The header of the card: unit totals, the inlet, the breakers with their trip sensors, and
    every problem sensor of the unit; a tripped breaker shows as tripped."""
    emulator.faults.trip_breaker(1, unit=2)
    await setup_integration(hass, mock_config_entry)

    primary, link = await units(hass, hass_ws_client)
    for unit in (primary, link):
        for key, unit_of_measurement in (("power", "W"), ("energy", "kWh")):
            state = hass.states.get(unit[key])
            assert state.attributes["unit_of_measurement"] == unit_of_measurement, key
        (inlet,) = unit["inlets"]
        assert hass.states.get(inlet["current"]).attributes["unit_of_measurement"] == "A"
        assert hass.states.get(inlet["voltage"]).attributes["unit_of_measurement"] == "V"
        assert [b["label"] for b in unit["breakers"]] == ["C1", "C2"]
        alarms = {alarm["entity_id"]: alarm for alarm in unit["alarms"]}
        for breaker in unit["breakers"]:
            assert alarms[breaker["tripped"]]["key"] == "tripped"
            assert alarms[breaker["tripped"]]["name"] == f"Breaker {breaker['label']} tripped"
            assert hass.states.get(breaker["current"]).attributes["unit_of_measurement"] == "A"
        assert all(hass.states.get(entity_id) is not None for entity_id in alarms)
    tripped = [hass.states.get(b["tripped"]).state for b in primary["breakers"] + link["breakers"]]
    assert tripped == [STATE_OFF, STATE_OFF, STATE_OFF, STATE_ON]


async def test_layout_follows_renamed_and_disabled_entities(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """Renamed entities and devices are followed; a disabled entity is missing (None), the rest
    of its outlet stays."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    outlets = (await units(hass, hass_ws_client))[0]["outlets"]
    entities.async_update_entity(outlets[0]["switch"], new_entity_id="switch.rack_core_switch")
    entities.async_update_entity(outlets[1]["power"], disabled_by=er.RegistryEntryDisabler.USER)
    devices.async_update_device(outlets[3]["device_id"], name_by_user="Backup NAS")
    await hass.async_block_till_done()

    primary = (await units(hass, hass_ws_client))[0]
    outlets_after = primary["outlets"]
    assert outlets_after[0]["switch"] == "switch.rack_core_switch"
    assert outlets_after[1]["power"] is None
    assert outlets_after[1]["switch"] == outlets[1]["switch"]
    assert outlets_after[3]["name"] == "Backup NAS"
    unchanged = [outlets_after[2], *outlets_after[4:]]
    assert unchanged == [outlets[2], *outlets[4:]]

    devices.async_update_device(primary["device_id"], name_by_user="Rack A top")
    await hass.async_block_till_done()
    assert (await units(hass, hass_ws_client))[0]["name"] == "Rack A top"


async def test_layout_of_an_account_that_may_not_switch(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator_factory: Any
) -> None:
    """Without *Switch Outlet* the card has nothing to switch: each outlet has its read-only
    on/off state (the binary sensor, as the PDU says) instead, and its readings as before."""
    emu: PduEmulator = await emulator_factory(
        link_units=0, outlets=4, accounts={"viewer": ("Viewer-pw-7", ("ro",))}
    )
    emu.unit(0).outlet(1).power_state = 0
    entry = make_config_entry(emu, entry_data(emu, username="viewer", password="Viewer-pw-7"))
    await setup_integration(hass, entry)

    (unit,) = await units(hass, hass_ws_client)
    outlets = unit["outlets"]
    assert [o["switch"] for o in outlets] == [None] * 4
    assert [o["cycle"] for o in outlets] == [None] * 4
    assert all(o["state"].startswith("binary_sensor.") for o in outlets), outlets
    assert [hass.states.get(o["state"]).state for o in outlets] == [
        STATE_ON if o.power_state else STATE_OFF for o in emu.unit(0).outlets
    ]
    assert hass.states.get(outlets[1]["state"]).state == STATE_OFF
    assert all(o["power"] for o in outlets)


async def test_layout_of_one_unit(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: PduEmulator,
    init_integration: MockConfigEntry,
) -> None:
    """The card asks for its unit by device id; a device that is no loaded unit is not found."""
    link_device = get_device(hass, emulator.unit(2).serial)
    outlet_device = get_device(hass, f"{emulator.unit(2).serial}_outlet_1")
    assert link_device is not None and outlet_device is not None

    answer = await layout(hass, hass_ws_client, device_id=link_device.id)
    assert answer["success"], answer
    (entry,) = answer["result"]["entries"]
    assert entry["entry_id"] == init_integration.entry_id
    assert entry["title"] == init_integration.title
    assert [u["serial"] for u in entry["units"]] == [emulator.unit(2).serial]

    answer = await layout(hass, hass_ws_client, device_id=outlet_device.id)
    assert not answer["success"]
    assert answer["error"]["code"] == "not_found"

    # An entry that is not loaded has no layout.
    await hass.config_entries.async_unload(init_integration.entry_id)
    answer = await layout(hass, hass_ws_client, device_id=link_device.id)
    assert answer["error"]["code"] == "not_found"
    answer = await layout(hass, hass_ws_client)
    assert answer["result"] == {"entries": []}


async def test_card_is_served_and_loaded_by_every_frontend_page(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With the frontend, the card's module is on every page (no resource to add by hand), under
    a URL with the file's version (a cached old card is not used after an update). Needs the
    frontend package (home-assistant-frontend), which the newest test harness does not bring."""
    pytest.importorskip("hass_frontend", reason="the frontend package is not installed")
    port = free_port()
    http = {"http": {"server_host": ["127.0.0.1"], "server_port": port}}
    assert await async_setup_component(hass, "http", http)
    assert await async_setup_component(hass, "frontend", {})
    await setup_integration(hass, mock_config_entry)

    (url,) = [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if DOMAIN in u]
    path, _, version = url.partition("?v=")
    assert path == f"/{DOMAIN}/raritan-pdu-card.js"
    assert version

    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    assert await response.text() == CARD_JS.read_text(encoding="utf-8")
    # One URL per Home Assistant, not one per entry.
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    assert [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if DOMAIN in u] == [url]
