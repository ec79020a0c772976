"""Timeouts that follow the device (issue #11 item 2), on the emulator's real clock.

Small device times keep these fast: the client's request timeout (the floor of every budget) is
0.5 s and sub-requests cost 5-20 ms. Outcomes and request counts are asserted, never times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    PowerState,
    ReadingPlan,
    XerusClient,
    XerusConnectionError,
    XerusTimeoutError,
)

from .conftest import ClientFactory, TinyServer, rpc_answer

TinyFactory = Callable[..., Awaitable[TinyServer]]


def _requests(emu: Any) -> int:
    return int(emu.stats()["http_requests"])


def _reads(pdu: int, outlets: int, count: int) -> list[BulkCall]:
    return [BulkCall(f"/model/pdu/{pdu}/outlet/{i % outlets}", "getState") for i in range(count)]


async def test_a_slow_device_is_waited_for(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """20 ms per sub-request, a 0.5 s request timeout: a 200-call bulk (4 s) just works."""
    emu = await emulator_factory(outlets=8, per_call_ms=20)
    client = client_factory(emu, timeout=0.5, use_session_token=False)
    results = await client.bulk(_reads(0, 8, 200))
    assert all(r.ok for r in results)
    assert _requests(emu) == 1
    timing = client.timing
    assert timing.samples == 1 and timing.timeouts == 0
    assert timing.per_call_s >= 0.015  # learned: about 20 ms
    assert timing.expected(200) >= 3.0


async def test_a_bulk_slower_than_learned_succeeds_after_learning(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """Learned from the primary (5 ms per call); its link unit needs 10 ms (relayed)."""
    emu = await emulator_factory(outlets=8, link_units=1, per_call_ms=5, link_call_ms=10)
    client = client_factory(emu, timeout=0.5, use_session_token=False)
    for _ in range(3):
        assert all(r.ok for r in await client.bulk(_reads(0, 8, 100)))
    learned = client.timing.per_call_s
    emu.reset_stats()
    results = await client.bulk(_reads(2, 8, 100))
    assert all(r.ok for r in results)
    requests = _requests(emu)
    assert requests in (1, 2)  # at once, or after one timeout that taught the client
    assert client.timing.timeouts == requests - 1
    if requests == 2:
        assert client.timing.per_call_s > learned


async def test_a_delayed_answer_fails_one_poll_only(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """A poll whose answer is late twice fails (bounded); a late answer once costs a retry."""
    emu = await emulator_factory(outlets=4)
    for late, polls in ((2, [2, 1]), (1, [2])):
        client = client_factory(emu, timeout=0.5, use_session_token=False)
        plan = ReadingPlan.for_topology(await client.discover())
        emu.faults.delay_responses(10.0, count=late)
        for number, expected in enumerate(polls):
            emu.reset_stats()
            if late == 2 and number == 0:
                with pytest.raises(XerusTimeoutError):
                    await client.poll(plan)  # one retry, then the error
            else:
                readings = await client.poll(plan)
                assert not readings.errors and len(readings.outlets) == 4
            assert _requests(emu) == expected
        assert client.timing.timeouts == late


async def test_a_dead_device_fails_at_once(emulator_factory: Any) -> None:
    emu = await emulator_factory(outlets=2)
    port = emu.port
    await emu.stop()
    async with XerusClient(
        "127.0.0.1", port, use_tls=False, timeout=0.5, use_session_token=False
    ) as client:
        with pytest.raises(XerusConnectionError) as err:
            await client.bulk(_reads(0, 2, 100))
        assert not isinstance(err.value, XerusTimeoutError)
        assert client.request_count == 1  # nothing to wait for, nothing to split


async def test_a_hung_device_fails_in_bounded_time(tiny_server: TinyFactory) -> None:
    """Answers three bulks, then never again: one retry of a large bulk, none of a small one."""
    answered = {"left": 3}
    hang = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if answered["left"] <= 0:
            await hang.wait()
        answered["left"] -= 1
        subs = body["params"]["requests"]
        responses = [
            {"json": rpc_answer(s["json"]["id"], {"_ret_": 1}), "statcode": 200} for s in subs
        ]
        return web.json_response(rpc_answer(body["id"], {"responses": responses}))

    server = await tiny_server(handler)
    async with XerusClient(
        "127.0.0.1", server.port, use_tls=False, timeout=0.3, use_session_token=False
    ) as client:
        for _ in range(3):
            await client.bulk(_reads(0, 2, 50))
        sent = len(server.requests)
        with pytest.raises(XerusTimeoutError):
            await client.bulk(_reads(0, 2, 50))
        assert len(server.requests) - sent == 2
        with pytest.raises(XerusTimeoutError):
            await client.bulk(_reads(0, 2, 3))
        assert len(server.requests) - sent == 3
    hang.set()


async def test_a_command_waits_for_the_poll_ahead_of_it(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """The device handles one request at a time: a switch during a 2.5 s poll queues behind it.

    Its budget counts the poll in flight; with the 0.5 s request timeout alone it would time out.
    """
    emu = await emulator_factory(outlets=48, peripherals=0, per_call_ms=5)
    client = client_factory(emu, timeout=0.5, use_session_token=False)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    assert len(plan) * 0.005 > 2.0
    emu.reset_stats()
    poll = asyncio.create_task(client.poll(plan))
    # The device is working on the poll once it counts its bulk (no event tells it).
    while emu.stats()["bulk_requests"] == 0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    state = await client.set_outlet_power(topology.primary.outlets[3], on=False)
    readings = await poll
    assert state.power_state is PowerState.OFF and emu.unit(0).outlet(3).power_state == 0
    assert not readings.errors
    assert _requests(emu) == 2 and client.timing.timeouts == 0
