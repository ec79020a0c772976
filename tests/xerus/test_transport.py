"""Transport, authentication and bulk edge cases against tiny purpose-built aiohttp servers."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    CascadeRole,
    CascadeStatus,
    PeripheralInfo,
    ReadingPlan,
    ReadKind,
    ReadTarget,
    TypeSpec,
    XerusAuthenticationError,
    XerusClient,
    XerusConnectionError,
    XerusDeviceError,
    XerusHttpError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
    fetch_certificate_fingerprint,
)
from custom_components.raritan_pdu.xerus.rpc import MISSING, decode_sub_response, unwrap_result

from .conftest import FakeDevice, Handler, TinyServer, rpc_answer

TinyFactory = Callable[[Handler], Awaitable[TinyServer]]
BASIC = "Basic " + base64.b64encode(b"admin:pw").decode()


def _client(server: TinyServer, **kwargs: Any) -> XerusClient:
    options: dict[str, Any] = {"use_tls": False, "password": "pw", "use_session_token": False}
    options.update(kwargs)
    return XerusClient("127.0.0.1", server.port, **options)


# --- plain calls -------------------------------------------------------------------------------


async def test_call_request_shape_and_rid_quoting(tiny_server: TinyFactory) -> None:
    device = FakeDevice({("/tfwopaque/x.Y:1.0.0/a b", "getFoo"): {"_ret_": 7}})
    server = await tiny_server(device.handle)
    client = _client(server)
    try:
        assert await client.call("/tfwopaque/x.Y:1.0.0/a b", "getFoo", {"p": 1}) == 7
    finally:
        await client.close()
    method, path, headers, body = server.requests[0]
    assert method == "POST"
    assert path == "/tfwopaque/x.Y:1.0.0/a%20b"
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == BASIC
    sent = json.loads(body)
    assert sent["jsonrpc"] == "2.0" and sent["method"] == "getFoo" and sent["params"] == {"p": 1}


async def test_result_shapes(tiny_server: TinyFactory) -> None:
    device = FakeDevice(
        {
            ("/a", "void"): None,
            ("/a", "voidObj"): {},
            ("/a", "outParams"): {"_ret_": True, "info": {"x": 1}},
            ("/a", "onlyOut"): {"i": 1, "o": None, "p": []},
        }
    )
    server = await tiny_server(device.handle)
    async with _client(server) as client:
        assert await client.call("/a", "void") is None
        assert await client.call("/a", "voidObj") is None
        assert await client.call("a", "outParams") == {"_ret_": True, "info": {"x": 1}}
        assert await client.call("/a", "onlyOut") == {"i": 1, "o": None, "p": []}
    assert unwrap_result([1]) == [1]


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (web.Response(status=200, body=b""), XerusProtocolError, "empty"),
        (web.Response(status=200, body=b"[1, 2]"), XerusProtocolError, "not an object"),
        (
            web.Response(status=200, body=b'{"jsonrpc":"2.0","result":{"_ret_":1},"id":99}'),
            XerusProtocolError,
            "does not match",
        ),
        (
            web.Response(status=200, body=b'{"jsonrpc":"2.0","id":1}'),
            XerusProtocolError,
            "without result",
        ),
        (
            web.Response(status=200, body=b'{"jsonrpc":"2.0","result":{"_ret_":'),
            XerusProtocolError,
            "truncated",
        ),
        (
            web.Response(status=200, text="<html><body>login</body></html>"),
            XerusProtocolError,
            "HTML",
        ),
        (web.Response(status=200, text="{}", content_type="text/html"), XerusProtocolError, "HTML"),
        (
            web.Response(
                status=200, body=b'{"error":{"code":-32700,"message":"Parse error"},"id":null}'
            ),
            XerusRpcError,
            "Parse error",
        ),
        (
            web.Response(
                status=200, body=b'{"error":{"code":-32001,"message":"Insufficient"},"id":1}'
            ),
            XerusPrivilegeError,
            "Insufficient",
        ),
        (web.Response(status=200, body=b'{"error":"weird","id":1}'), XerusRpcError, "weird"),
        (
            web.Response(status=200, body=b'{"error":{"code":1,"message":"x"},"id":77}'),
            XerusProtocolError,
            "foreign id",
        ),
        (web.Response(status=403), XerusPrivilegeError, "403"),
        (web.Response(status=404), XerusNotFoundError, "not found"),
        (web.Response(status=503), XerusHttpError, "503"),
        (web.Response(status=302), XerusHttpError, "redirect"),
        (
            web.Response(status=302, headers={"Location": "ftp://x/y"}),
            XerusProtocolError,
            "redirect target",
        ),
    ],
)
async def test_malformed_and_error_responses(
    tiny_server: TinyFactory, response: web.Response, error: type[Exception], match: str
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return response

    server = await tiny_server(handler)
    async with _client(server) as client:
        # a fresh client: the first request gets id 1 (the canned answers use it)
        with pytest.raises(error, match=match):
            await client.call("/model/pdu/0", "getMetaData")


async def test_truncated_content_length(tiny_server: TinyFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "500"})
        await response.prepare(request)
        await response.write(b'{"jsonrpc":"2.0",')
        assert request.transport is not None
        request.transport.close()
        return response

    server = await tiny_server(handler)
    async with _client(server) as client:
        with pytest.raises((XerusProtocolError, XerusConnectionError)):
            await client.call("/x", "y")


async def test_connection_refused_and_timeout(tiny_server: TinyFactory) -> None:
    release = asyncio.Event()
    handlers: list[asyncio.Task[Any]] = []

    async def slow(request: web.Request) -> web.StreamResponse:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        await release.wait()  # answers only after the client gave up
        return web.json_response({})

    server = await tiny_server(slow)
    async with _client(server, timeout=0.05) as client:
        with pytest.raises(XerusTimeoutError):
            await client.call("/x", "y")
        release.set()
        if handlers:  # on a loaded machine the client may give up before the server reads it
            await asyncio.wait(handlers)  # the server finished the abandoned request
    port = server.port
    await server.stop()
    async with XerusClient("127.0.0.1", port, use_tls=False, use_session_token=False) as gone:
        with pytest.raises(XerusConnectionError):
            await gone.call("/x", "y")


async def test_closed_injected_session(tiny_server: TinyFactory) -> None:
    server = await tiny_server(FakeDevice().handle)
    session = aiohttp.ClientSession()
    await session.close()
    client = _client(server, session=session)
    with pytest.raises(XerusConnectionError, match="closed"):
        await client.call("/x", "y")
    owned = _client(server)
    await owned.call("/x", "y")
    assert owned._transport._session is not None
    await owned._transport._session.close()  # closed underneath: a new one is created
    await owned.call("/x", "y")
    await owned.close()


# --- retries and redirects --------------------------------------------------------------------


async def test_retry_once_on_408_and_on_server_disconnect(tiny_server: TinyFactory) -> None:
    device = FakeDevice({("/x", "y"): {"_ret_": 1}})
    plan: list[str] = ["408", "ok", "drop", "ok", "drop", "drop"]

    async def handler(request: web.Request) -> web.StreamResponse:
        step = plan.pop(0)
        if step == "408":
            return web.Response(status=408)
        if step == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        return await device.handle(request)

    server = await tiny_server(handler)
    async with _client(server) as client:
        assert await client.call("/x", "y") == 1
        assert await client.call("/x", "y") == 1
        with pytest.raises(XerusConnectionError):
            await client.call("/x", "y")
    assert len(server.requests) == 6


async def test_redirect_307_relative_and_remembered(tiny_server: TinyFactory) -> None:
    device = FakeDevice({("/model/pdu/0", "getMetaData"): {"_ret_": {"fwRevision": "4.4"}}})
    target = await tiny_server(device.handle)

    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=307, headers={"Location": f"http://127.0.0.1:{target.port}{request.path}"}
        )

    origin = await tiny_server(redirect)
    async with _client(origin) as client:
        meta = await client.call("/model/pdu/0", "getMetaData")
        assert meta["fwRevision"] == "4.4"
        await client.call("/model/pdu/0", "getMetaData")
        assert client.base_url == f"http://127.0.0.1:{target.port}"
    assert len(origin.requests) == 1  # the second call went straight to the new location
    assert [r[0] for r in target.requests] == ["POST", "POST"]  # POST stays POST
    assert json.loads(target.requests[0][3])["method"] == "getMetaData"

    async def loop(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/again"})

    looping = await tiny_server(loop)
    async with _client(looping) as client:
        with pytest.raises(XerusHttpError, match="redirect"):
            await client.call("/x", "y")


# --- authentication ---------------------------------------------------------------------------


def _token_device(
    tokens: list[str], valid: set[str], *, basic_ok: bool = True, session_result: Any = None
) -> tuple[FakeDevice, Handler]:
    """A device issuing ``tokens`` in order; requests with a token not in ``valid`` get 401."""
    device = FakeDevice()
    device.results[("/x", "y")] = {"_ret_": "data"}
    device.results[("/session", "closeCurrentSession")] = None

    def new_session(params: dict[str, Any]) -> Any:
        if session_result is not None:
            return session_result
        token = tokens.pop(0)
        return {"_ret_": 0, "session": {"sessionId": 1, "timeout": 300}, "token": token}

    device.results[("/session", "newSession")] = new_session

    async def handler(request: web.Request) -> web.StreamResponse:
        token = request.headers.get("X-SessionToken")
        if token is not None and token not in valid:
            return web.Response(status=401)
        if token is None and (not basic_ok or request.headers.get("Authorization") != BASIC):
            return web.Response(status=401)
        return await device.handle(request)

    return device, handler


async def test_session_token_used_and_closed(tiny_server: TinyFactory) -> None:
    _device, handler = _token_device(["tok1"], {"tok1"})
    server = await tiny_server(handler)
    client = _client(server, use_session_token=True)
    assert await client.call("/x", "y") == "data"
    assert client.uses_session_token
    await client.close()
    paths = [(r[1], r[2].get("X-SessionToken")) for r in server.requests]
    assert paths == [("/session", None), ("/x", "tok1"), ("/session", "tok1")]
    close = json.loads(server.requests[-1][3])
    assert close["method"] == "closeCurrentSession" and close["params"] == {"reason": 0}


async def test_relogin_then_basic_fallback(tiny_server: TinyFactory) -> None:
    valid = {"tok1"}
    _device, handler = _token_device(["tok1", "tok2"], valid)
    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == "data"
        valid.clear()  # tok1 expires, tok2 is issued but rejected (broken session handling)
        assert await client.call("/x", "y") == "data"
        assert client.session_token_disabled and not client.uses_session_token
        assert await client.call("/x", "y") == "data"
    headers = [(r[1], r[2].get("X-SessionToken"), "Authorization" in r[2]) for r in server.requests]
    assert headers == [
        ("/session", None, True),
        ("/x", "tok1", False),
        ("/x", "tok1", False),  # 401
        ("/session", None, True),  # re-login once
        ("/x", "tok2", False),  # 401 again
        ("/x", None, True),  # Basic
        ("/x", None, True),
    ]


async def test_relogin_rejected_is_authentication_error(tiny_server: TinyFactory) -> None:
    valid = {"tok1"}
    basic_ok = {"ok": True}
    _device, inner = _token_device(["tok1", "tok2"], valid)

    async def handler(request: web.Request) -> web.StreamResponse:
        if not basic_ok["ok"] and "Authorization" in request.headers:
            return web.Response(status=401)
        return await inner(request)

    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        await client.call("/x", "y")
        valid.clear()
        basic_ok["ok"] = False  # password changed
        with pytest.raises(XerusAuthenticationError):
            await client.call("/x", "y")


@pytest.mark.parametrize(
    "session_result",
    [
        {"_ret_": 1, "session": {}, "token": ""},  # ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER
        {"_ret_": 0, "session": {}, "token": ""},  # no token
        {"_ret_": 2},
        "garbage",
    ],
)
async def test_newsession_failures_fall_back_to_basic(
    tiny_server: TinyFactory, session_result: Any
) -> None:
    _device, handler = _token_device([], set(), session_result=session_result)
    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == "data"
        assert await client.call("/x", "y") == "data"
        assert client.session_token_disabled
    assert [r[1] for r in server.requests] == ["/session", "/x", "/x"]


async def test_no_session_manager_falls_back_to_basic(tiny_server: TinyFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.path == "/session":
            return web.Response(status=404)
        return await FakeDevice({("/x", "y"): {"_ret_": 5}}).handle(request)

    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == 5
        assert client.session_token_disabled


async def test_old_session_manager_token_inside_session(tiny_server: TinyFactory) -> None:
    old = {"_ret_": 0, "session": {"token": "legacy", "username": "admin", "timeout": 30}}
    _device, handler = _token_device([], {"legacy"}, session_result=old)
    server = await tiny_server(handler)
    async with _client(server, use_session_token=True) as client:
        assert await client.call("/x", "y") == "data"
        assert client.uses_session_token
    assert server.requests[1][2]["X-SessionToken"] == "legacy"


async def test_close_failure_is_ignored(tiny_server: TinyFactory) -> None:
    _device, inner = _token_device(["tok1"], {"tok1"})

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if b"closeCurrentSession" in body:
            return web.Response(status=500)
        return await inner(request)

    server = await tiny_server(handler)
    client = _client(server, use_session_token=True)
    await client.call("/x", "y")
    await client.close()


# --- bulk edge cases --------------------------------------------------------------------------


def _bulk_handler(transform: Callable[[list[dict[str, Any]]], list[Any]]) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        subs = body["params"]["requests"]
        return web.json_response(rpc_answer(body["id"], {"responses": transform(subs)}))

    return handler


def _ok(sub: dict[str, Any], value: Any = 1) -> dict[str, Any]:
    return {"json": rpc_answer(sub["json"]["id"], {"_ret_": value}), "statcode": 200}


async def test_bulk_missing_extra_duplicate_and_reordered(tiny_server: TinyFactory) -> None:
    def transform(subs: list[dict[str, Any]]) -> list[Any]:
        # reordered; call 2 answered twice; call 3 missing; one foreign extra answer
        return [
            _ok(subs[1]),
            _ok(subs[0]),
            _ok(subs[2]),
            _ok(subs[2]),
            {"json": rpc_answer(99, {"_ret_": 0}), "statcode": 200},
        ]

    server = await tiny_server(_bulk_handler(transform))
    async with _client(server) as client:
        results = await client.bulk([BulkCall("/a", "m") for _ in range(4)])
    assert [r.ok for r in results] == [True, True, False, False]
    assert isinstance(results[2].error, XerusProtocolError)
    assert "twice" in str(results[2].error)
    assert "no answer" in str(results[3].error)


async def test_bulk_positional_errors_without_id_and_statcodes(tiny_server: TinyFactory) -> None:
    def transform(subs: list[dict[str, Any]]) -> list[Any]:
        return [
            {
                "json": {"jsonrpc": "2.0", "error": {"code": -32700, "message": "bad"}, "id": None},
                "statcode": 200,
            },
            {"json": {"jsonrpc": "2.0", "error": {"code": 401, "message": "x"}}, "statcode": 401},
            {"statcode": 403},
            {"json": rpc_answer(subs[3]["json"]["id"], {"_ret_": 1})},  # no statcode
            {"json": json.dumps(rpc_answer(subs[4]["json"]["id"], {"_ret_": 5})), "statcode": 200},
            {"json": "{not json", "statcode": 200},
            {"json": 5, "statcode": 200},
            {"json": {"jsonrpc": "2.0", "id": subs[7]["json"]["id"]}, "statcode": 200},
            "junk",
        ]

    server = await tiny_server(_bulk_handler(transform))
    async with _client(server) as client:
        results = await client.bulk([BulkCall("/a", "m") for _ in range(9)])
    assert isinstance(results[0].error, XerusRpcError) and results[0].error.code == -32700
    assert isinstance(results[1].error, XerusAuthenticationError)
    assert isinstance(results[2].error, XerusPrivilegeError)
    assert isinstance(results[3].error, XerusProtocolError)
    assert results[4].value == 5  # old performRequest style (JSON in a string)
    assert all(isinstance(r.error, XerusProtocolError) for r in results[5:])
    assert isinstance(decode_sub_response(MISSING), XerusProtocolError)


async def test_bulk_without_responses(tiny_server: TinyFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return web.json_response(rpc_answer(body["id"], {"_ret_": 0}))

    server = await tiny_server(handler)
    async with _client(server) as client:
        assert await client.bulk([]) == []
        with pytest.raises(XerusProtocolError, match="responses"):
            await client.bulk([BulkCall("/a", "m")])


async def test_disconnect_on_large_bulk_splits_and_remembers(tiny_server: TinyFactory) -> None:
    sizes: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        subs = body["params"]["requests"]
        sizes.append(len(subs))
        if len(subs) > 20 or subs[0]["rid"] == "/drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        return web.json_response(
            rpc_answer(
                body["id"],
                {
                    "responses": [
                        _ok(s, {"available": True, "valid": True, "value": 1.5}) for s in subs
                    ]
                },
            )
        )

    server = await tiny_server(handler)
    async with _client(server) as client:
        plan = ReadingPlan(ReadTarget(f"/s{i}", ReadKind.NUMERIC) for i in range(64))
        # 64 (dropped twice: the keep-alive retry) -> 32 (twice) -> 16, 16; 32 -> 16, 16
        split = [64, 64, 32, 32, 16, 16, 32, 32, 16, 16]
        readings = await client.poll(plan)
        assert len(readings.numeric) == 64 and readings.numeric["/s0"].value == 1.5
        assert sizes == split
        assert client.max_bulk_size is None  # once may be a blip
        sizes.clear()
        await client.poll(plan)
        assert sizes == split
        assert client.max_bulk_size == 16  # twice in a row: a limit
        sizes.clear()
        await client.poll(plan)
        assert sizes == [16, 16, 16, 16]
        # small bulks are not split on a broken connection
        with pytest.raises(XerusConnectionError):
            await client.bulk([BulkCall("/drop", "m") for _ in range(8)])


async def test_poll_decoding_errors(tiny_server: TinyFactory) -> None:
    def transform(subs: list[dict[str, Any]]) -> list[Any]:
        return [
            _ok(subs[0], {"available": True, "value": 1, "timestamp": 5}),
            {"json": rpc_answer(subs[1]["json"]["id"], {"notret": 1}), "statcode": 200},
            {"json": rpc_answer(subs[2]["json"]["id"], None), "statcode": 200},
            {"statcode": 404},
        ]

    server = await tiny_server(_bulk_handler(transform))
    plan = ReadingPlan(
        [
            ReadTarget("/state", ReadKind.STATE),
            ReadTarget("/noret", ReadKind.NUMERIC),
            ReadTarget("/null", ReadKind.OUTLET),
            ReadTarget("/gone", ReadKind.OUTLET),
            ReadTarget("/state", ReadKind.STATE),  # duplicate: read once
        ]
    )
    assert len(plan) == 4
    async with _client(server) as client:
        readings = await client.poll(plan)
    assert readings.states["/state"].value == 1
    assert isinstance(readings.errors["/noret"], XerusProtocolError)
    assert isinstance(readings.errors["/null"], XerusProtocolError)
    assert isinstance(readings.errors["/gone"], XerusNotFoundError)


# --- identity of a link unit, commands -----------------------------------------------------


async def test_identity_of_a_link_unit_names_its_primary(tiny_server: TinyFactory) -> None:
    device = FakeDevice(
        {
            ("/model/pdu/0", "getMetaData"): {"_ret_": {"nameplate": {"serialNumber": "LINK1"}}},
            ("/model/pdu/0", "getSettings"): {"_ret_": {"name": "B"}},
            ("/cascade", "getStatus"): {
                "_ret_": {
                    "role": 2,
                    "primaryUnit": "192.0.2.1",
                    "primaryLinkId": 1,
                    "linkUnits": [],
                }
            },
        }
    )
    server = await tiny_server(device.handle)
    async with _client(server) as client:
        identity = await client.get_identity()
        assert identity.role is CascadeRole.LINK_UNIT
        assert identity.primary_host == "192.0.2.1"
        assert identity.serial == "LINK1"
        topology = await client.discover()  # a link unit lists no link units of its own
        assert topology.link_units == {}
        assert topology.primary.identity.role is CascadeRole.LINK_UNIT


async def test_primary_link_id_entry_is_not_a_link_unit(tiny_server: TinyFactory) -> None:
    status = {
        "role": 1,
        "primaryUnit": "",
        "primaryLinkId": 1,
        "linkUnits": [
            {"key": 1, "value": {"type": 0, "host": "", "status": 1, "fwVersion": ""}},
            {"key": 2, "value": {"type": 0, "host": "h", "status": 3, "fwVersion": ""}},
        ],
    }
    device = FakeDevice({("/cascade", "getStatus"): {"_ret_": status}})
    server = await tiny_server(device.handle)
    async with _client(server) as client:
        topology = await client.discover()
    assert topology.link_status == {2: 3}
    assert topology.unavailable == frozenset({2})
    assert topology.primary.inlets == [] and topology.primary.outlets == []


async def test_display_names_and_inlet_ocp_defaults(tiny_server: TinyFactory) -> None:
    ref = {"rid": "/i0", "type": "pdumodel.Inlet:3.0.4"}
    ocp = {"rid": "/c0", "type": "pdumodel.OverCurrentProtector:4.0.4"}
    device = FakeDevice(
        {
            ("/model/pdu/0", "getInlets"): {"_ret_": [ref]},
            ("/model/pdu/0", "getOverCurrentProtectors"): {"_ret_": [ocp]},
            ("/i0", "getMetaData"): {"_ret_": {"label": "I1", "rating": {"current": 32}}},
            ("/c0", "getMetaData"): {"_ret_": {"label": "", "type": 3}},
            ("/c0", "getSettings"): {"_ret_": {"name": "Main fuse"}},
        }
    )
    server = await tiny_server(device.handle)
    async with _client(server) as client:
        topology = await client.discover()
    inlet = topology.primary.inlets[0]
    assert inlet.display_name == "Inlet I1" and inlet.rating_current == 32.0
    assert topology.primary.ocps[0].display_name == "Main fuse"
    assert topology.primary.ocps[0].type == 3


async def test_actuator_without_device_and_nonzero_switch_return(tiny_server: TinyFactory) -> None:
    device = FakeDevice({("/sw", "setState"): {"_ret_": 2}, ("/sw", "getState"): {"_ret_": None}})
    server = await tiny_server(device.handle)
    empty = PeripheralInfo(0, "/slot", "", "", "S", "1JX", TypeSpec(1, 39, 0), True, -1, (), None)
    async with _client(server) as client:
        with pytest.raises(XerusDeviceError, match="no device"):
            await client.set_actuator(empty, on=True)
        with pytest.raises(XerusDeviceError) as err:
            await client.set_actuator("/sw", on=True)
        assert err.value.code == 2 and err.value.method == "setState"
    sent = [c for c in device.calls if c[1] == "setState"]
    assert sent == [("/sw", "setState", {"newState": 1})]


async def test_fetch_fingerprint_timeout(socket_enabled: None) -> None:
    """A TCP server that never answers the TLS handshake."""
    hold: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hold.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(XerusTimeoutError):
            await fetch_certificate_fingerprint("127.0.0.1", port, timeout=0.1)
    finally:
        for writer in hold:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_connection_reset_is_retried_once(tiny_server: TinyFactory) -> None:
    device = FakeDevice({("/x", "y"): {"_ret_": 3}})
    resets = [True, False, True, True]

    async def handler(request: web.Request) -> web.StreamResponse:
        if resets.pop(0):
            transport = request.transport
            assert transport is not None
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()  # RST
            return web.Response(status=500)
        return await device.handle(request)

    server = await tiny_server(handler)
    async with _client(server) as client:
        assert await client.call("/x", "y") == 3
        with pytest.raises(XerusConnectionError):
            await client.call("/x", "y")


async def test_redirect_to_another_host_is_refused(tiny_server: TinyFactory) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "https://evil.example/x"})

    server = await tiny_server(handler)
    async with _client(server) as client:
        with pytest.raises(XerusProtocolError, match="another host"):
            await client.call("/x", "y")


async def test_bulk_answers_whose_ids_disagree_with_their_position(
    tiny_server: TinyFactory,
) -> None:
    """One answer per call, but two carry each other's ids: the device answers in request
    order, so position and id disagree and neither is trusted (a neighbour's reading must not
    be shown as this one's); the others, and an error without id, keep their place."""

    def transform(subs: list[dict[str, Any]]) -> list[Any]:
        err = {"jsonrpc": "2.0", "error": {"code": -32603, "message": "boom"}, "id": None}
        return [_ok(subs[1], "b"), _ok(subs[0], "a"), {"json": err, "statcode": 200}, _ok(subs[3])]

    server = await tiny_server(_bulk_handler(transform))
    async with _client(server) as client:
        results = await client.bulk([BulkCall(f"/{c}", "m") for c in "abcd"])
    assert [type(r.error) for r in results[:2]] == [XerusProtocolError, XerusProtocolError]
    assert "out of order" in str(results[0].error)
    assert isinstance(results[2].error, XerusRpcError)
    assert results[3].ok


def test_base_url_formatting() -> None:
    assert XerusClient("[2001:db8::1]", 8443).base_url == "https://[2001:db8::1]:8443"
    assert XerusClient("pdu.example", use_tls=False).base_url == "http://pdu.example"


async def test_device_answering_only_a_prefix(tiny_server: TinyFactory) -> None:
    """performBulkTimeout semantics: a shorter answer list means "resend the rest"."""
    sizes: list[int] = []

    def transform(subs: list[dict[str, Any]]) -> list[Any]:
        sizes.append(len(subs))
        return [_ok(sub, {"available": True, "value": 0, "timestamp": 1}) for sub in subs[:10]]

    server = await tiny_server(_bulk_handler(transform))
    plan = ReadingPlan(ReadTarget(f"/s{i}", ReadKind.STATE) for i in range(25))
    async with _client(server) as client:
        for _ in range(2):
            sizes.clear()
            readings = await client.poll(plan)
            assert len(readings.states) == 25 and not readings.errors
            assert sizes == [25, 15, 5]
        assert client.max_bulk_size == 10  # twice in a row: the device's limit
        sizes.clear()
        await client.poll(plan)
        assert sizes == [10, 10, 5]


async def test_outer_internal_error_on_large_bulk(tiny_server: TinyFactory) -> None:
    failures = {"left": 1, "min_size": 17}

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        subs = body["params"]["requests"]
        if len(subs) >= failures["min_size"] and failures["left"] > 0:
            failures["left"] -= 1
            error = {"code": -32603, "message": "Internal error"}
            return web.json_response({"jsonrpc": "2.0", "error": error, "id": body["id"]})
        return web.json_response(rpc_answer(body["id"], {"responses": [_ok(s) for s in subs]}))

    server = await tiny_server(handler)
    calls = [BulkCall(f"/c{i}", "m") for i in range(32)]
    async with _client(server) as client:
        assert all(r.ok for r in await client.bulk(calls))  # transient: same size again
        assert client.max_bulk_size is None
        failures["left"] = 99
        assert all(r.ok for r in await client.bulk(calls))  # persistent: split
        assert client.max_bulk_size is None
        assert all(r.ok for r in await client.bulk(calls))  # and again: a limit
        assert client.max_bulk_size == 16
        failures["min_size"] = 1
        with pytest.raises(XerusRpcError):
            await client.bulk(calls[:3])  # small bulks: a plain error


def test_user_name_with_colon_is_refused() -> None:
    """Basic authentication cannot carry a ':' in the user name (RFC 7617): refuse it up front
    instead of sending credentials the device would split differently."""
    with pytest.raises(ValueError, match="cannot contain ':'"):
        XerusClient("pdu.example", username="ad:min", password="x")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"_ret_": 7}, XerusProtocolError),  # not a status
        ({"_ret_": None}, XerusProtocolError),
        (None, XerusProtocolError),
        ({"_ret_": {"role": 1, "primaryUnit": "", "linkUnits": []}}, CascadeStatus),
    ],
)
async def test_poll_with_a_malformed_cascade_status(
    tiny_server: TinyFactory, answer: Any, expected: type
) -> None:
    """A status that is not a status is that sub-request's error; the readings are unaffected."""
    device = FakeDevice({("/cascade", "getStatus"): answer})
    device.results[("/s", "getState")] = {"_ret_": {"available": True, "value": 1}}
    server = await tiny_server(device.handle)
    plan = ReadingPlan([ReadTarget("/s", ReadKind.STATE)])
    async with _client(server) as client:
        result = await client.poll(plan, with_cascade=True)
    assert isinstance(result.cascade, expected)
    assert result.readings.states["/s"].value == 1
    assert len(server.requests) == 1


def test_client_settings_are_readable() -> None:
    client = XerusClient(
        "[fe80::1]",
        use_tls=True,
        verify_tls=False,
        fingerprint="ab" * 32,
        use_session_token=False,
        timeout=3.0,
        max_bulk_size=50,
    )
    assert client.host == "fe80::1"
    assert client.fingerprint == ":".join(["AB"] * 32)
    assert not client.verify_tls
    assert client.timeout == 3.0
    assert not client.use_session_token and client.session_token_disabled
    assert client.max_bulk_size == 50
    client.max_bulk_size = None
    assert client.max_bulk_size is None
    assert client.request_count == 0
