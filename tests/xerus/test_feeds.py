"""Outlet states fed by event channels drained in the poll's bulk (``xerus.feeds``): against the
emulator for what a device does (link units included, a channel that dies, firmware without
channels), and with hand-made answers for what the emulator never sends (``more``, events that
name unknown objects)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import (
    OutletFeeds,
    OutletState,
    OutletStateChanged,
    PowerState,
    ReadingPlan,
    Readings,
    ReadKind,
    Topology,
    XerusClient,
    XerusNotFoundError,
    XerusTimeoutError,
)
from custom_components.raritan_pdu.xerus.events import EventBatch
from tests.emulator import PduEmulator

from .conftest import ClientFactory


class Poller:
    """What the coordinator does with the feeds, without Home Assistant: plan without the
    outlets of synced units, drain the open channels in the same bulk, take their states."""

    def __init__(self, client: XerusClient, topology: Topology) -> None:
        self.client = client
        self.topology = topology
        self.feeds = OutletFeeds()
        self.feeds.set_topology(topology)
        self.outlets: dict[str, OutletState] = {}

    async def open(self) -> None:
        await self.feeds.open(self.client, self.feeds.to_open())

    async def poll(self, *, full: bool = False) -> dict[str, OutletState]:
        covered = self.feeds.covered(full=full)
        fed = {rid for pdu_id in covered for rid in self.feeds.outlets(pdu_id)}
        wanted = {
            t.rid
            for t in ReadingPlan.for_topology(self.topology).targets
            if t.kind is ReadKind.OUTLET and t.rid not in fed
        }
        plan = ReadingPlan.for_topology(self.topology, rids=wanted)
        read = {unit.pdu_id for unit in self.topology.units} - covered
        drains = self.feeds.drains()
        if drains:
            result = await self.client.poll(plan, channels=[rid for _, rid in drains])
            readings, events = result.readings, result.events
        else:
            readings, events = await self.client.poll(plan), ()
        taken = self.feeds.take(drains, events, readings, read)
        self.outlets.update(readings.outlets)
        self.outlets.update(taken)
        return {**readings.outlets, **taken}


def outlet_rids(topology: Topology, pdu_id: int) -> list[str]:
    unit = topology.unit(pdu_id)
    assert unit is not None
    return [outlet.rid for outlet in unit.outlets]


def get_states(emu: PduEmulator) -> int:
    return int(emu.stats()["methods"].get("pdumodel.Outlet.getState", 0))


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_synced_units_are_fed_by_their_channels(
    emulator_factory, client_factory: ClientFactory, firmware: str
) -> None:
    """Once a poll read every outlet with the channels open, polls read no outlet state: a
    change on the primary and on a link unit arrives through the drains of the next poll."""
    emu = await emulator_factory(link_units=2, outlets=8, firmware=firmware)
    client = client_factory(emu)
    poller = Poller(client, await client.discover())
    await poller.open()
    assert {pdu_id for pdu_id, _ in poller.feeds.drains()} == {0, 2, 3}

    first = await poller.poll()
    assert len(first) == 24  # the baseline: every outlet read
    assert poller.feeds.covered() == {0, 2, 3}

    emu.reset_stats()
    assert await poller.poll() == {}  # nothing changed: nothing read, nothing fed
    assert get_states(emu) == 0
    assert emu.stats()["methods"]["event.Channel.pollEventsNb"] == 3
    assert emu.stats()["bulk_requests"] == 1

    emu.unit(0).outlet(1).power_state = 0
    emu.unit(3).outlet(5).power_state = 0
    emu.reset_stats()
    fed = await poller.poll()
    assert get_states(emu) == 0
    link_rid = outlet_rids(poller.topology, 3)[5]
    primary_rid = outlet_rids(poller.topology, 0)[1]
    assert {rid: state.power_state for rid, state in fed.items()} == {
        primary_rid: PowerState.OFF,
        link_rid: PowerState.OFF,
    }
    assert poller.feeds.covered() == {0, 2, 3}

    # The slow cadence reads every outlet again (the safety net), and stays synced.
    emu.reset_stats()
    full = await poller.poll(full=True)
    assert get_states(emu) == 24
    assert full[link_rid].power_state is PowerState.OFF
    assert poller.feeds.covered() == {0, 2, 3}


async def test_a_channel_that_died_is_replaced_and_nothing_is_missed(
    emulator_factory, client_factory: ClientFactory
) -> None:
    """The device forgot the sessions (and their channels): the next drain answers 404, the
    poll after reads the outlets (a change in between shows), a new channel feeds them again."""
    emu = await emulator_factory(link_units=1, outlets=8)
    client = client_factory(emu)
    poller = Poller(client, await client.discover())
    await poller.open()
    await poller.poll()
    assert poller.feeds.covered() == {0, 2}

    emu.faults.expire_sessions()
    emu.unit(2).outlet(0).power_state = 0  # no channel hears it
    await poller.poll()
    assert poller.feeds.covered() == frozenset()
    assert poller.feeds.drains() == ()
    assert poller.feeds.to_open() == [0, 2]

    await poller.open()
    emu.reset_stats()
    await poller.poll()
    assert get_states(emu) == 16
    assert poller.outlets[outlet_rids(poller.topology, 2)[0]].power_state is PowerState.OFF
    assert poller.feeds.covered() == {0, 2}


async def test_without_an_event_service_every_poll_reads_the_outlets(
    emulator_factory, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=8, event_service=False)
    client = client_factory(emu)
    poller = Poller(client, await client.discover())
    await poller.open()
    assert poller.feeds.describe()["0"]["unsupported"] is True
    assert poller.feeds.to_open() == []
    for _ in range(2):
        emu.reset_stats()
        await poller.poll()
        assert get_states(emu) == 8
        assert emu.stats()["bulk_requests"] == 1


async def test_a_lost_poll_answer_means_reading_again(
    emulator_factory, client_factory: ClientFactory
) -> None:
    """A poll whose answer never came may have drained events on the device: the next poll
    reads the outlets."""
    emu = await emulator_factory(outlets=8)
    client = client_factory(emu)
    poller = Poller(client, await client.discover())
    await poller.open()
    await poller.poll()
    assert poller.feeds.covered() == {0}
    poller.feeds.lost()
    assert poller.feeds.covered() == frozenset()


# --- answers the emulator does not give ---------------------------------------------------------

ON = OutletState(True, PowerState.ON)
OFF = OutletState(True, PowerState.OFF)


def fed_feeds(pdu_id: int, outlets: list[str]) -> tuple[OutletFeeds, str]:
    """Feeds of one unit whose channel ``/ch`` is open and synced."""
    feeds = OutletFeeds()
    unit = SimpleNamespace(pdu_id=pdu_id, outlets=[SimpleNamespace(rid=rid) for rid in outlets])
    topology: Any = SimpleNamespace(units=[unit])  # what the feeds read of a Topology
    feeds.set_topology(topology)
    feed = feeds._feeds[pdu_id]
    feed.channel, feed.synced = "/ch", True
    return feeds, "/ch"


def changed(source: str | None, new: OutletState) -> OutletStateChanged:
    return OutletStateChanged(
        type="pdumodel.Outlet_3_0_4.StateChangedEvent:1.0.0",
        name="pdumodel.Outlet.StateChangedEvent",
        source=source,
        old=ON,
        new=new,
    )


def test_the_last_event_of_an_outlet_wins() -> None:
    feeds, ch = fed_feeds(0, ["/o/1", "/o/2"])
    batch = EventBatch((changed("/o/1", OFF), changed("/o/1", ON), changed("/o/2", OFF)), False)
    assert feeds.take([(0, ch)], [batch], Readings(), read=()) == {"/o/1": ON, "/o/2": OFF}
    assert feeds.covered() == {0}


def test_more_events_queued_means_reading_again() -> None:
    feeds, ch = fed_feeds(0, ["/o/1", "/o/2"])
    batch = EventBatch((changed("/o/1", OFF),), True)
    # Not read in this poll: the events are still news, but the next poll reads.
    assert feeds.take([(0, ch)], [batch], Readings(), read=()) == {"/o/1": OFF}
    assert feeds.covered() == frozenset()
    # Read in the same poll: the read is newer than a truncated drain.
    readings = Readings(outlets={"/o/1": ON, "/o/2": ON})
    assert feeds.take([(0, ch)], [batch], readings, read={0}) == {}
    assert feeds.covered() == frozenset()
    assert feeds.take([(0, ch)], [EventBatch((), False)], readings, read={0}) == {}
    assert feeds.covered() == {0}


@pytest.mark.parametrize(
    ("source", "placed"),
    [
        ("/model/pdu/3/outlet/1", "/model/pdu/3/outlet/1"),  # the RID the primary gives
        ("/link/3/model/pdu/0/outlet/1", "/model/pdu/3/outlet/1"),  # relayed, the unit's own
        ("/model/pdu/0/outlet/1", "/model/pdu/3/outlet/1"),  # the link unit's own name
        ("/link/3/model/pdu/3/outlet/1", "/model/pdu/3/outlet/1"),
    ],
)
def test_link_unit_events_are_placed_however_they_name_the_outlet(source: str, placed: str) -> None:
    feeds, ch = fed_feeds(3, ["/model/pdu/3/outlet/0", "/model/pdu/3/outlet/1"])
    batch = EventBatch((changed(source, OFF),), False)
    assert feeds.take([(3, ch)], [batch], Readings(), read=()) == {placed: OFF}
    assert feeds.covered() == {3}


def test_an_event_that_names_an_unknown_object_means_reading_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    feeds, ch = fed_feeds(3, ["/model/pdu/3/outlet/0", "/model/pdu/3/outlet/1"])
    batch = EventBatch((changed("/tfwopaque/outlet.7", OFF), changed(None, OFF)), False)
    assert feeds.take([(3, ch)], [batch], Readings(), read=()) == {}
    assert feeds.covered() == frozenset()
    assert "none of its outlets (/tfwopaque/outlet.7, None)" in caplog.text


def test_an_unknown_power_state_is_read_again() -> None:
    """A baseline read or an event with a power state this library does not know is no
    ground to stop reading."""
    feeds, ch = fed_feeds(0, ["/o/1", "/o/2"])
    feeds._feeds[0].synced = False
    odd = OutletState(True, 7)
    readings = Readings(outlets={"/o/1": odd, "/o/2": ON})
    feeds.take([(0, ch)], [EventBatch((), False)], readings, read={0})
    assert feeds.covered() == frozenset()
    readings = Readings(outlets={"/o/1": OFF, "/o/2": ON})
    feeds.take([(0, ch)], [EventBatch((), False)], readings, read={0})
    assert feeds.covered() == {0}
    feeds.take([(0, ch)], [EventBatch((changed("/o/2", odd),), False)], Readings(), read=())
    assert feeds.covered() == frozenset()


def test_a_failed_drain_means_reading_again_and_only_404_drops_the_channel() -> None:
    feeds, ch = fed_feeds(0, ["/o/1", "/o/2"])
    feeds.take([(0, ch)], [XerusTimeoutError("slow")], Readings(), read=())
    assert feeds.covered() == frozenset()
    assert feeds.drains() == ((0, ch),)  # kept: it may still live (no channel leaked)
    feeds.take([(0, ch)], [XerusNotFoundError()], Readings(), read=())
    assert feeds.drains() == ()
    assert feeds.to_open() == [0]
