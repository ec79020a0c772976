"""Transport, authentication, sessions, error mapping and RID resolution (raw HTTP)."""

from __future__ import annotations

import base64

import aiohttp

from .conftest import ADMIN, RawFactory


async def test_basic_auth_failures_are_401_without_json(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    body = {"method": "getMetaData", "id": 1}
    for auth in (None, aiohttp.BasicAuth("admin", "nope"), aiohttp.BasicAuth("ghost", "raritan")):
        status, payload, resp = await raw.post("/model/pdu/0", body, auth=auth)
        assert status == 401
        assert payload == ""
        assert "json" not in resp.headers.get("Content-Type", "")
    status, _, _ = await raw.post(
        "/model/pdu/0", body, auth=None, headers={"Authorization": "Basic !!!notbase64"}
    )
    assert status == 401
    assert emu.stats()["auth_failures"] == 4


async def test_request_variants_and_response_shape(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    # no jsonrpc, no params, string id (like the SDK's single calls / PSY)
    status, payload, resp = await raw.post("/model/pdu/0", {"method": "getSettings", "id": "x"})
    assert status == 200
    assert payload["jsonrpc"] == "2.0"
    assert payload["id"] == "x"
    assert payload["result"]["_ret_"]["cycleDelay"] == 10
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-cache, no-store"
    # params null and explicit jsonrpc
    _, payload, _ = await raw.post(
        "/firmware", {"jsonrpc": "2.0", "method": "getVersion", "params": None, "id": 7}
    )
    assert payload == {"jsonrpc": "2.0", "result": {"_ret_": "4.4.1.5-53217"}, "id": 7}
    # void method -> result null
    assert await raw.result("/model/unit", "identify", {"seconds": 5}) is None
    assert emu.unit(0).identify_count == 1
    # out-params as siblings, no _ret_
    iop = await raw.result("/model/outlet/0", "getIOP")
    assert set(iop) == {"i", "o", "p"}
    assert iop["i"]["rid"] == emu.unit(0).inlet(0).rid
    assert iop["o"] is None  # 2 outlets -> no breakers by default
    assert iop["p"][0]["line"] == 0


async def test_error_mapping(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, firmware="3.6")
    raw = await raw_client(emu)
    status, payload = await raw.call("/model/pdu/0/outlet/9", "getState")
    assert status == 404
    assert payload in ("Not Found", "")
    status, payload = await raw.call("/tfwopaque/pdumodel.Outlet:3.0.4/outlet.0", "getState")
    assert status == 404  # 4.4 typecode on a 3.6 device
    status, payload = await raw.call("/model/pdu/0", "noSuchMethod")
    assert status == 200
    assert payload["error"]["code"] == -32601
    assert payload["id"] == raw.next_id
    _, payload = await raw.call("/firmware", "getInfo")  # Firmware 2.0.1 has no getInfo
    assert payload["error"]["code"] == -32601
    _, payload = await raw.call("/model/pdu/0/outlet/0", "setPowerState", {"pstate": "on"})
    assert payload["error"]["code"] == -32602
    _, payload = await raw.call("/model/pdu/0/outlet/0", "setPowerState", {})
    assert payload["error"]["code"] == -32602
    _, payload = await raw.call("/model/pdu/0/outlet/0", "setPowerState", {"pstate": True})
    assert payload["error"]["code"] == -32602
    status, payload, _ = await raw.post("/model/pdu/0", raw=b'{"method": "getMetaData", "id": 3')
    assert status == 200
    assert payload == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }
    _, payload, _ = await raw.post("/model/pdu/0", {"id": 4})
    assert payload["error"]["code"] == -32600
    assert payload["id"] == 4
    _, payload, _ = await raw.post("/model/pdu/0", [{"method": "getMetaData", "id": 5}])
    assert payload["error"]["code"] == -32600  # no JSON-RPC batch arrays
    async with raw.http.get(emu.url + "/model/pdu/0", auth=ADMIN) as resp:
        assert resp.status == 405
    async with raw.http.get(emu.url + "/") as resp:  # the web UI's login page
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")


async def test_sessions(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, session_timeout=1, clock="manual")
    raw = await raw_client(emu)
    result = await raw.result("/session", "newSession", headers={"X-Client-Type": "Test RPC"})
    assert result["_ret_"] == 0
    session = result["session"]
    assert list(session) == [
        "sessionId",
        "username",
        "remoteIp",
        "clientType",
        "creationTime",
        "timeout",
        "idle",
        "userIdle",
    ]
    assert session["username"] == "admin"
    assert session["clientType"] == "Test RPC"
    assert session["timeout"] == 1
    assert session["remoteIp"] == "127.0.0.1"
    assert isinstance(session["creationTime"], int)
    token = result["token"]
    assert len(token) == 32
    int(token, 16)
    for header in ("X-SessionToken", "x-sessiontoken", "X-Sessiontoken"):
        meta = await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers={header: token})
        assert meta["nameplate"]["serialNumber"] == emu.unit(0).serial
    current = await raw.ret(
        "/session", "getCurrentSession", auth=None, headers={"X-SessionToken": token}
    )
    assert current["sessionId"] == session["sessionId"]
    assert (
        await raw.result(
            "/session",
            "touchCurrentSession",
            {"userActivity": True},
            auth=None,
            headers={"X-SessionToken": token},
        )
        is None
    )
    # getCurrentSession needs a token
    _, payload = await raw.call("/session", "getCurrentSession")
    assert "error" in payload
    # idle timeout (1 s): just short of it the token still works (and the use resets idle)
    by_token = {"X-SessionToken": token}
    emu.advance(0.9)
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=by_token)
    emu.advance(0.9)
    assert await raw.ret("/model/pdu/0", "getMetaData", auth=None, headers=by_token)
    emu.advance(1.0)
    status, _ = await raw.call(
        "/model/pdu/0", "getMetaData", auth=None, headers={"X-SessionToken": token}
    )
    assert status == 401
    # close
    token2 = (await raw.result("/session", "newSession"))["token"]
    assert len(await raw.ret("/session", "getSessions")) == 1
    assert (
        await raw.result(
            "/session",
            "closeCurrentSession",
            {"reason": 0},
            auth=None,
            headers={"X-SessionToken": token2},
        )
        is None
    )
    status, _ = await raw.call(
        "/model/pdu/0", "getMetaData", auth=None, headers={"X-SessionToken": token2}
    )
    assert status == 401
    status, _ = await raw.call(
        "/model/pdu/0", "getMetaData", auth=None, headers={"X-SessionToken": "0" * 32}
    )
    assert status == 401
    stats = emu.stats()
    assert stats["sessions_created"] == 2
    assert stats["sessions_active"] == 0


async def test_single_login(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, single_login=True)
    raw = await raw_client(emu)
    first = await raw.result("/session", "newSession")
    assert first["_ret_"] == 0
    second = await raw.result("/session", "newSession")
    assert second["_ret_"] == 1  # ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER
    assert second["token"] == ""
    await raw.result(
        "/session",
        "closeCurrentSession",
        {"reason": 0},
        auth=None,
        headers={"X-SessionToken": first["token"]},
    )
    assert (await raw.result("/session", "newSession"))["_ret_"] == 0


async def test_readonly_user_lacks_switch_privilege(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, readonly_users={"viewer": "secret"})
    raw = await raw_client(emu)
    viewer = aiohttp.BasicAuth("viewer", "secret")
    assert (await raw.ret("/model/outlet/0", "getState", auth=viewer))["powerState"] == 1
    for method, params in (("setPowerState", {"pstate": 0}), ("cyclePowerState", {})):
        _, payload = await raw.call("/model/outlet/0", method, params, auth=viewer)
        assert payload["error"] == {
            "code": -32001,
            "message": "Insufficient privileges to perform request.",
        }
    _, payload = await raw.call(
        "/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}, auth=viewer
    )
    assert payload["error"]["code"] == -32001
    assert emu.unit(0).outlet(0).power_state == 1
    # a session of the viewer keeps the restriction
    token = (await raw.result("/session", "newSession", auth=viewer))["token"]
    _, payload = await raw.call(
        "/model/outlet/0",
        "setPowerState",
        {"pstate": 0},
        auth=None,
        headers={"X-SessionToken": token},
    )
    assert payload["error"]["code"] == -32001


async def test_each_privilege_guards_its_own_writes(emulator_factory, raw_client: RawFactory):
    """A role grants what it names: switching outlets is not configuring them, an actuator
    needs its own privilege; the caller reads its privileges at /auth/currentUser."""
    emu = await emulator_factory(
        outlets=2, peripherals=0, accounts={"op": ("op-pw", ("switchOutlet:all",))}
    )
    raw = await raw_client(emu)
    op = aiohttp.BasicAuth("op", "op-pw")
    answer = await raw.result("/auth/currentUser", "getInfoAndPrivileges", auth=op)
    assert answer["privileges"] == [{"name": "switchOutlet", "args": ["all"]}]
    assert len(answer["info"]["roleIds"]) == 1
    assert (await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0}, auth=op)) == 0
    settings = await raw.ret("/model/outlet/0", "getSettings", auth=op)
    _, payload = await raw.call("/model/outlet/0", "setSettings", {"settings": settings}, auth=op)
    assert payload["error"]["code"] == -32001
    # lowered at runtime: the next call is refused, admin keeps everything
    emu.accounts.set_privileges("op", ["ro"])
    _, payload = await raw.call("/model/outlet/0", "setPowerState", {"pstate": 1}, auth=op)
    assert payload["error"]["code"] == -32001
    assert (await raw.ret("/model/outlet/0", "setSettings", {"settings": settings})) == 0
    privileges = (await raw.result("/auth/currentUser", "getInfoAndPrivileges"))["privileges"]
    assert privileges == [{"name": "adminPrivilege", "args": []}]


async def test_firmware_without_user_management_answers_404(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(outlets=1, auth_interface=False)
    raw = await raw_client(emu)
    status, _ = await raw.call("/auth/currentUser", "getInfoAndPrivileges")
    assert status == 404


async def test_well_known_and_opaque_rids_are_the_same_objects(
    emulator_factory, raw_client: RawFactory
):
    emu = await emulator_factory(
        outlets=4, link_units=1, inlet_phases=3, peripherals=2, clock="manual"
    )
    raw = await raw_client(emu)
    outlets = await raw.ret("/model/pdu/0", "getOutlets")
    assert outlets[2] == {
        "rid": "/tfwopaque/pdumodel.Outlet:3.0.4/outlet.2",
        "type": "pdumodel.Outlet:3.0.4",
    }
    await raw.ret(
        outlets[2]["rid"],
        "setSettings",
        {
            "settings": {
                "name": "web",
                "startupState": 3,
                "usePduCycleDelay": True,
                "cycleDelay": 10,
                "nonCritical": False,
                "sequenceDelay": 0,
            }
        },
    )
    for rid in ("/model/pdu/0/outlet/2", "/model/outlet/2", outlets[2]["rid"]):
        assert (await raw.ret(rid, "getSettings"))["name"] == "web"
    assert emu.unit(0).outlet(2).name == "web"
    sensors = await raw.ret("/model/outlet/1", "getSensors")
    opaque = await raw.ret(sensors["activePower"]["rid"], "getReading")
    wk = await raw.ret("/model/pdu/0/outlet/1/activePower", "getReading")
    assert opaque["value"] == wk["value"]  # the same instant: the manual clock stands still
    assert sensors["activeEnergy"]["type"] == "sensors.AccumulatingNumericSensor:2.0.10"
    assert sensors["outletState"]["rid"].endswith("/O1OutletState")
    # inlet / pole / ocp / peripherals well-known paths
    await raw.reading("/model/inlet/0/voltage")
    await raw.reading("/model/pdu/0/inlet/0/pole/3/current")
    assert (await raw.ret("/model/pdu/0/ocp/0/trip", "getState"))["value"] == 1
    assert (await raw.ret("/model/ocp/1", "getMetaData"))["label"] == "C2"
    device = await raw.ret("/model/peripheraldeviceslot/0", "getDevice")
    assert device["value"]["device"]["rid"] == "/tfwopaque/sensors.NumericSensor:4.0.9/EXT00N"
    await raw.reading("/model/peripheraldeviceslot/0/device")
    assert await raw.ret("/model/peripheraldeviceslot/5", "getDevice") is None
    status, _ = await raw.call("/model/peripheraldeviceslot/5/device", "getReading")
    assert status == 404
    # link unit: /model/pdu/2, /link/2/..., L2. opaque names
    link_serial = emu.unit(2).serial
    for rid in ("/model/pdu/2", "/link/2/model/pdu/0"):
        meta = await raw.ret(rid, "getMetaData")
        assert meta["nameplate"]["serialNumber"] == link_serial
    link_outlets = await raw.ret("/link/2/model/pdu/0", "getOutlets")
    assert link_outlets[0]["rid"] == "/tfwopaque/pdumodel.Outlet:3.0.4/L2.outlet.0"
    assert (await raw.ret("/link/2/model/outlet/0", "getMetaData"))["label"] == "1"
    link_status = await raw.ret("/link/2/cascade", "getStatus")
    assert link_status["role"] == 2
    assert link_status["primaryUnit"] == emu.host
    for rid in (
        "/link/2/session",
        "/link/3/model/pdu/0",
        "/model/pdu/1",
        "/model/pdu/3",
        "/link/2/link/2/model/pdu/0",
        "/model/nothing",
        "/tfwopaque/x/y",
    ):
        status, _ = await raw.call(rid, "getMetaData")
        assert status == 404, rid
    # getTypeInfo (implicit method)
    info = await raw.ret(sensors["activeEnergy"]["rid"], "getTypeInfo")
    assert info == {
        "id": "sensors.AccumulatingNumericSensor:2.0.10",
        "base": {
            "id": "sensors.NumericSensor:4.0.9",
            "base": {"id": "sensors.Sensor:4.0.8", "base": None},
        },
    }


async def test_non_json_content_type_accepted(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    auth = base64.b64encode(b"admin:raritan").decode()
    async with raw.http.post(
        emu.url + "/model/pdu/0",
        data=b'{"method":"getMetaData","id":1}',
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {auth}",
        },
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["result"]["_ret_"]["fwRevision"] == "4.4.1.5-53217"


async def test_3_6_profile_shapes(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=1, peripherals=1, firmware="3.6")
    raw = await raw_client(emu)
    status = await raw.ret("/cascade", "getStatus")
    assert status == {
        "role": 1,
        "master": "",
        "linkUnits": [{"key": 2, "value": {"host": "192.0.2.12", "status": 1}}],
    }
    state = await raw.ret("/model/outlet/0", "getState")
    assert "isLoadShed" in state
    assert "isSuspended" not in state
    device = await raw.ret("/model/peripheraldeviceslot/0", "getDevice")
    assert device["type"] == "peripheral.Device:3.0.2"
    assert device["value"]["deviceID"]["channel"] == 0
    assert len(await raw.ret("/model/peripheraldevicemanager", "getDeviceSlots")) == 32
    meta = await raw.ret("/model/pdu/0", "getMetaData")
    assert "brand" in meta["nameplate"]
    assert "hasDCInlets" not in meta
    _, payload = await raw.call("/model/pdu/0/outlet/0/activePower", "getMinMax")
    assert payload["error"]["code"] == -32601
    settings = await raw.ret("/model/pdu/0", "getSettings")
    assert "inhibitRelayControl" not in settings
    # 3.6 setSettings is not sparse
    _, payload = await raw.call("/model/pdu/0", "setSettings", {"settings": {"name": "x"}})
    assert payload["error"]["code"] == -32602
    assert (
        await raw.ret("/model/pdu/0", "setSettings", {"settings": {**settings, "name": "rack 7"}})
        == 0
    )
    assert emu.unit(0).name == "rack 7"


async def test_emulator_bug_becomes_internal_error(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)

    def broken(ctx, params):
        raise ZeroDivisionError

    emu.unit(0).pdu.rpc_getNameplate = broken
    status, payload = await raw.call("/model/pdu/0", "getNameplate")
    assert status == 200
    assert payload["error"] == {"code": -32603, "message": "Internal error"}
    assert await raw.ret("/model/pdu/0", "getMetaData")  # still serving


async def test_ipv6_url_formatting(emulator_factory):
    """IPv6 hosts get brackets in emu.url (HA's socket guard only allows 127.0.0.1 connects)."""
    emu = await emulator_factory(outlets=1)
    emu.host = "::1"
    assert emu.url == f"http://[::1]:{emu.port}"
    emu.host = "127.0.0.1"
