"""The official ``raritan==3.6.0.46486`` bindings against the emulator's 3.6 profile.

The scenario decodes 3.6's wire format strictly: one-line JSON with ``%f`` doubles, ints as
integers, ``Connection: Close`` after every answer, never gzip (even when asked for).

The 3.6 bindings share the package name with the 4.4.1 ones in the venv, so they run in a subprocess
with ``PYTHONPATH=.sdk/raritan-3.6`` (installed by ``scripts/setup``); the subprocess runs
``scenario.py`` and prints JSON that this test asserts on. The emulator runs in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.conftest import EmulatorThread
from tests.sdk.event_checks import assert_events, events_emulator, trigger_test_api_events
from tests.sdk.power_checks import assert_power_scenario

pytestmark = pytest.mark.usefixtures("socket_enabled")

ROOT = Path(__file__).resolve().parents[2]
SDK36 = ROOT / ".sdk" / "raritan-3.6"
SCENARIO = Path(__file__).with_name("scenario.py")


def _require_sdk36() -> None:
    if (SDK36 / "raritan" / "rpc" / "__init__.py").is_file():
        return
    message = f"{SDK36} is missing: run scripts/setup (installs raritan==3.6.0.46486 there)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run_sdk36(url: str, *options: str) -> dict[str, Any]:
    _require_sdk36()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    proc = subprocess.run(
        [sys.executable, str(SCENARIO), url, "admin", "raritan", *options],
        env=env,
        cwd=str(SDK36),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"3.6 SDK scenario failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_full_scenario_3_6(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    emu = threaded_emulator(outlets=8, link_units=2, peripherals=11, firmware="3.6")
    primary = emu.emu.unit(0)
    primary.outlet(0).base_power = 150.0
    emu.emu.unit(2).outlet(0).base_power = 200.0

    out = run_sdk36(emu.url, "gzip")

    assert out["bindings"].startswith(str(SDK36))  # really the 3.6 generation
    assert out["wire"]["responses"] > out["calls"]
    assert out["wire"]["gzip"] == emu.emu.stats()["gzip_responses"] == 0  # 3.6 never gzips
    assert out["wire"]["connection_close"] == out["wire"]["responses"]
    assert out["calls"] > 80
    pdu = out["pdu"]
    assert pdu["serial"] == primary.serial
    assert pdu["fw"] == "3.6.0.5-46486"
    assert pdu["brand"] == "Raritan"  # Nameplate 2.0.0 has brand in 3.6
    assert pdu["total_power_type"] == "sensors.NumericSensor:4.0.3"

    outlet = out["outlet"]
    assert outlet["type"] == "pdumodel.Outlet:2.1.5"
    assert outlet["rid"] == "/tfwopaque/pdumodel.Outlet:2.1.5/outlet.0"
    assert [outlet["setOff"], outlet["stateAfterOff"], outlet["powerAfterOff"]] == [0, 0, 0.0]
    assert [outlet["setOn"], outlet["stateAfterOn"]] == [0, 1]
    assert outlet["cycling"] == [True, 0]
    assert (out["outlet"]["setSettings"], out["outlet"]["nameAfterSet"]) == (0, "SDK outlet")
    assert (out["pdu"]["setSettings"], out["pdu"]["nameAfterSet"]) == (0, "SDK rack")
    assert (out["sensors"]["setThresholds"], out["sensors"]["upperWarning"]) == (0, 250.0)
    assert out["peripherals_set"] == 0
    assert out["peripherals"]["devices"][0]["description"] == "set by SDK"
    assert emu.emu.unit(0).outlet(0).name == "SDK outlet"
    assert emu.emu.unit(0).name == "SDK rack"

    sensors = out["sensors"]
    assert sensors["energy_type"] == "sensors.AccumulatingNumericSensor:2.0.3"
    assert 220 < sensors["voltage"] < 240
    assert "unbalancedVoltage" not in sensors["null_refs"]  # not in Outlet 2.1.5 Sensors

    assert out["ocp"]["trip_type"] == "pdumodel.OverCurrentProtectorTripSensor:1.0.5"
    assert out["ocp"]["trip"] == 1

    per = out["peripherals"]
    assert per["slots"] == 32
    temp = per["devices"][0]
    assert temp["channel"] == 0  # 3.6 quirk (4.x: -1)
    assert temp["deviceType"] == "peripheral.Device:3.0.2"
    assert per["devices"][2]["unit"] == 29  # the Fahrenheit probe

    assert out["cascade"] == {"role": 1, "links": {"2": 1, "3": 1}}  # role 1 = MASTER in 3.6
    link = out["link"]
    assert link["serial"] == emu.emu.unit(2).serial != pdu["serial"]
    assert link["outlet0"] == "/tfwopaque/pdumodel.Outlet:2.1.5/L2.outlet.0"
    assert link["power"] > 0
    assert link["stateAfterOff"] == 0

    assert out["firmware"] == {"version": "3.6.0.5-46486"}  # no getInfo in Firmware 2.0.1
    bulk = out["bulk"]
    assert bulk["types"] == ["MetaData", "State", "Reading", "State", "int", "State", "NoneType"]
    assert out["session"]["ret"] == 0
    assert out["session"]["serial_with_token"] == primary.serial
    assert out["session"]["after_close"] == "401"
    assert out["actuator"]["state"] == 1


def test_power_features_3_6(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """The same power scenario with the 3.6.0 bindings: OutletGroup 1.0.1 (activePower and
    activeEnergy only), and switching a shed outlet on answers ERR_LOAD_SHEDDING_ACTIVE."""
    emu = threaded_emulator(
        outlets=4, link_units=1, outlet_groups=2, peripherals=0, clock="manual", firmware="3.6"
    )
    out = run_sdk36(emu.url, "power", "gzip")
    assert out["wire"]["gzip"] == 0
    assert out["wire"]["connection_close"] == out["wire"]["responses"] >= 46
    assert_power_scenario(out, emu, "1.0.1")
    assert out["shed_switch_on"] == 2
    assert out["group"]["sensor_fields"] == ["activePower", "activeEnergy"]
    assert out["group"]["energy_type"] == "sensors.AccumulatingNumericSensor:2.0.3"


def test_3_6_bindings_reject_nothing_of_4_4_but_roundtrip_catches_extra_fields(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """Against the 4.4 profile the 3.6 scenario must fail: the strict re-encoding shows 4.x fields
    the 3.6 IDL does not have (this is what keeps 4.x fields out of the 3.6 profile)."""
    emu = threaded_emulator(outlets=2, firmware="4.4")
    _require_sdk36()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    proc = subprocess.run(
        [sys.executable, str(SCENARIO), emu.url, "admin", "raritan"],
        env=env,
        cwd=str(SDK36),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    assert "Mismatch" in proc.stderr


def test_every_parameterless_getter_roundtrips_3_6(
    threaded_emulator: Callable[..., EmulatorThread],
) -> None:
    """Same sweep as in test_sdk_44 with the 3.6.0 bindings (Pdu 4.1.6, Outlet 2.1.5, ...)."""
    emu = threaded_emulator(
        outlets=8, link_units=1, peripherals=11, outlet_groups=1, firmware="3.6"
    )
    result = run_sdk36(emu.url, "sweep")
    assert result["failures"] == {}
    assert result["unimplemented"] == []
    assert len(result["checked"]) >= 70
    assert "pdumodel.Pdu.getStatistic" in result["checked"]  # CtrlStatistic with master*/slave*
    assert "pdumodel.OutletGroup.getSettings" in result["checked"]


def test_missing_sdk36_skips_locally_and_fails_on_ci(monkeypatch, tmp_path) -> None:
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "SDK36", tmp_path / "missing")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="scripts/setup"):
        _require_sdk36()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="scripts/setup"):
        _require_sdk36()


def test_profile_field_lists_equal_binding_elements_3_6() -> None:
    """Every struct of the 3.6 profile exists in the 3.6.0 bindings with exactly their elements (the
    4.x-only structs such as MinMax or Firmware.Info are not part of the 3.6 profile at all)."""
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import NOT_STRUCTS, binding_path

    _require_sdk36()
    fields = PROFILES["3.6"].fields
    keys = [k for k in fields if k not in NOT_STRUCTS]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    paths = json.dumps([binding_path(k) for k in keys])
    proc = subprocess.run(
        [sys.executable, str(SCENARIO), "elements", paths],
        env=env,
        cwd=str(SDK36),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    elements = json.loads(proc.stdout)
    absent = sorted(k for k in keys if elements[binding_path(k)] is None)
    assert absent == []
    mismatches = {
        k: (fields[k], elements[binding_path(k)])
        for k in keys
        if elements[binding_path(k)] is not None and fields[k] != elements[binding_path(k)]
    }
    assert mismatches == {}


def test_profile_typecodes_equal_binding_idl_types_3_6() -> None:
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import INTERFACES

    _require_sdk36()
    types = PROFILES["3.6"].types
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    proc = subprocess.run(
        [sys.executable, str(SCENARIO), "elements", json.dumps([INTERFACES[k] for k in types])],
        env=env,
        cwd=str(SDK36),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert {k: found[INTERFACES[k]] for k in types} == types


def test_every_slot_filled_decodes_3_6(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """32 peripherals fill the 32 slots of 3.6 (positions with hub ports decode with the 3.6
    PortType names); a 33rd does not fit."""
    emu = threaded_emulator(outlets=1, peripherals=32, firmware="3.6")
    out = run_sdk36(emu.url, "slots")
    assert (out["slots"], out["discovered"], len(out["devices"])) == (32, 32, 32)
    assert out["packages"] == len({d["serial"] for d in out["devices"]}) == 27
    assert out["devices"][31]["position"] == [[1, "1"], [2, "2"], [3, "9"]]  # vibration
    with pytest.raises(ValueError, match="32 slots"):
        EmulatorThread(outlets=1, peripherals=33, firmware="3.6")


def run_sdk36_synced(url: str, on_sync: Callable[[str], None], *options: str) -> dict[str, Any]:
    """``run_sdk36`` for a scenario that pauses: on ``SYNC <step>`` the test acts, then answers
    ``GO`` (the test API cannot be reached from the subprocess)."""
    _require_sdk36()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    proc = subprocess.Popen(
        [sys.executable, str(SCENARIO), url, "admin", "raritan", *options],
        env=env,
        cwd=str(SDK36),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    lines = []
    try:
        for line in proc.stdout:
            if line.startswith("SYNC "):
                on_sync(line.split()[1])
                proc.stdin.write("GO\n")
                proc.stdin.flush()
            else:
                lines.append(line)
        returncode = proc.wait(120)
        errors = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert returncode == 0, f"3.6 SDK scenario failed:\n{''.join(lines)}\n{errors}"
    return json.loads(lines[-1])


def test_events_3_6(threaded_emulator: Callable[..., EmulatorThread]) -> None:
    """The event service and every event type with the 3.6.0 bindings: the 3.6 typecodes
    (Outlet_2_1_5, DeviceManager_3_0_2 events 2.0.0, CascadeManager without a version) and
    field sets (no tripInformation, no link unit type), strictly decoded."""
    emu = events_emulator(threaded_emulator, "3.6")
    out = run_sdk36_synced(emu.url, trigger_test_api_events(emu), "events", "gzip")
    assert out["wire"]["gzip"] == 0
    assert_events(out, emu)
    assert "pdumodel.Outlet_2_1_5.StateChangedEvent:1.0.0" in out["types"]
    assert "peripheral.DeviceManager_3_0_2.DeviceAddedEvent:2.0.0" in out["types"]
    assert "cascading.CascadeManager.LinkUnitAddedEvent:1.0.0" in out["types"]


def test_event_typecodes_equal_binding_idl_types_3_6() -> None:
    from tests.emulator.events import EVENT_TYPES, event_typecode
    from tests.emulator.profiles import PROFILES
    from tests.sdk.struct_map import INTERFACES

    _require_sdk36()
    profile = PROFILES["3.6"]
    paths = {key: f"{INTERFACES[t.iface]}.{t.name}" for key, t in EVENT_TYPES.items()}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(SDK36)
    proc = subprocess.run(
        [sys.executable, str(SCENARIO), "elements", json.dumps(list(paths.values()))],
        env=env,
        cwd=str(SDK36),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert {k: found[p] for k, p in paths.items()} == {
        k: event_typecode(profile, k) for k in EVENT_TYPES
    }
