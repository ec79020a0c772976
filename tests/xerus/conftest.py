"""Fixtures of the protocol library tests.

``client_factory`` builds ``XerusClient`` objects for an emulator (closed at teardown);
``tiny_server`` starts a purpose-built aiohttp server for situations the emulator cannot produce.
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web

from custom_components.raritan_pdu.xerus import XerusClient
from tests.emulator import PduEmulator

ClientFactory = Callable[..., XerusClient]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest_asyncio.fixture
async def client_factory() -> AsyncIterator[ClientFactory]:
    """``make(emu, **kwargs) -> XerusClient``; every client is closed at teardown."""
    clients: list[XerusClient] = []

    def make(emu: PduEmulator, **kwargs: Any) -> XerusClient:
        options: dict[str, Any] = {
            "use_tls": emu.config.tls,
            "verify_tls": False,
            "username": emu.config.username,
            "password": emu.config.password,
            "timeout": 5.0,
        }
        options.update(kwargs)
        client = XerusClient(emu.host, emu.port, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def server_ssl_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS server context for a certificate (``tests.emulator.server.make_certificate``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        context.load_cert_chain(str(cert_file), str(key_file))
    return context


class TinyServer:
    """A plain aiohttp server; ``handler`` answers every request, ``requests`` records them.

    With ``ssl_context`` it speaks HTTPS.
    """

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append((request.method, request.raw_path, dict(request.headers), body))
        return await self.handler(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest_asyncio.fixture
async def tiny_server(
    socket_enabled: None,
) -> AsyncIterator[Callable[..., Awaitable[TinyServer]]]:
    """``await tiny_server(handler, ssl_context=None) -> TinyServer`` (started on 127.0.0.1,
    stopped at teardown)."""
    servers: list[TinyServer] = []

    async def make(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> TinyServer:
        server = TinyServer(handler, ssl_context)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


def rpc_answer(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


class FakeDevice:
    """A minimal JSON-RPC device: ``results[(rid, method)]`` is the ``result`` object to send.

    Unknown (rid, method) pairs answer ``{"_ret_": null}``. ``/bulk`` is dispatched per sub-request.
    Subclass or set ``hook`` to change single responses.
    """

    def __init__(self, results: dict[tuple[str, str], Any] | None = None) -> None:
        self.results: dict[tuple[str, str], Any] = dict(results or {})
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def result(self, rid: str, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((rid, method, params))
        value = self.results.get((rid, method), {"_ret_": None})
        return value(params) if callable(value) else value

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        rid = request.path
        if rid == "/bulk":
            responses = [
                {
                    "json": rpc_answer(
                        sub["json"]["id"],
                        self.result(
                            sub["rid"], sub["json"]["method"], sub["json"].get("params", {})
                        ),
                    ),
                    "statcode": 200,
                }
                for sub in body["params"]["requests"]
            ]
            return web.json_response(rpc_answer(body["id"], {"responses": responses}))
        return web.json_response(
            rpc_answer(body["id"], self.result(rid, body["method"], body.get("params", {})))
        )
