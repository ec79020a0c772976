"""Raw aiohttp helpers for the emulator self-tests (no client library involved)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest_asyncio

from tests.emulator import PduEmulator

ADMIN = aiohttp.BasicAuth("admin", "raritan")


class Raw:
    """Minimal JSON-RPC over HTTP for assertions on the wire format."""

    def __init__(self, emu: PduEmulator, http: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.http = http
        self.next_id = 0

    async def post(
        self,
        rid: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        auth: aiohttp.BasicAuth | None = ADMIN,
        headers: dict[str, str] | None = None,
        timeout_s: float = 30,
        url: str | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """POST and return (status, parsed JSON or text, response)."""
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(
            (url or self.emu.url) + rid,
            data=data,
            auth=auth,
            headers={"Content-Type": "application/json", **(headers or {})},
            ssl=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as resp:
            text = await resp.text()
            ctype = resp.headers.get("Content-Type", "")
            if resp.status == 200 and ctype.startswith("application/json"):
                try:
                    return resp.status, json.loads(text), resp
                except ValueError:  # e.g. the truncate_json fault
                    return resp.status, text, resp
            return resp.status, text, resp

    async def call(
        self, rid: str, method: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": self.next_id}
        status, payload, _ = await self.post(rid, body, **kwargs)
        return status, payload

    async def result(
        self, rid: str, method: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        status, payload = await self.call(rid, method, params, **kwargs)
        assert status == 200, (rid, method, status, payload)
        assert "error" not in payload, (rid, method, payload)
        return payload["result"]

    async def ret(
        self, rid: str, method: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        result = await self.result(rid, method, params, **kwargs)
        return result["_ret_"]

    async def bulk(
        self, calls: list[tuple[str, str, dict[str, Any] | None]], **kwargs: Any
    ) -> tuple[int, Any]:
        requests = [
            {"rid": rid, "json": {"jsonrpc": "2.0", "method": m, "params": p or {}, "id": i}}
            for i, (rid, m, p) in enumerate(calls)
        ]
        return await self.call("/bulk", "performBulk", {"requests": requests}, **kwargs)

    async def reading(self, rid: str) -> float:
        value = await self.ret(rid, "getReading")
        assert value["available"] and value["valid"], (rid, value)
        return float(value["value"])


RawFactory = Callable[[PduEmulator], Awaitable[Raw]]


@pytest_asyncio.fixture
async def raw_client() -> AsyncIterator[RawFactory]:
    """``await raw_client(emu) -> Raw`` sharing one aiohttp session (closed at teardown)."""
    http = aiohttp.ClientSession()

    async def make(emu: PduEmulator) -> Raw:
        return Raw(emu, http)

    try:
        yield make
    finally:
        await http.close()
