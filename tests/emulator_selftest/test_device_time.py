"""Device time (``device_speed``, ``latency_ms``/``per_call_ms``/``link_call_ms``) and the clocks.

Everything is asserted in emulated time and in the stats, never on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.emulator import EmulatorConfig
from tests.emulator.clock import ManualClock
from tests.emulator.config import DeviceTime

from .conftest import RawFactory


async def until(predicate: Callable[[], bool]) -> None:
    """Let the event loop run until ``predicate()`` holds (no wall-clock waiting)."""
    for _ in range(200_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def test_presets_and_overrides() -> None:
    assert EmulatorConfig().device_time() == DeviceTime(0.0, 0.0, 0.0)
    assert EmulatorConfig(device_speed="px3").device_time() == DeviceTime(0.04, 0.008, 0.008)
    # explicit values win over the preset; a per-call time also applies to link units...
    px3 = EmulatorConfig(device_speed="px3", per_call_ms=2, latency_ms=0)
    assert px3.device_time() == DeviceTime(0.0, 0.002, 0.002)
    # ...unless they have their own
    own = EmulatorConfig(per_call_ms=2, link_call_ms=5)
    assert own.device_time() == DeviceTime(0.0, 0.002, 0.005)
    with pytest.raises(ValueError, match="device_speed"):
        EmulatorConfig(device_speed="warp")
    with pytest.raises(ValueError, match="clock"):
        EmulatorConfig(clock="sundial")


@pytest.mark.parametrize("time_scale", [0.0, 0.001])
async def test_device_time_per_request_kind(
    emulator_factory, raw_client: RawFactory, time_scale: float
):
    """px3: 40 ms per HTTP request, 8 ms per call; calls routed to a link unit (here 12 ms) by
    any RID form; the manual clock moves by exactly the device time (also when it also sleeps a
    scaled share of it for real)."""
    emu = await emulator_factory(
        outlets=2,
        link_units=1,
        device_speed="px3",
        link_call_ms=12,
        clock="manual",
        time_scale=time_scale,
    )
    raw = await raw_client(emu)
    clock = emu.clock
    link_outlet = emu.unit(2).outlet(0).rid  # opaque: /tfwopaque/.../L2.outlet.0

    async def charged(coro) -> float:
        before = clock.monotonic()
        await coro
        seconds = emu.stats()["device_busy_last_s"]
        assert clock.monotonic() - before == pytest.approx(seconds)
        return seconds

    assert await charged(raw.call("/model/pdu/0", "getMetaData")) == pytest.approx(0.048)
    assert await charged(raw.call("/model/pdu/2", "getMetaData")) == pytest.approx(0.052)
    assert await charged(raw.call(link_outlet, "getState")) == pytest.approx(0.052)
    calls = [("/model/outlet/0", "getState", None)] * 5
    calls += [
        ("/link/2/model/pdu/0", "getMetaData", None),
        ("/model/pdu/2/outlet/1", "getState", None),
        (link_outlet, "getState", None),
        ("/bulk", "performBulk", {"requests": []}),  # nested: refused, still a sub-request
    ]
    assert await charged(raw.bulk(calls)) == pytest.approx(0.040 + 6 * 0.008 + 3 * 0.012)
    assert await charged(raw.call("/model/pdu/0", "getMetaData", auth=None)) == pytest.approx(
        0.040
    )  # a 401 costs the HTTP request
    stats = emu.stats()
    assert stats["device_busy_s"] == pytest.approx(0.048 + 0.052 * 2 + 0.124 + 0.040)
    assert stats["device_busy_max_s"] == pytest.approx(0.124)
    emu.reset_stats()
    assert emu.stats()["device_busy_s"] == 0.0


async def test_instant_device_costs_nothing(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    await raw.bulk([("/model/outlet/0", "getState", None)] * 50)
    assert emu.clock.monotonic() == 0.0
    assert emu.stats()["device_busy_s"] == 0.0


async def test_timers_fire_between_sub_requests(emulator_factory, raw_client: RawFactory):
    """A long bulk takes emulated time: a power cycle started in it ends while it still runs."""
    emu = await emulator_factory(outlets=1, cycle_delay=1, per_call_ms=10, clock="manual")
    raw = await raw_client(emu)
    calls = [("/model/outlet/0", "cyclePowerState", None)]
    calls += [("/model/outlet/0", "getState", None)] * 150
    _, payload = await raw.bulk(calls)
    states = [r["json"]["result"]["_ret_"] for r in payload["result"]["responses"][1:]]
    cycling = [s["cycleInProgress"] for s in states]
    # the cycle started 10 ms into the bulk; sub-request k runs 10 ms * (k + 1) after that
    assert cycling.index(False) == 99
    assert not any(cycling[99:])
    assert [s["powerState"] for s in states[98:100]] == [0, 1]
    assert emu.clock.monotonic() == pytest.approx(1.51)


async def test_advance_fires_due_timers_in_order_at_their_instants(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=3, clock="manual")
    raw = await raw_client(emu)
    start = int(emu.clock.time())
    assert emu.clock.time() == start  # a whole second: timestamps move only with whole seconds
    for outlet, delay in ((0, 7), (1, 2), (2, 30)):
        settings = await raw.ret(f"/model/outlet/{outlet}", "getSettings")
        settings.update(usePduCycleDelay=False, cycleDelay=delay)
        await raw.ret(f"/model/outlet/{outlet}", "setSettings", {"settings": settings})
        await raw.ret(f"/model/outlet/{outlet}", "cyclePowerState")
    emu.advance(10)
    states = [emu.unit(0).outlet(i) for i in range(3)]
    assert [o.power_state for o in states] == [1, 1, 0]
    assert [o.last_power_state_change for o in states[:2]] == [start + 7, start + 2]
    assert [o.relay_cycles for o in states] == [2, 2, 1]
    with pytest.raises(ValueError, match="forward"):
        emu.advance(-1)


async def test_the_real_clock_cannot_be_advanced(emulator_factory, raw_client: RawFactory):
    """The real clock (the default) charges device time as real time; the accounting is the
    same, and ``advance`` explains how to get the manual clock."""
    emu = await emulator_factory(outlets=1, latency_ms=2, per_call_ms=1)
    raw = await raw_client(emu)
    await raw.bulk([("/model/outlet/0", "getState", None)] * 3)
    assert emu.stats()["device_busy_last_s"] == pytest.approx(0.005)
    with pytest.raises(RuntimeError, match="clock='manual'"):
        emu.advance(1)


class GatedClock(ManualClock):
    """Device time passes only once the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def busy(self, seconds: float) -> None:
        self.advance(seconds)
        await self.gate.wait()


@pytest.mark.parametrize(("serialize", "busy_before_release"), [(True, 10.0), (False, 20.0)])
async def test_one_request_at_a_time(
    emulator_factory, raw_client: RawFactory, serialize: bool, busy_before_release: float
):
    """While the device works on one request, a second one waits for it (``serialize``)."""
    emu = await emulator_factory(outlets=1, latency_ms=10_000, serialize=serialize)
    emu.clock = clock = GatedClock()
    raw = await raw_client(emu)
    tasks = [asyncio.create_task(raw.ret("/model/pdu/0", "getSettings")) for _ in range(2)]
    await until(lambda: emu.stats()["http_requests"] == 2)
    await until(lambda: clock.monotonic() >= 10.0)
    # both requests have arrived; serialised, only the first is being worked on
    assert clock.monotonic() == busy_before_release
    clock.gate.set()
    await asyncio.gather(*tasks)
    assert clock.monotonic() == 20.0
