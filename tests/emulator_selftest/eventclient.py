"""A minimal event-channel client on top of the raw JSON-RPC helper (no client library)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from .conftest import Raw

ALL = "idl.Event:1.0.0"


def base(code: str) -> str:
    """``pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0`` -> ``Outlet.StateChangedEvent``."""
    name = re.sub(r"_\d+_\d+_\d+", "", code.split(":", maxsplit=1)[0])
    return ".".join(name.split(".")[-2:])


class Channel:
    def __init__(self, raw: Raw, rid: str, service: str) -> None:
        self.raw = raw
        self.rid = rid
        self.service = service

    @classmethod
    async def create(
        cls, raw: Raw, *types: str, service: str = "/eventservice", **kwargs: Any
    ) -> Channel:
        ref = await raw.ret(service, "createChannel", **kwargs)
        assert ref is not None and ref["type"] == "event.Channel:1.0.1", ref
        channel = cls(raw, ref["rid"], service)
        if types:
            await channel.demand_types(*types, **kwargs)
        return channel

    async def demand_types(self, *types: str, **kwargs: Any) -> None:
        params = {"types": list(types)}
        assert await self.raw.result(self.rid, "demandEventTypes", params, **kwargs) is None

    async def demand(self, code: str, src: dict[str, str] | None, **kwargs: Any) -> None:
        params = {"type": code, "src": src}
        assert await self.raw.result(self.rid, "demandEvent", params, **kwargs) is None

    async def poll_nb(self, **kwargs: Any) -> tuple[bool, list[dict[str, Any]]]:
        result = await self.raw.result(self.rid, "pollEventsNb", **kwargs)
        return result["_ret_"], result["events"]

    async def drain(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Every queued event (several non-blocking polls if need be)."""
        out: list[dict[str, Any]] = []
        more = True
        while more:
            more, events = await self.poll_nb(**kwargs)
            out += events
        return out

    def poll(self, **kwargs: Any) -> asyncio.Task[tuple[int, Any]]:
        """A blocking ``pollEvents`` running in the background."""
        return asyncio.create_task(self.raw.call(self.rid, "pollEvents", **kwargs))


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [base(e["type"]) for e in events]


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The values of the events of one kind (``Outlet.StateChangedEvent``)."""
    return [e["value"] for e in events if base(e["type"]) == kind]


async def until(predicate: Any, what: str = "condition") -> None:
    """Wait (real time, generous bound) until ``predicate()`` holds, e.g. until the emulator has
    received a background request; not a timing assertion, the bound only ends a broken test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not predicate():
        assert loop.time() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.005)


def waiting(emu: Any) -> int:
    """Long polls the emulator holds right now."""
    return int(emu.stats()["events"]["long_polls_waiting"])
