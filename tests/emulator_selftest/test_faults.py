"""Every fault of ``emu.faults`` and ``faults.clear()``."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from .conftest import RawFactory


async def test_link_unreachable(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=2)
    raw = await raw_client(emu)
    link_outlet = emu.unit(3).outlet(0).rid
    emu.faults.link_unreachable(3)
    status = await raw.ret("/cascade", "getStatus")
    assert [(lu["key"], lu["value"]["status"]) for lu in status["linkUnits"]] == [(2, 1), (3, 2)]
    for rid in ("/model/pdu/3", "/link/3/model/pdu/0", link_outlet, "/model/pdu/3/outlet/0"):
        code, _ = await raw.call(rid, "getMetaData")
        assert code == 503, rid
    _, payload = await raw.bulk(
        [
            ("/model/pdu/2", "getMetaData", None),
            ("/model/pdu/3", "getMetaData", None),
            (link_outlet, "getState", None),
        ]
    )
    assert [r["statcode"] for r in payload["result"]["responses"]] == [200, 503, 503]
    assert payload["result"]["responses"][1]["json"]["error"]["code"] == 503
    emu.faults.clear()
    assert (await raw.ret("/model/pdu/3", "getMetaData"))["macAddress"] == emu.unit(3).mac
    status = await raw.ret("/cascade", "getStatus")
    assert [lu["value"]["status"] for lu in status["linkUnits"]] == [1, 1]


async def test_delay_responses_causes_client_timeouts(emulator_factory, raw_client: RawFactory):
    """Manual clock: a delayed answer is held until emulated time reaches it; the client gives up
    on its own (real) timeout, and nothing happened on the device."""
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    emu.faults.delay_responses(0.8, count=1)
    with pytest.raises(asyncio.TimeoutError):
        await raw.call("/model/outlet/0", "setPowerState", {"pstate": 0}, timeout_s=0.05)
    assert emu.unit(0).outlet(0).power_state == 1  # held before processing
    assert emu.clock.pending == 1
    assert await raw.ret("/model/pdu/0", "getMetaData")  # only the next N were delayed
    emu.advance(0.799)
    assert emu.clock.pending == 1
    emu.advance(0.001)  # due: the abandoned request goes on (the device never knew)
    assert emu.clock.pending == 0
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 0


async def test_http_error_html_and_truncated_bodies(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.http_error(500, count=2)
    for _ in range(2):
        status, _ = await raw.call("/model/outlet/0", "setPowerState", {"pstate": 0})
        assert status == 500
    assert emu.unit(0).outlet(0).power_state == 1  # not processed
    emu.faults.http_error(502)
    assert (await raw.call("/model/pdu/0", "getMetaData"))[0] == 502
    emu.faults.html_response()
    status, text, resp = await raw.post("/model/pdu/0", {"method": "getMetaData", "id": 1})
    assert status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "<html>" in text
    emu.faults.truncate_json()
    status, text, resp = await raw.post(
        "/model/outlet/0", {"method": "setPowerState", "params": {"pstate": 0}, "id": 1}
    )
    assert status == 200
    assert isinstance(text, str)  # not valid JSON -> the helper returns the text
    with pytest.raises(ValueError):
        __import__("json").loads(text)
    assert emu.unit(0).outlet(0).power_state == 0  # processed, answer cut
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 0  # back to normal


async def test_fail_call_in_bulk_and_direct(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3)
    raw = await raw_client(emu)
    outlet1 = emu.unit(0).outlet(1)
    emu.faults.fail_subrequest(rid=outlet1.rid, method="getState", statcode=500)
    emu.faults.fail_call(method="getSettings", rpc_error=(-32603, "Internal error"), count=1)
    calls = [
        ("/model/outlet/0", "getState", None),
        ("/model/pdu/0/outlet/1", "getState", None),
        (outlet1.rid, "getState", None),
        (outlet1.rid, "getMetaData", None),
        ("/model/outlet/2", "getSettings", None),
        ("/model/outlet/2", "getSettings", None),
    ]
    _, payload = await raw.bulk(calls)
    responses = payload["result"]["responses"]
    assert [r["statcode"] for r in responses] == [200, 500, 500, 200, 200, 200]
    assert responses[1]["json"]["error"]["code"] == 500
    assert responses[4]["json"]["error"] == {"code": -32603, "message": "Internal error"}
    assert "result" in responses[5]["json"]  # count=1 used up
    status, _ = await raw.call("/model/outlet/1", "getState")
    assert status == 500  # direct calls fail the same way
    emu.faults.clear()
    assert (await raw.ret("/model/outlet/1", "getState"))["powerState"] == 1


async def test_session_faults(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    token = (await raw.result("/session", "newSession"))["token"]
    hdr = {"X-SessionToken": token}
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=hdr)
    emu.faults.expire_sessions()
    assert (await raw.call("/model/pdu/0", "getMetaData", auth=None, headers=hdr))[0] == 401
    emu.faults.session_expiry(1.0)
    token = (await raw.result("/session", "newSession"))["token"]
    hdr = {"X-SessionToken": token}
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=hdr)
    emu.advance(0.4)
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=hdr)  # activity...
    emu.advance(0.6)
    status, _ = await raw.call("/model/pdu/0", "getMetaData", auth=None, headers=hdr)
    assert status == 401  # ...does not extend the lifetime
    emu.faults.clear()
    assert emu.faults.session_lifetime is None


async def test_change_password(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.change_password("n3w")
    assert (await raw.call("/model/pdu/0", "getMetaData"))[0] == 401
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=aiohttp.BasicAuth("admin", "n3w"))


async def test_reboot_changes_opaque_rids(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=1, clock="manual")
    emu.unit(0).outlet(0).base_power = 3600.0
    raw = await raw_client(emu)
    outlets = await raw.ret("/model/pdu/0", "getOutlets")
    sensors = await raw.ret(outlets[0]["rid"], "getSensors")
    link_outlets = await raw.ret("/model/pdu/2", "getOutlets")
    energy_before = await raw.reading(sensors["activeEnergy"]["rid"])
    token = (await raw.result("/session", "newSession"))["token"]
    await raw.ret(outlets[1]["rid"], "setPowerState", {"pstate": 0})

    emu.faults.reboot()
    for rid in (outlets[0]["rid"], sensors["activeEnergy"]["rid"], link_outlets[0]["rid"]):
        status, _ = await raw.call(rid, "getState")
        assert status == 404, rid
    assert (
        await raw.call("/model/pdu/0", "getMetaData", auth=None, headers={"X-SessionToken": token})
    )[0] == 401
    new_outlets = await raw.ret("/model/pdu/0", "getOutlets")
    assert new_outlets[0]["rid"] != outlets[0]["rid"]
    assert new_outlets[0]["rid"].endswith("outlet.0_b1")
    new_sensors = await raw.ret(new_outlets[0]["rid"], "getSensors")
    assert await raw.reading(new_sensors["activeEnergy"]["rid"]) >= energy_before  # continues
    assert (await raw.ret("/model/pdu/0/outlet/1", "getState"))["powerState"] == 0  # kept
    assert (await raw.ret("/model/pdu/2/outlet/0", "getMetaData"))["label"] == "1"
    assert emu.stats()["boot_count"] == 1
    # firmware reboot through the API does the same
    assert await raw.result("/firmware", "reboot") is None
    assert emu.stats()["boot_count"] == 1  # the answer comes first, then the reboot
    emu.advance(0.05)
    assert emu.stats()["boot_count"] == 2
    assert (await raw.call(new_outlets[0]["rid"], "getState"))[0] == 404


async def test_add_and_remove_link_units(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    assert (await raw.ret("/cascade", "getStatus"))["role"] == 0  # standalone
    link_id = emu.faults.add_link_unit(outlets=3)
    assert link_id == 2
    status = await raw.ret("/cascade", "getStatus")
    assert status["role"] == 1
    assert [lu["key"] for lu in status["linkUnits"]] == [2]
    assert len(await raw.ret("/model/pdu/2", "getOutlets")) == 3
    assert emu.unit(2).serial != emu.unit(0).serial
    assert emu.faults.add_link_unit(5) == 5
    rid = emu.unit(5).outlet(0).rid
    emu.faults.remove_link_unit(5)
    assert (await raw.call("/model/pdu/5", "getMetaData"))[0] == 404
    assert (await raw.call(rid, "getState"))[0] == 404
    assert [lu["key"] for lu in (await raw.ret("/cascade", "getStatus"))["linkUnits"]] == [2]
    with pytest.raises(ValueError):
        emu.faults.add_link_unit(2)
    # CascadeManager API
    assert (
        await raw.ret(
            "/cascade",
            "addLinkUnit",
            {"linkId": 4, "host": "10.0.0.4", "login": "admin", "password": "x", "newPassword": ""},
        )
        == 0
    )
    assert await raw.ret("/cascade", "releaseLinkUnit", {"linkId": 4}) == 0
    assert [u.pdu_id for u in emu.units] == [0, 2]


async def test_rename_trip_disconnect_and_clear(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, peripherals=2)
    emu.unit(0).outlet(0).base_power = 100.0
    raw = await raw_client(emu)
    emu.faults.rename_outlet(3, "NAS")
    assert (await raw.ret("/model/outlet/3", "getSettings"))["name"] == "NAS"
    emu.faults.trip_breaker(0)
    assert (await raw.ret("/model/ocp/0/trip", "getState"))["value"] == 0
    assert await raw.reading("/model/outlet/0/activePower") == 0.0
    emu.faults.disconnect_peripheral(1)
    reading = await raw.ret("/model/peripheraldeviceslot/1/device", "getReading")
    assert reading["available"] is False
    assert emu.faults.describe()["call_failures"] == 0
    emu.faults.clear()
    assert (await raw.ret("/model/ocp/0/trip", "getState"))["value"] == 1
    assert await raw.reading("/model/outlet/0/activePower") > 0
    assert await raw.reading("/model/peripheraldeviceslot/1/device") > 0
    assert (await raw.ret("/model/outlet/3", "getSettings"))["name"] == "NAS"  # an event, kept


@pytest.mark.parametrize("reset", [False, True])
async def test_drop_connection(emulator_factory, raw_client: RawFactory, reset: bool):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.drop_connection(reset=reset)
    with pytest.raises(aiohttp.ClientError):
        await raw.call("/model/outlet/0", "setPowerState", {"pstate": 0})
    assert emu.unit(0).outlet(0).power_state == 1  # not processed
    assert await raw.ret("/model/pdu/0", "getMetaData")  # next request is fine


async def test_delay_after_processing(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual")
    raw = await raw_client(emu)
    emu.faults.delay_responses(0.8, after_processing=True)
    with pytest.raises(asyncio.TimeoutError):
        await raw.call("/model/outlet/0", "setPowerState", {"pstate": 0}, timeout_s=0.05)
    assert emu.unit(0).outlet(0).power_state == 0  # the command took effect anyway
    # the held answer is never released: stopping the emulator ends it (no lingering task)


async def test_delay_with_the_real_clock(emulator_factory, raw_client: RawFactory):
    """Real clock: the delay is real time; a client with a longer timeout gets the answer late."""
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.faults.delay_responses(0.05)
    assert (await raw.ret("/model/outlet/0", "getState"))["powerState"] == 1
    emu.faults.delay_responses(30)
    with pytest.raises(asyncio.TimeoutError):
        await raw.call("/model/outlet/0", "getState", timeout_s=0.05)
    # the abandoned, still sleeping handler is cancelled by emu.stop() at teardown
