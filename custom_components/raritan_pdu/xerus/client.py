"""``XerusClient``: the facade of the library (calls, bulks, discovery, polls, commands).

The work is done elsewhere: :mod:`.transport` (one authenticated HTTP POST), :mod:`.rpc` (the
JSON-RPC envelope), :mod:`.bulk` (adaptive ``/bulk`` splitting), :mod:`.discovery` and
:mod:`.plan` (what a poll reads and how its answer is decoded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, overload

import aiohttp

from .bulk import BulkSender, BulkSizeLimit, BulkTimeBudget, BulkTiming
from .const import RID_CASCADE, RID_UNIT, pdu_rid
from .discovery import discover_topology
from .exceptions import XerusDeviceError, XerusError, XerusProtocolError
from .models import (
    CascadeStatus,
    OutletInfo,
    OutletState,
    PduIdentity,
    PeripheralInfo,
    PollResult,
    Readings,
    SensorInfo,
    StateReading,
    Topology,
)
from .plan import ReadingPlan
from .rpc import (
    BulkCall,
    BulkResult,
    decode_sub_response,
    encode_calls,
    encode_sub_request,
    unwrap_result,
)
from .transport import Transport


def _cascade_status(response: object) -> CascadeStatus | XerusError:
    """The ``/cascade getStatus`` sub-response of a poll, or what went wrong with it."""
    result = decode_sub_response(response)
    if isinstance(result, XerusError):
        return result
    status = result.get("_ret_") if isinstance(result, dict) else None
    if not isinstance(status, dict):
        return XerusProtocolError("malformed answer of /cascade getStatus")
    return CascadeStatus.from_json(status)


class XerusClient:
    """Client of one Xerus device (the primary unit; link units are reached through it)."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        use_tls: bool = True,
        verify_tls: bool = True,
        fingerprint: str | None = None,
        username: str = "admin",
        password: str = "",
        session: aiohttp.ClientSession | None = None,
        use_session_token: bool = True,
        timeout: float = 10.0,
        max_bulk_size: int | None = None,
    ) -> None:
        self._transport = Transport(
            host,
            port,
            use_tls=use_tls,
            verify_tls=verify_tls,
            fingerprint=fingerprint,
            username=username,
            password=password,
            session=session,
            use_session_token=use_session_token,
            timeout=timeout,
        )
        self._bulk = BulkSender(
            self._transport, BulkSizeLimit(max_bulk_size), BulkTimeBudget(timeout)
        )
        #: Malformed objects already logged at warning level (once per client).
        self._warned: set[str] = set()

    # ----------------------------------------------------------------------------- properties

    @property
    def host(self) -> str:
        return self._transport.host

    @property
    def fingerprint(self) -> str | None:
        """The pinned certificate fingerprint (``"AB:CD:..."``), if any."""
        return self._transport.fingerprint

    @property
    def verify_tls(self) -> bool:
        return self._transport.verify_tls

    @property
    def timeout(self) -> float:
        """Timeout of one HTTP request (bulks get more per sub-request)."""
        return self._transport.timeout

    @property
    def use_session_token(self) -> bool:
        return self._transport.use_session_token

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session in use: the injected one, or the client's own once created."""
        return self._transport.session

    @property
    def base_url(self) -> str:
        """Scheme, host and port used for the next request (changes after a redirect)."""
        return self._transport.base_url

    @property
    def uses_session_token(self) -> bool:
        """True while requests are authenticated with a session token."""
        return self._transport.uses_session_token

    @property
    def session_token_disabled(self) -> bool:
        """True if this client fell back to (or was configured for) Basic auth only."""
        return self._transport.session_token_disabled

    @property
    def request_count(self) -> int:
        """Number of HTTP requests sent (diagnostics)."""
        return self._transport.request_count

    @property
    def max_bulk_size(self) -> int | None:
        """The bulk size the device accepted after rejecting a larger one (``None``: no limit)."""
        return self._bulk.limit.value

    @max_bulk_size.setter
    def max_bulk_size(self, value: int | None) -> None:
        self._bulk.limit.value = value

    @property
    def timing(self) -> BulkTiming:
        """What the client learned about the device's speed (diagnostics, benchmark).

        ``per_call_s`` (seconds per sub-request), ``overhead_s`` (per HTTP request),
        ``samples`` (answered bulks it was fitted from; 0: still the conservative guess),
        ``timeouts``; ``expected(n)`` is the time a bulk of ``n`` is expected to take.
        """
        return self._bulk.budget.timing

    # -------------------------------------------------------------------------------- session

    async def close(self) -> None:
        """Close the device session (``closeCurrentSession``) and an owned aiohttp session."""
        await self._transport.close()

    async def __aenter__(self) -> XerusClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---------------------------------------------------------------------------------- calls

    async def call(self, rid: str, method: str, params: dict[str, Any] | None = None) -> Any:
        """One JSON-RPC call; returns ``result._ret_`` (or the whole result with out-params)."""
        return unwrap_result(await self._transport.call(rid, method, params))

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        """Many calls in one ``/bulk`` request; per-call value or error, in call order."""
        raw = await self.bulk_raw(encode_calls(calls))
        return [BulkResult.from_sub_response(item) for item in raw]

    async def bulk_raw(self, fragments: Sequence[str]) -> list[Any]:
        """Send pre-serialized sub-requests (ids = their index) and return the raw sub-responses.

        Each item is the ``{"json": ..., "statcode": ...}`` object, :data:`rpc.MISSING` or a
        ``XerusError`` (duplicate/missing answers). Splits adaptively when the device rejects
        the size; otherwise exactly one HTTP request (or ``ceil(n / max_bulk_size)``).
        """
        return await self._bulk.send(fragments)

    # ------------------------------------------------------------------ identity / discovery

    async def get_identity(self) -> PduIdentity:
        """Identity of the unit this client talks to (``/model/pdu/0``) + cascade role (1 bulk)."""
        rid = pdu_rid(0)
        meta, settings, cascade = await self.bulk(
            [
                BulkCall(rid, "getMetaData"),
                BulkCall(rid, "getSettings"),
                BulkCall(RID_CASCADE, "getStatus"),
            ]
        )
        status = (
            CascadeStatus.from_json(cascade.value) if cascade.ok else CascadeStatus.standalone()
        )
        return PduIdentity.from_json(
            0,
            rid,
            meta.unwrap(),
            settings.value if settings.ok else None,
            role=status.role,
            primary_host=status.primary_host,
        )

    async def discover(self) -> Topology:
        """Discover the primary unit and every link unit with status OK (fixed number of bulks)."""
        return await discover_topology(self, self._warned)

    @overload
    async def poll(
        self, plan: ReadingPlan, *, with_cascade: Literal[False] = False
    ) -> Readings: ...

    @overload
    async def poll(self, plan: ReadingPlan, *, with_cascade: Literal[True]) -> PollResult: ...

    async def poll(self, plan: ReadingPlan, *, with_cascade: bool = False) -> Readings | PollResult:
        """Read ``plan`` with ONE HTTP request (unless the device rejected that bulk size).

        ``with_cascade``: the same request also reads ``/cascade getStatus``; the result is a
        :class:`PollResult` with the readings and the link unit status (or its error).
        """
        if not with_cascade:
            return plan.decode(await self.bulk_raw(plan.fragments))
        cascade = encode_sub_request(RID_CASCADE, "getStatus", len(plan))
        raw = await self.bulk_raw([*plan.fragments, cascade])
        return PollResult(plan.decode(raw[:-1]), _cascade_status(raw[-1]))

    # ------------------------------------------------------------------------------- commands

    async def _command(
        self, rid: str, method: str, params: dict[str, Any] | None, read: str
    ) -> Any:
        command, state = await self.bulk([BulkCall(rid, method, params), BulkCall(rid, read)])
        ret = command.unwrap()
        if isinstance(ret, int) and not isinstance(ret, bool) and ret != 0:
            raise XerusDeviceError(ret, method)
        return state.unwrap()

    async def set_outlet_power(self, outlet: OutletInfo | str, on: bool = True) -> OutletState:
        """Switch an outlet; ``setPowerState`` and ``getState`` go out in the same bulk."""
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        value = await self._command(rid, "setPowerState", {"pstate": 1 if on else 0}, "getState")
        return OutletState.from_json(value)

    async def cycle_outlet(self, outlet: OutletInfo | str) -> OutletState:
        """Power-cycle an outlet; ``cyclePowerState`` and ``getState`` in the same bulk."""
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        value = await self._command(rid, "cyclePowerState", None, "getState")
        return OutletState.from_json(value)

    async def set_actuator(
        self, actuator: PeripheralInfo | SensorInfo | str, on: bool = True
    ) -> StateReading:
        """Switch a peripheral actuator (``sensors.Switch.setState`` + ``getState``, one bulk)."""
        if isinstance(actuator, PeripheralInfo):
            if actuator.sensor is None:
                raise XerusDeviceError(2, "setState", "the peripheral slot has no device")
            rid = actuator.sensor.rid
        elif isinstance(actuator, SensorInfo):
            rid = actuator.rid
        else:
            rid = actuator
        value = await self._command(rid, "setState", {"newState": 1 if on else 0}, "getState")
        return StateReading.from_json(value)

    async def identify(self, pdu_id: int = 0, seconds: int = 10) -> None:
        """Flash the unit's display (``/model/unit identify``; link units via ``/link/<id>``)."""
        rid = RID_UNIT if pdu_id in (0, 1) else f"/link/{pdu_id}{RID_UNIT}"
        await self.call(rid, "identify", {"seconds": seconds})


__all__ = ["BulkCall", "BulkResult", "XerusClient"]
