"""Every state change reports its events with the source the IDL names (the object's ref) and,
for UserEvents, who did it: over RPC the caller, through the test API and faults the PDU's front
panel or ``emu.as_user(...)``."""

from __future__ import annotations

from typing import Any

from .conftest import Raw, RawFactory
from .eventclient import Channel, kinds, of

ADMIN = ("admin", "127.0.0.1")
DISPLAY = ("", "display")


def _actor(value: dict[str, Any]) -> tuple[str, str]:
    return value["actUserName"], value["actIpAddr"]


async def _channel(raw: Raw, *types: str) -> Channel:
    """A channel for the event types given by name (``Outlet.StateChangedEvent``), any version."""
    return await Channel.create(raw, *types)


def _code(emu: Any, key: str) -> str:
    from tests.emulator.events import event_typecode

    return event_typecode(emu.profile, key)


async def test_breaker_trip_and_reclose(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=8, clock="manual")
    raw = await raw_client(emu)
    channel = await _channel(raw, _code(emu, "TripSensor.TripStateChangedEvent"))
    trip = emu.unit(0).ocp(1).sensors["trip"]
    emu.faults.trip_breaker(1)
    (tripped,) = (e["value"] for e in await channel.drain())
    assert tripped["source"] == trip.ref()
    assert (tripped["oldState"]["value"], tripped["newState"]["value"]) == (1, 0)  # OPEN
    assert tripped["tripCause"] is None
    assert tripped["tripInformation"] == {
        "cause": None,
        "timestamp": int(emu.clock.time()),
        "current": 20.8,
    }
    emu.faults.clear()
    (closed,) = (e["value"] for e in await channel.drain())
    assert closed["newState"]["value"] == 1
    assert closed["tripInformation"] == {"cause": None, "timestamp": 0, "current": 0.0}


async def test_outlet_settings_from_rpc_and_from_the_pdu(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    channel = await _channel(raw, _code(emu, "Outlet.SettingsChangedEvent"))
    settings = await raw.ret("/model/outlet/1", "getSettings")
    assert (
        await raw.ret("/model/outlet/1", "setSettings", {"settings": {**settings, "name": "NAS"}})
        == 0
    )
    emu.faults.rename_outlet(1, "Router")
    with emu.as_user("operator", "192.0.2.7"):
        emu.unit(0).outlet(0).name = "Switch"
    events = of(await channel.drain(), "Outlet.SettingsChangedEvent")
    assert [(_actor(v), v["oldSettings"]["name"], v["newSettings"]["name"]) for v in events] == [
        (ADMIN, "", "NAS"),
        (DISPLAY, "NAS", "Router"),
        (("operator", "192.0.2.7"), "", "Switch"),
    ]
    assert events[0]["source"] == emu.unit(0).outlet(1).ref()
    assert events[0]["newSettings"] == {**settings, "name": "NAS"}


async def test_load_shedding(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3, clock="manual")
    raw = await raw_client(emu)
    emu.unit(0).outlet(2).non_critical = True
    channel = await _channel(
        raw,
        _code(emu, "Pdu.LoadSheddingModeChangedEvent"),
        _code(emu, "Outlet.StateChangedEvent"),
    )
    assert await raw.result("/model/pdu/0", "setLoadSheddingActive", {"active": True}) is None
    events = await channel.drain()
    assert kinds(events) == ["Pdu.LoadSheddingModeChangedEvent", "Outlet.StateChangedEvent"]
    mode, shed = events[0]["value"], events[1]["value"]
    assert (mode["source"], _actor(mode), mode["enabled"]) == (emu.unit(0).pdu.ref(), ADMIN, True)
    assert shed["source"] == emu.unit(0).outlet(2).ref()
    assert (shed["newState"]["powerState"], shed["newState"]["isLoadShed"]) == (0, True)
    emu.unit(0).set_load_shedding(False)  # at the PDU
    events = await channel.drain()
    assert kinds(events) == ["Pdu.LoadSheddingModeChangedEvent", "Outlet.StateChangedEvent"]
    assert (_actor(events[0]["value"]), events[0]["value"]["enabled"]) == (DISPLAY, False)
    assert events[1]["value"]["newState"]["isLoadShed"] is False


async def test_outlet_groups(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=4, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(
        raw,
        _code(emu, "OutletGroupManager.GroupCreatedEvent"),
        _code(emu, "OutletGroupManager.GroupDeletedEvent"),
        _code(emu, "OutletGroup.SettingsChangedEvent"),
        _code(emu, "OutletGroup.PowerControlEvent"),
    )
    manager = emu.groups
    group = manager.create("Rack A", [emu.unit(0).outlet(0), emu.unit(0).outlet(1)])
    manager.rename(group.group_id, "Rack B")
    params = {"pstate": 0}
    assert (
        await raw.ret(f"/model/outletgroup/{group.group_id}", "setAllOutletPowerStates", params)
        == 0
    )
    manager.delete(group.group_id)
    created, renamed, switched, deleted = (e["value"] for e in await channel.drain())
    assert created["source"] == manager.ref()
    assert _actor(created) == DISPLAY
    assert (created["id"], created["uniqueId"], created["group"]) == (
        group.group_id,
        group.unique_id,
        {"rid": group.rid, "type": group.typecode},
    )
    members = [emu.unit(0).outlet(0).ref(), emu.unit(0).outlet(1).ref()]
    assert created["settings"] == {"name": "Rack A", "members": members}
    assert (renamed["source"], renamed["newSettings"]["name"]) == (group.ref(), "Rack B")
    assert (switched["source"], _actor(switched), switched["state"]) == (group.ref(), ADMIN, 0)
    assert (deleted["id"], deleted["settings"]["name"]) == (group.group_id, "Rack B")


async def test_link_units_added_released_and_unreachable(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, link_units=1, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(
        raw,
        _code(emu, "CascadeManager.LinkUnitAddedEvent"),
        _code(emu, "CascadeManager.LinkUnitReleasedEvent"),
        _code(emu, "CascadeManager.LinkUnitStatusChangedEvent"),
    )
    emu.faults.link_unreachable(2)
    emu.faults.clear()
    link_id = emu.faults.add_link_unit()
    host = emu.unit(link_id).link_host
    emu.faults.power_loss(5, units=[link_id])
    emu.advance(5)
    params = {"linkId": link_id}
    assert await raw.ret("/cascade", "releaseLinkUnit", params) == 0
    events = [(kinds([e])[0], e["value"]) for e in await channel.drain()]
    cascade = emu.cascade.ref()
    assert all(value["source"] == cascade for _, value in events)
    summary = [
        (kind, v["linkId"], v.get("oldStatus"), v.get("newStatus"), v.get("actUserName"))
        for kind, v in events
    ]
    assert summary == [
        ("CascadeManager.LinkUnitStatusChangedEvent", 2, 1, 2, None),
        ("CascadeManager.LinkUnitStatusChangedEvent", 2, 2, 1, None),
        ("CascadeManager.LinkUnitAddedEvent", 3, None, None, ""),
        ("CascadeManager.LinkUnitStatusChangedEvent", 3, 1, 2, None),
        ("CascadeManager.LinkUnitStatusChangedEvent", 3, 2, 1, None),
        ("CascadeManager.LinkUnitReleasedEvent", 3, None, None, "admin"),
    ]
    assert (events[2][1]["type"], events[2][1]["host"]) == (0, host)  # NETWORK


async def test_peripherals_unplugged_plugged_disconnected_and_changed(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1, peripherals=5, clock="manual", noise=False)
    raw = await raw_client(emu)
    unit = emu.unit(0)
    channel = await Channel.create(
        raw,
        _code(emu, "DeviceSlot.DeviceChangedEvent"),
        _code(emu, "DeviceManager.DeviceEvent"),  # the base of added and removed
        _code(emu, "StateSensor.StateChangedEvent"),
        _code(emu, "NumericSensor.StateChangedEvent"),
    )
    device = unit.peripheral(3).device()
    emu.faults.unplug_peripheral(3)  # the contact closure package
    changed, removed = (e["value"] for e in await channel.drain())
    assert (changed["source"], changed["oldDevice"], changed["newDevice"]) == (
        unit.slot(3).ref(),
        device,
        None,
    )
    assert removed["source"] == unit.device_manager.ref()
    assert removed["devices"] == [device]
    assert device not in removed["allDevices"] and len(removed["allDevices"]) == 4
    unit.slot(3).peripheral = unit.peripheral(3)  # plugged back in
    assert kinds(await channel.drain()) == [
        "DeviceSlot.DeviceChangedEvent",
        "DeviceManager.DeviceAddedEvent",
    ]
    unit.peripheral(4).value = 0  # the door opens
    emu.faults.disconnect_peripheral(0)  # the temperature sensor stops answering
    door, temperature = (e["value"] for e in await channel.drain())
    assert door["source"] == unit.peripheral(4).sensor.ref()
    assert (door["oldState"]["value"], door["newState"]["value"]) == (1, 0)
    assert temperature["source"] == unit.peripheral(0).sensor.ref()
    assert temperature["oldReading"]["available"] is True
    assert (temperature["newReading"]["available"], temperature["newReading"]["valid"]) == (
        False,
        False,
    )


async def test_commands_on_sensors_inlets_breakers_and_slots(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=8, peripherals=8, clock="manual")
    raw = await raw_client(emu)
    unit = emu.unit(0)
    channel = await Channel.create(
        raw,
        _code(emu, "Switch.SwitchEvent"),
        _code(emu, "Inlet.EnableStateChangedEvent"),
        _code(emu, "Inlet.SettingsChangedEvent"),
        _code(emu, "OverCurrentProtector.SettingsChangedEvent"),
        _code(emu, "DeviceSlot.SettingsChangedEvent"),
        _code(emu, "Pdu.SettingsChangedEvent"),
        _code(emu, "AccumulatingNumericSensor.ResetEvent"),
    )
    actuator = unit.peripheral(7).sensor  # dry contact
    assert await raw.ret(actuator.rid, "setState", {"newState": 1}) == 0
    assert await raw.result("/model/inlet/0", "setEnabled", {"enabled": False}) is None
    await raw.result("/model/inlet/0", "setEnabled", {"enabled": True})
    unit.inlet(0).name = "Feed A"
    assert await raw.ret("/model/ocp/0", "setSettings", {"settings": {"name": "C1 left"}}) == 0
    slot = await raw.ret("/model/peripheraldeviceslot/0", "getSettings")
    params = {"settings": {**slot, "description": "cold aisle"}}
    assert await raw.ret("/model/peripheraldeviceslot/0", "setSettings", params) == 0
    assert await raw.ret("/model/pdu/0", "setSettings", {"settings": {"cycleDelay": 7}}) == 0
    unit.name = "Rack 12"
    energy = unit.outlet(0).sensors["activeEnergy"]
    assert await raw.result(energy.rid, "resetValue") is None
    events = [(kinds([e])[0], e["value"]) for e in await channel.drain()]
    assert [kind for kind, _ in events] == [
        "Switch.SwitchEvent",
        "Inlet.EnableStateChangedEvent",
        "Inlet.EnableStateChangedEvent",
        "Inlet.SettingsChangedEvent",
        "OverCurrentProtector.SettingsChangedEvent",
        "DeviceSlot.SettingsChangedEvent",
        "Pdu.SettingsChangedEvent",
        "Pdu.SettingsChangedEvent",
        "AccumulatingNumericSensor.ResetEvent",
    ]
    switch, off, on, inlet, ocp, slot_set, pdu, named, reset = (v for _, v in events)
    assert (switch["source"], _actor(switch), switch["targetState"]) == (actuator.ref(), ADMIN, 1)
    assert (off["enabled"], on["enabled"], off["source"]) == (False, True, unit.inlet(0).ref())
    assert (_actor(inlet), inlet["newSettings"]) == (DISPLAY, {"name": "Feed A"})
    assert (ocp["source"], ocp["newSettings"]) == (unit.ocp(0).ref(), {"name": "C1 left"})
    assert (slot_set["source"], slot_set["newSettings"]["description"]) == (
        unit.slot(0).ref(),
        "cold aisle",
    )
    assert (pdu["oldSettings"]["cycleDelay"], pdu["newSettings"]["cycleDelay"]) == (10, 7)
    assert (_actor(named), named["newSettings"]["name"]) == (DISPLAY, "Rack 12")
    assert reset["source"] == energy.ref()
    assert reset["oldReading"]["value"] > 0
    assert reset["newReading"]["value"] == 0.0
