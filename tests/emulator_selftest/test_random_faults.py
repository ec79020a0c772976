"""``faults.random``: transient faults per request, reproducible by seed (``chaos.py``)."""

from __future__ import annotations

import math

import aiohttp
import pytest

from tests.emulator.chaos import RANDOM_KINDS

from .conftest import Raw, RawFactory

SOAK_KINDS = tuple(k for k in RANDOM_KINDS if k != "timeout")  # a held answer costs real time


def _calls(emu) -> list[tuple[str, str, None]]:
    link_outlet = emu.unit(2).outlet(0).rid
    return [
        ("/model/outlet/0", "getState", None),
        (link_outlet, "getState", None),
        ("/model/inlet/0/voltage", "getReading", None),
    ]


def _bad(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and value > 10**308


async def _poll(raw: Raw, calls) -> str:
    """What one bulk looked like to a client: a status, a body kind, or per-call outcomes."""
    try:
        status, payload = await raw.bulk(calls)
    except aiohttp.ClientError as err:
        return type(err).__name__
    if status != 200:
        return str(status)
    if isinstance(payload, str):
        return "html" if "<html" in payload.lower() else "not json"
    subs = payload["result"]["responses"]
    return " ".join(
        "bad"
        if _bad(r["json"].get("result", {}).get("_ret_", {}).get("value"))
        else str(r["statcode"])
        for r in subs
    )


async def _soak(emulator_factory, raw_client: RawFactory, requests: int, **random_kwargs):
    emu = await emulator_factory(outlets=2, link_units=1, clock="manual", device_speed="px3")
    raw = await raw_client(emu)
    calls = _calls(emu)
    emu.faults.random(**random_kwargs)
    outcomes = []
    for _ in range(requests):  # a poll every 30 s, as a coordinator does
        outcomes.append(await _poll(raw, calls))
        emu.advance(30)
    return emu, outcomes


async def test_the_same_seed_gives_the_same_faults(emulator_factory, raw_client: RawFactory):
    kwargs = {"rate": 0.2, "seed": 42, "kinds": SOAK_KINDS}
    first, outcomes = await _soak(emulator_factory, raw_client, 100, **kwargs)
    second, again = await _soak(emulator_factory, raw_client, 100, **kwargs)
    assert outcomes == again
    assert first.stats()["random_faults"] == second.stats()["random_faults"]
    _, different = await _soak(emulator_factory, raw_client, 100, **{**kwargs, "seed": 43})
    assert different != outcomes
    faulty = sum(o != "200 200 200" for o in outcomes)
    assert 0 < faulty <= sum(first.stats()["random_faults"].values())


async def test_soak_of_1000_polls_in_emulated_time(emulator_factory, raw_client: RawFactory):
    """About 5 % of 1,000 requests get a fault of many kinds; emulated time carries the px3
    device time and the ``delay`` faults (nobody waits); stats and describe() agree."""
    emu, outcomes = await _soak(
        emulator_factory, raw_client, 1000, rate=0.05, seed=7, kinds=SOAK_KINDS, delay_s=5
    )
    injected = emu.stats()["random_faults"]
    assert set(injected) <= set(SOAK_KINDS)
    assert len(injected) >= 7
    assert emu.faults.describe()["random"]["injected"] == injected
    assert emu.faults.describe()["random"]["requests"] == 1000
    assert 25 <= sum(injected.values()) <= 80
    # each fault spoils one poll, an unreachable link unit the polls of its 90 s
    spoiled = sum(o != "200 200 200" for o in outcomes)
    assert 25 <= spoiled <= sum(injected.values()) + 2 * injected.get("link_unreachable", 0)
    # px3 device time: 64 ms a poll (less for the unprocessed ones) plus the delays
    device_time = emu.clock.monotonic() - 1000 * 30 - injected.get("delay", 0) * 5
    assert 1000 * 0.064 - sum(injected.values()) * 0.064 <= device_time <= 1000 * 0.064 + 1e-6


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("reset", {"ServerDisconnectedError", "ClientOSError"}),
        ("http_5xx", {"500", "502", "503"}),
        ("html", {"html"}),
        ("truncate", {"not json"}),
        ("unauthorized", {"401"}),
        ("bad_reading", {"200 200 bad"}),
        ("link_unreachable", {"200 503 200"}),
    ],
)
async def test_each_kind_on_the_wire(emulator_factory, raw_client: RawFactory, kind, expected):
    emu = await emulator_factory(outlets=1, link_units=1, clock="manual")
    raw = await raw_client(emu)
    emu.faults.random(rate=1.0, kinds=[kind])
    assert await _poll(raw, _calls(emu)) in expected
    assert emu.stats()["random_faults"] == {kind: 1}


async def test_delay_timeout_failing_subrequest_and_session_expiry(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=1, link_units=1, clock="manual")
    raw = await raw_client(emu)
    calls = _calls(emu)
    emu.faults.random(rate=1.0, kinds=["delay"], delay_s=30)
    assert await _poll(raw, calls) == "200 200 200"
    assert emu.clock.monotonic() == pytest.approx(30)  # device time: emulated, nobody waited
    emu.faults.random(rate=1.0, kinds=["timeout"], timeout_s=60)
    with pytest.raises(TimeoutError):
        await raw.call("/model/outlet/0", "getState", timeout_s=0.05)
    emu.faults.random(rate=0)
    emu.advance(60)  # the held answer is released (the client gave up long ago)
    emu.faults.random(rate=1.0, seed=5, kinds=["fail_subrequest"])
    polls = [await _poll(raw, calls) for _ in range(12)]  # one of the next 1-32 calls fails
    assert any("500" in p.split() for p in polls)
    token = (await raw.result("/session", "newSession"))["token"]
    emu.faults.random(rate=1.0, kinds=["session_expiry"])
    status, _ = await raw.call(
        "/model/pdu/0", "getMetaData", auth=None, headers={"X-SessionToken": token}
    )
    assert status == 401
    assert emu.sessions == {}


async def test_link_unit_comes_back_after_a_while(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, link_units=2, clock="manual")
    raw = await raw_client(emu)
    emu.faults.random(rate=1.0, seed=1, kinds=["link_unreachable"], unreachable_s=90)
    status = await raw.ret("/cascade", "getStatus")
    down = [lu["key"] for lu in status["linkUnits"] if lu["value"]["status"] == 2]
    assert len(down) == 1
    emu.faults.random(rate=0)
    emu.advance(89)
    assert emu.unit(down[0]).unreachable
    emu.advance(1)
    assert not emu.unit(down[0]).unreachable


async def test_rate_one_zero_and_clear(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, link_units=1)
    raw = await raw_client(emu)
    calls = _calls(emu)
    emu.faults.random(rate=1.0, seed=3, kinds=("http_5xx",))
    assert {await _poll(raw, calls) for _ in range(20)} <= {"500", "502", "503"}
    emu.faults.random(rate=0)
    assert await _poll(raw, calls) == "200 200 200"
    assert emu.faults.describe()["random"] is None
    emu.faults.random(rate=1.0, kinds=("html",))
    emu.faults.clear()
    assert await _poll(raw, calls) == "200 200 200"
    assert emu.stats()["random_faults"] == {"http_5xx": 20}


async def test_without_link_units_no_link_fault_is_drawn(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.random(rate=1.0, kinds=("link_unreachable",))
    status, _ = await raw.call("/model/outlet/0", "getState")
    assert status in (500, 502, 503)  # the stand-in kind
    assert emu.stats()["random_faults"] == {"http_5xx": 1}


def test_unknown_kinds_are_refused():
    from tests.emulator import PduEmulator

    emu = PduEmulator(outlets=1)
    with pytest.raises(ValueError, match="kinds"):
        emu.faults.random(kinds=("earthquake",))
    with pytest.raises(ValueError, match="kinds"):
        emu.faults.random(kinds=())
