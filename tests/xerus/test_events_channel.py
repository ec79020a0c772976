"""The event channel against the emulator (#10): create, demand, long-poll, decode; both firmware
generations; dead channels and firmware without the event service."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.raritan_pdu.xerus import (
    Event,
    NumericStateChanged,
    OutletPowerControl,
    OutletStateChanged,
    PowerState,
    ThresholdState,
    TopologyChanged,
    TripStateChanged,
    XerusNotFoundError,
    XerusProtocolError,
)
from custom_components.raritan_pdu.xerus.events import decode_event, decode_poll

from .conftest import ClientFactory


async def _drain(channel, wanted: type[Event], source: str | None = None) -> list[Event]:
    """Poll until an event of type ``wanted`` (from ``source``) arrived (each poll returns at
    once when events are queued); every event received."""
    got: list[Event] = []
    for _ in range(4):
        batch = await asyncio.wait_for(channel.poll(), 40)
        got += batch.events
        if any(isinstance(e, wanted) and source in (None, e.source) for e in got):
            return got
    return got


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_outlet_switched_at_the_pdu_arrives_decoded(
    emulator_factory, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=4, firmware=firmware)
    client = client_factory(emu)
    topology = await client.discover()
    channel = client.event_channel()
    await channel.open()
    emu.unit(0).outlet(2).power_state = 0
    events = await _drain(channel, OutletStateChanged)
    states = [e for e in events if isinstance(e, OutletStateChanged)]
    assert len(states) == 1
    event = states[0]
    assert event.source == topology.primary.outlets[2].rid
    assert event.name == "pdumodel.Outlet.StateChangedEvent"
    assert event.old.is_on is True and event.new.is_on is False
    controls = [e for e in events if isinstance(e, OutletPowerControl)]
    assert [(c.power_state, c.user, c.ip) for c in controls] == [(PowerState.OFF, "", "display")]
    assert channel.polls >= 1 and channel.received == len(events)


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_breaker_trip_event(
    emulator_factory, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=8, firmware=firmware)
    client = client_factory(emu)
    topology = await client.discover()
    channel = client.event_channel()
    await channel.open()
    emu.faults.trip_breaker(0)
    events = await _drain(channel, TripStateChanged)
    trips = [e for e in events if isinstance(e, TripStateChanged)]
    assert [(t.source, t.old.value, t.new.value) for t in trips] == [
        (topology.primary.ocps[0].sensors["trip"].rid, 1, 0)
    ]


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_a_threshold_crossed_is_a_numeric_state_event(
    emulator_factory, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=4, firmware=firmware)
    client = client_factory(emu)
    topology = await client.discover()
    channel = client.event_channel()
    await channel.open()
    with emu.as_user("admin", "192.0.2.7"):
        emu.unit(0).outlet(0).base_power = 2900.0  # over the outlet's 10 A critical threshold
    current = topology.primary.outlets[0].sensors["current"].rid
    events = await _drain(channel, NumericStateChanged, current)
    states = [e for e in events if isinstance(e, NumericStateChanged) and e.source == current]
    assert states
    assert states[-1].new.threshold_state is ThresholdState.CRITICAL


async def test_a_rename_is_a_topology_event(emulator_factory, client_factory: ClientFactory):
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    channel = client.event_channel()
    await channel.open()
    outlet = (await client.discover()).primary.outlets[1]
    settings = await client.call(outlet.rid, "getSettings")
    settings["name"] = "NAS"
    assert await client.call(outlet.rid, "setSettings", {"settings": settings}) == 0
    events = await _drain(channel, TopologyChanged)
    renames = [e for e in events if isinstance(e, TopologyChanged)]
    assert [(e.name, e.source, e.user) for e in renames] == [
        ("pdumodel.Outlet.SettingsChangedEvent", outlet.rid, "admin")
    ]


async def test_the_channel_dies_with_the_session(emulator_factory, client_factory):
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    channel = client.event_channel()
    await channel.open()
    emu.faults.expire_sessions()
    with pytest.raises(XerusNotFoundError):
        await channel.poll_nb()
    again = client.event_channel()
    await again.open()  # a new session, a new channel
    assert (await again.poll_nb()).events == ()
    await again.close()
    assert emu.stats()["events"]["channels_open"] == 0


async def test_firmware_without_the_event_service(emulator_factory, client_factory):
    emu = await emulator_factory(outlets=2, event_service=False)
    client = client_factory(emu)
    with pytest.raises(XerusNotFoundError):
        await client.event_channel().open()


def test_decoding_is_tolerant() -> None:
    assert decode_event(None) is None
    assert decode_event({"type": 3}) is None
    unknown = decode_event({"type": "foo.Bar_1_0_0.NewEvent:1.0.0", "value": {"x": 1}})
    assert type(unknown) is Event and unknown.name == "foo.Bar.NewEvent" and unknown.source is None
    broken = decode_event(
        {"type": "pdumodel.Outlet_9_0_0.StateChangedEvent:1.0.0", "value": {"newState": "?"}}
    )
    assert isinstance(broken, OutletStateChanged) and broken.new.is_on is None
    with pytest.raises(XerusProtocolError):
        decode_poll({"_ret_": False})
    assert decode_poll({"_ret_": True, "events": [1, None]}).more is True
