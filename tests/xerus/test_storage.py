"""The topology in storage and the cheap check that it still matches (issue #11 item 4).

``Topology.to_json``/``from_json`` is a lossless, versioned round trip; a malformed document or
an unknown version raises ``XerusStorageError``. ``poll(plan, check=stored)`` tells in the same
HTTP request whether the stored topology is still the device's.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import (
    LinkUnitStatus,
    ReadingPlan,
    SensorKind,
    Topology,
    XerusHttpError,
    XerusStorageError,
)

from .conftest import ClientFactory


async def _topology(emulator_factory: Any, client_factory: ClientFactory, **config: Any) -> Any:
    emu = await emulator_factory(**config)
    client = client_factory(emu, use_session_token=False)
    return emu, client, await client.discover()


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_the_round_trip_is_lossless(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(
        outlets=6, link_units=3, peripherals=11, inlet_phases=3, firmware=firmware
    )
    emu.faults.link_unreachable(3)
    emu.faults.fail_call(rid="/model/pdu/4", method="getOutlets", statcode=500)
    client = client_factory(emu, use_session_token=False)
    topology = await client.discover()
    assert topology.unavailable == {3, 4} and isinstance(topology.link_errors[4], XerusHttpError)
    document = json.loads(json.dumps(topology.to_json()))  # what a JSON store keeps
    assert document["format"] == "xerus-topology" and document["version"] == 1
    stored = Topology.from_json(document)
    for name in ("primary", "link_units", "link_status", "unavailable", "cascade"):
        assert getattr(stored, name) == getattr(topology, name), name
    error = stored.link_errors[4]
    assert type(error) is XerusHttpError and error.status == 500
    assert str(error) == str(topology.link_errors[4])
    assert stored.to_json() == document
    assert stored.primary.outlets[0].sensors["activeEnergy"].kind is SensorKind.ACCUMULATING
    assert stored.link_status[2] is LinkUnitStatus.OK
    # A plan from the stored topology reads the same RIDs.
    fragments = ReadingPlan.for_topology(topology).fragments
    assert ReadingPlan.for_topology(stored).fragments == fragments


async def test_bad_documents_raise_one_error(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    _emu, _client, topology = await _topology(emulator_factory, client_factory, outlets=2)
    good = topology.to_json()

    def broken(change: Any) -> Any:
        document = copy.deepcopy(good)
        change(document)
        return document

    inner = "topology"
    bad = [
        None,
        [],
        "{}",
        {},
        {**good, "format": "something else"},
        {**good, "version": 2},
        {**good, "version": "1"},
        {**good, inner: None},
        broken(lambda d: d[inner]["primary"].pop("identity")),
        broken(lambda d: d[inner]["primary"]["outlets"][0].update(index="0")),
        broken(lambda d: d[inner]["primary"]["outlets"][0]["sensors"].update(x=5)),
        broken(lambda d: d[inner].update(link_status=[[2]])),
        broken(lambda d: d[inner]["primary"]["inlets"][0].update(rating_current=True)),
        broken(lambda d: d[inner]["primary"]["peripherals"].append({})),
        broken(lambda d: d[inner]["primary"]["outlets"][0]["sensors"]["current"].update(kind=4)),
    ]
    for document in bad:
        with pytest.raises(XerusStorageError):
            Topology.from_json(document)


async def test_a_document_of_an_older_model_still_reads(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """A field added later with a default (``device_metadata``) may be missing; extras are
    ignored; unknown enum ints stay ints."""
    _emu, _client, topology = await _topology(emulator_factory, client_factory, outlets=2)
    document = topology.to_json()
    sensor = document["topology"]["primary"]["outlets"][0]["sensors"]["current"]
    del sensor["device_metadata"]
    sensor["added_in_a_newer_version"] = 1
    document["topology"]["primary"]["inlets"][0]["poles"][0]["line"] = 77
    stored = Topology.from_json(document)
    assert not stored.primary.outlets[0].sensors["current"].device_metadata
    assert stored.primary.inlets[0].poles[0].line == 77


async def test_the_check_rides_along_a_poll(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """Unchanged: no change, one request, ~5 sub-requests per unit and one per sensor (and,
    in a client's first check, one for the account's privileges)."""
    emu, _client, topology = await _topology(
        emulator_factory, client_factory, outlets=8, link_units=2, peripherals=3
    )
    stored = Topology.from_json(json.loads(json.dumps(topology.to_json())))
    client = client_factory(emu, use_session_token=False)  # as after a restart
    plan = ReadingPlan.for_topology(stored)
    emu.reset_stats()
    result = await client.poll(plan, check=stored)
    assert result.changes == () and result.topology_changed is False
    assert not result.readings.errors and len(result.readings.outlets) == 24
    stats = emu.stats()
    assert stats["http_requests"] == 1
    assert stats["bulk_subrequests"] == len(plan) + 1 + 3 * 4 + 3 * 3 + 1
    assert client.privileges.known
    emu.reset_stats()
    await client.poll(plan, check=stored)
    assert emu.stats()["bulk_subrequests"] == len(plan) + 1 + 3 * 4 + 3 * 3
    unchecked = await client.poll(plan, with_cascade=True)
    assert unchecked.changes is None and unchecked.topology_changed is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (lambda emu: emu.faults.reboot(), "unit 0: the outlets"),
        (lambda emu: emu.faults.unplug_peripheral(2), "unit 0: external sensor slot 3"),
        (lambda emu: emu.faults.remove_link_unit(2), "the link units"),
        (lambda emu: emu.faults.add_link_unit(), "the link units"),
        (lambda emu: emu.faults.link_unreachable(2), "the link units"),
    ],
    ids=["reboot", "unplugged", "released", "added", "unreachable"],
)
async def test_the_check_notices_a_change(
    emulator_factory: Any, client_factory: ClientFactory, event: Any, expected: str
) -> None:
    emu, client, topology = await _topology(
        emulator_factory, client_factory, outlets=4, link_units=1, peripherals=3
    )
    stored = Topology.from_json(topology.to_json())
    # A check that matched before (the client remembers its answers) still notices.
    plan = ReadingPlan.for_topology(stored)
    assert (await client.poll(plan, check=stored)).changes == ()
    event(emu)
    result = await client.poll(plan, check=stored)
    assert result.topology_changed
    assert any(change.startswith(expected) for change in result.changes or ()), result.changes
    # After a rediscovery the check is quiet again.
    topology = await client.discover()
    result = await client.poll(ReadingPlan.for_topology(topology), check=topology)
    assert result.changes == ()


async def test_the_check_notices_another_unit_at_the_address(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    _emu, _client, stored = await _topology(emulator_factory, client_factory, outlets=4, seed=1)
    other, client, _ = await _topology(emulator_factory, client_factory, outlets=4, seed=2)
    result = await client.poll(ReadingPlan.for_topology(stored), check=stored)
    assert "unit 0: the serial number" in (result.changes or ())
    assert other.unit(0).serial != stored.primary.identity.serial


async def test_the_devices_own_metadata_can_be_read_later(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """One bulk: every numeric sensor's getMetaData; what fails keeps the catalogue's."""
    emu, client, topology = await _topology(
        emulator_factory, client_factory, outlets=4, peripherals=3, link_units=1
    )
    bad = topology.primary.outlets[0].sensors["activePower"]
    emu.faults.fail_call(rid=bad.rid, method="getMetaData")
    emu.reset_stats()
    read = await client.read_sensor_metadata(topology)
    assert emu.stats()["http_requests"] == 1
    numeric = [s for u in read.units for s in u.iter_sensors() if not s.is_state]
    assert numeric and all(s.device_metadata for s in numeric if s.rid != bad.rid)
    assert read.primary.outlets[0].sensors["activePower"] == bad
    voltage = read.primary.inlets[0].sensors["voltage"]
    assert voltage.range_upper == 300.0 and voltage.resolution == 1.0
    assert voltage.decdigits == topology.primary.inlets[0].sensors["voltage"].decdigits
    probe = read.primary.peripherals[0].sensor
    assert probe is not None and probe.device_metadata
    assert Topology.from_json(read.to_json()) == read
