"""The event service (``/eventservice``, ``event.Channel``): channels, filters, the long poll in
emulated time and its concurrency with other requests, channel lifetime, queue limits, stats."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.emulator import events as ev

from .conftest import RawFactory
from .eventclient import ALL, Channel, kinds, of, until, waiting

OUTLET_STATE = "pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0"
POWER_CONTROL = "pdumodel.Outlet_3_0_4.PowerControlEvent:1.0.0"
STATE_SENSOR = "sensors.StateSensor_4_0_8.StateChangedEvent:1.0.0"


async def test_channel_create_destroy_and_404_afterwards(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    channel = await Channel.create(raw)
    assert channel.rid.startswith("/tfwopaque/event.Channel:1.0.1/")
    assert await raw.ret("/eventservice", "getTypeInfo") == {
        "id": "event.Service:1.0.1",
        "base": None,
    }
    assert await channel.poll_nb() == (False, [])
    ref = {"rid": channel.rid, "type": "event.Channel:1.0.1"}
    assert await raw.ret("/eventservice", "destroyChannel", {"channel": ref}) == 0
    assert await raw.ret("/eventservice", "destroyChannel", {"channel": ref}) == ev.INVALID_CHANNEL
    assert await raw.ret("/eventservice", "destroyChannel", {"channel": None}) == 1
    status, _ = await raw.call(channel.rid, "pollEventsNb")
    assert status == 404
    assert emu.stats()["events"]["channels_open"] == 0


async def test_push_interface_is_not_available_via_json_rpc(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    channel = await Channel.create(raw)
    consumer = {"rid": "/consumer", "type": "event.Consumer:1.0.0"}
    for method in ("subscribe", "unsubscribe"):
        _, payload = await raw.call(channel.rid, method, {"consumer": consumer})
        assert payload["error"]["code"] == -32601


async def test_the_channel_limit_makes_create_answer_null(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    emu.events.max_channels = 2
    await Channel.create(raw)
    await Channel.create(raw)
    assert await raw.ret("/eventservice", "createChannel") is None


async def test_long_poll_answers_after_30_s_of_emulated_time(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(raw, OUTLET_STATE)
    task = channel.poll()
    await until(lambda: waiting(emu) == 1, "the poll to wait")
    emu.advance(29.999)
    assert await raw.ret("/model/pdu/0", "isLoadSheddingActive") is False  # served meanwhile
    assert not task.done()
    emu.advance(0.001)
    status, payload = await asyncio.wait_for(task, 20)
    assert status == 200
    assert payload["result"] == {"_ret_": False, "events": []}
    assert waiting(emu) == 0


async def test_a_poll_bulk_and_a_command_go_through_while_a_poll_waits(
    emulator_factory, raw_client: RawFactory
):
    """The wait happens outside the device lock: a PX3-speed device serves a poll bulk and a
    switch command while a pollEvents waits, and the command's events end the wait."""
    emu = await emulator_factory(outlets=4, clock="manual", device_speed="px3")
    raw = await raw_client(emu)
    channel = await Channel.create(raw, OUTLET_STATE)
    busy = emu.stats()["device_busy_s"]
    task = channel.poll()
    await until(lambda: waiting(emu) == 1, "the poll to wait")
    assert emu.stats()["device_busy_s"] - busy == pytest.approx(0.048)  # 40 + 8 ms, as any call
    status, bulk = await raw.bulk(
        [(f"/model/pdu/0/outlet/{i}", "getState", None) for i in range(4)]
        + [("/model/pdu/0/outlet/0/activePower", "getReading", None)]
    )
    assert status == 200 and len(bulk["result"]["responses"]) == 5
    assert not task.done()
    assert waiting(emu) == 1
    assert await raw.ret("/model/pdu/0/outlet/2", "setPowerState", {"pstate": 0}) == 0
    status, payload = await asyncio.wait_for(task, 20)
    assert status == 200
    assert payload["result"]["_ret_"] is False
    (event,) = payload["result"]["events"]
    assert event["type"] == OUTLET_STATE
    assert event["value"]["source"]["rid"] == emu.unit(0).outlet(2).rid
    assert (event["value"]["oldState"]["powerState"], event["value"]["newState"]["powerState"]) == (
        1,
        0,
    )


async def test_poll_in_a_bulk_does_not_wait(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(raw, ALL)
    status, bulk = await raw.bulk(
        [
            (channel.rid, "pollEvents", None),
            ("/model/pdu/0/outlet/0", "setPowerState", {"pstate": 0}),
            (channel.rid, "pollEvents", None),
        ]
    )
    assert status == 200
    first, _, second = (r["json"]["result"] for r in bulk["result"]["responses"])
    assert first == {"_ret_": False, "events": []}
    assert kinds(second["events"]) == [
        "Outlet.PowerControlEvent",
        "Outlet.StateChangedEvent",
        "StateSensor.StateChangedEvent",
    ]


async def test_filters_by_type_source_base_type_and_version(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=8, peripherals=0)
    raw = await raw_client(emu)
    outlet0, outlet1 = emu.unit(0).outlet(0), emu.unit(0).outlet(1)
    by_type = await Channel.create(raw, OUTLET_STATE)
    by_source = await Channel.create(raw)
    await by_source.demand(ALL, outlet1.ref())  # everything outlet 1 originates (the SDK's example)
    user_events = await Channel.create(raw, "event.UserEvent:1.0.0")
    state_sensors = await Channel.create(raw, STATE_SENSOR)  # also the breaker's trip events
    older = await Channel.create(raw, "pdumodel.Outlet_3_0_3.StateChangedEvent:1.0.0")  # 4.3 client
    other_major = await Channel.create(raw, "pdumodel.Outlet_2_1_5.StateChangedEvent:1.0.0")
    newer = await Channel.create(raw, "pdumodel.Outlet_3_0_5.StateChangedEvent:1.0.0")
    garbage = await Channel.create(raw, "not a typecode")
    for outlet in (outlet0, outlet1):
        assert await raw.ret(f"/model/outlet/{outlet.index}", "setPowerState", {"pstate": 0}) == 0
    emu.faults.trip_breaker(1)

    assert kinds(await by_type.drain()) == ["Outlet.StateChangedEvent"] * 2
    assert kinds(await by_source.drain()) == [
        "Outlet.PowerControlEvent",
        "Outlet.StateChangedEvent",
    ]
    assert kinds(await user_events.drain()) == ["Outlet.PowerControlEvent"] * 2
    assert kinds(await state_sensors.drain()) == ["StateSensor.StateChangedEvent"] * 2 + [
        "OverCurrentProtectorTripSensor.TripStateChangedEvent"
    ]
    assert len(await older.drain()) == 2
    for channel in (other_major, newer, garbage):
        assert await channel.drain() == []

    # cancelling a type-wide demand and a per-source demand
    assert await raw.result(by_type.rid, "cancelEventType", {"type": OUTLET_STATE}) is None
    params = {"events": [{"type": ALL, "src": outlet1.ref()}]}
    assert await raw.result(by_source.rid, "cancelEvents", params) is None
    emu.unit(0).outlet(1).power_state = 1
    assert await by_type.drain() == []
    assert await by_source.drain() == []


async def test_events_name_the_caller_or_the_pdu_front_panel(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, readonly_users={"viewer": "v"})
    raw = await raw_client(emu)
    viewer = aiohttp.BasicAuth("viewer", "v")
    channel = await Channel.create(raw, POWER_CONTROL, auth=viewer)  # reading events: any user
    assert await raw.ret("/model/outlet/0", "setPowerState", {"pstate": 0}) == 0
    emu.unit(0).outlet(1).power_state = 0  # someone at the PDU
    with emu.as_user("operator", "192.0.2.7"):
        emu.unit(0).outlet(1).power_state = 1
    actors = [
        (v["actUserName"], v["actIpAddr"], v["state"], v["cycle"])
        for v in of(await channel.drain(auth=viewer), "Outlet.PowerControlEvent")
    ]
    assert actors == [
        ("admin", "127.0.0.1", 0, False),
        ("", "display", 0, False),
        ("operator", "192.0.2.7", 1, False),
    ]


async def test_a_cycle_reports_off_then_on_when_its_delay_is_over(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, clock="manual", cycle_delay=5)
    raw = await raw_client(emu)
    channel = await Channel.create(raw, OUTLET_STATE, POWER_CONTROL)
    assert await raw.ret("/model/outlet/0", "cyclePowerState") == 0
    events = await channel.drain()
    assert kinds(events) == ["Outlet.PowerControlEvent", "Outlet.StateChangedEvent"]
    assert (events[0]["value"]["state"], events[0]["value"]["cycle"]) == (1, True)
    new = events[1]["value"]["newState"]
    assert (new["powerState"], new["cycleInProgress"]) == (0, True)
    emu.advance(4.9)
    assert await channel.drain() == []
    emu.advance(0.1)
    (done,) = of(await channel.drain(), "Outlet.StateChangedEvent")
    assert (done["newState"]["powerState"], done["newState"]["cycleInProgress"]) == (1, False)


async def test_a_sequence_reports_each_outlet_when_it_switches(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=3, clock="manual")
    raw = await raw_client(emu)
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 0}) == 0
    channel = await Channel.create(raw, OUTLET_STATE)
    settings = {"inRushGuardDelay": 500}
    assert await raw.ret("/model/pdu/0", "setSettings", {"settings": settings}) == 0
    assert await raw.ret("/model/pdu/0", "setAllOutletPowerStates", {"pstate": 1}) == 0
    first = of(await channel.drain(), "Outlet.StateChangedEvent")
    # outlet 1 on at once, outlets 2 and 3 pending
    assert [(e["newState"]["powerState"], e["newState"]["switchOnInProgress"]) for e in first] == [
        (1, False),
        (0, True),
        (0, True),
    ]
    emu.advance(0.5)
    (second,) = of(await channel.drain(), "Outlet.StateChangedEvent")
    assert second["source"]["rid"] == emu.unit(0).outlet(1).rid
    assert second["newState"]["powerState"] == 1
    emu.advance(0.5)
    assert len(await channel.drain()) == 1


async def test_channel_dies_with_its_session(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual", session_timeout=60)
    raw = await raw_client(emu)
    session = await raw.result("/session", "newSession")
    token = {"X-SessionToken": session["token"]}
    channel = await Channel.create(raw, ALL, auth=None, headers=token)
    task = channel.poll(auth=None, headers=token)
    await until(lambda: waiting(emu) == 1, "the poll to wait")
    params = {"reason": 0}
    assert (
        await raw.result("/session", "closeCurrentSession", params, auth=None, headers=token)
        is None
    )
    status, payload = await asyncio.wait_for(task, 20)
    assert (status, payload["result"]) == (200, {"_ret_": False, "events": []})
    status, _ = await raw.call(channel.rid, "pollEventsNb")  # with Basic auth: the RID is gone
    assert status == 404

    # idle expiry of the session (60 s) takes its channel along
    session = await raw.result("/session", "newSession")
    token = {"X-SessionToken": session["token"]}
    channel = await Channel.create(raw, OUTLET_STATE, auth=None, headers=token)
    emu.advance(59)
    assert await channel.poll_nb(auth=None, headers=token) == (False, [])
    emu.advance(60)
    assert emu.stats()["events"]["channels_open"] == 0
    assert (await raw.call(channel.rid, "pollEventsNb"))[0] == 404


async def test_basic_auth_channel_expires_when_unused(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, clock="manual", session_timeout=100)
    raw = await raw_client(emu)
    channel = await Channel.create(raw, OUTLET_STATE)
    emu.advance(99)
    assert await channel.poll_nb() == (False, [])  # every call keeps it alive
    emu.advance(99)
    assert await channel.poll_nb() == (False, [])
    emu.advance(100)
    assert (await raw.call(channel.rid, "pollEventsNb"))[0] == 404


async def test_reboot_resets_a_waiting_poll_and_kills_the_channel(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(raw, ALL)
    task = channel.poll()
    await until(lambda: waiting(emu) == 1, "the poll to wait")
    emu.faults.reboot()
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(task, 20)
    assert (await raw.call(channel.rid, "pollEventsNb"))[0] == 404
    assert emu.stats()["events"]["channels_open"] == 0


async def test_primary_power_loss_resets_waiting_polls(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    channel = await Channel.create(raw, ALL)
    task = channel.poll()
    await until(lambda: waiting(emu) == 1, "the poll to wait")
    emu.faults.power_loss(10)
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(task, 20)
    emu.advance(10)
    assert (await raw.call(channel.rid, "pollEventsNb"))[0] == 404


async def test_a_full_queue_drops_its_oldest_events(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    channel = await Channel.create(raw, OUTLET_STATE)
    outlet = emu.unit(0).outlet(0)
    for i in range(ev.MAX_QUEUE + 50):
        outlet.power_state = i % 2  # one Outlet.StateChangedEvent each (starts on)
    more, events = await channel.poll_nb()
    assert (more, len(events)) == (True, ev.MAX_POLL_EVENTS)
    assert events[0]["value"]["newState"]["powerState"] == (50 % 2)  # the first 50 are gone
    rest = await channel.drain()
    assert len(events) + len(rest) == ev.MAX_QUEUE
    stats = emu.stats()["events"]
    assert stats["dropped"] == {"pdumodel.Outlet.StateChangedEvent": 50}
    assert stats["queued"]["pdumodel.Outlet.StateChangedEvent"] == ev.MAX_QUEUE + 50
    assert stats["delivered"]["pdumodel.Outlet.StateChangedEvent"] == ev.MAX_QUEUE


async def test_stats_count_channels_polls_and_events(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2, clock="manual")
    raw = await raw_client(emu)
    outlets = await Channel.create(raw, OUTLET_STATE)
    everything = await Channel.create(raw, ALL)
    emu.unit(0).outlet(0).power_state = 0
    await outlets.drain()
    stats = emu.stats()["events"]
    assert stats["channels_open"] == 2
    assert stats["emitted"] == {
        "pdumodel.Outlet.PowerControlEvent": 1,
        "pdumodel.Outlet.StateChangedEvent": 1,
        "sensors.StateSensor.StateChangedEvent": 1,
    }
    assert stats["queued"]["pdumodel.Outlet.StateChangedEvent"] == 2  # once per channel
    assert stats["delivered"] == {"pdumodel.Outlet.StateChangedEvent": 1}
    emu.reset_stats()
    assert emu.stats()["events"]["emitted"] == {}
    assert len(await everything.drain()) == 3  # the queue is no counter


async def test_push_event_reaches_channels_that_demand_it(emulator_factory, raw_client):
    emu = await emulator_factory(outlets=1)
    raw = await raw_client(emu)
    wanted = await Channel.create(raw, "test.Custom_1_0_0.HelloEvent:1.0.0")
    other = await Channel.create(raw, OUTLET_STATE)
    event = {
        "type": "test.Custom_1_0_0.HelloEvent:1.0.0",
        "value": {"source": None, "greeting": "hi"},
    }
    assert await raw.result("/eventservice", "pushEvent", {"event": event}) is None
    assert await wanted.drain() == [event]
    assert await other.drain() == []


async def test_event_service_can_be_disabled(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, link_units=1, event_service=False)
    raw = await raw_client(emu)
    for rid in ("/eventservice", "/link/2/eventservice"):
        status, _ = await raw.call(rid, "createChannel")
        assert status == 404
    assert emu.stats()["events"]["channels_open"] == 0


async def test_each_unit_has_its_own_service(emulator_factory, raw_client: RawFactory):
    """Channels of /link/<n>/eventservice get that link unit's events, the primary's its own."""
    emu = await emulator_factory(outlets=2, link_units=1)
    raw = await raw_client(emu)
    primary = await Channel.create(raw, OUTLET_STATE)
    link = await Channel.create(raw, OUTLET_STATE, service="/link/2/eventservice")
    assert "/L2.evtChannel." in link.rid
    assert await raw.ret("/model/pdu/2/outlet/1", "setPowerState", {"pstate": 0}) == 0
    assert await primary.drain() == []
    (event,) = await link.drain()
    assert event["value"]["source"]["rid"] == emu.unit(2).outlet(1).rid


READING = "sensors.NumericSensor_4_0_9.ReadingChangedEvent:1.0.0"


async def test_reading_changed_when_a_displayed_digit_changes(emulator_factory, raw_client):
    """IDL: sent when the value changed enough to affect a digit shown with ``decdigits``, or
    available/status/valid changed; evaluated once per sample."""
    emu = await emulator_factory(outlets=2, clock="manual", noise=False)
    raw = await raw_client(emu)
    outlet = emu.unit(0).outlet(0)
    outlet.base_power = 100.0
    sensor = outlet.sensors["activePower"]
    channel = await Channel.create(raw)
    await channel.demand(READING, sensor.ref())
    emu.advance(5)
    assert await channel.drain() == []  # a constant reading is not reported
    outlet.base_power = 100.4
    emu.advance(1)
    assert await channel.drain() == []  # still shown as 100 W (decdigits 0)
    outlet.base_power = 101.0
    emu.advance(1)
    (event,) = await channel.drain()
    assert event["value"]["source"] == sensor.ref()
    reading = event["value"]["newReading"]
    assert (reading["value"], reading["timestamp"]) == (101.0, int(emu.clock.time()))
    outlet.power_state = 0
    assert await channel.drain() == []  # the next sample reports it
    emu.advance(1)
    (event,) = await channel.drain()
    assert event["value"]["newReading"]["value"] == 0.0


async def test_reading_changed_rate_is_counted(emulator_factory, raw_client: RawFactory):
    """With noise every loaded meter changes a digit almost every second: the stats show the
    rate a client subscribing to all ReadingChangedEvents would face; idle outlets are silent."""
    emu = await emulator_factory(outlets=8, peripherals=3, clock="manual")
    raw = await raw_client(emu)
    await Channel.create(raw, READING)
    idle = await Channel.create(raw)
    await idle.demand(READING, emu.unit(0).outlet(3).sensors["activePower"].ref())  # index 3 idles
    emu.reset_stats()
    emu.advance(60)
    stats = emu.stats()["events"]
    count = stats["emitted"]["sensors.NumericSensor.ReadingChangedEvent"]
    numeric = len(list(emu.sampler.numeric_sensors()))
    assert 60 <= count <= 60 * numeric  # at most one per sensor and second
    assert stats["samples"] >= 60
    assert await idle.drain() == []
