"""Sending ``/bulk`` requests: adaptive splitting and placing the answers.

Every bulk goes out as ONE HTTP request unless the device rejects its size; then
:class:`BulkSender` splits it in halves (recursively) and :class:`BulkSizeLimit` remembers what the
device accepted. How long a bulk may take is :class:`BulkTimeBudget`'s decision. Each policy is one
object with a few methods, so that changing one (a budget learned from the device's speed, a limit
that recovers) stays local to it; the sender only reports what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from enum import Enum, auto
from typing import Any, Final, Protocol

from .const import RID_BULK
from .exceptions import (
    XerusAuthenticationError,
    XerusConnectionError,
    XerusError,
    XerusHttpError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
    XerusTlsError,
)
from .rpc import MISSING, RPC_ERR_INTERNAL, bulk_responses, encode_bulk, sub_response_id

_LOGGER = logging.getLogger(__name__)

#: Bulks of at most this many sub-requests are not split when the connection breaks.
SMALL_BULK: Final = 8
#: Extra timeout per bulk sub-request (devices process sub-requests sequentially).
PER_SUBREQUEST_TIMEOUT: Final = 0.002


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
    ) -> Any:
        """POST ``body`` to ``rid`` and return the ``result`` of the response."""


# --- policies ---------------------------------------------------------------------------------


class Rejection(Enum):
    """How a failure of a whole bulk relates to its size."""

    #: Too large for the device (HTTP 413, a broken connection): split now.
    TOO_LARGE = auto()
    #: Perhaps too large, perhaps a hiccup (5xx, JSON-RPC internal error): retry once, then split.
    MAYBE_TRANSIENT = auto()


_NOT_SIZE_RELATED: Final = (
    XerusNotFoundError,
    XerusAuthenticationError,
    XerusPrivilegeError,
    XerusTimeoutError,
    XerusTlsError,
)


def classify_rejection(err: XerusError, size: int) -> Rejection | None:
    """Does this failure of a whole bulk of ``size`` suggest it was too large? ``None``: no."""
    if isinstance(err, _NOT_SIZE_RELATED):
        return None
    if isinstance(err, XerusHttpError):
        if err.status == 413:
            return Rejection.TOO_LARGE
        transient = 500 <= err.status < 600
    elif isinstance(err, XerusRpcError):
        # An internal error of the whole performBulk may be the device running out of memory.
        transient = err.code == RPC_ERR_INTERNAL and size > SMALL_BULK
    else:
        broken = isinstance(err, XerusConnectionError) and size > SMALL_BULK
        return Rejection.TOO_LARGE if broken else None
    return Rejection.MAYBE_TRANSIENT if transient else None


class BulkSizeLimit:
    """The largest number of sub-requests per HTTP request the device is known to accept.

    ``value`` is ``None`` while no limit is known (every bulk goes out as one request). The sender
    reports events; this object alone decides what they mean for the limit. Today: a half of a
    rejected bulk that works, or a device that answered only the first ``k`` calls, lowers the
    limit at once; it never grows back.
    """

    def __init__(self, value: int | None = None) -> None:
        self.value = value

    def rejected(self, size: int, rejection: Rejection) -> None:
        """A bulk of ``size`` was rejected (it is split or retried next; the limit stays)."""

    def accepted(self, size: int, *, after_split: bool) -> None:
        """A bulk of ``size`` was answered in full (``after_split``: half of a rejected one)."""
        if after_split and (self.value is None or size < self.value):
            _LOGGER.debug("using bulks of at most %d sub-requests", size)
            self.value = size

    def answered_partially(self, answered: int) -> None:
        """The device answered only the first ``answered`` calls (``performBulkTimeout``)."""
        self.value = min(answered, self.value or answered)


class BulkTimeBudget:
    """How long one bulk may take: the request timeout plus a fixed time per sub-request."""

    def __init__(self, timeout: float, per_subrequest: float = PER_SUBREQUEST_TIMEOUT) -> None:
        self.timeout = timeout
        self.per_subrequest = per_subrequest

    def timeout_for(self, size: int) -> float:
        """The timeout of one HTTP request carrying ``size`` sub-requests."""
        return self.timeout + size * self.per_subrequest

    def observe(self, size: int, seconds: float) -> None:
        """A bulk of ``size`` was answered in ``seconds`` (not used for the budget yet)."""


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


def _place_in_order(responses: list[Any], lo: int, out: list[Any]) -> bool:
    """Fast path: one answer per call, in order (ids absent or matching)."""
    for pos, resp in enumerate(responses):
        msg = resp.get("json") if type(resp) is dict else None
        sub_id = msg.get("id") if type(msg) is dict else None
        if sub_id != lo + pos and sub_id is not None:
            return False
        out[lo + pos] = resp
    return True


def _place_by_id(responses: list[Any], lo: int, hi: int, out: list[Any]) -> None:
    """Slow path (count or order mismatch): match answers by sub-request id."""
    size = hi - lo
    by_id: dict[int, list[Any]] = {}
    for pos, resp in enumerate(responses):
        sub_id = sub_response_id(resp)
        if sub_id is None and len(responses) == size:
            sub_id = lo + pos
        if isinstance(sub_id, int) and lo <= sub_id < hi:
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
    if len(responses) == hi - lo and _place_in_order(responses, lo, out):
        return
    _place_by_id(responses, lo, hi, out)


# --- sender -----------------------------------------------------------------------------------


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

    async def send(self, fragments: Sequence[str]) -> list[Any]:
        """The raw sub-responses, aligned with ``fragments``.

        Each item is the ``{"json": ..., "statcode": ...}`` object, :data:`MISSING` or a
        ``XerusError`` (duplicate/missing answer). A failure of the whole request raises.
        """
        out: list[Any] = [MISSING] * len(fragments)
        if fragments:
            await self._send(fragments, 0, len(fragments), out, half=False)
        return out

    async def _send(
        self, fragments: Sequence[str], lo: int, hi: int, out: list[Any], *, half: bool
    ) -> None:
        """Send ``fragments[lo:hi]``; on a size rejection split in halves (recursively).

        ``half``: this chunk is a half of a rejected bulk (it is not retried at the same size).
        """
        size = hi - lo
        limit = self.limit.value
        if limit is not None and size > limit:
            for start in range(lo, hi, limit):
                await self._send(fragments, start, min(start + limit, hi), out, half=False)
            return
        responses = await self._post_or_none(fragments, lo, hi, retry=not half)
        if responses is None:
            mid = lo + size // 2
            await self._send(fragments, lo, mid, out, half=True)
            await self._send(fragments, mid, hi, out, half=True)
            return
        answered = answered_prefix(responses, lo, hi)
        if answered is not None:
            # The device stopped early (performBulkTimeout semantics): keep the answers,
            # remember how many it managed and send the rest again.
            _LOGGER.debug("the device answered %d of %d bulk calls", answered, size)
            place(responses, lo, lo + answered, out)
            self.limit.answered_partially(answered)
            await self._send(fragments, lo + answered, hi, out, half=False)
            return
        self.limit.accepted(size, after_split=half)
        place(responses, lo, hi, out)

    async def _post_or_none(
        self, fragments: Sequence[str], lo: int, hi: int, *, retry: bool
    ) -> list[Any] | None:
        """The sub-responses, or ``None`` when the bulk must be split; other failures raise.

        A possibly transient rejection is retried once at the same size if ``retry``.
        """
        size = hi - lo
        while True:
            try:
                return await self._post(fragments, lo, hi)
            except XerusError as err:
                rejection = classify_rejection(err, size) if size > 1 else None
                if rejection is None:
                    raise
                self.limit.rejected(size, rejection)
                if not (retry and rejection is Rejection.MAYBE_TRANSIENT):
                    _LOGGER.debug("a bulk of %d was rejected (%s), splitting", size, err)
                    return None
                retry = False
                _LOGGER.debug("a bulk of %d failed (%s), retrying", size, err)

    async def _post(self, fragments: Sequence[str], lo: int, hi: int) -> list[Any]:
        size = hi - lo
        request_id = self._exchange.next_id()
        body = encode_bulk(fragments[lo:hi], request_id)
        started = time.monotonic()
        result = await self._exchange.exchange(
            RID_BULK, body, request_id, self.budget.timeout_for(size)
        )
        responses = bulk_responses(result)
        self.budget.observe(size, time.monotonic() - started)
        return responses


__all__ = [
    "PER_SUBREQUEST_TIMEOUT",
    "SMALL_BULK",
    "BulkExchange",
    "BulkSender",
    "BulkSizeLimit",
    "BulkTimeBudget",
    "Rejection",
    "answered_prefix",
    "classify_rejection",
    "place",
]
