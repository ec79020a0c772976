"""Assertions on ``scenario.power_scenario`` shared by the 4.4 and the 3.6 SDK tests."""

from __future__ import annotations

from typing import Any

from tests.sdk.conftest import EmulatorThread


def assert_power_scenario(out: dict[str, Any], emu: EmulatorThread, group_version: str) -> None:
    """What both generations answer alike in ``scenario.power_scenario``."""
    fw = emu.emu.profile.typecode("Outlet")
    assert (out["pdu_set"], out["pdu_set_invalid"]) == (0, 1)
    assert out["pdu_settings"] == [1, 4, 400, [1, 0, 2, 3]]
    assert (out["outlet_set"], out["outlet_set_invalid"]) == (0, 1)
    assert out["outlet_settings"] == [3, 1500]
    assert emu.emu.unit(0).startup_state == 1
    assert emu.emu.unit(0).outlet(1).sequence_delay == 1500
    # order 1, 0, 2, 3: after outlet 1 max(guard 400, its sequenceDelay 1500) ms
    assert out["set_all_on"] == 0
    assert out["sequence"] == [True, 0, 1500, 3, 3]
    assert out["after_cancel"] is False
    assert (out["set_multiple"], out["cycle_multiple"], out["cycle_all"]) == (0, 0, 0)
    assert out["cycle_sequence"] == [4, 0]  # cycle ends cannot be canceled
    assert out["cycling"] is True
    assert out["shedding"] is True
    assert out["shed_state"] == [0, True]
    group = out["group"]
    assert group["ids"] == [1, 2]
    assert group["type"] == f"pdumodel.OutletGroup:{group_version}"
    assert (group["groupId"], group["name"], group["power_valid"]) == (1, "Group 1", True)
    assert group["members"] == [
        f"/tfwopaque/{fw}/outlet.0",
        f"/tfwopaque/{fw}/L2.outlet.0",
    ]
    created = out["created"]
    assert created["members"] == [f"/tfwopaque/{fw}/outlet.3", f"/tfwopaque/{fw}/L2.outlet.1"]
    assert (created["ret"], created["set"], created["name"]) == (0, 0, "SDK renamed")
    assert created["id"] == 3
    assert created["get"].endswith("/outletGroup.3")
    assert created["get_missing"] == [2, None]
    assert created["invalid"] == [1, None]
    assert (created["switch_off"], created["cycle"]) == (0, 0)
    assert (created["delete"], created["delete_again"]) == (0, 2)
    assert [g.group_id for g in emu.emu.outlet_groups] == [1, 2]
