"""Fuzzing discovery, the stored topology and the bulk sender with arbitrary answers.

Discovery talks to a ``SupportsBulk``: ``ReplayDevice`` serves the answers the emulator gave to a
real discovery, with a share of them replaced (in part or whole) by arbitrary JSON. Whatever
comes: a ``Topology`` (that survives storage and gives a reading plan) or a ``XerusError``.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.raritan_pdu.xerus import (
    ReadingPlan,
    Topology,
    XerusError,
    XerusStorageError,
)
from custom_components.raritan_pdu.xerus.bulk import BulkSender, BulkSizeLimit, BulkTimeBudget
from custom_components.raritan_pdu.xerus.discovery import discover_topology
from custom_components.raritan_pdu.xerus.rpc import encode_sub_request

from .conftest import Recorded, ReplayDevice, fuzz, json_values, mutate, run


def test_the_replay_is_the_real_discovery(recorded: Recorded) -> None:
    topology = run(discover_topology(ReplayDevice(recorded.answers)))
    assert topology == recorded.topology
    assert len(topology.units) == 2 and topology.primary.peripherals


@fuzz(150)
@given(
    seed=st.integers(0, 2**32),
    rate=st.sampled_from([0.02, 0.1, 0.3, 1.0]),
    pool=st.lists(json_values, min_size=1, max_size=8),
)
def test_discovery_with_arbitrary_answers(
    recorded: Recorded, seed: int, rate: float, pool: list[Any]
) -> None:
    device = ReplayDevice(recorded.answers, random.Random(seed), pool, rate)
    try:
        topology = run(discover_topology(device, set()))
    except XerusError:
        return
    assert isinstance(topology, Topology)
    for unit in topology.units:
        assert unit.identity.pdu_id == unit.pdu_id
        for outlet in unit.outlets:
            assert outlet.rid and outlet.number >= 1
        assert len({p.slot_index for p in unit.peripherals}) == len(unit.peripherals)
    stored = Topology.from_json(json.loads(json.dumps(topology.to_json())))
    assert stored.primary == topology.primary and stored.link_units == topology.link_units
    ReadingPlan.for_topology(stored)


@fuzz(100)
@given(seed=st.integers(0, 2**32), pool=st.lists(json_values, min_size=1, max_size=6))
def test_stored_topology_documents(recorded: Recorded, seed: int, pool: list[Any]) -> None:
    """A mutated stored document: the same topology, another one, or ``XerusStorageError``."""
    rng = random.Random(seed)
    document = recorded.topology.to_json()
    for _ in range(rng.randint(1, 3)):
        document = mutate(document, rng, pool)
    try:
        topology = Topology.from_json(document)
    except XerusStorageError:
        return
    assert isinstance(topology, Topology)
    assert Topology.from_json(topology.to_json()).to_json() == topology.to_json()


@fuzz(50)
@given(document=json_values)
def test_arbitrary_stored_documents(document: Any) -> None:
    with pytest.raises(XerusStorageError):
        Topology.from_json(document)


class _ArbitraryDevice:
    """A ``BulkExchange`` that answers every request with the next value of ``results``."""

    def __init__(self, results: list[Any]) -> None:
        self.results = results

    def next_id(self) -> int:
        return 1

    async def exchange(
        self,
        rid: str,
        body: bytes,
        request_id: int,
        timeout: float,  # noqa: ASYNC109
        *,
        idempotent: bool = True,
    ) -> Any:
        return self.results.pop(0) if self.results else {"responses": []}


@fuzz(50)
@given(results=st.lists(json_values, min_size=1, max_size=4), size=st.integers(1, 40))
def test_bulk_sender_with_arbitrary_results(results: list[Any], size: int) -> None:
    """Whatever the performBulk result: sub-responses aligned with the calls, or a XerusError."""
    sender = BulkSender(_ArbitraryDevice(results), BulkSizeLimit(), BulkTimeBudget(10.0))
    fragments = [encode_sub_request(f"/s/{i}", "getReading", i) for i in range(size)]
    try:
        out = asyncio.run(sender.send(fragments))
    except XerusError:
        return
    assert len(out) == size
