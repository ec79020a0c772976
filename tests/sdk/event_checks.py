"""Assertions on ``scenario.events_scenario`` shared by the 4.4 and the 3.6 SDK tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.emulator.events import EVENT_TYPES, event_typecode
from tests.sdk.conftest import EmulatorThread


def trigger_test_api_events(emu: EmulatorThread) -> Callable[[str], None]:
    """What only the test API causes, for ``scenario.events_scenario``'s ``sync``."""

    def act() -> None:
        e = emu.emu
        e.faults.trip_breaker(0)
        e.faults.link_unreachable(2)
        e.unit(0).slot(3).peripheral = e.unit(0).peripheral(3)  # plugged back in
        e.advance(1)  # one sample: threshold flags, reading changes

    def sync(step: str) -> None:
        assert step == "test-api"
        emu.call(act)

    return sync


def events_emulator(
    threaded_emulator: Callable[..., EmulatorThread], firmware: str
) -> EmulatorThread:
    emu = threaded_emulator(
        outlets=8,
        link_units=1,
        peripherals=8,
        outlet_groups=1,
        clock="manual",
        firmware=firmware,
    )
    emu.emu.unit(0).outlet(1).base_power = 100.0  # its switch-off changes its reading
    return emu


def assert_events(out: dict[str, Any], emu: EmulatorThread) -> None:
    """Every event type the emulator emits came, decoded and re-encoded exactly."""
    profile = emu.emu.profile
    emitted = {
        k: event_typecode(profile, k) for k in EVENT_TYPES if k != "DeviceManager.DeviceEvent"
    }
    assert set(out["types"]) == set(emitted.values())
    assert out["channel"][1] == "event.Channel:1.0.1"
    assert out["subscribe"] == "-32601"
    assert out["empty"] == [False, []]
    assert (out["thresholds_set"], out["thresholds_unsupported"]) == (0, 3)
    assert (out["link_added"], out["link_released"]) == (0, 0)
    assert (out["destroy"], out["destroy_again"], out["after_destroy"]) == (0, 1, "404")
    unit = emu.emu.unit(0)
    sources = out["sources"]
    assert sources[emitted["Outlet.PowerControlEvent"]] == unit.outlet(1).rid  # the first one
    assert sources[emitted["TripSensor.TripStateChangedEvent"]] == unit.ocp(0).sensors["trip"].rid
    assert sources[emitted["NumericSensor.ReadingChangedEvent"]] == (
        unit.outlet(1).sensors["activePower"].rid
    )
    assert sources[emitted["CascadeManager.LinkUnitAddedEvent"]] == emu.emu.cascade.rid
    users = out["users"]
    assert users[emitted["Outlet.PowerControlEvent"]] == ["admin", "127.0.0.1"]
    assert users[emitted["CascadeManager.LinkUnitReleasedEvent"]] == ["admin", "127.0.0.1"]
