"""Outlet states from event channels, drained inside the poll's bulk.

Reading every outlet's state (``Outlet.getState``) in every poll costs the device one
sub-request per outlet (384 on a primary with 7 link units x 48 outlets, 4-10 ms each on real
hardware), and almost every answer is the one of the poll before. Instead, each unit gets an
event channel of its own event service (``/eventservice``, ``/link/<n>/eventservice``) that
demands only ``Outlet.StateChangedEvent`` (:data:`.events.OUTLET_STATE_TYPES`), and every poll
drains it with ONE ``pollEventsNb`` in the same bulk (still one HTTP request per poll).

A unit's *feed* is synced once a poll has read all its outlet states after its channel was
opened and drained the channel in the same bulk; while it is synced, the fast polls leave its
outlets out and take their states from the events. Its outlets are read again (``getState``):

* while it has no channel: not opened yet, or opening failed (tried again at once the first
  time, then with a doubling backoff), or a drain answered HTTP 404 (the channel died with the
  session, or the unit rebooted: a new one is opened);
* in the poll after a drain that failed otherwise, answered ``more`` (more events queued than
  one answer holds) or brought an event this library cannot place among the unit's outlets
  (how a link unit names its objects in its own events is undocumented: the RID the primary
  gives, ``/link/<n>/...`` and the link unit's own ``/model/pdu/0/...`` are all placed);
* in every poll that reads the slow values too (:meth:`OutletFeeds.covered` with ``full``): a
  safety net for a change the device did not report.

The drain goes after the reads in the bulk, and the device handles a bulk's sub-requests in
order, so an event drained is never older than a read of the same bulk: the last event of an
outlet wins, over a read of the same poll too, unless the answer said ``more`` (the newest
events are still queued, the read is newer).

A firmware or an account without event channels (:func:`.events.channel_unsupported`) keeps the
plain reads for that unit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from .const import PowerState
from .events import (
    OUTLET_STATE_TYPES,
    EventBatch,
    OutletStateChanged,
    channel_retry_delay,
    channel_unsupported,
    decode_poll,
    event_service_rid,
)
from .exceptions import XerusError, XerusNotFoundError, XerusProtocolError
from .models import OutletState, Readings, Topology
from .models.refs import Ref
from .rpc import BulkCall, BulkResult

_LOGGER = logging.getLogger(__name__)

#: A unit with fewer outlets is read as before: one drain costs what one read does.
MIN_OUTLETS: Final = 2


class SupportsBulk(Protocol):
    """What opening channels needs: one ``/bulk`` of calls (the client)."""

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]: ...


@dataclass(slots=True)
class _Feed:
    """The event channel that feeds one unit's outlet states."""

    pdu_id: int
    outlets: frozenset[str]
    channel: str | None = None
    synced: bool = False
    #: The device said this unit has no channels for this account: plain reads.
    unsupported: bool = False
    failures: int = 0
    retry_at: float = 0.0
    #: Already said in the debug log that its events name unknown objects.
    unplaced_logged: bool = False
    #: ``(prefix, replacement)`` tried in turn on an event's source that is no known RID.
    aliases: tuple[tuple[str, str], ...] = field(default=())

    def place(self, rid: str | None) -> str | None:
        """The RID of the outlet an event names (``None``: none of this unit's)."""
        if rid is None:
            return None
        if rid in self.outlets:
            return rid
        for prefix, replacement in self.aliases:
            if rid.startswith(prefix):
                candidate = replacement + rid[len(prefix) :]
                if candidate in self.outlets:
                    return candidate
                rid = candidate  # /link/<n>/model/pdu/0/...: strip, then map the unit's own
        return None


def _aliases(pdu_id: int) -> tuple[tuple[str, str], ...]:
    if pdu_id in (0, 1):
        return ()
    own = f"/model/pdu/{pdu_id}/"
    return ((f"/link/{pdu_id}/", "/"), ("/model/pdu/0/", own), ("/model/pdu/1/", own))


class OutletFeeds:
    """The outlet-state feeds of a topology's units (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._feeds: dict[int, _Feed] = {}
        self._opening: set[int] = set()

    def set_topology(self, topology: Topology) -> None:
        """The units and outlets to feed. A unit whose outlets are unchanged keeps its channel
        and its sync; a unit that is new or changed starts over; a unit gone is dropped (its
        channel dies with the session)."""
        feeds: dict[int, _Feed] = {}
        for unit in topology.units:
            outlets = frozenset(outlet.rid for outlet in unit.outlets)
            if len(outlets) < MIN_OUTLETS:
                continue
            old = self._feeds.get(unit.pdu_id)
            if old is not None and old.outlets == outlets:
                feeds[unit.pdu_id] = old
            else:
                feeds[unit.pdu_id] = _Feed(unit.pdu_id, outlets, aliases=_aliases(unit.pdu_id))
        self._feeds = feeds

    def outlets(self, pdu_id: int) -> frozenset[str]:
        """The outlet RIDs a unit's feed covers (empty: the unit has no feed)."""
        feed = self._feeds.get(pdu_id)
        return feed.outlets if feed is not None else frozenset()

    def covered(self, *, full: bool = False) -> frozenset[int]:
        """The units whose outlet states the next poll takes from their feed, not from reads
        (none in a poll that reads the slow values too: the safety net)."""
        if full:
            return frozenset()
        return frozenset(pdu_id for pdu_id, feed in self._feeds.items() if feed.synced)

    def drains(self, units: Collection[int] | None = None) -> tuple[tuple[int, str], ...]:
        """``(pdu_id, channel RID)`` of every open channel (of ``units``) to drain in the poll."""
        return tuple(
            (pdu_id, feed.channel)
            for pdu_id, feed in self._feeds.items()
            if feed.channel is not None and (units is None or pdu_id in units)
        )

    def to_open(self, units: Collection[int] | None = None) -> list[int]:
        """The units (of ``units``) whose channel should be opened now."""
        now = self._clock()
        return [
            pdu_id
            for pdu_id, feed in self._feeds.items()
            if feed.channel is None
            and not feed.unsupported
            and feed.retry_at <= now
            and pdu_id not in self._opening
            and (units is None or pdu_id in units)
        ]

    async def open(self, client: SupportsBulk, units: Iterable[int]) -> None:
        """Open the channels of ``units``: one bulk creates them, one demands the outlets'
        state events on each (two requests whatever the number of units). Raises nothing: a
        unit whose channel failed is read as before and tried again later."""
        pending = [pdu_id for pdu_id in units if pdu_id in self._feeds]
        self._opening.update(pending)
        try:
            await self._open(client, pending)
        finally:
            self._opening.difference_update(pending)

    async def _open(self, client: SupportsBulk, units: list[int]) -> None:
        channels = await self._create(client, units) if units else {}
        if not channels:
            return
        types = {"types": list(OUTLET_STATE_TYPES)}
        try:
            demanded = await client.bulk(
                [BulkCall(rid, "demandEventTypes", types) for rid in channels.values()]
            )
        except XerusError as err:
            demanded = [BulkResult(None, err)] * len(channels)
        for (pdu_id, rid), result in zip(channels.items(), demanded, strict=True):
            feed = self._feeds.get(pdu_id)
            if feed is None:
                continue  # the unit is gone meanwhile
            if result.error is not None:
                self._failed(pdu_id, result.error)
                continue
            feed.channel, feed.synced, feed.failures = rid, False, 0
            _LOGGER.debug("unit %s: outlet states from event channel %s", pdu_id, rid)

    async def _create(self, client: SupportsBulk, units: list[int]) -> dict[int, str]:
        """A new channel of each unit's event service: the channel RIDs by unit."""
        try:
            created = await client.bulk(
                [BulkCall(event_service_rid(pdu_id), "createChannel") for pdu_id in units]
            )
        except XerusError as err:
            created = [BulkResult(None, err)] * len(units)
        channels: dict[int, str] = {}
        for pdu_id, result in zip(units, created, strict=True):
            ref = Ref.from_json(result.value) if result.error is None else None
            if ref is None:
                self._failed(pdu_id, result.error or XerusProtocolError("no event channel left"))
            else:
                channels[pdu_id] = ref.rid
        return channels

    def _failed(self, pdu_id: int, err: XerusError) -> None:
        feed = self._feeds.get(pdu_id)
        if feed is None:
            return
        if channel_unsupported(err):
            feed.unsupported = True
            _LOGGER.debug("unit %s has no event channel (%s): outlet states read", pdu_id, err)
            return
        feed.failures += 1
        delay = channel_retry_delay(feed.failures)
        feed.retry_at = self._clock() + delay
        _LOGGER.debug(
            "unit %s: opening an event channel failed (%s), next try in %.0f s", pdu_id, err, delay
        )

    def take(
        self,
        drained: Sequence[tuple[int, str]],
        answers: Sequence[EventBatch | XerusError],
        readings: Readings,
        read: Collection[int],
    ) -> dict[str, OutletState]:
        """The outlet states the drains of a poll bring (``answers`` aligned with ``drained``);
        ``readings``: what the same poll read, ``read``: the units whose outlet states it read.
        Updates each feed's sync: a unit is synced by a poll that read all its outlet states
        with a definite answer (an error or an unknown power state is read again) and drained
        its channel completely."""
        states: dict[str, OutletState] = {}
        for (pdu_id, rid), answer in zip(drained, answers, strict=True):
            feed = self._feeds.get(pdu_id)
            if feed is None or feed.channel != rid:
                continue  # reopened or gone meanwhile
            if isinstance(answer, XerusError):
                feed.synced = False
                if isinstance(answer, XerusNotFoundError):
                    feed.channel = None  # died with the session, or the unit rebooted
                _LOGGER.debug("unit %s: draining channel %s failed: %s", pdu_id, rid, answer)
                continue
            was_read = pdu_id in read
            placed = self._take_batch(feed, answer, was_read=was_read)
            if was_read and not _definite(feed.outlets, readings.outlets, readings.errors):
                feed.synced = False
            states.update(placed)
        return states

    @staticmethod
    def _take_batch(feed: _Feed, batch: EventBatch, *, was_read: bool) -> dict[str, OutletState]:
        placed: dict[str, OutletState] = {}
        unplaced: list[str | None] = []
        for event in batch.events:
            if isinstance(event, OutletStateChanged):
                outlet = feed.place(event.source)
                if outlet is None:
                    unplaced.append(event.source)
                else:
                    placed[outlet] = event.new
        if batch.more or unplaced or not _definite(placed, placed, {}):
            feed.synced = False
        elif was_read:
            feed.synced = True
        if unplaced and not feed.unplaced_logged:
            feed.unplaced_logged = True
            _LOGGER.debug(
                "unit %s: events name objects that are none of its outlets (%s): its outlet "
                "states are read after such events",
                feed.pdu_id,
                ", ".join(map(str, unplaced[:3])),
            )
        # With more queued, the newest events are still on the device: a read is newer.
        return {} if batch.more and was_read else placed

    def lost(self) -> None:
        """A poll's answer was lost: the device may have drained the channels, so the next
        poll reads every unit's outlet states again."""
        for feed in self._feeds.values():
            feed.synced = False

    def describe(self) -> dict[str, Any]:
        """Each unit's feed, for diagnostics."""
        return {
            str(pdu_id): {
                "outlets": len(feed.outlets),
                "channel": feed.channel is not None,
                "synced": feed.synced,
                "unsupported": feed.unsupported,
                "failures": feed.failures,
            }
            for pdu_id, feed in self._feeds.items()
        }


def _definite(
    rids: Iterable[str], states: Mapping[str, OutletState], errors: Mapping[str, object]
) -> bool:
    """Whether every one of ``rids`` that has a state has a definite one (on, off or not
    available) and none failed: else the unit's outlets are read again."""
    if errors and not errors.keys().isdisjoint(rids):
        return False
    for rid in rids:
        state = states.get(rid)
        if state is not None and state.available and not isinstance(state.power_state, PowerState):
            return False
    return True


def event_answer(result: BulkResult) -> EventBatch | XerusError:
    """A drain's sub-response as a batch of events, or its error."""
    if result.error is not None:
        return result.error
    try:
        return decode_poll(result.value)
    except XerusProtocolError as err:
        return err


__all__ = ["MIN_OUTLETS", "OutletFeeds", "event_answer"]
