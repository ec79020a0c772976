"""The state file: energy counters, relay states and names survive an emulator restart."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.emulator import state

from .test_stats_tls_cli import _read_facts, _run_cli


async def test_state_round_trip(emulator_factory, tmp_path: Path) -> None:
    """What a restart keeps: names, relay states and energy counters, per unit by serial."""
    emu = await emulator_factory(outlets=3, link_units=1)
    emu.freeze()
    emu.unit(0).outlet(1).power_state = 0
    emu.unit(0).outlet(2).name = "NAS"
    emu.unit(2).name = "Rack B"
    emu.advance(3600)
    path = tmp_path / "state.json"
    state.save(emu, path)  # integrates the energy up to now
    energy = [o.energy_wh for u in emu.units for o in u.outlets]

    again = await emulator_factory(outlets=3, link_units=1)
    again.freeze()
    assert again.unit(0).outlet(1).power_state == 1  # a fresh emulator
    assert state.load(again, path) == 6
    assert again.unit(0).outlet(1).power_state == 0
    assert again.unit(0).outlet(2).name == "NAS"
    assert again.unit(2).name == "Rack B"
    assert [o.energy_wh for u in again.units for o in u.outlets] == pytest.approx(energy)
    assert energy[0] > 1000  # outlet 1 always carries a load

    # No file: nothing to restore; a file of something else: told, not used.
    assert state.load(again, tmp_path / "missing.json") == 0
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ValueError, match="version"):
        state.load(again, path)


async def _outlet_state(url: str, outlet: int) -> int:
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("admin", "raritan")) as http:
        body = {"method": "getState", "id": 1}
        async with http.post(f"{url}/model/outlet/{outlet}", json=body) as resp:
            return int((await resp.json())["result"]["_ret_"]["powerState"])


async def test_cli_state_file(socket_enabled, tmp_path: Path) -> None:
    """``--state-file``: written when the emulator stops, read when it starts again."""
    path = tmp_path / "state.json"
    proc = await _run_cli("--outlets", "2", "--no-tls", "--state-file", str(path))
    try:
        facts = await _read_facts(proc)
        async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("admin", "raritan")) as http:
            body = {"method": "setPowerState", "params": {"pstate": 0}, "id": 1}
            async with http.post(facts["url"] + "/model/outlet/1", json=body) as resp:
                assert (await resp.json())["result"]["_ret_"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    saved = json.loads(path.read_text())
    (unit,) = saved["units"].values()
    assert [o["power_state"] for o in unit["outlets"]] == [1, 0]

    proc = await _run_cli("--outlets", "2", "--no-tls", "--state-file", str(path))
    try:
        facts = await _read_facts(proc)
        assert facts["state"] == f"{path} (2 outlets restored)"
        assert await _outlet_state(facts["url"], 1) == 0
        assert await _outlet_state(facts["url"], 0) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
