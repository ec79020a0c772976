"""The official ``raritan.rpc`` 4.4.1 bindings against the emulator's 4.4 profile.

The scenario (``scenario.py``) decodes every answer with the bindings' strict IDL decoders (numbers
included: doubles as 17-digit floats, ints as integers) and checks that re-encoding gives back the
identical JSON (exact field set and order of the 4.4.1 IDL). It asks for gzip, which 4.x firmware
sends, and unpacks it below the bindings.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import raritan.rpc
from raritan.rpc import Agent, cascading, pdumodel, usermgmt

from tests.sdk import scenario
from tests.sdk.conftest import EmulatorThread
from tests.sdk.event_checks import assert_events, events_emulator, trigger_test_api_events
from tests.sdk.power_checks import assert_power_scenario

pytestmark = [
    pytest.mark.usefixtures("socket_enabled"),
    # the bindings' Time.decode uses datetime.utcfromtimestamp
    pytest.mark.filterwarnings("ignore:datetime.datetime.utcfromtimestamp:DeprecationWarning"),
]


def _agent(url: str, user: str = "admin", password: str = "raritan") -> Agent:
    return scenario.make_agent(url, user, password)


def test_bindings_are_4_4_1() -> None:
    assert pdumodel.Pdu.idlType == "pdumodel.Pdu:6.5.7"
    assert pdumodel.Outlet.idlType == "pdumodel.Outlet:3.0.4"


def test_full_scenario_4_4(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    emu = threaded_emulator(outlets=8, link_units=2, peripherals=11, firmware="4.4")
    primary = emu.emu.unit(0)
    # make sure the outlets used by the scenario carry a load
    primary.outlet(0).base_power = 150.0
    primary.outlet(1).base_power = 80.0
    emu.emu.unit(2).outlet(0).base_power = 200.0

    out = scenario.run(emu.url, "admin", "raritan", accept_gzip=True)

    # every JSON answer came gzipped (only the 401 after closing the session is no JSON)
    assert out["wire"]["gzip"] == emu.emu.stats()["gzip_responses"] >= out["calls"]
    assert out["wire"]["responses"] - out["wire"]["gzip"] == 1
    assert out["wire"]["connection_close"] == 0  # 4.x keeps connections alive
    assert out["bindings"].startswith(str(raritan.rpc.__file__).rsplit("/", 2)[0])
    assert out["typeinfo_patched"] is False
    assert out["calls"] > 80

    pdu = out["pdu"]
    assert pdu["serial"] == primary.serial
    assert pdu["fw"] == "4.4.1.5-53217"
    assert pdu["mac"] == primary.mac
    assert pdu["mac"].startswith("00:0d:5d:")
    assert pdu["outlets"] == 8
    assert pdu["inlets"] == 1
    assert pdu["ocps"] == 2
    assert pdu["total_power"] > 0
    assert pdu["total_power_type"] == "sensors.NumericSensor:4.0.9"

    outlet = out["outlet"]
    assert outlet["type"] == "pdumodel.Outlet:3.0.4"
    assert outlet["rid"] == "/tfwopaque/pdumodel.Outlet:3.0.4/outlet.0"
    assert outlet["label"] == "1"
    assert outlet["powerState"] == 1
    assert outlet["setOff"] == 0
    assert outlet["stateAfterOff"] == 0
    assert outlet["powerAfterOff"] == 0.0
    assert outlet["sensorStateAfterOff"] == 0
    assert outlet["setOn"] == 0
    assert outlet["stateAfterOn"] == 1
    assert outlet["cycle"] == 0
    assert outlet["cycling"] == [True, 0]
    assert (out["outlet"]["setSettings"], out["outlet"]["nameAfterSet"]) == (0, "SDK outlet")
    assert (out["pdu"]["setSettings"], out["pdu"]["nameAfterSet"]) == (0, "SDK rack")
    assert (out["sensors"]["setThresholds"], out["sensors"]["upperWarning"]) == (0, 250.0)
    assert out["peripherals_set"] == 0
    assert out["peripherals"]["devices"][0]["description"] == "set by SDK"
    assert emu.emu.unit(0).outlet(0).name == "SDK outlet"
    assert emu.emu.unit(0).name == "SDK rack"
    assert primary.outlet(0).cycle_in_progress
    assert primary.outlet(2).power_state == 0  # switched off inside the bulk

    sensors = out["sensors"]
    assert 220 < sensors["voltage"] < 240
    assert (sensors["voltage_type"], sensors["voltage_unit"]) == (1, 1)
    assert sensors["energy_type"] == "sensors.AccumulatingNumericSensor:2.0.10"
    assert sensors["energy"] > 0
    assert sensors["outletState"] == 1
    assert sensors["outletState_type"] == [1, 13]
    assert "unbalancedVoltage" in sensors["null_refs"]  # 4.4-only field present (as null)

    assert out["inlet"]["poles"] == [0, 3]
    assert out["inlet"]["enabled"] is True
    assert out["ocp"] == {
        **out["ocp"],
        "label": "C1",
        "type": 0,
        "trip": 1,
        "trip_spec": 14,
        "trip_type": "pdumodel.OverCurrentProtectorTripSensor:1.1.14",
    }

    per = out["peripherals"]
    assert per["slots"] == 64
    assert per["discovered"] == 11
    temp, humidity, fahrenheit, contact = per["devices"]
    assert temp["serial"] == humidity["serial"]  # one T/H package, two slots
    assert temp["channel"] == -1
    assert (temp["type"], temp["unit"]) == (8, 7)
    assert (fahrenheit["type"], fahrenheit["unit"]) == (8, 29)
    assert 60 < fahrenheit["value"] < 85
    assert temp["deviceType"] == "peripheral.Device:7.0.3"
    assert temp["name"] == "Front top"
    assert contact["sensorType"] == "sensors.StateSensor:4.0.8"
    assert per["wk_slot0_serial"] == temp["serial"]

    assert out["cascade"] == {"role": 1, "links": {"2": 1, "3": 1}}
    link = out["link"]
    assert link["serial"] == emu.emu.unit(2).serial != pdu["serial"]
    assert link["mac"] != pdu["mac"]
    assert link["via_link_serial"] == link["serial"]
    assert link["outlet0"] == "/tfwopaque/pdumodel.Outlet:3.0.4/L2.outlet.0"
    assert link["power"] > 0
    assert link["setOff"] == 0
    assert link["stateAfterOff"] == 0
    assert emu.emu.unit(2).outlet(0).power_state == 0
    assert emu.emu.unit(3).outlet(0).power_state == 1

    assert out["firmware"] == {"version": "4.4.1.5-53217", "info": "4.4.1.5-53217"}
    assert primary.identify_count == 1

    bulk = out["bulk"]
    assert bulk["count"] == 7
    assert bulk["serial"] == primary.serial
    assert bulk["types"] == ["MetaData", "State", "Reading", "State", "int", "State", "NoneType"]
    assert bulk["stateAfterSet"] == 0

    sess = out["session"]
    assert sess["ret"] == 0
    assert sess["username"] == "admin"
    assert sess["token_len"] == 32
    assert sess["serial_with_token"] == primary.serial
    assert sess["same_id"] is True
    assert sess["after_close"] == "401"

    assert out["actuator"] == {"type": 39, "set": 0, "state": 1}
    stats = emu.emu.stats()
    assert stats["sessions_created"] == 1
    assert stats["bulk_requests"] == 1
    assert stats["bulk_subrequests"] == 7


def test_power_features_4_4(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """Settings, sequences, load shedding and outlet groups decode exactly with the 4.4.1
    bindings; OutletGroup 1.1.11 has the apparent power and energy sensors."""
    emu = threaded_emulator(
        outlets=4, link_units=1, outlet_groups=2, peripherals=0, clock="manual", firmware="4.4"
    )
    out = scenario.run_power(emu.url, "admin", "raritan", accept_gzip=True)
    assert out["wire"]["gzip"] == out["wire"]["responses"] >= 46
    assert_power_scenario(out, emu, "1.1.11")
    assert out["shed_switch_on"] == 0  # ERR_LOAD_SHEDDING_ACTIVE is deprecated in 4.4
    assert out["group"]["sensor_fields"] == [
        "activePower",
        "apparentPower",
        "activeEnergy",
        "apparentEnergy",
    ]
    assert out["group"]["energy_type"] == "sensors.AccumulatingNumericSensor:2.0.10"


def test_plain_sdk_calls_and_link_outlets(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """The SDK used the normal way (proxy methods), including a link unit via /model/pdu/2."""
    emu = threaded_emulator(outlets=4, link_units=1, link_unit_outlets=6, peripherals=0)
    agent = _agent(emu.url)
    link_pdu = pdumodel.Pdu("/model/pdu/2", agent)
    outlets = link_pdu.getOutlets()
    assert len(outlets) == 6
    assert all(isinstance(o, pdumodel.Outlet) for o in outlets)
    states = [o.getState().powerState for o in outlets]
    assert states == [pdumodel.Outlet.PowerState.PS_ON] * 6
    assert outlets[5].setPowerState(pdumodel.Outlet.PowerState.PS_OFF) == 0
    assert outlets[5].getState().powerState == pdumodel.Outlet.PowerState.PS_OFF
    assert emu.emu.unit(2).outlet(5).power_state == 0
    assert (
        link_pdu.getMetaData().nameplate.serialNumber
        != pdumodel.Pdu("/model/pdu/0", agent).getMetaData().nameplate.serialNumber
    )
    status = cascading.CascadeManager("/cascade", agent).getStatus()
    assert status.role == cascading.CascadeManager.Role.PRIMARY_UNIT
    assert list(status.linkUnits) == [2]
    assert status.linkUnits[2].status == cascading.CascadeManager.LinkUnitStatus.OK
    # peripherals=0: every slot is empty
    slots = link_pdu.getPeripheralDeviceManager().getDeviceSlots()
    assert slots[0].getDevice() is None


def test_sdk_error_paths(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    emu = threaded_emulator(outlets=2, non_switchable_outlets=(1,), readonly_users={"viewer": "v"})
    agent = _agent(emu.url)
    outlets = pdumodel.Pdu("/model/pdu/0", agent).getOutlets()
    assert outlets[1].getMetaData().isSwitchable is False
    assert outlets[1].setPowerState(pdumodel.Outlet.PowerState.PS_OFF) == 1
    with pytest.raises(raritan.rpc.HttpException, match="401"):
        pdumodel.Pdu("/model/pdu/0", _agent(emu.url, password="wrong")).getMetaData()
    viewer_outlet = pdumodel.Outlet(outlets[0].target, _agent(emu.url, "viewer", "v"))
    assert viewer_outlet.getState().powerState == pdumodel.Outlet.PowerState.PS_ON
    with pytest.raises(raritan.rpc.JsonRpcErrorException, match="-32001"):
        viewer_outlet.setPowerState(pdumodel.Outlet.PowerState.PS_OFF)
    with pytest.raises(raritan.rpc.HttpException, match="404"):
        pdumodel.Outlet("/model/pdu/0/outlet/9", agent).getState()


def test_sdk_follows_http_redirect_to_tls(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """Like a real device: plain HTTP answers 302 -> https, the SDK re-sends the POST there."""
    emu = threaded_emulator(outlets=2, tls=True, redirect_http=True)
    assert emu.emu.http_redirect_port is not None
    agent = Agent(
        "http",
        f"127.0.0.1:{emu.emu.http_redirect_port}",
        "admin",
        "raritan",
        disable_certificate_verification=True,
        timeout=20,
    )
    meta = pdumodel.Pdu("/model/pdu/0", agent).getMetaData()
    assert meta.nameplate.serialNumber == emu.emu.unit(0).serial
    assert agent.url == emu.url


def test_3_6_profile_is_rejected_by_4_4_bindings(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """The 3.6 profile lacks the fields the 4.4.1 IDL requires: proof it has no newer fields mixed
    in
    (the 3.6 bindings, in test_sdk_36.py, accept it exactly)."""
    emu = threaded_emulator(outlets=2, link_units=1, firmware="3.6")
    agent = _agent(emu.url)
    outlet = pdumodel.Pdu("/model/pdu/0", agent).getOutlets()[0]
    with pytest.raises(KeyError, match="isSuspended"):
        outlet.getState()
    with pytest.raises(KeyError, match="primaryUnit"):
        cascading.CascadeManager("/cascade", agent).getStatus()
    with pytest.raises(KeyError, match="hasDCInlets"):
        pdumodel.Pdu("/model/pdu/0", agent).getMetaData()


def test_4_4_profile_does_not_roundtrip_through_3_6_shapes(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """Sanity check of the exactness check itself: a 4.4 Outlet.State carries fields that a binding
    without them would drop on re-encoding."""
    emu = threaded_emulator(outlets=1, firmware="4.4")
    agent = _agent(emu.url)
    raw = agent.json_rpc("/model/pdu/0/outlet/0", "getState", {})["_ret_"]
    fields_36 = [
        "available",
        "powerState",
        "switchOnInProgress",
        "cycleInProgress",
        "isLoadShed",
        "ledState",
        "lastPowerStateChange",
    ]
    assert list(raw) != fields_36
    assert list(raw) == list(pdumodel.Outlet.State.elements)


def test_every_parameterless_getter_roundtrips_4_4(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """Every get*/is* method without parameters of every proxy class the emulator serves decodes
    and re-encodes exactly with the 4.4.1 bindings, and none answers "method not found"."""
    emu = threaded_emulator(
        outlets=8, link_units=1, peripherals=11, outlet_groups=1, firmware="4.4"
    )
    result = scenario.sweep(emu.url, "admin", "raritan", accept_gzip=True)
    assert result["wire"]["gzip"] == result["wire"]["responses"] > 100
    assert result["failures"] == {}
    assert result["unimplemented"] == []
    assert len(result["checked"]) >= 100
    assert "pdumodel.Pdu.getStatistic" in result["checked"]
    assert "sensors.NumericSensor.getMinMax" in result["checked"]
    assert "pdumodel.OutletGroupManager.getAllGroups" in result["checked"]
    assert "pdumodel.OutletGroup.getSensors" in result["checked"]
    assert "sensors.AccumulatingNumericSensor.getLastResetTime" in result["checked"]


def test_profile_field_lists_equal_binding_elements_4_4() -> None:
    """Every struct the 4.4 profile can emit has exactly the 4.4.1 binding's elements, in order."""
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import NOT_STRUCTS, binding_path

    fields = PROFILES["4.4"].fields
    keys = [k for k in fields if k not in NOT_STRUCTS]
    elements = scenario.struct_elements([binding_path(k) for k in keys])
    mismatches = {
        k: (fields[k], elements[binding_path(k)])
        for k in keys
        if fields[k] != elements[binding_path(k)]
    }
    assert mismatches == {}


def test_profile_typecodes_equal_binding_idl_types_4_4() -> None:
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import INTERFACES

    types = PROFILES["4.4"].types
    found = scenario.struct_elements([INTERFACES[k] for k in types])
    assert {k: found[INTERFACES[k]] for k in types} == types


def test_every_slot_filled_decodes_4_4(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """64 peripherals (the 4.4 slot count) on one unit: the catalogue's kinds again as new
    packages behind hub ports, every one decoded strictly by the bindings."""
    emu = threaded_emulator(outlets=1, peripherals=64, firmware="4.4")
    out = scenario.slot_sweep(emu.url, "admin", "raritan", accept_gzip=True)
    assert (out["slots"], out["discovered"], len(out["devices"])) == (64, 64, 64)
    assert out["packages"] == len({d["serial"] for d in out["devices"]}) == 53
    assert out["devices"][0]["position"] == [[1, "1"], [3, "1"]]
    assert out["devices"][63]["position"] == [[1, "1"], [2, "5"], [3, "8"]]  # 6th round, hub 5
    assert [d["type"] for d in out["devices"][11:22]] == [d["type"] for d in out["devices"][:11]]


def test_events_4_4(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """The event service and every event type through the 4.4.1 bindings, strictly decoded."""
    emu = events_emulator(threaded_emulator, "4.4")
    out = scenario.run_events(
        emu.url, "admin", "raritan", trigger_test_api_events(emu), accept_gzip=True
    )
    assert out["wire"]["gzip"] == out["wire"]["responses"] - 1  # all but the 404
    assert_events(out, emu)
    trip = "pdumodel.OverCurrentProtectorTripSensor_1_1_14.TripStateChangedEvent:1.0.0"
    assert trip in out["types"]  # with tripInformation (4.x)


def test_event_typecodes_equal_binding_idl_types_4_4() -> None:
    from tests.emulator.events import EVENT_TYPES, event_typecode
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import INTERFACES

    profile = PROFILES["4.4"]
    paths = {key: f"{INTERFACES[t.iface]}.{t.name}" for key, t in EVENT_TYPES.items()}
    found = scenario.struct_elements(list(paths.values()))
    assert {k: found[p] for k, p in paths.items()} == {
        k: event_typecode(profile, k) for k in EVENT_TYPES
    }


def test_sdk_reads_the_privileges_of_each_account(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """``User.getInfoAndPrivileges`` of ``/auth/currentUser`` names the caller's privileges
    (the bindings decode it as ``(UserInfo, [Role.Privilege])``), the roles agree with it, and
    a call the role does not grant answers -32001 while a granted one works."""
    emu = threaded_emulator(
        outlets=2,
        peripherals=0,
        readonly_users={"viewer": "v"},
        accounts={"switcher": ("s", ("switchOutlet:all",))},
    )
    admin_info, admin_privileges = usermgmt.User(
        "/auth/currentUser", _agent(emu.url)
    ).getInfoAndPrivileges()
    assert [(p.name, p.args) for p in admin_privileges] == [("adminPrivilege", [])]
    viewer = _agent(emu.url, "viewer", "v")
    _info, viewer_privileges = usermgmt.User("/auth/currentUser", viewer).getInfoAndPrivileges()
    assert "switchOutlet" not in {p.name for p in viewer_privileges}
    switcher = _agent(emu.url, "switcher", "s")
    info, privileges = usermgmt.User("/auth/currentUser", switcher).getInfoAndPrivileges()
    assert [(p.name, p.args) for p in privileges] == [("switchOutlet", ["all"])]
    roles = {r.id: r for r in usermgmt.RoleManager("/auth/role", _agent(emu.url)).getAllRoles()}
    assert [p.name for p in roles[info.roleIds[0]].info.privileges] == ["switchOutlet"]
    assert roles[admin_info.roleIds[0]].name == "Admin"

    outlet = pdumodel.Pdu("/model/pdu/0", switcher).getOutlets()[0]
    assert outlet.setPowerState(pdumodel.Outlet.PowerState.PS_OFF) == 0
    settings = outlet.getSettings()
    with pytest.raises(raritan.rpc.JsonRpcErrorException, match="-32001"):
        outlet.setSettings(settings)  # changePduConfiguration: not granted
    with pytest.raises(raritan.rpc.JsonRpcErrorException, match="-32001"):
        pdumodel.Outlet(outlet.target, viewer).setPowerState(pdumodel.Outlet.PowerState.PS_ON)
    emu.emu.accounts.set_privileges("viewer", ["switchOutlet"])
    assert (
        pdumodel.Outlet(outlet.target, viewer).setPowerState(pdumodel.Outlet.PowerState.PS_ON) == 0
    )
