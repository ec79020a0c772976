"""The naive client of the benchmark: one HTTP request per JSON-RPC call, one after the other.

That is how Raritan's official Python bindings read a PDU without their bulk helper
(``raritan.rpc.Agent.json_rpc``: one POST per call on a kept-alive connection, Basic auth). The
benchmark uses it to show what one bulk request per poll saves on the same emulated device.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class NaiveResult:
    """Wall time of reading ``calls`` JSON-RPC calls one request each."""

    calls: int
    measured_calls: int
    wall_s: float
    errors: int

    @property
    def extrapolated(self) -> bool:
        """Whether only a sample of the calls was sent (``wall_s`` scaled up to all calls)."""
        return self.measured_calls < self.calls

    def as_dict(self) -> dict[str, Any]:
        """JSON fields."""
        return {
            "calls": self.calls,
            "measured_calls": self.measured_calls,
            "extrapolated": self.extrapolated,
            "wall_s": round(self.wall_s, 3),
            "errors": self.errors,
        }


def sample(reads: list[Any], max_calls: int | None) -> list[Any]:
    """``max_calls`` reads spread evenly over ``reads`` (all of them without a limit)."""
    if max_calls is None or len(reads) <= max_calls:
        return list(reads)
    step = len(reads) / max_calls
    return [reads[int(i * step)] for i in range(max_calls)]


async def naive_read(
    url: str,
    reads: list[Any],
    username: str,
    password: str,
    *,
    max_calls: int | None = None,
) -> NaiveResult:
    """Send every ``[rid, json]`` of ``reads`` as its own POST, sequentially.

    With ``max_calls``, a larger list is sampled evenly and the measured wall time scaled to all
    calls (sequential calls on a serial device cost the same each, so this extrapolates well).
    """
    chosen = sample(reads, max_calls)
    errors = 0
    connector = aiohttp.TCPConnector(ssl=False, limit=1)
    async with aiohttp.ClientSession(
        connector=connector, auth=aiohttp.BasicAuth(username, password)
    ) as session:
        if chosen:
            # Not timed: opens the connection (the bindings keep theirs) and waits until the
            # device finished whatever it was still doing.
            rid, body = chosen[0]
            async with session.post(f"{url}{rid}", json=body) as response:
                await response.read()
        start = time.perf_counter()
        for rid, body in chosen:
            async with session.post(f"{url}{rid}", json=body) as response:
                answer = await response.json(content_type=None)
                if response.status != 200 or "error" in answer:
                    errors += 1
        elapsed = time.perf_counter() - start
    if not chosen:
        return NaiveResult(len(reads), 0, 0.0, errors)
    return NaiveResult(len(reads), len(chosen), elapsed * len(reads) / len(chosen), errors)
