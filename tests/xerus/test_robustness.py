"""Bad answers and hostile peers (issue #12): every one is a clear ``XerusError``, never worse.

Transport: HTTPS never falls back to plain HTTP, pinning holds after redirects, a failed TLS
handshake with the unchanged pinned certificate is no certificate change, response bodies are
capped (also after decompression), an unexpected exception of the HTTP client (aiodns/pycares'
``TypeError``) becomes a ``XerusConnectionError``; authentication failures say how many came in
a row, and a failed ``newSession`` is tried again later.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import aiohttp.abc
import pytest
from aiohttp import web

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusClient,
    XerusConnectionError,
    XerusProtocolError,
    XerusTlsError,
)
from custom_components.raritan_pdu.xerus import transport as transport_module
from custom_components.raritan_pdu.xerus.rpc import MAX_BODY_BYTES, decompress_body, parse_body
from tests.emulator.server import make_certificate

from .conftest import FakeDevice, Handler, TinyServer, rpc_answer, server_ssl_context

TinyFactory = Callable[..., Awaitable[TinyServer]]


def _client(server: TinyServer, **kwargs: Any) -> XerusClient:
    options: dict[str, Any] = {"use_tls": False, "password": "pw", "use_session_token": False}
    options.update(kwargs)
    return XerusClient(kwargs.pop("host", "127.0.0.1"), server.port, **options)


def _answer(result: Any) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return web.json_response(rpc_answer(body["id"], result))

    return handler


# --- redirects and TLS ---------------------------------------------------------------------


async def test_https_redirect_to_plain_http_is_refused(tiny_server: TinyFactory) -> None:
    """A 307 from HTTPS to http:// on the same host: nothing is sent in clear text, ever."""
    plain = await tiny_server(_answer({"_ret_": 1}))
    cert, key, fingerprint = make_certificate("127.0.0.1")

    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=307, headers={"Location": f"http://127.0.0.1:{plain.port}{request.path}"}
        )

    secure = await tiny_server(redirect, ssl_context=server_ssl_context(cert, key))
    async with XerusClient(
        "127.0.0.1", secure.port, fingerprint=fingerprint, password="pw", use_session_token=True
    ) as client:
        for _ in range(2):
            with pytest.raises(XerusProtocolError, match="from HTTPS to plain HTTP"):
                await client.call("/model/pdu/0", "getMetaData")
            assert client.base_url == f"https://127.0.0.1:{secure.port}"
    assert plain.requests == []  # neither Basic credentials nor a session token went out
    # newSession (redirected, refused: Basic auth for now), then the two calls
    assert [r[1] for r in secure.requests] == ["/session", "/model/pdu/0", "/model/pdu/0"]


async def test_pinning_holds_after_a_redirect(tiny_server: TinyFactory) -> None:
    """HTTPS to HTTPS on another port: that port must present the pinned certificate too."""
    _cert, _key, pinned = make_certificate("127.0.0.1")
    other_cert, other_key, _other = make_certificate("localhost")
    other = await tiny_server(
        _answer({"_ret_": 1}), ssl_context=server_ssl_context(other_cert, other_key)
    )

    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=308, headers={"Location": f"https://127.0.0.1:{other.port}/x"})

    cert, key, _ = make_certificate("127.0.0.1")
    secure = await tiny_server(redirect, ssl_context=server_ssl_context(cert, key))
    async with XerusClient("127.0.0.1", secure.port, fingerprint=pinned, password="pw") as client:
        with pytest.raises(XerusCertificateMismatchError):
            await client.call("/x", "y")
    assert other.requests == []


#: A fatal TLS alert record: handshake_failure (40), as a device with a TLS hiccup sends it.
_TLS_ALERT = bytes([21, 3, 3, 0, 2, 2, 40])


class _AlertingFront:
    """A TCP front of a TLS server: the first ``fail`` connections get a TLS alert, the others
    are piped through to the server (which presents its certificate as usual)."""

    def __init__(self, backend_port: int, fail: int) -> None:
        self.backend_port = backend_port
        self.fail = fail
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> _AlertingFront:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections <= self.fail:
            await reader.read(1024)  # the ClientHello
            writer.write(_TLS_ALERT)
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()


async def test_failed_handshake_with_the_pinned_certificate_is_no_certificate_change(
    tiny_server: TinyFactory,
) -> None:
    """One handshake fails (a TLS alert), the device still presents the pinned certificate."""
    cert, key, fingerprint = make_certificate("127.0.0.1")
    server = await tiny_server(_answer({"_ret_": 7}), ssl_context=server_ssl_context(cert, key))
    async with (
        _AlertingFront(server.port, fail=1) as front,
        XerusClient(
            "127.0.0.1", front.port, fingerprint=fingerprint, password="pw", use_session_token=False
        ) as client,
    ):
        with pytest.raises(XerusTlsError) as err:
            await client.call("/x", "y")
        assert not isinstance(err.value, XerusCertificateMismatchError)
        assert err.value.fingerprint is None  # for the glue: a connection error, no repair issue
        assert "still presents the pinned certificate" in str(err.value)
        assert "handshake failure" in str(err.value)
        assert await client.call("/x", "y") == 7
    assert front.connections == 3  # failed, the certificate check, the next request


async def test_failed_handshake_and_another_certificate_is_a_mismatch(
    tiny_server: TinyFactory,
) -> None:
    cert, key, presented = make_certificate("127.0.0.1")
    server = await tiny_server(_answer({"_ret_": 7}), ssl_context=server_ssl_context(cert, key))
    pinned = ":".join(["AB"] * 32)
    async with (
        _AlertingFront(server.port, fail=1) as front,
        XerusClient("127.0.0.1", front.port, fingerprint=pinned, password="pw") as client,
    ):
        with pytest.raises(XerusCertificateMismatchError) as err:
            await client.call("/x", "y")
    assert err.value.fingerprint == presented and err.value.expected == pinned


async def test_failing_handshakes_without_a_certificate_are_no_certificate_change(
    tiny_server: TinyFactory,
) -> None:
    cert, key, fingerprint = make_certificate("127.0.0.1")
    server = await tiny_server(_answer({"_ret_": 7}), ssl_context=server_ssl_context(cert, key))
    async with (
        _AlertingFront(server.port, fail=10) as front,
        XerusClient("127.0.0.1", front.port, fingerprint=fingerprint, password="pw") as client,
    ):
        with pytest.raises(XerusTlsError) as err:
            await client.call("/x", "y")
    assert err.value.fingerprint is None
    assert not isinstance(err.value, XerusCertificateMismatchError)


class _BrokenResolver(aiohttp.abc.AbstractResolver):
    """What aiodns 3.2 does with pycares 5: ``TypeError`` instead of an answer."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        raise TypeError("Channel.getaddrinfo() takes 3 positional arguments but 4 were given")

    async def close(self) -> None:
        return None


async def test_unexpected_http_client_exception_is_a_connection_error(
    socket_enabled: None,
) -> None:
    connector = aiohttp.TCPConnector(resolver=_BrokenResolver())
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        XerusClient("pdu.example", password="pw", session=session) as client,
    ):
        with pytest.raises(XerusConnectionError) as err:
            await client.get_identity()
    assert "unexpected TypeError in the HTTP client" in str(err.value)
    assert "pdu.example:443" in str(err.value)


# --- response size caps ----------------------------------------------------------------------


async def test_huge_bodies_are_not_read(tiny_server: TinyFactory) -> None:
    """Over the cap with a Content-Length, streamed without one, or after decompression."""
    filler = b" " * (MAX_BODY_BYTES + 1)
    bomb = gzip.compress(b'{"jsonrpc": "2.0", "result": 1, "id": 1}' + b" " * 32 * 2**20, 1)
    assert len(bomb) < 2**20

    async def handler(request: web.Request) -> web.StreamResponse:
        kind = request.path
        if kind == "/length":
            return web.Response(body=filler, content_type="application/json")
        if kind == "/gzip":
            return web.Response(
                body=bomb, content_type="application/json", headers={"Content-Encoding": "gzip"}
            )
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b" " * 2**20
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            await response.write(chunk)
        await response.write_eof()
        return response

    server = await tiny_server(handler)
    async with _client(server) as client:
        for rid in ("/length", "/stream", "/gzip"):
            with pytest.raises(XerusProtocolError, match="larger than 16 MiB"):
                await client.call(rid, "getReading")


async def test_gzip_and_deflate_bodies_are_decoded(tiny_server: TinyFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        raw = json.dumps(rpc_answer(body["id"], {"_ret_": request.path})).encode()
        encoding = request.path.strip("/")
        if encoding == "gzip":
            data = gzip.compress(raw)
        elif encoding == "deflate":
            data = zlib.compress(raw)
        else:  # raw deflate, as some servers send for "deflate"
            encoding, data = "deflate", zlib.compress(raw)[2:-4]
        return web.Response(
            body=data, content_type="application/json", headers={"Content-Encoding": encoding}
        )

    server = await tiny_server(handler)
    async with _client(server) as client:
        for rid in ("/gzip", "/deflate", "/raw"):
            assert await client.call(rid, "m") == rid
    assert server.requests[0][2]["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("body", "encoding", "words"),
    [
        (gzip.compress(b'{"a": 1}', mtime=0)[:-6], "gzip", "truncated"),
        (b"\x1f\x8b garbage", "gzip", "corrupt"),
        (b"{}", "br", "unsupported content encoding"),
        (b"[" * 100_000 + b"]" * 100_000, "", "nested too deeply"),
        (b"\xff\xfe\x00garbage", "", "malformed"),
        (b'{"id": ' + b"9" * 5000 + b"}", "", "malformed"),
        (b"<html><body>Login</body></html>", "", "HTML"),
        (b"   ", "", "empty"),
        (b"[1, 2]", "", "not an object"),
    ],
    ids=[
        "gzip-truncated",
        "gzip-corrupt",
        "brotli",
        "nested",
        "binary",
        "huge-id",
        "html",
        "blank",
        "array",
    ],
)
def test_bad_bodies_are_protocol_errors(body: bytes, encoding: str, words: str) -> None:
    with pytest.raises(XerusProtocolError, match=words):
        parse_body(body, "application/json", encoding)


def test_decompression_is_capped_before_it_is_done() -> None:
    bomb = zlib.compress(b"\0" * (MAX_BODY_BYTES + 10))
    with pytest.raises(XerusProtocolError, match="larger than"):
        decompress_body(bomb, "deflate")
    assert decompress_body(b"abc", "identity") == b"abc"


# --- authentication ---------------------------------------------------------------------------


async def test_consecutive_credential_rejections_are_counted(tiny_server: TinyFactory) -> None:
    """Two transient 401s: each error says how many came in a row; a success resets it."""
    answers = [401, 401, 200, 401]
    device = FakeDevice({("/x", "y"): {"_ret_": "ok"}})

    async def handler(request: web.Request) -> web.StreamResponse:
        if answers.pop(0) == 401:
            return web.Response(status=401)
        return await device.handle(request)

    server = await tiny_server(handler)
    async with _client(server) as client:
        counts = []
        for _ in range(2):
            with pytest.raises(XerusAuthenticationError) as err:
                await client.call("/x", "y")
            assert err.value.credentials_rejected
            counts.append(err.value.consecutive)
        assert await client.call("/x", "y") == "ok"
        with pytest.raises(XerusAuthenticationError) as err:
            await client.call("/x", "y")
        counts.append(err.value.consecutive)
    assert counts == [1, 2, 1]
    assert "rejected the user name or password" in str(err.value)


async def test_rejected_token_and_rejected_login_count_once(tiny_server: TinyFactory) -> None:
    """Token rejected (not the password's fault), then newSession rejected: one rejection."""
    state = {"basic": True}

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if request.headers.get("X-SessionToken") == "tok":
            if state["basic"]:
                return web.json_response(rpc_answer(body["id"], {"_ret_": "ok"}))
            return web.Response(status=401)
        if not state["basic"]:
            return web.Response(status=401)
        session = {"_ret_": 0, "session": {"timeout": 300}, "token": "tok"}
        return web.json_response(rpc_answer(body["id"], session))

    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == "ok"
        state["basic"] = False
        with pytest.raises(XerusAuthenticationError) as err:
            await client.call("/x", "y")
    assert err.value.consecutive == 1 and err.value.credentials_rejected
    assert [r[1] for r in server.requests] == ["/session", "/x", "/x", "/session"]


async def test_failed_new_session_is_tried_again_later(
    tiny_server: TinyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 503 of newSession: Basic auth meanwhile, a session token again after the interval."""
    session_status = [503]

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if request.path == "/session":
            if session_status:
                return web.Response(status=session_status.pop(0))
            session = {"_ret_": 0, "session": {"timeout": 300}, "token": "tok"}
            return web.json_response(rpc_answer(body["id"], session))
        return web.json_response(rpc_answer(body["id"], {"_ret_": "ok"}))

    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == "ok"
        assert client.session_token_disabled and not client.uses_session_token
        assert await client.call("/x", "y") == "ok"  # within the interval: Basic
        monkeypatch.setattr(transport_module, "SESSION_RETRY_INTERVAL", 0.0)
        client._transport._token_retry_at = 0.0  # the interval has passed
        assert await client.call("/x", "y") == "ok"
        assert client.uses_session_token and not client.session_token_disabled
    auth = [(r[1], r[2].get("X-SessionToken")) for r in server.requests]
    assert auth[:5] == [
        ("/session", None),
        ("/x", None),
        ("/x", None),
        ("/session", None),
        ("/x", "tok"),
    ]


async def test_bulk_answer_with_nan_and_huge_numbers_is_not_fatal(
    tiny_server: TinyFactory,
) -> None:
    """``NaN``, ``Infinity``, ``1e400`` and a 400-digit integer in a bulk: per value, no raise."""
    text = (
        '{"jsonrpc":"2.0","id":ID,"result":{"responses":['
        '{"json":{"jsonrpc":"2.0","id":0,"result":{"_ret_":NaN}},"statcode":200},'
        '{"json":{"jsonrpc":"2.0","id":1,"result":{"_ret_":-Infinity}},"statcode":200},'
        '{"json":{"jsonrpc":"2.0","id":2,"result":{"_ret_":1e400}},"statcode":200},'
        '{"json":{"jsonrpc":"2.0","id":3,"result":{"_ret_":' + "7" * 400 + "}},"
        '"statcode":200}]}}'
    )

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return web.Response(
            text=text.replace("ID", str(body["id"])), content_type="application/json"
        )

    server = await tiny_server(handler)
    async with _client(server) as client:
        results = await client.bulk([BulkCall("/s", "getReading") for _ in range(4)])
    assert all(r.ok for r in results)  # raw values; the reading decoders judge them
