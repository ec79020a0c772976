"""Redirect, auth, TLS, link-unit, firmware, energy and slow-device faults (``reliability.py``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ssl
from pathlib import Path

import aiohttp
import pytest

from tests.emulator import PduEmulator

from .conftest import RawFactory
from .rawhttp import bulk, post, rpc


def _no_verify() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


async def _tls_connect(emu: PduEmulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    reader, writer = await asyncio.open_connection(emu.host, emu.port, ssl=_no_verify())
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return reader, writer, _fingerprint(der)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):  # the server reset it
        await writer.wait_closed()


# --- redirects -----------------------------------------------------------------------------------
async def test_redirect_to_cleartext_on_the_same_host(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, tls=True)
    raw = await raw_client(emu)
    token = (await raw.result("/session", "newSession"))["token"]
    emu.faults.redirect()
    answer = await post(emu.url + "/model/outlet/0", rpc("setPowerState", {"pstate": 0}))
    assert answer.status == 307
    location = answer.headers["Location"]
    assert location == f"{emu.cleartext_url}/model/outlet/0"
    assert location.startswith("http://127.0.0.1:")
    assert emu.unit(0).outlet(0).power_state == 1  # not processed
    # a client that follows sends its token / credentials in clear text; the listener serves it
    follow = await post(location, rpc("getState"), auth=None, headers={"X-SessionToken": token})
    assert follow.json()["result"]["_ret_"]["powerState"] == 1
    assert (await post(location, rpc("getState"))).status == 200  # Basic auth
    stats = emu.stats()
    assert (stats["cleartext_requests"], stats["cleartext_tokens"]) == (2, 1)
    assert (stats["cleartext_credentials"], stats["other_host_requests"]) == (1, 0)
    assert stats["faults_injected"] == {"redirect": 1}
    assert (await post(emu.url + "/model/outlet/0", rpc("getState"))).status == 200  # count=1


async def test_redirect_to_another_host(emulator_factory, other_host_allowed):
    emu = await emulator_factory(outlets=1, tls=True)
    emu.faults.redirect(2, status=308, other_host=True)
    for _ in range(2):
        answer = await post(emu.url + "/model/pdu/0", rpc("getMetaData"))
        assert answer.status == 308
        assert answer.headers["Location"] == f"{emu.other_host_url}/model/pdu/0"
    assert emu.other_host_url is not None
    assert emu.other_host_url.startswith("http://127.0.0.2:")
    assert (await post(emu.other_host_url + "/model/pdu/0", rpc("getMetaData"))).status == 200
    stats = emu.stats()
    assert (stats["other_host_requests"], stats["cleartext_credentials"]) == (1, 1)
    with pytest.raises(ValueError, match="status"):
        emu.faults.redirect(status=200)


# --- auth ----------------------------------------------------------------------------------------
async def test_transient_401_with_the_right_credentials(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    token = {"X-SessionToken": (await raw.result("/session", "newSession"))["token"]}
    emu.faults.transient_401(2)
    status, _, resp = await raw.post("/model/pdu/0", rpc("getMetaData"))
    assert (status, resp.headers["WWW-Authenticate"]) == (401, 'Basic realm="Xerus"')
    assert (await raw.call("/model/pdu/0", "getMetaData", auth=None, headers=token))[0] == 401
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=token)  # still valid
    stats = emu.stats()
    assert (stats["auth_failures"], stats["faults_injected"]) == (0, {"transient_401": 2})
    assert stats["status_codes"]["401"] == 2


async def test_new_session_fails_with_503(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.fail_new_session(2)
    assert (await raw.call("/session", "newSession"))[0] == 503
    assert await raw.ret("/model/pdu/0", "getMetaData")  # Basic auth keeps working
    assert (await raw.call("/session", "newSession"))[0] == 503
    assert emu.stats()["sessions_created"] == 0
    assert (await raw.result("/session", "newSession"))["_ret_"] == 0
    assert emu.stats()["faults_injected"] == {"fail_new_session": 2}


# --- TLS -----------------------------------------------------------------------------------------
async def test_tls_handshake_reset_with_the_certificate_unchanged(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=1, tls=True)
    emu.faults.tls_handshake_failure(2)
    with pytest.raises(OSError):
        await _tls_connect(emu)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientError):
            await http.post(emu.url + "/model/pdu/0", json=rpc("getMetaData"), ssl=False)
    _, writer, fingerprint = await _tls_connect(emu)  # the third one works
    await _close(writer)
    assert fingerprint == emu.tls_fingerprint
    assert emu.stats()["faults_injected"] == {"tls_handshake_failure": 2}
    raw = await raw_client(emu)
    assert await raw.ret("/model/pdu/0", "getMetaData")


async def test_change_certificate_at_runtime(emulator_factory, tmp_path: Path):
    emu = await emulator_factory(outlets=1, tls=True, cert_dir=str(tmp_path))
    old = emu.tls_fingerprint
    reader, writer, seen = await _tls_connect(emu)
    assert seen == old
    auth = base64.b64encode(b"admin:raritan").decode()
    body = b'{"method":"getState","id":1}'
    writer.write(
        b"POST /model/outlet/0 HTTP/1.1\r\nHost: pdu\r\nAuthorization: Basic "
        + auth.encode()
        + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))[15:]
    )
    await reader.readexactly(length)  # a kept-alive connection with one answer behind it

    new = emu.faults.change_certificate()
    assert new == emu.tls_fingerprint != old
    assert await asyncio.wait_for(reader.read(), 10) == b""  # the web server closed it
    await _close(writer)
    _, writer, seen = await _tls_connect(emu)
    await _close(writer)
    assert seen == new
    cert = (tmp_path / "cert.pem").read_bytes()
    assert _fingerprint(ssl.PEM_cert_to_DER_cert(cert.decode())) == new  # kept for next start
    plain = await PduEmulator(outlets=1).__aenter__()
    try:
        with pytest.raises(RuntimeError, match="TLS"):
            plain.faults.change_certificate()
    finally:
        await plain.stop()


# --- link units ----------------------------------------------------------------------------------
async def test_link_unit_failing_while_cascade_reports_ok(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=2)
    raw = await raw_client(emu)
    outlet = emu.unit(3).outlet(0).rid
    emu.faults.link_unit_failing(3)
    status = await raw.ret("/cascade", "getStatus")
    assert [lu["value"]["status"] for lu in status["linkUnits"]] == [1, 1]  # both OK
    for rid in ("/model/pdu/3", "/link/3/model/pdu/0", outlet, "/model/pdu/3/outlet/1"):
        assert (await raw.call(rid, "getMetaData"))[0] == 503, rid
    _, payload = await raw.bulk(
        [
            ("/model/pdu/2", "getMetaData", None),
            (outlet, "getState", None),
            ("/cascade", "getStatus", None),
        ]
    )
    assert [r["statcode"] for r in payload["result"]["responses"]] == [200, 503, 200]
    emu.faults.clear()
    assert (await raw.ret("/model/pdu/3", "getMetaData"))["macAddress"] == emu.unit(3).mac
    emu.faults.link_unit_failing(2, rpc_error=(-32603, "Internal error"))
    status, payload = await raw.call("/link/2/model/pdu/0", "getMetaData")
    assert (status, payload["error"]) == (200, {"code": -32603, "message": "Internal error"})
    assert emu.stats()["faults_injected"]["link_unit_failing"] == 6  # 4 direct, 1 bulk, 1 rpc


async def test_swap_link_unit_keeps_the_link_id_and_rids(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=1)
    raw = await raw_client(emu)
    old_serial, old_mac = emu.unit(2).serial, emu.unit(2).mac
    outlet_rid = (await raw.ret("/model/pdu/2", "getOutlets"))[0]["rid"]
    new_serial = emu.faults.swap_link_unit(2, outlets=3)
    assert new_serial == emu.unit(2).serial != old_serial
    meta = await raw.ret("/model/pdu/2", "getMetaData")
    assert meta["nameplate"]["serialNumber"] == new_serial
    assert meta["macAddress"] != old_mac
    assert len(await raw.ret("/model/pdu/2", "getOutlets")) == 3
    assert outlet_rid == emu.unit(2).outlet(0).rid  # the cached RID reaches the new unit
    assert (await raw.ret(outlet_rid, "getMetaData"))["label"] == "1"
    assert [lu["key"] for lu in (await raw.ret("/cascade", "getStatus"))["linkUnits"]] == [2]
    assert emu.faults.swap_link_unit(2) not in (old_serial, new_serial)  # yet another unit


@pytest.mark.parametrize(
    ("firmware", "before", "after", "version"),
    [
        ("4.4", "pdumodel.Outlet:3.0.4", "pdumodel.Outlet:3.0.5", "4.4.1.6-53218"),
        ("3.6", "pdumodel.Outlet:2.1.5", "pdumodel.Outlet:2.1.6", "3.6.0.6-46487"),
    ],
)
async def test_firmware_upgrade_changes_only_the_version_segment(
    emulator_factory, raw_client: RawFactory, firmware: str, before: str, after: str, version: str
):
    emu = await emulator_factory(
        outlets=2, link_units=1, firmware=firmware, clock="manual", noise=False
    )
    emu.unit(0).outlet(0).base_power = 3600.0
    raw = await raw_client(emu)
    outlets = await raw.ret("/model/pdu/0", "getOutlets")
    link_outlets = await raw.ret("/model/pdu/2", "getOutlets")
    energy_rid = (await raw.ret(outlets[0]["rid"], "getSensors"))["activeEnergy"]["rid"]
    energy = await raw.reading(energy_rid)
    token = {"X-SessionToken": (await raw.result("/session", "newSession"))["token"]}

    assert emu.faults.firmware_upgrade() == version
    assert outlets[0]["rid"] == f"/tfwopaque/{before}/outlet.0"
    assert (await raw.call(outlets[0]["rid"], "getState"))[0] == 404
    _, payload = await raw.bulk(
        [(energy_rid, "getReading", None), (link_outlets[0]["rid"], "getState", None)]
    )
    assert [r["statcode"] for r in payload["result"]["responses"]] == [404, 404]
    new = await raw.ret("/model/pdu/0", "getOutlets")
    assert [o["rid"] for o in new] == [o["rid"].replace(before, after) for o in outlets]
    assert new[0]["type"] == after
    new_link = await raw.ret("/model/pdu/2", "getOutlets")
    assert new_link[0]["rid"] == f"/tfwopaque/{after}/L2.outlet.0"
    assert await raw.ret("/firmware", "getVersion") == version
    assert (await raw.call("/model/pdu/0", "getMetaData", auth=None, headers=token))[0] == 401
    new_energy = (await raw.ret(new[0]["rid"], "getSensors"))["activeEnergy"]["rid"]
    assert new_energy.rsplit("/", 1)[1] == energy_rid.rsplit("/", 1)[1] == "O0ActiveEnergy"
    assert new_energy != energy_rid
    emu.advance(1)
    assert await raw.reading(new_energy) == pytest.approx(energy + 1.0, abs=1e-5)  # goes on
    assert emu.stats()["boot_count"] == 0  # instance names without a boot suffix


# --- energy, speed -------------------------------------------------------------------------------
async def test_reset_energy(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual", noise=False)
    emu.unit(0).outlet(0).base_power = 3600.0
    emu.unit(0).outlet(1).base_power = 360.0
    raw = await raw_client(emu)
    emu.advance(10)
    assert await raw.reading("/model/outlet/0/activeEnergy") > 10
    emu.faults.reset_energy(0)
    assert await raw.reading("/model/outlet/0/activeEnergy") == 0.0
    assert await raw.reading("/model/outlet/1/activeEnergy") > 1  # only outlet 0
    reset_at = await raw.ret("/model/outlet/0/activeEnergy", "getLastResetTime")
    assert reset_at == int(emu.clock.time())
    emu.advance(1)
    assert await raw.reading("/model/outlet/0/activeEnergy") == pytest.approx(1.0)
    emu.faults.reset_energy()
    assert await raw.reading("/model/inlet/0/activeEnergy") == 0.0
    totals = await raw.ret("/model/pdu/0", "getSensors")
    assert await raw.reading(totals["activeEnergy"]["rid"]) == 0.0
    assert await raw.ret("/model/inlet/0/activeEnergy", "getLastResetTime") == int(emu.clock.time())


async def test_slow_responses_cost_device_time(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    start = emu.clock.monotonic()
    emu.faults.slow_responses(20)
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 1
    assert emu.clock.monotonic() - start == pytest.approx(20)  # emulated: nobody waited
    assert emu.stats()["device_busy_last_s"] == pytest.approx(20)
    await raw.ret("/model/outlet/0", "getState")
    assert emu.clock.monotonic() - start == pytest.approx(20)
    assert emu.stats()["faults_injected"] == {"slow_responses": 1}


async def test_describe_lists_pending_reliability_faults(emulator_factory):
    emu = await emulator_factory(outlets=1, tls=True)
    emu.faults.redirect(2)
    emu.faults.transient_401()
    emu.faults.tls_handshake_failure(3)
    emu.faults.slow_responses(1.5)
    described = emu.faults.describe()
    assert described["redirects"] == [307, 307]
    assert (described["transient_401"], described["tls_resets"]) == (1, 3)
    assert described["slow_responses"] == [1.5]
    emu.faults.clear()
    assert emu.faults.describe()["redirects"] == []
    assert (await post(emu.url + "/bulk", bulk([("/model/outlet/0", "getState")]))).status == 200


# --- CLI -----------------------------------------------------------------------------------------
def test_cli_fault_flags_map_to_faults():
    from tests.emulator.__main__ import apply_faults, build_parser, config_from_args

    args = build_parser().parse_args(
        [
            "--link-units",
            "1",
            "--fault-random",
            "0.1:5",
            "--fault-redirect",
            "2",
            "--fault-transient-401",
            "3",
            "--fault-new-session-503",
            "1",
            "--fault-tls-reset",
            "4",
            "--fault-link-failing",
            "2",
            "--fault-slow",
            "7.5:2",
        ]
    )
    emu = PduEmulator(config_from_args(args))
    apply_faults(emu, args)
    state = emu.faults.describe()
    assert (state["random"]["rate"], state["random"]["seed"]) == (0.1, 5)
    assert (state["redirects"], state["transient_401"]) == ([307, 307], 3)
    assert (state["tls_resets"], state["slow_responses"]) == (4, [7.5, 7.5])
    assert state["call_faults"] == ["fail_new_session", "link_unit_failing"]


async def test_cli_prints_the_cleartext_listener(socket_enabled):
    from .test_stats_tls_cli import _read_facts, _run_cli

    proc = await _run_cli("--tls", "--fault-redirect", "1")
    try:
        facts = await _read_facts(proc)
        assert list(facts)[-3:] == ["cleartext", "link_units", "stats"]
        answer = await post(facts["url"] + "/model/pdu/0", rpc("getMetaData"))
        assert answer.status == 307
        assert answer.headers["Location"] == facts["cleartext"] + "/model/pdu/0"
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.communicate(), 30)
