"""``XerusClient``: the facade of the library (calls, bulks, discovery, polls, commands).

The work is done elsewhere: :mod:`.transport` (one authenticated HTTP POST), :mod:`.rpc` (the
JSON-RPC envelope), :mod:`.bulk` (adaptive ``/bulk`` splitting), :mod:`.discovery` and
:mod:`.plan` (what a poll reads and how its answer is decoded).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, Literal, overload

import aiohttp

from .bulk import BulkSender, BulkSizeLimit, BulkTimeBudget, BulkTiming, SendReport
from .check import TopologyCheck
from .const import RID_CASCADE, RID_UNIT, PowerState, pdu_rid
from .discovery import discover_topology
from .discovery.rounds import Round
from .events import EventBatch, EventChannel, event_service_rid
from .exceptions import (
    XerusConnectionLostError,
    XerusDeviceError,
    XerusError,
    XerusOutcomeUnknownError,
    XerusProtocolError,
    XerusTimeoutError,
)
from .feeds import event_answer
from .models import (
    CascadeStatus,
    OutletInfo,
    OutletState,
    PduIdentity,
    PeripheralInfo,
    Readings,
    SensorInfo,
    SensorKind,
    StateReading,
    Thresholds,
    Topology,
)
from .plan import PollResult, ReadingPlan
from .power import PowerCommands, check_return
from .privileges import METHOD_PRIVILEGES, RID_CURRENT_USER, Privileges
from .rpc import (
    BulkCall,
    BulkResult,
    decode_sub_response,
    encode_calls,
    encode_sub_request,
    unwrap_result,
)
from .transport import Transport

_LOGGER = logging.getLogger(__name__)


def _answer_lost(err: XerusError) -> bool:
    """The request may have been carried out, but its answer did not arrive (intact)."""
    if isinstance(err, XerusTimeoutError | XerusConnectionLostError):
        return True
    return isinstance(err, XerusProtocolError) and err.answered


def _cascade_status(response: object) -> CascadeStatus | XerusError:
    """The ``/cascade getStatus`` sub-response of a poll, or what went wrong with it."""
    result = decode_sub_response(response)
    if isinstance(result, XerusError):
        return result
    status = result.get("_ret_") if isinstance(result, dict) else None
    if not isinstance(status, dict):
        return XerusProtocolError("malformed answer of /cascade getStatus")
    return CascadeStatus.from_json(status)


class XerusClient(PowerCommands):
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
        self._privileges: Privileges | None = None
        #: The check of the topology checked last (it remembers the answers that matched).
        self._checker: TopologyCheck | None = None

    # ----------------------------------------------------------------------------- properties

    @property
    def host(self) -> str:
        return self._transport.host

    @property
    def privileges(self) -> Privileges:
        """The account's privileges (:mod:`.privileges`), read with every discovery and with the
        first ``poll(check=)`` of this client; unknown (allowing everything) until then, or when
        the device did not tell them. A failed read keeps what an earlier one found."""
        return self._privileges or Privileges.unknown("not read yet")

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
        """One JSON-RPC call; returns ``result._ret_`` (or the whole result with out-params).

        Its timeout counts the bulks of this client the device is still working on.
        """
        timeout = self._bulk.budget.call_timeout()
        return unwrap_result(await self._transport.call(rid, method, params, timeout=timeout))

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
        """Discover the primary unit and every link unit with status OK (fixed number of bulks);
        the account's privileges (:attr:`privileges`) ride along in the first."""

        def read_privileges(rnd: Round) -> None:
            rnd.add(RID_CURRENT_USER, METHOD_PRIVILEGES, self._set_privileges)

        return await discover_topology(self, self._warned, read_privileges)

    def _set_privileges(self, value: Any) -> None:
        privileges = Privileges.from_result(value)
        if privileges.known or self._privileges is None:
            self._privileges = privileges

    async def read_sensor_metadata(self, topology: Topology) -> Topology:
        """The topology with every numeric sensor's own metadata (ONE bulk).

        Discovery takes type specs and digits from the field catalogue and the peripheral type
        defaults; this reads ``getMetaData`` of every numeric sensor (decdigits, range,
        resolution as this device reports them: ``SensorInfo.device_metadata``). Meant to run
        once, in the background, with the result kept in storage (``Topology.to_json``). A
        sensor whose call fails keeps what it had. It is one long request (about as long as a
        poll of every sensor): polls wait behind it on the device.
        """
        sensors = {
            sensor.rid: sensor
            for unit in topology.units
            for sensor in unit.iter_sensors()
            if sensor.kind is not SensorKind.STATE
        }
        results = await self.bulk([BulkCall(rid, "getMetaData") for rid in sensors])
        read = {
            rid: sensor.with_numeric_metadata(result.value)
            for (rid, sensor), result in zip(sensors.items(), results, strict=True)
            if result.ok
        }
        _LOGGER.debug("read the metadata of %d of %d sensors", len(read), len(sensors))
        return topology.map_sensors(lambda info: read.get(info.rid, info))

    @overload
    async def poll(  # type: ignore[overload-overlap]  # channels=(): no drains, Readings
        self,
        plan: ReadingPlan,
        *,
        with_cascade: Literal[False] = False,
        check: None = None,
        channels: tuple[()] = (),
    ) -> Readings: ...

    @overload
    async def poll(
        self,
        plan: ReadingPlan,
        *,
        with_cascade: bool = False,
        check: Topology | None = None,
        channels: Sequence[str],
    ) -> PollResult: ...

    @overload
    async def poll(
        self,
        plan: ReadingPlan,
        *,
        with_cascade: bool = False,
        check: Topology,
        channels: Sequence[str] = (),
    ) -> PollResult: ...

    @overload
    async def poll(
        self,
        plan: ReadingPlan,
        *,
        with_cascade: Literal[True],
        check: Topology | None = None,
        channels: Sequence[str] = (),
    ) -> PollResult: ...

    async def poll(
        self,
        plan: ReadingPlan,
        *,
        with_cascade: bool = False,
        check: Topology | None = None,
        channels: Sequence[str] = (),
    ) -> Readings | PollResult:
        """Read ``plan`` with ONE HTTP request (unless the device rejected that bulk size).

        ``with_cascade``: the same request also reads ``/cascade getStatus``; the result is a
        :class:`PollResult` with the readings and the link unit status (or its error).
        ``check``: the same request also checks whether that (stored) topology still matches
        the device (:mod:`.check`, about 5 sub-requests per unit and one per external sensor):
        ``PollResult.changes`` / ``topology_changed``; the cascade status comes with it. The
        first check of a client also reads the account's :attr:`privileges`.
        ``channels``: event channels drained (``pollEventsNb``) at the end of the same request
        (:mod:`.feeds`): ``PollResult.events``, aligned with them.
        """
        if not with_cascade and check is None and not channels:
            return plan.decode(await self.bulk_raw(plan.fragments))
        checker = None
        if check is not None:
            checker = self._checker
            if checker is None or checker.topology is not check:
                checker = self._checker = TopologyCheck(check)
        extra = checker.fragments(len(plan)) if checker is not None else []
        if not extra and with_cascade:
            extra = [encode_sub_request(RID_CASCADE, "getStatus", len(plan))]
        drains = len(plan) + len(extra)
        extra += [
            encode_sub_request(rid, "pollEventsNb", drains + i) for i, rid in enumerate(channels)
        ]
        report = SendReport()
        raw = await self._bulk_with_privileges(
            [*plan.fragments, *extra],
            read=checker is not None and self._privileges is None,
            report=report,
        )
        readings = plan.decode(raw[: len(plan)])
        events = tuple(event_answer(BulkResult.from_sub_response(item)) for item in raw[drains:])
        if report.resent:
            # An abandoned attempt may have drained events nobody saw: these are not all.
            events = tuple(
                dataclasses.replace(e, more=True) if isinstance(e, EventBatch) else e
                for e in events
            )
        if drains == len(plan):
            return PollResult(readings, None, events=events)
        cascade = _cascade_status(raw[len(plan)])
        if checker is None:
            return PollResult(readings, cascade, events=events)
        results = [BulkResult.from_sub_response(item) for item in raw[len(plan) + 1 : drains]]
        changes = checker.changes(cascade, results)
        if changes:
            _LOGGER.debug("the topology changed: %s", "; ".join(changes))
        return PollResult(readings, cascade, changes, events)

    async def _bulk_with_privileges(
        self, fragments: list[str], *, read: bool, report: SendReport | None = None
    ) -> list[Any]:
        """``bulk_raw(fragments)``, with ``read`` the privileges as one more sub-request."""
        if read:
            fragments.append(
                encode_sub_request(RID_CURRENT_USER, METHOD_PRIVILEGES, len(fragments))
            )
        raw = await self._bulk.send(fragments, report=report)
        if not read:
            return raw
        *raw, answer = raw
        result = BulkResult.from_sub_response(answer)
        self._set_privileges(result.value if result.error is None else result.error)
        return raw

    # ------------------------------------------------------------------------------- commands

    async def _send_once(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        """Commands and their confirming reads in one bulk, sent exactly once (never retried,
        never split). A lost answer raises ``XerusOutcomeUnknownError`` (naming the first
        call's method): the device may have carried the commands out."""
        try:
            raw = await self._bulk.send(encode_calls(calls), idempotent=False)
        except XerusError as err:
            if not _answer_lost(err):
                raise
            method = calls[0].method
            raise XerusOutcomeUnknownError(
                f"the answer to {method} was lost ({err}): the device may have carried it out",
                method,
            ) from err
        return [BulkResult.from_sub_response(item) for item in raw]

    async def _command(
        self, rid: str, method: str, params: dict[str, Any] | None, read: str
    ) -> BulkResult:
        """The command and its confirming read in one bulk, sent exactly once.

        Returns the read's result (its ``error`` set if only the read failed: the command was
        carried out). Raises what made the command fail (``XerusDeviceError`` for a non-zero
        return code), or ``XerusOutcomeUnknownError`` when the answer was lost.
        """
        command, state = await self._send_once(
            [BulkCall(rid, method, params), BulkCall(rid, read)]
        )
        check_return(command, method)
        if state.error is not None:
            _LOGGER.debug(
                "%s %s was carried out; its confirming %s failed: %s",
                rid,
                method,
                read,
                state.error,
            )
        return state

    async def set_outlet_power(self, outlet: OutletInfo | str, on: bool = True) -> OutletState:
        """Switch an outlet; ``setPowerState`` and ``getState`` go out in the same bulk.

        Returns the outlet's state after the command; if only that read failed, the state the
        accepted command implies (available, ``power_state`` as commanded). Raises
        ``XerusOutcomeUnknownError`` when the answer was lost (re-read, do not repeat blindly).
        """
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        state = await self._command(rid, "setPowerState", {"pstate": 1 if on else 0}, "getState")
        if state.error is not None:
            return OutletState(True, PowerState.ON if on else PowerState.OFF)
        return OutletState.from_json(state.value)

    async def cycle_outlet(self, outlet: OutletInfo | str) -> OutletState:
        """Power-cycle an outlet; ``cyclePowerState`` and ``getState`` in the same bulk.

        If only the read failed: the state a started cycle implies (relay off,
        ``cycle_in_progress``). A lost answer raises ``XerusOutcomeUnknownError``: do not
        cycle again blindly, the outlet may already be cycling.
        """
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        state = await self._command(rid, "cyclePowerState", None, "getState")
        if state.error is not None:
            return OutletState(True, PowerState.OFF, cycle_in_progress=True)
        return OutletState.from_json(state.value)

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
        new_state = 1 if on else 0
        state = await self._command(rid, "setState", {"newState": new_state}, "getState")
        if state.error is not None:
            return StateReading(new_state, True)
        return StateReading.from_json(state.value)

    # ----------------------------------------------------------------------------- thresholds

    async def get_thresholds(self, sensor: SensorInfo | str) -> Thresholds:
        """A numeric sensor's thresholds (``NumericSensor.getThresholds``, one request)."""
        rid = sensor.rid if isinstance(sensor, SensorInfo) else sensor
        return Thresholds.from_json(await self.call(rid, "getThresholds"))

    async def set_thresholds(self, sensor: SensorInfo | str, thresh: dict[str, Any]) -> Thresholds:
        """Write a complete ``NumericSensor.Thresholds`` (e.g. ``Thresholds.with_level``);
        ``setThresholds`` and ``getThresholds`` go out in one bulk, sent once.

        The device checks the whole structure and stores all of it or nothing: a non-zero
        return code raises ``XerusDeviceError`` (1 out of range, 2 invalid: order or
        hysteresis, 3 not supported). Returns what the device reads back (if only that read
        failed: what was sent).
        """
        rid = sensor.rid if isinstance(sensor, SensorInfo) else sensor
        state = await self._command(rid, "setThresholds", {"thresh": thresh}, "getThresholds")
        if state.error is not None:
            return Thresholds.from_json(thresh)
        return Thresholds.from_json(state.value)

    # --------------------------------------------------------------------------------- events

    def event_channel(self, pdu_id: int = 0) -> EventChannel:
        """An event channel of the unit's event service (not opened yet: ``await
        channel.open()``). Its long-polls are requests of their own, with their own timeout,
        outside the bulk budget (they wait on the device without keeping it busy); they are
        counted in ``request_count`` like every request."""
        return EventChannel(self._transport, service=event_service_rid(pdu_id))

    async def identify(self, pdu_id: int = 0, seconds: int = 10) -> None:
        """Flash the unit's display (``/model/unit identify``; link units via ``/link/<id>``)."""
        rid = RID_UNIT if pdu_id in (0, 1) else f"/link/{pdu_id}{RID_UNIT}"
        await self.call(rid, "identify", {"seconds": seconds})


__all__ = ["BulkCall", "BulkResult", "XerusClient"]
