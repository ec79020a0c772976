"""Bytes as they come over the wire (no decompression, no decoding) for the hostile-answer tests."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from .conftest import ADMIN


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The parsed body (gunzipped first if it came gzipped)."""
        gzipped = self.headers.get("Content-Encoding") == "gzip"
        return json.loads(gzip.decompress(self.body) if gzipped else self.body)


def rpc(method: str, params: dict[str, Any] | None = None, req_id: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": req_id}


def bulk(calls: list[tuple[str, str]]) -> dict[str, Any]:
    requests = [{"rid": rid, "json": rpc(m, req_id=i)} for i, (rid, m) in enumerate(calls)]
    return rpc("performBulk", {"requests": requests})


async def post(
    url: str,
    body: Any,
    *,
    auth: aiohttp.BasicAuth | None = ADMIN,
    headers: dict[str, str] | None = None,
    accept_gzip: bool = True,
) -> Answer:
    """One POST on a fresh connection; the body exactly as sent (gzip not undone)."""
    send = {"Content-Type": "application/json", **(headers or {})}
    if not accept_gzip:
        send["Accept-Encoding"] = "identity"
    async with (
        aiohttp.ClientSession(auto_decompress=False) as http,
        http.post(
            url,
            data=json.dumps(body).encode(),
            auth=auth,
            headers=send,
            ssl=False,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=60),
        ) as resp,
    ):
        return Answer(resp.status, dict(resp.headers), await resp.read())
