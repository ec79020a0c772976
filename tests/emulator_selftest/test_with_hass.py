"""The emulator fixture coexists with Home Assistant's ``hass`` fixture and its cleanup checks."""

from __future__ import annotations

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed


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


async def _call(emu, rid: str, method: str) -> dict:
    async with (
        aiohttp.ClientSession(auth=aiohttp.BasicAuth("admin", "raritan")) as http,
        http.post(f"{emu.url}{rid}", json={"method": method, "id": 1}) as resp,
    ):
        return (await resp.json())["result"]


async def test_real_clock_follows_freezer(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory
) -> None:
    """Under HA's ``freezer`` the default (real) clock is the frozen clock: readings and the
    cycle timer move with ``freezer.tick`` and ``async_fire_time_changed``, as HA's own do."""
    emu = await emulator_factory(outlets=1, cycle_delay=10)
    first = await _call(emu, "/model/outlet/0/voltage", "getReading")
    assert first["_ret_"]["timestamp"] == int(dt_util.utcnow().timestamp())
    await _call(emu, "/model/outlet/0", "cyclePowerState")
    freezer.tick(9)
    async_fire_time_changed(hass)
    assert emu.unit(0).outlet(0).cycle_in_progress
    freezer.tick(1)
    async_fire_time_changed(hass)
    assert not emu.unit(0).outlet(0).cycle_in_progress
    later = await _call(emu, "/model/outlet/0/voltage", "getReading")
    assert later["_ret_"]["timestamp"] == first["_ret_"]["timestamp"] + 10


async def test_manual_clock_ignores_freezer(
    freezer: FrozenDateTimeFactory, hass: HomeAssistant, emulator_factory
) -> None:
    """The manual clock never reads the host clock after it was made: freezer changes nothing."""
    emu = await emulator_factory(outlets=1, cycle_delay=10, clock="manual")
    first = await _call(emu, "/model/outlet/0/voltage", "getReading")
    await _call(emu, "/model/outlet/0", "cyclePowerState")
    freezer.tick(3600)
    async_fire_time_changed(hass)
    assert emu.unit(0).outlet(0).cycle_in_progress
    later = await _call(emu, "/model/outlet/0/voltage", "getReading")
    assert later["_ret_"]["timestamp"] == first["_ret_"]["timestamp"]
    emu.advance(10)
    assert not emu.unit(0).outlet(0).cycle_in_progress
