"""The bytes on the wire per firmware (reference §1.3): JSON layout, number formats, headers,
connection handling and gzip."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re

import aiohttp
import pytest

from tests.emulator import PduEmulator

AUTH = "Basic " + base64.b64encode(b"admin:raritan").decode()


def post(rid: str, method: str, *headers: str, params: dict | None = None) -> bytes:
    body = json.dumps({"method": method, "params": params or {}, "id": 1}).encode()
    head = [
        f"POST {rid} HTTP/1.1",
        "Host: pdu",
        f"Authorization: {AUTH}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Connection:
    """One TCP connection, HTTP/1.1 spoken by hand: what the emulator sends is what we see."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, emu: PduEmulator) -> Connection:
        return cls(*await asyncio.open_connection(emu.host, emu.port))

    async def exchange(self, request: bytes) -> tuple[dict[str, str], bytes]:
        """Send ``request``; (headers with lower-case names, raw body)."""
        self.writer.write(request)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode()
        lines = head.split("\r\n")
        assert lines[0].startswith("HTTP/1.1 200"), lines[0]
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(": ")
                headers[name.lower()] = value
        body = await self.reader.readexactly(int(headers["content-length"]))
        return headers, body

    async def closed_by_server(self) -> bool:
        # the guard only ends the test if the server keeps an idle connection open
        return await asyncio.wait_for(self.reader.read(1), 30) == b""

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def answer(emu: PduEmulator, rid: str, method: str, *headers: str, **kw) -> bytes:
    conn = await Connection.open(emu)
    try:
        return (await conn.exchange(post(rid, method, *headers, **kw)))[1]
    finally:
        await conn.close()


async def test_3_6_prints_one_spaced_line_with_percent_f(emulator_factory):
    emu = await emulator_factory(outlets=1, peripherals=1, firmware="3.6", noise=False)
    text = (await answer(emu, "/firmware", "getVersion")).decode()
    assert text == '{ "jsonrpc": "2.0", "result": { "_ret_": "3.6.0.5-46486" }, "id": 1 }'
    meta = (await answer(emu, "/model/outlet/0", "getMetaData")).decode()
    assert "\n" not in meta
    # int fields stay ints, doubles print with %f
    assert '"rating": { "current": 10, "decimalCurrent": 10.000000, "minVoltage": 200,' in meta
    reading = (await answer(emu, "/model/outlet/0/voltage", "getReading")).decode()
    assert re.search(r'"timestamp": \d+, "available": true', reading)
    assert '"valid": true, "value": 230.000000 }' in reading
    current = (await answer(emu, "/model/outlet/0/current", "getMetaData")).decode()
    assert '"resolution": 0.001000' in current  # float32 0.001: no widening digits with %f
    energy = (await answer(emu, "/model/outlet/0/activeEnergy", "getMetaData")).decode()
    assert '"upper": 1099511627776.000000 }' in energy
    children = (await answer(emu, "/model/outlet/0", "getChildren")).decode()
    assert children == '{ "jsonrpc": "2.0", "result": { "_ret_": [ ] }, "id": 1 }'
    emu.unit(0).peripheral(0).value = 0.551
    slot = (await answer(emu, "/model/peripheraldeviceslot/0/device", "getReading")).decode()
    assert '"value": 0.551000 }' in slot


async def test_4_4_prints_compact_json_with_17_digits(emulator_factory):
    emu = await emulator_factory(outlets=1, peripherals=1, noise=False)
    text = (await answer(emu, "/firmware", "getVersion")).decode()
    assert text == '{"jsonrpc":"2.0","result":{"_ret_":"4.4.1.5-53217"},"id":1}'
    meta = (await answer(emu, "/model/outlet/0", "getMetaData")).decode()
    assert '"rating":{"current":10,"decimalCurrent":10.0,"minVoltage":200,"maxVoltage":240}' in meta
    current = (await answer(emu, "/model/outlet/0/current", "getMetaData")).decode()
    assert '"resolution":0.0010000000474974513,' in current
    energy = (await answer(emu, "/model/outlet/0/activeEnergy", "getMetaData")).decode()
    assert '"upper":1099511627776.0}' in energy
    assert (await answer(emu, "/model/outlet/0", "getChildren")).endswith(b'"_ret_":[]},"id":1}')
    emu.unit(0).peripheral(0).value = 0.551
    slot = (await answer(emu, "/model/peripheraldeviceslot/0/device", "getReading")).decode()
    assert slot.endswith('"valid":true,"value":0.55100000000000005}},"id":1}')


async def test_set_thresholds_stores_doubles(emulator_factory):
    """A client may send integers for double thresholds; they read back as doubles."""
    emu = await emulator_factory(outlets=1)
    rid = "/model/outlet/0/voltage"
    thresholds = json.loads(await answer(emu, rid, "getThresholds"))["result"]["_ret_"]
    thresholds.update(upperWarning=250, upperCritical=260)
    await answer(emu, rid, "setThresholds", params={"thresh": thresholds})
    text = (await answer(emu, rid, "getThresholds")).decode()
    assert '"upperCritical":260.0,' in text
    assert '"upperWarning":250.0,' in text
    assert '"assertionTimeout":0,' in text


async def test_performrequest_strings_use_the_firmware_layout(emulator_factory):
    emu = await emulator_factory(outlets=1, firmware="3.6")
    requests = [{"rid": "/firmware", "json": json.dumps({"method": "getVersion", "id": 3})}]
    text = await answer(emu, "/bulk", "performRequest", params={"requests": requests})
    inner = json.loads(text)["result"]["responses"][0]["json"]
    assert inner == '{ "jsonrpc": "2.0", "result": { "_ret_": "3.6.0.5-46486" }, "id": 3 }'


@pytest.mark.parametrize(
    ("firmware", "keep_alive", "request_header", "connection", "closed"),
    [
        ("3.6", None, None, "Close", True),  # aiohttp sends no Connection header
        ("3.6", None, "Connection: keep-alive", "Keep-Alive", False),  # python-requests does
        ("3.6", True, None, "Keep-Alive", False),
        ("4.4", None, None, "keep-alive", False),
        ("4.4", False, None, "close", True),
    ],
)
async def test_connection_handling(
    emulator_factory, firmware, keep_alive, request_header, connection, closed
):
    emu = await emulator_factory(outlets=1, firmware=firmware, keep_alive=keep_alive)
    extra = [request_header] if request_header else []
    conn = await Connection.open(emu)
    try:
        headers, _ = await conn.exchange(post("/firmware", "getVersion", *extra))
        assert headers["connection"] == connection
        if closed:
            assert await conn.closed_by_server()
        else:  # the same connection serves the next request
            headers, body = await conn.exchange(post("/firmware", "getVersion", *extra))
            assert json.loads(body)["result"]["_ret_"].startswith(firmware)
    finally:
        await conn.close()


async def test_headers_per_firmware(emulator_factory):
    emu36 = await emulator_factory(outlets=1, firmware="3.6")
    emu44 = await emulator_factory(outlets=1, tls=True)
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("admin", "raritan")) as http:
        body = {"method": "getVersion", "id": 1}
        async with http.post(f"{emu36.url}/firmware", json=body) as resp:
            h36 = resp.headers
        async with http.post(f"{emu44.url}/firmware", json=body, ssl=False) as resp:
            h44 = resp.headers
    assert h36["Content-Type"] == h44["Content-Type"] == "application/json; charset=UTF-8"
    assert (h36["Cache-Control"], h36["Pragma"], h36["Connection"]) == (
        "no-cache",
        "no-cache",
        "Close",
    )
    assert "Date" in h36
    assert h44["Cache-Control"] == "no-cache, no-store"
    assert h44["Vary"] == "accept-encoding"
    assert h44["Strict-Transport-Security"] == "max-age=63072000"
    assert h44["X-Frame-Options"] == "sameorigin"
    assert h44["X-Content-Type-Options"] == "nosniff"
    assert h44["X-XSS-Protection"] == "1; mode=block"
    assert h44["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Date" not in h44
    for headers in (h36, h44):
        assert "Server" not in headers


@pytest.mark.parametrize(
    ("firmware", "gzip_option", "gzipped"),
    [("4.4", None, True), ("4.4", False, False), ("3.6", None, False), ("3.6", True, True)],
)
async def test_gzip_when_accepted(emulator_factory, firmware, gzip_option, gzipped):
    emu = await emulator_factory(outlets=1, firmware=firmware, gzip=gzip_option, clock="manual")
    conn = await Connection.open(emu)
    try:
        slots = "/model/peripheraldevicemanager"
        headers, plain = await conn.exchange(
            post(slots, "getDeviceSlots", "Connection: keep-alive")
        )
        assert "content-encoding" not in headers  # not asked for
        asked = post(
            slots, "getDeviceSlots", "Connection: keep-alive", "Accept-Encoding: gzip, deflate"
        )
        headers, body = await conn.exchange(asked)
    finally:
        await conn.close()
    stats = emu.stats()
    if gzipped:
        assert headers["content-encoding"] == "gzip"
        assert body[:2] == b"\x1f\x8b"
        assert gzip.decompress(body) == plain  # the same answer (time stood still)
        assert stats["gzip_responses"] == 1
        assert stats["bytes_out"] == len(plain) + len(body) < stats["json_bytes_out"]
    else:
        assert "content-encoding" not in headers
        assert body == plain
        assert stats["gzip_responses"] == 0
