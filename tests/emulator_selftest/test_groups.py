"""Outlet groups (``/model/outletgroup``): members across units, summed readings, energy in emulated
time, create/delete/rename, switching in sequence, persistence, RIDs, errors, privileges, CLI."""

from __future__ import annotations

import aiohttp
import pytest

from tests.emulator.__main__ import build_parser, config_from_args

from .conftest import RawFactory

MGR = "/model/outletgroup"


async def _groups(raw) -> dict[int, dict[str, str]]:
    return {e["key"]: e["value"] for e in await raw.ret(MGR, "getAllGroups")}


async def test_initial_groups_span_the_units(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=4, link_units=2, outlet_groups=5, firmware="4.4")
    raw = await raw_client(emu)
    groups = await _groups(raw)
    assert list(groups) == [1, 2, 3, 4, 5]
    assert groups[1]["type"] == "pdumodel.OutletGroup:1.1.11"
    assert groups[1]["rid"] == "/tfwopaque/pdumodel.OutletGroup:1.1.11/outletGroup.1"
    settings = await raw.ret(groups[2]["rid"], "getSettings")
    assert settings == {
        "name": "Group 2",
        "members": [
            {"rid": "/tfwopaque/pdumodel.Outlet:3.0.4/outlet.1", "type": "pdumodel.Outlet:3.0.4"},
            {
                "rid": "/tfwopaque/pdumodel.Outlet:3.0.4/L2.outlet.1",
                "type": "pdumodel.Outlet:3.0.4",
            },
        ],
    }
    # group 5 wraps around to outlet 1 of both units
    assert [o.index for o in emu.groups.group(5).members] == [0, 0]
    meta = [await raw.ret(g["rid"], "getMetaData") for g in groups.values()]
    assert [m["groupId"] for m in meta] == [1, 2, 3, 4, 5]
    assert len({m["uniqueId"] for m in meta}) == 5
    assert all(0 < m["uniqueId"] < 2**31 for m in meta)
    assert [g.name for g in emu.outlet_groups] == [f"Group {k}" for k in range(1, 6)]
    # well-known RIDs and the same object behind the opaque one
    assert (await raw.ret(f"{MGR}/3", "getSettings"))["name"] == "Group 3"
    assert (await raw.result(MGR, "getGroup", {"id": 3}))["group"] == groups[3]
    assert await raw.result(MGR, "getGroup", {"id": 9}) == {"_ret_": 2, "group": None}
    # groups live on the primary only
    for rid in ("/link/2/model/outletgroup", "/model/outletgroup/6", "/model/outletgroup/1/x"):
        assert (await raw.call(rid, "getAllGroups"))[0] == 404, rid
    # without link units: two outlets of the primary
    single = await emulator_factory(outlets=3, outlet_groups=3)
    assert [[o.index for o in g.members] for g in single.outlet_groups] == [[0, 1], [1, 2], [2, 0]]


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_group_readings_are_sums_and_energy_accumulates(
    emulator_factory, raw_client: RawFactory, firmware: str
):
    emu = await emulator_factory(
        outlets=3, link_units=1, outlet_groups=1, firmware=firmware, clock="manual", noise=False
    )
    raw = await raw_client(emu)
    a, b = emu.unit(0).outlet(0), emu.unit(2).outlet(0)
    a.base_power, b.base_power = 120.0, 80.0
    sensors = await raw.ret(f"{MGR}/1", "getSensors")
    if firmware == "3.6":
        assert list(sensors) == ["activePower", "activeEnergy"]  # OutletGroup 1.0.1
    else:
        assert list(sensors) == ["activePower", "apparentPower", "activeEnergy", "apparentEnergy"]
        assert sensors["apparentEnergy"]["rid"].endswith("/OG1ApparentEnergy")
        apparent = await raw.reading(sensors["apparentPower"]["rid"])
        assert apparent == pytest.approx(120.0 / a.power_factor + 80.0 / b.power_factor)
    assert sensors["activeEnergy"]["type"].startswith("sensors.AccumulatingNumericSensor:")
    assert await raw.reading(sensors["activePower"]["rid"]) == 200.0
    assert await raw.reading(f"{MGR}/1/activePower") == 200.0
    assert await raw.reading(sensors["activeEnergy"]["rid"]) == 0.0  # a new group starts at 0
    emu.advance(1800)
    assert await raw.reading(f"{MGR}/1/activeEnergy") == pytest.approx(100.0)
    b.power_state = 0
    assert await raw.reading(f"{MGR}/1/activePower") == 120.0
    emu.advance(1800)
    assert await raw.reading(f"{MGR}/1/activeEnergy") == pytest.approx(160.0)
    # a member leaving or joining never makes the counter jump
    c = emu.unit(0).outlet(1)
    c.base_power = 40.0
    emu.groups.group(1).members = [a, c]
    assert await raw.reading(f"{MGR}/1/activeEnergy") == pytest.approx(160.0)
    emu.advance(3600)
    assert emu.groups.group(1).energy_wh == pytest.approx(320.0)
    assert await raw.reading(f"{MGR}/1/activePower") == 160.0
    # resetValue on the group counter (not on the outlets)
    outlet_energy = a.energy_wh
    assert await raw.result(sensors["activeEnergy"]["rid"], "resetValue") is None
    assert await raw.reading(f"{MGR}/1/activeEnergy") == 0.0
    assert a.energy_wh == pytest.approx(outlet_energy)
    # an outlet counter reset does not touch the group's
    emu.advance(900)
    assert await raw.result("/model/outlet/0/activeEnergy", "resetValue") is None
    assert await raw.reading(f"{MGR}/1/activeEnergy") == pytest.approx(40.0)


async def test_unreachable_or_removed_members(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=1, outlet_groups=1, clock="manual")
    raw = await raw_client(emu)
    emu.faults.link_unreachable(2)
    reading = await raw.ret(f"{MGR}/1/activePower", "getReading")
    assert (reading["available"], reading["valid"]) == (False, False)
    emu.faults.link_unreachable(2, False)
    assert (await raw.ret(f"{MGR}/1/activePower", "getReading"))["available"] is True
    energy = emu.groups.group(1).energy_wh
    emu.faults.remove_link_unit(2)
    settings = await raw.ret(f"{MGR}/1", "getSettings")
    assert [m["rid"] for m in settings["members"]] == [emu.unit(0).outlet(0).rid]
    assert await raw.reading(f"{MGR}/1/activeEnergy") == pytest.approx(energy)


async def test_create_change_and_delete_groups(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=4, link_units=1, outlet_groups=2, firmware="3.6")
    raw = await raw_client(emu)
    outlets = await raw.ret("/model/pdu/0", "getOutlets")
    link = await raw.ret("/model/pdu/2", "getOutlets")
    params = {"name": "web", "members": [outlets[3], link[2]]}
    created = await raw.result(MGR, "createGroup", params)
    assert created["_ret_"] == 0
    assert created["group"]["type"] == "pdumodel.OutletGroup:1.0.1"
    assert list(await _groups(raw)) == [1, 2, 3]
    assert [o.rid for o in emu.groups.group(3).members] == [outlets[3]["rid"], link[2]["rid"]]
    # well-known member RIDs work too; the answer names the opaque ones
    wk = {"rid": "/model/pdu/2/outlet/1", "type": "pdumodel.Outlet:2.1.5"}
    settings = {"name": "db", "members": [wk]}
    assert await raw.ret(created["group"]["rid"], "setSettings", {"settings": settings}) == 0
    after = await raw.ret(created["group"]["rid"], "getSettings")
    assert after == {"name": "db", "members": [link[1]]}
    # invalid: no members, not an outlet, unknown RID, twice the same outlet, empty name
    inlet = (await raw.ret("/model/pdu/0", "getInlets"))[0]
    gone = {"rid": "/model/pdu/0/outlet/9", "type": "pdumodel.Outlet:2.1.5"}
    for name, members in (
        ("x", []),
        ("x", [inlet]),
        ("x", [gone]),
        ("x", [outlets[0], outlets[0]]),
        (" ", [outlets[0]]),
        ("n" * 65, [outlets[0]]),
    ):
        result = await raw.result(MGR, "createGroup", {"name": name, "members": members})
        assert result == {"_ret_": 1, "group": None}, (name, members)
        bad = {"name": name, "members": members}
        assert await raw.ret(f"{MGR}/3", "setSettings", {"settings": bad}) == 1
    _, payload = await raw.call(MGR, "createGroup", {"name": "x", "members": ["outlet"]})
    assert payload["error"]["code"] == -32602
    _, payload = await raw.call(f"{MGR}/3", "setSettings", {"settings": {"name": "x"}})
    assert payload["error"]["code"] == -32602
    # the group count limit
    emu.groups.max_groups = 3
    result = await raw.result(MGR, "createGroup", {"name": "x", "members": [outlets[0]]})
    assert result == {"_ret_": 3, "group": None}
    # delete: the id is reused, the RID is not
    assert await raw.ret(MGR, "deleteGroup", {"id": 2}) == 0
    assert await raw.ret(MGR, "deleteGroup", {"id": 2}) == 2
    assert (await raw.call(f"{MGR}/2", "getSettings"))[0] == 404
    old_rid = (await raw.ret("/model/outletgroup/1", "getSensors"))["activePower"]["rid"]
    emu.groups.delete(1)
    assert (await raw.call(old_rid, "getReading"))[0] == 404
    again = await raw.result(MGR, "createGroup", {"name": "new", "members": [outlets[1]]})
    meta = await raw.ret(again["group"]["rid"], "getMetaData")
    assert meta["groupId"] == 1
    assert again["group"]["rid"].endswith("/outletGroup.4")
    # the test API: "at the PDU"
    emu.groups.rename(1, "renamed at the PDU")
    assert (await raw.ret(f"{MGR}/1", "getSettings"))["name"] == "renamed at the PDU"
    group = emu.groups.create("from the web UI", [emu.unit(2).outlet(0)])
    assert group.group_id == 2
    assert (await _groups(raw))[2]["rid"] == group.rid
    with pytest.raises(ValueError, match="3 groups"):
        emu.groups.create("too many", [emu.unit(0).outlet(0)])


async def test_groups_survive_a_reboot_with_new_rids(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, link_units=1, outlet_groups=2)
    raw = await raw_client(emu)
    groups = await _groups(raw)
    sensor = (await raw.ret(groups[1]["rid"], "getSensors"))["activePower"]["rid"]
    emu.faults.reboot()
    assert (await raw.call(groups[1]["rid"], "getSettings"))[0] == 404
    assert (await raw.call(sensor, "getReading"))[0] == 404
    after = await _groups(raw)
    assert list(after) == [1, 2]
    assert after[1]["rid"] == groups[1]["rid"] + "_b1"
    settings = await raw.ret(after[1]["rid"], "getSettings")
    assert [m["rid"] for m in settings["members"]] == [
        "/tfwopaque/pdumodel.Outlet:3.0.4/outlet.0_b1",
        "/tfwopaque/pdumodel.Outlet:3.0.4/L2.outlet.0_b1",
    ]
    meta = await raw.ret(f"{MGR}/1", "getMetaData")
    assert meta["uniqueId"] == emu.groups.group(1).unique_id


async def test_group_switching_runs_each_units_sequence(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3, link_units=1, clock="manual", cycle_delay=4)
    raw = await raw_client(emu)
    primary, link = emu.unit(0), emu.unit(2)
    members = [*primary.outlets, link.outlet(0), link.outlet(2)]
    group = emu.groups.create("rack", members)
    settings = {"inRushGuardDelay": 500, "outletPowerStateSequence": [2, 1, 0]}
    assert await raw.ret("/model/pdu/0", "setSettings", {"settings": settings}) == 0
    assert await raw.ret(group.rid, "setAllOutletPowerStates", {"pstate": 0}) == 0
    assert [o.power_state for o in members] == [0] * 5
    assert link.outlet(1).power_state == 1  # not a member
    assert await raw.ret(group.rid, "setAllOutletPowerStates", {"pstate": 1}) == 0
    # each unit its own sequence: primary 2, 1, 0 every 0.5 s; link unit 0, 2 every 0.2 s
    assert [o.power_state for o in members] == [0, 0, 1, 1, 0]
    emu.advance(0.2)
    assert [o.power_state for o in members] == [0, 0, 1, 1, 1]
    emu.advance(0.3)
    assert [o.power_state for o in members] == [0, 1, 1, 1, 1]
    emu.advance(0.5)
    assert [o.power_state for o in members] == [1, 1, 1, 1, 1]
    # cycle: off now, back after the cycle delay, in sequence
    assert await raw.ret(group.rid, "cycleAllOutletPowerStates") == 0
    assert [o.power_state for o in members] == [0] * 5
    assert (await raw.ret("/model/pdu/0", "getOutletSequenceState"))["outletsRemaining"] == 3
    emu.advance(4)
    assert [o.power_state for o in members] == [0, 0, 1, 1, 0]
    emu.advance(1)
    assert [o.power_state for o in members] == [1, 1, 1, 1, 1]
    # members that cannot switch are left alone; the answer stays 0
    link.outlet(0).disabled = True
    await raw.ret("/model/pdu/2", "setSettings", {"settings": {"inhibitRelayControl": True}})
    await raw.ret("/model/pdu/0", "setSettings", {"settings": {"inhibitRelayControl": False}})
    assert await raw.ret(group.rid, "setAllOutletPowerStates", {"pstate": 0}) == 0
    assert [o.power_state for o in members] == [0, 0, 0, 1, 1]
    _, payload = await raw.call(group.rid, "setAllOutletPowerStates", {"pstate": 2})
    assert payload["error"]["code"] == -32602


async def test_readonly_users_cannot_change_groups(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, outlet_groups=1, readonly_users={"viewer": "v"})
    raw = await raw_client(emu)
    viewer = aiohttp.BasicAuth("viewer", "v")
    outlets = await raw.ret("/model/pdu/0", "getOutlets")
    for rid, method, params in (
        (MGR, "createGroup", {"name": "x", "members": outlets}),
        (MGR, "deleteGroup", {"id": 1}),
        (f"{MGR}/1", "setSettings", {"settings": {"name": "x", "members": outlets}}),
        (f"{MGR}/1", "setAllOutletPowerStates", {"pstate": 0}),
        (f"{MGR}/1", "cycleAllOutletPowerStates", {}),
        (f"{MGR}/1/activeEnergy", "resetValue", {}),
    ):
        _, payload = await raw.call(rid, method, params, auth=viewer)
        assert payload["error"]["code"] == -32001, method
    assert list(await _groups(raw)) == [1]
    assert (await raw.ret(f"{MGR}/1", "getSettings", auth=viewer))["name"] == "Group 1"
    assert [o.power_state for o in emu.unit(0).outlets] == [1, 1]


async def test_cli_outlet_groups_flag() -> None:
    config = config_from_args(build_parser().parse_args(["--outlet-groups", "3"]))
    assert config.outlet_groups == 3
    assert config_from_args(build_parser().parse_args([])).outlet_groups == 0
    with pytest.raises(ValueError, match="outlet_groups"):
        config_from_args(build_parser().parse_args(["--outlet-groups", "-1"]))
