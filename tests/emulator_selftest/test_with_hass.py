"""The emulator fixture coexists with Home Assistant's ``hass`` fixture and its cleanup checks."""

from __future__ import annotations

import aiohttp
from homeassistant.core import CoreState, HomeAssistant


async def test_emulator_next_to_hass(hass: HomeAssistant, emulator_factory) -> None:
    """HA's verify_cleanup (lingering tasks/timers/threads) must not complain about the emulator."""
    emu = await emulator_factory(outlets=2, link_units=1, cycle_delay=30)
    auth = aiohttp.BasicAuth("admin", "raritan")
    async with aiohttp.ClientSession(auth=auth) as http:
        body = {"method": "cyclePowerState", "params": {}, "id": 1}
        async with http.post(f"{emu.url}/model/pdu/0/outlet/0", json=body) as resp:
            assert (await resp.json())["result"] == {"_ret_": 0}
    # a pending cycle timer is left behind on purpose: emulator_factory's teardown must cancel it
    assert emu.unit(0).outlet(0).cycle_in_progress
    assert hass.state is CoreState.running


async def test_tls_emulator_next_to_hass(hass: HomeAssistant, emulator_factory) -> None:
    emu = await emulator_factory(tls=True, redirect_http=True)
    assert emu.url.startswith("https://")
    assert emu.tls_fingerprint is not None
    async with (
        aiohttp.ClientSession(auth=aiohttp.BasicAuth("admin", "raritan")) as http,
        http.post(f"{emu.url}/firmware", json={"method": "getVersion", "id": 1}, ssl=False) as resp,
    ):
        assert (await resp.json())["result"]["_ret_"] == "4.4.1.5-53217"
