"""The bulk size limit and the time budget as policies (issues #11 item 2, #12 item 12).

A blip is not a size limit: the limit drops only on size rejections in two sends in a row (at
once for HTTP 413), and grows back. The time budget follows the device. These run the real
``BulkSender`` against ``ScriptedDevice``, an implementation of the ``BulkExchange`` protocol
that answers every request as a script says (the emulator cannot reject by size at will).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import (
    ReadingPlan,
    XerusConnectionError,
    XerusError,
    XerusHttpError,
    XerusTimeoutError,
    XerusTlsError,
)
from custom_components.raritan_pdu.xerus.bulk import (
    SMALL_BULK,
    BulkSender,
    BulkSizeLimit,
    BulkTimeBudget,
)
from custom_components.raritan_pdu.xerus.exceptions import XerusConnectionLostError
from custom_components.raritan_pdu.xerus.rpc import encode_sub_request

#: What the device does with a bulk of ``size``: ``None`` answers it, an exception fails it, an
#: int answers only that many of the first calls.
type Outcome = Exception | int | None
type Script = Callable[[int], Outcome]


class ScriptedDevice:
    """A ``BulkExchange``: answers or fails each request as ``script(size)`` says."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sizes: list[int] = []
        self.timeouts: list[float] = []
        self._ids = 0

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    async def exchange(
        self,
        rid: str,
        body: bytes,
        request_id: int,
        timeout: float,  # noqa: ASYNC109
        *,
        idempotent: bool = True,
    ) -> Any:
        ids = [sub["json"]["id"] for sub in json.loads(body)["params"]["requests"]]
        self.sizes.append(len(ids))
        self.timeouts.append(timeout)
        outcome = self.script(len(ids))
        if isinstance(outcome, Exception):
            raise outcome
        answered = ids if outcome is None else ids[:outcome]
        return {
            "responses": [
                {"json": {"jsonrpc": "2.0", "result": {"_ret_": i}, "id": i}, "statcode": 200}
                for i in answered
            ]
        }


def _fragments(count: int) -> list[str]:
    return [encode_sub_request(f"/s/{i}", "getReading", i) for i in range(count)]


def _sender(
    script: Script, timeout: float = 10.0, **budget: Any
) -> tuple[BulkSender, ScriptedDevice]:
    device = ScriptedDevice(script)
    return BulkSender(device, BulkSizeLimit(), BulkTimeBudget(timeout, **budget)), device


def _faults(*outcomes: Outcome) -> Script:
    """The given outcomes for the first requests, then answers."""
    pending = list(outcomes)
    return lambda size: pending.pop(0) if pending else None


def _run(sender: BulkSender, count: int) -> list[Any]:
    responses = asyncio.run(sender.send(_fragments(count)))
    assert [r["json"]["result"]["_ret_"] for r in responses] == list(range(count))
    return responses


def _http(status: int) -> XerusHttpError:
    return XerusHttpError(status)


def _lost() -> XerusConnectionLostError:
    return XerusConnectionLostError("closed the connection without an answer")


@pytest.mark.parametrize(
    "blips",
    [
        (_http(500), _http(500)),  # two 500s: split once
        (_lost(), _lost()),  # two resets (the transport retried already)
        (_http(503),) * 5,  # five 503s in one poll
        (1,),  # an answer holding only the first response
        (_http(500), None, _lost(), None, 3, None),  # a blip every other poll
    ],
    ids=["two-500", "two-resets", "five-503", "first-response-only", "every-other-poll"],
)
def test_a_blip_is_not_a_size_limit(blips: tuple[Outcome, ...]) -> None:
    """After blips the next polls go out as one request again, and the limit stays unknown."""
    sender, device = _sender(_faults(*blips))
    for _ in range(4):
        _run(sender, 150)
    assert sender.limit.value is None
    device.sizes.clear()
    _run(sender, 150)
    assert device.sizes == [150]


def test_a_failed_connect_is_not_about_size() -> None:
    for error in (
        XerusTlsError("TLS handshake failed"),
        XerusConnectionError("cannot connect: connection refused"),
    ):
        sender, device = _sender(_faults(error))
        with pytest.raises(type(error)):
            _run(sender, 150)
        assert device.sizes == [150]  # not split, not retried
        _run(sender, 150)
        assert sender.limit.value is None


def test_rejections_in_two_sends_in_a_row_lower_the_limit_which_grows_back() -> None:
    """A device that takes at most 100: the limit drops to what worked, then is tried upwards."""
    accepts = {"max": 100}

    def script(size: int) -> Outcome:
        return _http(503) if size > accepts["max"] else None

    sender, device = _sender(script)
    _run(sender, 300)
    assert sender.limit.value is None  # the first one may be a blip
    _run(sender, 300)
    assert sender.limit.value == 75  # 300 -> 150 -> 75: what worked
    device.sizes.clear()
    _run(sender, 300)
    assert device.sizes == [75] * 4
    # The device takes more again (it was busy): after GROW_AFTER bulks at the limit, more.
    accepts["max"] = 10_000
    polls = 0
    while sender.limit.value is not None:
        polls += 1
        _run(sender, 300)
        assert polls < 30
    device.sizes.clear()
    _run(sender, 300)
    assert device.sizes == [300]


def test_http_413_lowers_the_limit_at_once_and_a_failed_try_goes_back() -> None:
    sender, device = _sender(lambda size: _http(413) if size > 64 else None)
    _run(sender, 256)
    assert sender.limit.value == 64
    assert device.sizes == [256, 128, 64, 64, 128, 64, 64]  # 413 is not retried at one size
    tries = 0
    for _ in range(3 * BulkSizeLimit.GROW_AFTER):
        device.sizes.clear()
        _run(sender, 256)
        if 128 in device.sizes:  # a larger size was tried, rejected and given up at once
            tries += 1
            assert device.sizes == [128, 64, 64, 64, 64]
        else:
            assert device.sizes == [64] * 4
    assert sender.limit.value in (64, 128)
    assert 2 <= tries <= 4  # after 4 sends, then after twice as many each time


def test_small_bulks_are_never_split_and_a_dead_device_fails() -> None:
    """Every request fails with 503: a few requests down one branch, then the error."""
    sender, device = _sender(lambda size: _http(503))
    with pytest.raises(XerusHttpError):
        _run(sender, 4536)
    assert len(device.sizes) <= 12  # the first retried once, then halved down to <= 8
    assert min(device.sizes) >= SMALL_BULK // 2
    sender, device = _sender(lambda size: _http(503))
    with pytest.raises(XerusHttpError):
        _run(sender, SMALL_BULK)
    assert device.sizes == [SMALL_BULK]


def test_commands_are_sent_exactly_once() -> None:
    for error in (_http(503), _lost(), XerusTimeoutError("no answer within 10 s")):
        sender, device = _sender(_faults(error))
        with pytest.raises(type(error)):
            asyncio.run(sender.send(_fragments(20), idempotent=False))
        assert device.sizes == [20]


def test_a_bulk_beyond_the_time_ceiling_is_split() -> None:
    """Before any measurement a sub-request is assumed to take 25 ms: 60 s of it is too long."""
    sender, device = _sender(lambda size: None, timeout=0.5, ceiling=1.5)
    budget = sender.budget
    assert budget.timing.samples == 0 and budget.timing.per_call_s == 0.025
    largest = budget.max_size()
    assert budget.MARGIN * budget.expected(largest) <= 1.5 < budget.MARGIN * budget.expected(
        largest + 1
    )
    _run(sender, 3 * largest)
    assert device.sizes == [largest] * 3
    assert all(timeout <= 1.5 for timeout in device.timeouts[:1])


def test_timeouts_teach_the_budget_and_are_retried_once() -> None:
    """The device needs more than the budget allowed: learned, sent once more, else raised."""
    sender, device = _sender(_faults(XerusTimeoutError("slow")))
    _run(sender, 300)
    first, retry = device.timeouts
    assert device.sizes == [300, 300]
    timing = sender.budget.timing
    assert timing.timeouts == 1
    assert timing.per_call_s >= (first - timing.overhead_s) / 300  # the evidence
    assert retry > 2 * first  # room for a slower device and the abandoned bulk ahead of it

    sender, device = _sender(_faults(*[XerusTimeoutError("slow")] * 3))
    with pytest.raises(XerusTimeoutError):
        _run(sender, 300)
    assert device.sizes == [300, 300]  # bounded: one retry per send

    # A retry that would need more than the ceiling allows is split instead.
    sender, device = _sender(_faults(XerusTimeoutError("slow")))
    _run(sender, 1000)
    assert device.sizes == [1000, 500, 500]
    assert max(device.timeouts[1:]) <= sender.budget.ceiling * 2

    sender, device = _sender(_faults(XerusTimeoutError("hung")))
    with pytest.raises(XerusTimeoutError):
        _run(sender, 5)  # a small bulk says nothing about speed
    assert device.sizes == [5]


def test_time_samples_move_the_estimate_slowly_and_robustly() -> None:
    budget = BulkTimeBudget(10.0)
    token, attempt = budget.begin(500)
    attempt.started -= 4.2  # the device needed 4.2 s for 500 sub-requests
    budget.answered(token, attempt)
    first = budget.timing.per_call_s
    assert 0.007 < first < 0.009  # the first measurement replaces the guess
    token, attempt = budget.begin(500)
    attempt.started -= 400.0  # a loaded client, or one odd bulk
    budget.answered(token, attempt)
    assert budget.timing.per_call_s < 1.6 * first  # clipped to twice, then weighted
    # A request that queued behind another one of ours teaches nothing.
    slow_token, slow = budget.begin(500)
    queued_token, queued = budget.begin(10)
    assert queued.queued > 0 and queued.timeout > budget.own_budget(10)
    budget.answered(queued_token, queued)
    budget.answered(slow_token, slow)
    assert budget.timing.samples == 3


async def test_after_random_faults_a_poll_is_one_request_again(
    emulator_factory: Any, client_factory: Any
) -> None:
    """Random 500s, 503s, resets, drops, truncated and HTML answers over 100 polls, then none:
    the polls go back to one request each, without a size limit (it was ~140 before)."""
    emu = await emulator_factory(outlets=8, link_units=1)
    client = client_factory(emu, use_session_token=False)
    plan = ReadingPlan.for_topology(await client.discover())
    rng = random.Random(12)
    faults = [
        lambda: emu.faults.http_error(500),
        lambda: emu.faults.http_error(503, count=rng.randint(2, 5)),
        lambda: emu.faults.drop_connection(reset=True),
        lambda: emu.faults.drop_connection(count=2),
        emu.faults.truncate_json,
        emu.faults.html_response,
    ]
    failed = burst = 0
    limits = set()
    for _ in range(100):
        if burst or rng.random() < 0.05:  # now and then a few polls in a row with 503s
            burst = burst - 1 if burst else 3
            emu.faults.http_error(503, count=2)
        elif rng.random() < 0.5:
            rng.choice(faults)()
        try:
            await client.poll(plan)
        except XerusError:
            failed += 1
        limits.add(client.max_bulk_size)
    assert 0 < failed < 50
    assert len(limits) > 1  # the bursts did lower the limit
    emu.faults.clear()
    counts = []
    for _ in range(120):
        emu.reset_stats()
        readings = await client.poll(plan)
        assert not readings.errors
        counts.append(emu.stats()["http_requests"])
        if counts[-5:] == [1] * 5 and client.max_bulk_size is None:
            break
    assert counts[-5:] == [1] * 5 and client.max_bulk_size is None, counts
