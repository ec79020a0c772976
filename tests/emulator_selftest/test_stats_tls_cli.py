"""Stats counters, TLS certificate + redirect, and the command line."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import ssl
import sys
from pathlib import Path

import aiohttp

from .conftest import ADMIN, RawFactory

ROOT = Path(__file__).resolve().parents[2]


async def test_stats_counters(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    await raw.ret("/model/pdu/0", "getMetaData")
    await raw.bulk(
        [
            ("/model/outlet/0", "getState", None),
            ("/model/outlet/1", "getState", None),
            ("/model/outlet/0/activePower", "getReading", None),
        ]
    )
    await raw.call("/model/pdu/0", "getMetaData", auth=aiohttp.BasicAuth("admin", "bad"))
    await raw.result("/session", "newSession")
    stats = emu.stats()
    assert stats["http_requests"] == 4
    assert stats["bulk_requests"] == 1
    assert stats["bulk_subrequests"] == 3
    assert stats["auth_failures"] == 1
    assert stats["sessions_created"] == 1
    assert stats["methods"] == {
        "pdumodel.Pdu.getMetaData": 1,
        "bulkrpc.BulkRequest.performBulk": 1,
        "pdumodel.Outlet.getState": 2,
        "sensors.NumericSensor.getReading": 1,
        "session.SessionManager.newSession": 1,
    }
    assert stats["method_names"]["getState"] == 2
    assert stats["status_codes"] == {"200": 3, "401": 1}
    assert stats["bytes_in"] > 100
    assert stats["bytes_out"] > 500
    async with raw.http.get(emu.url + "/_emulator/stats") as resp:
        assert resp.status == 200
        assert await resp.json() == emu.stats()
    assert emu.stats()["http_requests"] == 4  # the stats endpoint is not counted
    emu.reset_stats()
    assert emu.stats()["http_requests"] == 0
    assert emu.stats()["methods"] == {}


async def test_tls_fingerprint_and_redirect(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, tls=True, redirect_http=True)
    assert emu.url == f"https://127.0.0.1:{emu.port}"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    _reader, writer = await asyncio.open_connection("127.0.0.1", emu.port, ssl=ctx)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    digest = hashlib.sha256(der).hexdigest().upper()
    assert emu.tls_fingerprint == ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    raw = await raw_client(emu)
    assert await raw.ret("/model/pdu/0", "getMetaData")
    status, _, resp = await raw.post(
        "/model/pdu/0",
        {"method": "getMetaData", "id": 1},
        url=f"http://127.0.0.1:{emu.http_redirect_port}",
    )
    assert status == 302
    assert resp.headers["Location"] == f"https://127.0.0.1:{emu.port}/model/pdu/0"


async def _read_facts(proc: asyncio.subprocess.Process) -> dict[str, str]:
    facts: dict[str, str] = {}
    assert proc.stdout is not None
    while "stats" not in facts:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, "emulator CLI exited early"
        key, _, value = line.decode().strip().partition(": ")
        facts[key] = value
    return facts


async def _run_cli(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.emulator",
        "--port",
        "0",
        *args,
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_cli_starts_serves_and_stops(socket_enabled):
    proc = await _run_cli(
        "--outlets",
        "3",
        "--link-units",
        "2",
        "--peripherals",
        "2",
        "--firmware",
        "3.6",
        "--username",
        "ops",
        "--password",
        "pw",
        "--fault-link-unreachable",
        "3",
        "--per-call-ms",
        "1",
    )
    try:
        facts = await _read_facts(proc)
        assert list(facts) == [
            "url",
            "username",
            "password",
            "firmware",
            "serial",
            "link_units",
            "stats",
        ]
        assert facts["url"].startswith("http://127.0.0.1:")
        assert (facts["username"], facts["password"]) == ("ops", "pw")
        assert facts["firmware"] == "3.6.0.5-46486"
        assert facts["link_units"] == "2,3"
        async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("ops", "pw")) as http:
            body = {"method": "getOutlets", "id": 1}
            async with http.post(facts["url"] + "/model/pdu/0", json=body) as resp:
                outlets = (await resp.json())["result"]["_ret_"]
            assert outlets[0]["type"] == "pdumodel.Outlet:2.1.5"
            assert len(outlets) == 3
            async with http.post(
                facts["url"] + "/cascade", json={"method": "getStatus", "id": 2}
            ) as resp:
                status = (await resp.json())["result"]["_ret_"]
            assert [lu["value"]["status"] for lu in status["linkUnits"]] == [1, 2]
            async with http.get(facts["stats"]) as resp:
                assert (await resp.json())["http_requests"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip().endswith("stopped")


async def test_cli_tls(socket_enabled):
    proc = await _run_cli("--tls", "--redirect-http", "--inlet-phases", "3")
    try:
        facts = await _read_facts(proc)
        assert facts["url"].startswith("https://")
        assert len(facts["fingerprint"].split(":")) == 32
        assert facts["redirect"].startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession(auth=ADMIN) as http:
            body = {"method": "getPoles", "id": 1}
            async with http.post(facts["url"] + "/model/inlet/0", json=body, ssl=False) as resp:
                poles = json.loads(await resp.text())["result"]["_ret_"]
        assert [p["line"] for p in poles] == [0, 1, 2, 3]
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0


def test_cli_flags_map_to_config_and_faults():
    from tests.emulator.__main__ import apply_faults, build_parser, config_from_args
    from tests.emulator.config import DeviceTime
    from tests.emulator.server import PduEmulator

    args = build_parser().parse_args(
        [
            "--outlets",
            "12",
            "--link-units",
            "2",
            "--link-unit-outlets",
            "4",
            "--peripherals",
            "9",
            "--firmware",
            "3.6",
            "--inlet-phases",
            "3",
            "--ocps",
            "6",
            "--cycle-delay",
            "2",
            "--session-timeout",
            "60",
            "--single-login",
            "--max-bulk",
            "50",
            "--metered-only",
            "--non-switchable",
            "1",
            "2",
            "--readonly-user",
            "viewer:pw",
            "--user",
            "op:p:w:switchOutlet,switchActuator",
            "--user",
            "ro:x:ro",
            "--pdu-name",
            "Rack 1",
            "--device-speed",
            "px3",
            "--latency-ms",
            "5",
            "--per-call-ms",
            "1",
            "--link-call-ms",
            "3",
            "--gzip",
            "--seed",
            "9",
            "--no-metered-outlets",
            "--no-noise",
            "--no-event-service",
            "--no-keep-alive",
            "--fault-link-unreachable",
            "3",
            "--fault-session-expiry",
            "30",
            "--fault-http-error",
            "2",
            "--fault-delay",
            "1.5:3",
            "--fault-trip-breaker",
            "2:1",
            "--fault-disconnect-peripheral",
            "4",
            "--fault-fail-method",
            "getPoles",
        ]
    )
    config = config_from_args(args)
    assert (config.outlets, config.link_units, config.link_unit_outlets) == (12, 2, 4)
    assert (config.firmware, config.inlet_phases, config.ocps) == ("3.6", 3, 6)
    assert config.non_switchable_outlets == (1, 2)
    assert config.readonly_users == {"viewer": "pw"}
    assert config.accounts == {
        "op": ("p:w", ("switchOutlet", "switchActuator")),
        "ro": ("x", ("ro",)),
    }
    assert (config.single_login, config.max_bulk, config.metered_only) == (True, 50, True)
    assert config.metered_outlets is False
    assert (config.pdu_name, config.seed, config.tls) == ("Rack 1", 9, False)
    assert (config.noise, config.keep_alive, config.gzip) == (False, False, True)
    assert config.event_service is False
    assert config.device_speed == "px3"
    assert config.device_time() == DeviceTime(0.005, 0.001, 0.003)  # explicit over the preset
    defaults = config_from_args(build_parser().parse_args(["--device-speed", "px3"]))
    assert defaults.device_time() == DeviceTime(0.04, 0.008, 0.008)
    assert (defaults.keep_alive, defaults.gzip, defaults.clock) == (None, None, "real")
    assert defaults.event_service is True
    emu = PduEmulator(config)
    apply_faults(emu, args)
    assert emu.unit(3).unreachable and not emu.unit(2).unreachable
    assert emu.faults.session_lifetime == 30
    state = emu.faults.describe()
    assert state["http_errors"] == [500, 500]
    assert state["delays"] == [1.5, 1.5, 1.5]
    assert state["call_failures"] == 1
    assert emu.unit(2).ocp(1).tripped
    assert not emu.unit(0).peripheral(4).connected
    assert len(emu.unit(2).outlets) == 4


async def test_certificate_kept_across_restarts(emulator_factory, tmp_path: Path):
    """With cert_dir (scripts/develop), a restarted emulator presents the same certificate, like
    a PDU that reboots."""
    first = await emulator_factory(outlets=1, tls=True, cert_dir=str(tmp_path / "cert"))
    fingerprint = first.tls_fingerprint
    await first.stop()
    assert (tmp_path / "cert" / "cert.pem").is_file()
    assert (tmp_path / "cert" / "key.pem").stat().st_mode & 0o077 == 0
    second = await emulator_factory(outlets=1, tls=True, cert_dir=str(tmp_path / "cert"))
    assert second.tls_fingerprint == fingerprint
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    _reader, writer = await asyncio.open_connection("127.0.0.1", second.port, ssl=ctx)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    digest = hashlib.sha256(der).hexdigest().upper()
    assert fingerprint == ":".join(digest[i : i + 2] for i in range(0, 64, 2))
