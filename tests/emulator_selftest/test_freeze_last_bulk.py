"""What the benchmark (and tests) observe: a frozen clock and the last bulk the device read."""

from __future__ import annotations

import json

import pytest

from .conftest import RawFactory

READS = [
    ("/model/outlet/0/activeEnergy", "getReading", None),
    ("/model/outlet/0/voltage", "getReading", None),
    ("/model/outlet/0/activePower", "getReading", None),
]


def _values(payload) -> list[tuple[int, float]]:
    results = [r["json"]["result"]["_ret_"] for r in payload["result"]["responses"]]
    return [(r["timestamp"], r["value"]) for r in results]


async def test_frozen_real_clock_reads_the_same_at_device_speed(
    emulator_factory, raw_client: RawFactory
):
    """Real clock, frozen: two polls read identical values (noise, energy, timestamps) while
    every request still costs its device time; advance() moves the still physics time."""
    emu = await emulator_factory(outlets=1, latency_ms=30, per_call_ms=5)
    emu.unit(0).outlet(0).base_power = 3600.0
    raw = await raw_client(emu)
    emu.freeze()
    assert emu.frozen
    first = _values((await raw.bulk(READS))[1])
    second = _values((await raw.bulk(READS))[1])
    assert first == second
    assert emu.stats()["device_busy_last_s"] == pytest.approx(0.045)  # 30 + 3 x 5 ms
    still = emu.clock.monotonic()
    emu.advance(3600)
    third = _values((await raw.bulk(READS))[1])
    assert third[0][0] == first[0][0] + 3600
    assert third[0][1] == pytest.approx(first[0][1] + 3600, rel=0.06)  # 1 h at 3.6 kW +-5 %
    emu.unfreeze()
    assert not emu.frozen
    assert emu.clock.monotonic() >= still + 3600  # runs on from there, never backwards
    with pytest.raises(RuntimeError, match="freeze"):
        emu.advance(1)  # a running real clock cannot be moved


async def test_frozen_manual_clock_ignores_device_time(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual", device_speed="px3", cycle_delay=5)
    raw = await raw_client(emu)
    emu.freeze()
    start = emu.clock.monotonic()
    assert await raw.ret("/model/outlet/0", "cyclePowerState") == 0
    assert emu.clock.monotonic() == start  # device time did not move it
    assert emu.stats()["device_busy_last_s"] == pytest.approx(0.048)
    emu.advance(5)  # told: timers fire
    assert emu.unit(0).outlet(0).power_state == 1
    emu.unfreeze()
    await raw.ret("/model/outlet/0", "getState")
    assert emu.clock.monotonic() == pytest.approx(start + 5.048)


async def test_last_bulk_is_what_the_device_read(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    assert emu.last_bulk() == []
    await raw.bulk(READS)
    assert [(rid, sub["method"]) for rid, sub in emu.last_bulk()] == [(r, m) for r, m, _ in READS]
    await raw.ret("/model/outlet/1", "getState")  # a direct call is no bulk
    assert len(emu.last_bulk()) == 3
    legacy = [{"rid": "/model/outlet/1", "json": json.dumps({"method": "getState", "id": 9})}]
    await raw.result("/bulk", "performRequest", {"requests": legacy})
    assert emu.last_bulk() == [("/model/outlet/1", {"method": "getState", "id": 9})]
