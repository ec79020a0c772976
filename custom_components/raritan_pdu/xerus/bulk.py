"""Sending ``/bulk`` requests: adaptive splitting, timing and placing the answers.

Every bulk goes out as ONE HTTP request unless the device rejects its size or the time it would
take is beyond the ceiling; then :class:`BulkSender` splits it. Two policies decide, each one
object fed with what happened:

* :class:`BulkSizeLimit`: how many sub-requests the device takes. A blip is not a limit: the limit
  drops only after size rejections in two sends in a row (at once for HTTP 413), and grows back
  (a larger size is tried after a run of accepted bulks at the limit).
* :class:`BulkTimeBudget`: how long a bulk may take. A model of per-request overhead plus time per
  sub-request, fitted from answered bulks (slowly forgetting), conservative before the first
  measurement, with a margin, a floor (the configured request timeout) and a ceiling. A bulk that
  times out teaches a lower bound of the device's speed; it is sent once more with a budget that
  allows for that (and for the abandoned bulk the device is still working on), or split.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from operator import itemgetter
from typing import Any, Final, Protocol

from .const import RID_BULK
from .exceptions import (
    XerusConnectionLostError,
    XerusError,
    XerusHttpError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
)
from .rpc import MISSING, RPC_ERR_INTERNAL, bulk_responses, encode_bulk, sub_response_id

_LOGGER = logging.getLogger(__name__)

#: Bulks of at most this many sub-requests are never split (nor retried as too large).
SMALL_BULK: Final = 8


class BulkExchange(Protocol):
    """What the sender needs from the transport."""

    def next_id(self) -> int:
        """A new JSON-RPC request id."""

    async def exchange(
        self,
        rid: str,
        body: bytes,
        request_id: int,
        timeout: float,  # noqa: ASYNC109
        *,
        idempotent: bool = True,
    ) -> Any:
        """POST ``body`` to ``rid`` and return the ``result`` of the response."""


# --- size policy ------------------------------------------------------------------------------


class Rejection(Enum):
    """How a failure of a whole bulk relates to its size."""

    #: The device says it is too large (HTTP 413): split now, and lower the limit now.
    TOO_LARGE = auto()
    #: The connection broke after sending (the transport already tried again): split now; the
    #: limit drops only if it happens again.
    BROKEN = auto()
    #: Perhaps too large, perhaps a blip (5xx, JSON-RPC internal error): retried once, then
    #: split; the limit drops only if it happens again.
    MAYBE_TRANSIENT = auto()


def classify_rejection(err: XerusError, size: int) -> Rejection | None:
    """Does this failure of a whole bulk of ``size`` suggest it was too large? ``None``: no.

    Only a failure after the request went out can be about its size: a refused connection, a
    TLS or authentication failure or a timeout is not. A bulk of at most :data:`SMALL_BULK`
    sub-requests is never too large.
    """
    if size <= 1:
        return None
    if isinstance(err, XerusHttpError) and err.status == 413:
        return Rejection.TOO_LARGE
    if size <= SMALL_BULK:
        return None
    if isinstance(err, XerusConnectionLostError):
        return Rejection.BROKEN
    maybe = (isinstance(err, XerusHttpError) and 500 <= err.status < 600) or (
        # An internal error of the whole performBulk may be the device running out of memory.
        isinstance(err, XerusRpcError) and err.code == RPC_ERR_INTERNAL
    )
    return Rejection.MAYBE_TRANSIENT if maybe else None


class BulkSizeLimit:
    """The largest number of sub-requests per HTTP request the device is known to accept.

    ``value`` is ``None`` while no limit is known (every bulk goes out as one request), else the
    smaller of the configured ``cap`` and what was learned. The sender reports each send
    (:meth:`begin`/:meth:`end`) and what happened in it; this object alone decides:

    * HTTP 413: the limit drops at once to the largest size that then worked;
    * other size rejections (5xx, a lost connection, an answer with only the first calls): only
      when the sends of two polls in a row had one; a full-size bulk accepted in between makes
      the earlier one a blip;
    * after :data:`GROW_AFTER` accepted bulks at the limit, twice the size is tried; if that is
      rejected, the limit goes back at once and the next try waits twice as long (at most
      :data:`MAX_GROW_AFTER` bulks: a real limit costs one rejected request in that many).
    """

    #: Sends in a row with a (not definitive) size rejection before the limit drops.
    STRIKES: Final = 2
    #: Bulks accepted at the limit before a larger size is tried (doubles after a failed try).
    GROW_AFTER: Final = 16
    MAX_GROW_AFTER: Final = 64

    def __init__(self, value: int | None = None) -> None:
        self.cap = value
        self.learned: int | None = None
        self._strikes = 0
        self._strike_size = 0  # the smallest size rejected in the sends of the strikes
        self._grow_after = self.GROW_AFTER
        self._at_limit = 0
        self._fallback: int | None = None  # the limit before a larger size was tried
        self._largest = 0  # the largest bulk ever sent
        self._reset_send()

    def _reset_send(self) -> None:
        self._rejected: int | None = None  # smallest size rejected in this send
        self._definitive = False
        self._worked = 0  # largest size accepted after a rejection in this send

    @property
    def value(self) -> int | None:
        if self.cap is None:
            return self.learned
        if self.learned is None:
            return self.cap
        return min(self.cap, self.learned)

    @value.setter
    def value(self, value: int | None) -> None:
        """Set the cap (``XerusClient.max_bulk_size``); forgets what was learned."""
        self.cap = value
        self.learned = None
        self._fallback = None
        self._strikes = 0

    def begin(self, size: int) -> None:
        """A send of ``size`` sub-requests starts."""
        self._reset_send()
        self._largest = max(self._largest, size)

    def rejected(self, size: int, rejection: Rejection) -> None:
        """A bulk of ``size`` was rejected (it is split or retried next)."""
        if self._fallback is not None and size > self._fallback:
            # The larger size that was tried does not work: back at once, try later again.
            self._set(self._fallback, f"a bulk of {size} was rejected again")
            self._fallback = None
            self._grow_after = min(self._grow_after * 2, self.MAX_GROW_AFTER)
            return
        self._rejected = size if self._rejected is None else min(self._rejected, size)
        self._definitive = self._definitive or rejection is Rejection.TOO_LARGE

    def accepted(self, size: int, *, after_split: bool) -> None:
        """A bulk of ``size`` was answered in full (``after_split``: after a rejection)."""
        if after_split:
            self._worked = max(self._worked, size)
            return
        if self._rejected is not None and size >= self._rejected:
            # The same size again worked (a retry): that rejection was a blip.
            self._rejected = None
            self._definitive = False
        if self._strikes and size >= self._strike_size:
            self._strikes = 0  # as large as the one rejected before: that was a blip
        if self._fallback is not None and size > self._fallback:
            self._fallback = None  # the larger size works
            self._grow_after = self.GROW_AFTER
        if self.learned is not None and size >= self.learned:
            self._at_limit += 1

    def answered_partially(self, answered: int, size: int) -> None:
        """The device answered only the first ``answered`` of ``size`` calls."""
        self.rejected(size, Rejection.MAYBE_TRANSIENT)
        self._worked = max(self._worked, answered)

    def end(self) -> None:
        """The send is over (answered or failed): decide about the limit."""
        if self._rejected is not None:
            self._after_rejection()
        elif self.learned is not None and self._at_limit >= self._grow_after:
            self._grow()
        self._reset_send()

    def _after_rejection(self) -> None:
        rejected = self._rejected
        assert rejected is not None
        self._strike_size = rejected if not self._strikes else min(self._strike_size, rejected)
        self._strikes += 1
        if self._definitive or self._strikes >= self.STRIKES:
            size = self._worked or max(1, rejected // 2)
            if self.learned is None or size < self.learned:
                why = "HTTP 413" if self._definitive else f"{self._strikes} sends in a row"
                self._set(size, f"a bulk of {rejected} was rejected: {why}")
            self._strikes = 0

    def _grow(self) -> None:
        assert self.learned is not None
        self._fallback = self.learned
        larger = self.learned * 2
        if larger >= self._largest:
            self._set(None, "trying bulks of any size again")
        else:
            self._set(larger, "trying larger bulks")

    def _set(self, value: int | None, why: str) -> None:
        self.learned = value
        self._at_limit = 0
        limit = "no limit" if value is None else f"at most {value} sub-requests"
        _LOGGER.debug("bulk size: %s per request (%s)", limit, why)


# --- time policy ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkTiming:
    """What the client learned about the device's speed (``XerusClient.timing``)."""

    #: Seconds per sub-request (a conservative guess until ``samples`` > 0).
    per_call_s: float
    #: Seconds per HTTP request besides its sub-requests (latency, TLS, the device's own).
    overhead_s: float
    #: Answered bulks the model was fitted from.
    samples: int
    #: Bulks that timed out (each taught a lower bound of the time per sub-request).
    timeouts: int

    def expected(self, size: int) -> float:
        """Seconds the device is expected to need for a bulk of ``size`` sub-requests."""
        return self.overhead_s + self.per_call_s * size


@dataclass(slots=True)
class _Attempt:
    """One HTTP request of a bulk in flight."""

    size: int
    timeout: float
    #: Expected seconds of device work queued ahead of it (our other requests, a backlog).
    queued: float
    started: float


class BulkTimeBudget:
    """How long one bulk may take, learned from how long the device takes.

    ``expected(n) = overhead + per_call * n``; the budget of a request is ``MARGIN`` times that
    (at least ``floor``, the configured request timeout; at most ``ceiling``), plus the expected
    time of work queued ahead of it on the device (a device handles one request at a time: our
    other requests in flight, a bulk it is still working on after a timeout). A bulk expected to
    need more than the ceiling allows is split (:meth:`max_size`).

    The model: a conservative start (:data:`INITIAL_PER_CALL`: a slow device), then each
    answered bulk that had the device to itself is a sample. Small bulks (at most
    :data:`SMALL_BULK`) move the overhead (by :data:`FORGET`); the time per sub-request is the
    ratio of the summed times to the summed sizes of the larger ones (their overhead included: a
    slight overestimate, the safe side), so a bulk counts by its size: a 2,000-call poll
    outweighs a 12-call round. The sums are multiplied by :data:`DECAY` at each sample (slowly
    forgetting), and a sample's time is clipped to half .. twice what the estimate expects (a
    loaded client or one odd bulk moves it little; a device that really got slower is followed
    within a few bulks, or at once by a timeout). A timeout is evidence that the
    device needed more than ``(timeout - queued) / n`` per sub-request.
    """

    INITIAL_PER_CALL: Final = 0.025
    INITIAL_OVERHEAD: Final = 0.2
    #: Never budget less than this per sub-request (real units need 4-10 ms).
    MIN_PER_CALL: Final = 0.002
    MARGIN: Final = 1.5
    CEILING: Final = 90.0
    #: Weight of a new overhead sample.
    FORGET: Final = 0.3
    #: What is left of the earlier samples' weight at each new one.
    DECAY: Final = 0.8
    #: A timeout implying more than this per sub-request says nothing about speed (hung device).
    MAX_PLAUSIBLE_PER_CALL: Final = 1.0
    #: After a timeout, the one retry allows for a device this many times slower than the
    #: evidence (the abandoned bulk queued ahead of the retry included).
    RETRY_GROWTH: Final = 2.0

    def __init__(self, timeout: float, *, ceiling: float = CEILING) -> None:
        self.floor = timeout
        self.ceiling = max(ceiling, timeout)
        self._per_call = self.INITIAL_PER_CALL
        self._overhead = self.INITIAL_OVERHEAD
        self._samples = 0
        self._timeouts = 0
        self._sum_seconds = 0.0  # decayed sums of the samples' times and sizes
        self._sum_calls = 0.0
        self._inflight: dict[int, float] = {}
        self._backlog = 0.0
        self._tokens = itertools.count()
        self._logged = (0.0, 0.0)

    @property
    def timeout(self) -> float:
        """The configured request timeout (the floor of every budget)."""
        return self.floor

    @property
    def timing(self) -> BulkTiming:
        return BulkTiming(self._per_call, self._overhead, self._samples, self._timeouts)

    def expected(self, size: int) -> float:
        """Seconds the device is expected to need for ``size`` sub-requests."""
        return self._overhead + max(self._per_call, self.MIN_PER_CALL) * size

    def own_budget(self, size: int) -> float:
        """The budget of a bulk of ``size`` with nothing queued ahead of it."""
        return min(self.ceiling, max(self.floor, self.MARGIN * self.expected(size)))

    def timeout_for(self, size: int) -> float:
        """The timeout of one HTTP request carrying ``size`` sub-requests, sent now."""
        return self.own_budget(size) + self.MARGIN * self._queued()

    def call_timeout(self) -> float:
        """The timeout of a single call sent now: the request timeout, plus our queued work."""
        return self.floor + self.MARGIN * self._queued()

    def max_size(self) -> int:
        """The largest bulk whose expected time fits under the ceiling (split larger ones)."""
        per_call = max(self._per_call, self.MIN_PER_CALL)
        return max(SMALL_BULK, int((self.ceiling / self.MARGIN - self._overhead) / per_call))

    def _queued(self) -> float:
        return sum(self._inflight.values()) + self._backlog

    def begin(self, size: int, wait_s: float | None = None) -> tuple[int, _Attempt]:
        """A request of ``size`` goes out now; ``wait_s``: its timeout (else the budget's)."""
        queued = self._queued()
        attempt = _Attempt(
            size,
            self.timeout_for(size) if wait_s is None else wait_s,
            queued,
            time.monotonic(),
        )
        self._backlog = 0.0
        token = next(self._tokens)
        self._inflight[token] = self.expected(size)
        return token, attempt

    def answered(self, token: int, attempt: _Attempt) -> None:
        """The request was answered: a sample, if it had the device to itself."""
        self._inflight.pop(token, None)
        if attempt.queued == 0.0:
            self._observe(attempt.size, time.monotonic() - attempt.started)

    def failed(self, token: int) -> None:
        """The request failed otherwise (no answer to learn from)."""
        self._inflight.pop(token, None)

    def timed_out(self, token: int, attempt: _Attempt) -> float | None:
        """Learn from a timeout; the timeout for one retry of the same size, or ``None``.

        ``None``: the timeout says nothing about the device's speed (a small bulk, or one that
        had far more time than any plausible device needs): retrying would only wait again.
        """
        self._inflight.pop(token, None)
        self._timeouts += 1
        size = attempt.size
        if size <= SMALL_BULK:
            return None
        needed = (attempt.timeout - attempt.queued) / size
        if needed <= 0 or needed > self.MAX_PLAUSIBLE_PER_CALL:
            return None
        if needed > self._per_call:
            # The samples so far said faster: they count as if they had said this.
            self._sum_seconds = needed * self._sum_calls
            self._set(needed, self._overhead, f"a bulk of {size} took over {attempt.timeout:.1f} s")
        # The device is still busy with the abandoned bulk; the retry queues behind it.
        slow = self._overhead + self.RETRY_GROWTH * needed * size
        self._backlog = max(0.0, slow - attempt.timeout)
        return self.MARGIN * (slow + self._backlog)

    def _observe(self, size: int, seconds: float) -> None:
        """An answered bulk of ``size`` that had the device to itself took ``seconds``."""
        if size <= SMALL_BULK:
            overhead = self._overhead + self.FORGET * (seconds - self._overhead)
            self._set(self._per_call, overhead, None)
            return
        if self._samples:
            expected = max(self._per_call, self.MIN_PER_CALL) * size
            seconds = min(max(seconds, expected / 2), expected * 2)
        self._sum_seconds = self.DECAY * self._sum_seconds + seconds
        self._sum_calls = self.DECAY * self._sum_calls + size
        self._samples += 1
        self._set(self._sum_seconds / self._sum_calls, self._overhead, None)

    def _set(self, per_call: float, overhead: float, why: str | None) -> None:
        self._per_call, self._overhead = per_call, overhead
        logged_call, logged_overhead = self._logged
        changed = abs(per_call - logged_call) > 0.25 * max(logged_call, 0.001) or abs(
            overhead - logged_overhead
        ) > 0.25 * max(logged_overhead, 0.01)
        if why is not None or changed:
            self._logged = (per_call, overhead)
            _LOGGER.debug(
                "device timing: %.1f ms per sub-request + %.0f ms per request (%s)",
                per_call * 1000,
                overhead * 1000,
                why or f"{self._samples} answered bulks",
            )


# --- answer placement -------------------------------------------------------------------------


def answered_prefix(responses: list[Any], lo: int, hi: int) -> int | None:
    """Number of calls answered if the device answered only the first ones, else ``None``."""
    count = len(responses)
    if count == 0 or count >= hi - lo:
        return None
    for pos, resp in enumerate(responses):
        if sub_response_id(resp) != lo + pos:
            return None
    return count


_JSON = itemgetter("json")
_ID = itemgetter("id")


def _place_in_order(responses: list[Any], lo: int, out: list[Any]) -> bool:
    """Fast path: one answer per call, in order (ids absent or matching)."""
    try:
        # Every answer carries its id (what a device does): compared in C.
        if list(map(_ID, map(_JSON, responses))) == list(range(lo, lo + len(responses))):
            out[lo : lo + len(responses)] = responses
            return True
    except (KeyError, TypeError):
        pass
    for pos, resp in enumerate(responses, lo):
        # Indexing, not ``.get``: this runs for every sub-request of every poll.
        try:
            sub_id = resp["json"]["id"]
        except (KeyError, TypeError):  # no id, or no JSON-RPC object to carry one
            sub_id = None
        if sub_id != pos and sub_id is not None:
            return False
        out[pos] = resp
    return True


def _place_disputed(responses: list[Any], lo: int, out: list[Any]) -> None:
    """One answer per call, but some carry another call's id: position and id disagree, so
    neither can be trusted for those (the device answers in request order, reference 2.1;
    trusting the id would show a neighbour's reading as this one's)."""
    for pos, resp in enumerate(responses):
        sub_id = sub_response_id(resp)
        if sub_id is None or sub_id == lo + pos:
            out[lo + pos] = resp
        else:
            out[lo + pos] = XerusProtocolError("the bulk response answers this call out of order")


def _place_by_id(responses: list[Any], lo: int, hi: int, out: list[Any]) -> None:
    """Slow path (count mismatch): match answers by sub-request id."""
    size = hi - lo
    by_id: dict[int, list[Any]] = {}
    for resp in responses:
        sub_id = sub_response_id(resp)
        if type(sub_id) is int and lo <= sub_id < hi:
            by_id.setdefault(sub_id, []).append(resp)
    for idx in range(lo, hi):
        found = by_id.get(idx)
        if found is None:
            out[idx] = XerusProtocolError("the bulk response has no answer for this call")
        elif len(found) > 1:
            out[idx] = XerusProtocolError("the bulk response answers this call twice")
        else:
            out[idx] = found[0]
    if len(responses) > size:
        _LOGGER.debug("%d extra bulk responses", len(responses) - size)


def place(responses: list[Any], lo: int, hi: int, out: list[Any]) -> None:
    """Put the answers to calls ``lo..hi`` into ``out[lo:hi]`` (an error where one is missing)."""
    if len(responses) == hi - lo:
        if not _place_in_order(responses, lo, out):
            _place_disputed(responses, lo, out)
        return
    _place_by_id(responses, lo, hi, out)


# --- sender -----------------------------------------------------------------------------------


class SendReport:
    """What happened to one :meth:`BulkSender.send` (``resent``: part of it was sent again
    after a timeout or a failure, so the device may have carried out those sub-requests twice:
    a drained event channel may have lost the events of the abandoned attempt)."""

    __slots__ = ("resent",)

    def __init__(self) -> None:
        self.resent = False


class _Send:
    """What one :meth:`BulkSender.send` may still do."""

    __slots__ = ("idempotent", "report", "timeout_retries")

    def __init__(self, idempotent: bool, report: SendReport | None = None) -> None:
        self.idempotent = idempotent
        self.report = report or SendReport()
        #: Timeouts that may still be retried (bounded: a dead device fails in bounded time).
        self.timeout_retries = 1 if idempotent else 0


class BulkSender:
    """Sends pre-serialized sub-requests (ids = their index) in as few HTTP requests as allowed."""

    def __init__(
        self,
        exchange: BulkExchange,
        limit: BulkSizeLimit | None = None,
        budget: BulkTimeBudget | None = None,
    ) -> None:
        self._exchange = exchange
        self.limit = limit or BulkSizeLimit()
        self.budget = budget or BulkTimeBudget(10.0)

    async def send(
        self,
        fragments: Sequence[str],
        *,
        idempotent: bool = True,
        report: SendReport | None = None,
    ) -> list[Any]:
        """The raw sub-responses, aligned with ``fragments``.

        Each item is the ``{"json": ..., "statcode": ...}`` object, :data:`MISSING` or a
        ``XerusError`` (duplicate/missing answer). A failure of the whole request raises.
        ``idempotent=False`` (commands): sent exactly once (no retry after a timeout, a lost
        connection or a 5xx; never split). ``report``: told whether anything was sent again.
        """
        out: list[Any] = [MISSING] * len(fragments)
        if not fragments:
            return out
        self.limit.begin(len(fragments))
        try:
            state = _Send(idempotent, report)
            await self._send(fragments, 0, len(fragments), out, state, half=False)
        finally:
            self.limit.end()
        return out

    def _chunk(self, state: _Send) -> int | None:
        """The largest bulk to send now: the size limit, and what fits under the time ceiling."""
        if not state.idempotent:
            return None
        by_time = self.budget.max_size()
        limit = self.limit.value
        return by_time if limit is None else min(limit, by_time)

    async def _send(
        self,
        fragments: Sequence[str],
        lo: int,
        hi: int,
        out: list[Any],
        state: _Send,
        *,
        half: bool,
        wait_s: float | None = None,
    ) -> None:
        """Send ``fragments[lo:hi]``; on a size rejection split in halves (recursively).

        ``half``: this chunk is a half of a rejected bulk (it is not retried at the same size).
        """
        size = hi - lo
        chunk = self._chunk(state)
        if chunk is not None and size > chunk:
            for start in range(lo, hi, chunk):
                end = min(start + chunk, hi)
                await self._send(fragments, start, end, out, state, half=half)
            return
        responses = await self._post_or_none(fragments, lo, hi, state, half=half, wait_s=wait_s)
        if responses is None:
            mid = lo + size // 2
            await self._send(fragments, lo, mid, out, state, half=True)
            await self._send(fragments, mid, hi, out, state, half=True)
            return
        answered = answered_prefix(responses, lo, hi)
        if answered is not None:
            # The device stopped early (performBulkTimeout semantics): keep the answers and
            # send the rest again.
            _LOGGER.debug("the device answered %d of %d bulk calls", answered, size)
            place(responses, lo, lo + answered, out)
            self.limit.answered_partially(answered, size)
            await self._send(fragments, lo + answered, hi, out, state, half=True)
            return
        self.limit.accepted(size, after_split=half)
        place(responses, lo, hi, out)

    async def _post_or_none(
        self,
        fragments: Sequence[str],
        lo: int,
        hi: int,
        state: _Send,
        *,
        half: bool,
        wait_s: float | None,
    ) -> list[Any] | None:
        """The sub-responses, or ``None`` when the bulk must be split; other failures raise.

        A possibly transient rejection is retried once at the same size (not for a half); a
        timeout is retried once per send with a budget learned from it (or split).
        """
        size = hi - lo
        retry = not half and state.idempotent
        while True:
            try:
                return await self._post(fragments, lo, hi, state, wait_s)
            except _TimedOut as err:
                wait_s = self._after_timeout(err, size, state)
                if wait_s is None:
                    raise err.error from err.error.__cause__
                if wait_s > self.budget.ceiling and size > SMALL_BULK:
                    return None  # split: the halves get their own budgets
            except XerusError as err:
                rejection = classify_rejection(err, size) if state.idempotent else None
                if rejection is None:
                    raise
                self.limit.rejected(size, rejection)
                if not (retry and rejection is Rejection.MAYBE_TRANSIENT):
                    _LOGGER.debug("a bulk of %d was rejected (%s), splitting", size, err)
                    return None
                retry = False
                state.report.resent = True
                _LOGGER.debug("a bulk of %d failed (%s), retrying", size, err)
                wait_s = None

    def _after_timeout(self, err: _TimedOut, size: int, state: _Send) -> float | None:
        retry_timeout = self.budget.timed_out(err.token, err.attempt)
        if retry_timeout is None or state.timeout_retries <= 0:
            return None
        state.timeout_retries -= 1
        state.report.resent = True
        _LOGGER.debug(
            "a bulk of %d did not finish within %.1f s, sending it again (%.1f s)",
            size,
            err.attempt.timeout,
            retry_timeout,
        )
        return retry_timeout

    async def _post(
        self, fragments: Sequence[str], lo: int, hi: int, state: _Send, wait_s: float | None
    ) -> list[Any]:
        """One HTTP request; ``wait_s``: its timeout if given (else the budget's)."""
        size = hi - lo
        request_id = self._exchange.next_id()
        body = encode_bulk(fragments[lo:hi], request_id)
        token, attempt = self.budget.begin(size, wait_s)
        try:
            result = await self._exchange.exchange(
                RID_BULK, body, request_id, attempt.timeout, idempotent=state.idempotent
            )
        except XerusTimeoutError as err:
            raise _TimedOut(err, token, attempt) from err
        except BaseException:
            self.budget.failed(token)
            raise
        self.budget.answered(token, attempt)
        return bulk_responses(result)


class _TimedOut(Exception):  # an internal signal, it never leaves this module
    """A bulk's request timed out (carries what the budget needs to learn from it)."""

    def __init__(self, error: XerusTimeoutError, token: int, attempt: _Attempt) -> None:
        super().__init__(str(error))
        self.error = error
        self.token = token
        self.attempt = attempt


__all__ = [
    "SMALL_BULK",
    "BulkExchange",
    "BulkSender",
    "BulkSizeLimit",
    "BulkTimeBudget",
    "BulkTiming",
    "Rejection",
    "SendReport",
    "answered_prefix",
    "classify_rejection",
    "place",
]
