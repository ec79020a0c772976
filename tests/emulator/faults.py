"""Fault injection: ``emu.faults.<method>(...)``; ``emu.faults.clear()`` resets every injected
fault.

This module has the transport faults and the device events; the malformed answers are in
``malformed.py``, redirects / auth / TLS / link-unit / firmware faults in ``reliability.py`` and
the random soak faults in ``chaos.py`` (all mixed into :class:`Faults`).

Pending failures (delays, HTTP errors, truncated/HTML bodies, failing calls, unreachable link units,
session lifetime, tripped breakers, disconnected peripherals) are undone by ``clear()``. Events that
change the device (``reboot``, ``change_password``, ``add_link_unit``/``remove_link_unit``,
``rename_outlet``, ``unplug_peripheral``, ``expire_sessions``) are things that happened and stay as
they are.

The same holds for the faults of the other modules: malformed answers, redirects, transient 401s,
slow answers, TLS resets, failing link units and random faults are pending (``clear()`` ends them);
``change_certificate``, ``swap_link_unit``, ``firmware_upgrade`` and ``reset_energy`` are events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .chaos import RandomFaults
from .malformed import AnswerFaults
from .reliability import ReliabilityFaults

if TYPE_CHECKING:
    from .model import RpcObject
    from .server import PduEmulator


@dataclass
class CallFailure:
    rid: str | None
    method: str | None
    statcode: int
    rpc_error: tuple[int, str] | None
    remaining: int | None  # None = forever

    def matches(self, emu: PduEmulator, rid: str, method: str, obj: RpcObject | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and method != self.method:
            return False
        if self.rid is None:
            return True
        if rid == self.rid:
            return True
        target = emu.try_resolve(self.rid)
        return target is not None and target is obj


class Faults(AnswerFaults, ReliabilityFaults, RandomFaults):
    """Fault injection for one emulator (also reachable from the CLI flags ``--fault-*``)."""

    def __init__(self, emu: PduEmulator) -> None:
        self._emu = emu
        self.clear()

    # --- transport faults ------------------------------------------------------------------------
    def delay_responses(
        self, seconds: float, count: int = 1, *, after_processing: bool = False
    ) -> None:
        """Delay the next ``count`` HTTP responses by ``seconds`` (client timeouts).

        By default the delay happens before the request is processed (outside the device lock), so
        a client that gives up sees nothing change. ``after_processing=True`` processes the
        request first and delays only the answer (the command took effect, the client timed out).
        Real clock: ``seconds`` of real time; manual clock: the answer is held until emulated time
        has moved ``seconds`` on (``emu.advance``).
        """
        self._delays.extend([(float(seconds), after_processing)] * count)

    def http_error(self, status: int = 500, count: int = 1) -> None:
        """Answer the next ``count`` POST requests with HTTP ``status`` (no JSON body, not
        processed)."""
        self._http_errors.extend([int(status)] * count)

    def drop_connection(self, count: int = 1, *, reset: bool = False) -> None:
        """Close the connection of the next ``count`` requests without any response (unprocessed).

        ``reset=True`` sends a TCP RST (ECONNRESET on the client) instead of a FIN (the client sees
        a server disconnect), like a device dropping an idle keep-alive connection."""
        self._drops.extend([reset] * count)

    def truncate_json(self, count: int = 1) -> None:
        """Process the next ``count`` requests normally but cut their JSON response body in half."""
        self._truncate += count

    def html_response(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with HTTP 200 and an HTML login page (not
        processed)."""
        self._html += count

    def fail_call(
        self,
        rid: str | None = None,
        method: str | None = None,
        *,
        statcode: int = 500,
        rpc_error: tuple[int, str] | None = None,
        count: int | None = None,
    ) -> None:
        """Make calls matching ``rid`` and/or ``method`` fail (bulk sub-requests and direct calls).

        ``rid`` matches the exact RID string or any RID resolving to the same object (well-known or
        opaque). Default: HTTP status ``statcode`` (in a bulk: that sub-request's ``statcode``, the
        others succeed). With ``rpc_error=(code, message)`` the call instead answers HTTP 200 /
        statcode
        200 with that JSON-RPC error object. ``count`` limits how many calls fail (None = until
        clear).
        """
        self._call_failures.append(CallFailure(rid, method, statcode, rpc_error, count))

    fail_subrequest = fail_call

    def link_unreachable(self, link_id: int, unreachable: bool = True) -> None:
        """Make link unit ``link_id`` unreachable: /cascade reports status UNREACHABLE (2) for it
        and
        every call routed to it (``/model/pdu/<id>...``, ``/link/<id>/...`` or its opaque RIDs)
        answers
        HTTP 503 (in a bulk: statcode 503)."""
        self._emu.unit(link_id).unreachable = unreachable

    # --- sessions / credentials ------------------------------------------------------------------
    def expire_sessions(self) -> None:
        """Invalidate every session token now (next token request gets HTTP 401); their event
        channels die with them."""
        self._emu.sessions.clear()
        self._emu.events.prune()

    def session_expiry(self, seconds: float | None) -> None:
        """Sessions die ``seconds`` after creation regardless of activity (None = only idle
        timeout)."""
        self.session_lifetime = seconds

    def change_password(self, password: str, username: str | None = None) -> None:
        """Change a user's password (default: the admin ``config.username``); old sessions stay
        valid."""
        self._emu.accounts.set_password(username or self._emu.config.username, password)

    # --- device events ---------------------------------------------------------------------------
    def reboot(self) -> None:
        """Reboot the device: every opaque RID changes (boot counter in the instance names, old ones
        answer 404), all sessions are dropped, uptime restarts; well-known RIDs keep working, outlet
        states and energy counters continue."""
        self._emu.reboot()

    def add_link_unit(self, link_id: int | None = None, **unit_options: Any) -> int:
        """Add a link unit at runtime (first free id 2..8 if None); returns its id.

        ``unit_options``: ``outlets``, ``peripherals``, ``phases``."""
        return self._emu.add_link_unit(link_id, **unit_options)

    def remove_link_unit(self, link_id: int) -> None:
        """Remove a link unit at runtime (its RIDs answer 404, /cascade no longer lists it)."""
        self._emu.remove_link_unit(link_id)

    def power_loss(self, duration: float | None, units: Iterable[int] | None = None) -> None:
        """Mains failure of units ``units`` (default: all) for ``duration`` s of emulated time
        (None: until ``emu.power.restore()``). The primary without power answers nothing (every
        request: connection reset); a link unit without power is UNREACHABLE (503). Relays drop,
        readings go to 0 and energy stops growing (counters survive). When power returns the
        primary cold-boots (opaque RIDs change, sessions are gone, uptime restarts) and after
        ``Pdu.Settings.powerOnDelay`` s the outlets come on by their ``startupState`` (PDU
        default / on / off / last known), one after the other as a switching sequence."""
        self._emu.power.lose(duration, units)

    def rename_outlet(self, outlet: int, name: str, unit: int = 0) -> None:
        """Set Outlet.Settings.name of outlet ``outlet`` (0-based) on unit ``unit``."""
        self._emu.unit(unit).outlet(outlet).name = name

    def trip_breaker(self, ocp: int = 0, unit: int = 0, tripped: bool = True) -> None:
        """Trip (or re-close) breaker ``ocp``: trip sensor 0 = OPEN, its outlets read 0 V / 0 W."""
        self._emu.unit(unit).ocp(ocp).tripped = tripped
        if tripped:
            self._tripped.append((unit, ocp))

    def disconnect_peripheral(self, index: int = 0, unit: int = 0, connected: bool = False) -> None:
        """Disconnect peripheral ``index``: readings become available=false / valid=false."""
        self._emu.unit(unit).peripheral(index).connected = connected
        if not connected:
            self._disconnected.append((unit, index))

    def unplug_peripheral(self, index: int, unit: int = 0) -> None:
        """Pull the sensor package of peripheral ``index`` from its port: every slot holding one
        of its channels (same serial) becomes unassigned (``getDevice`` → null). Plug it back in
        with ``emu.unit(unit).slot(s).peripheral = emu.unit(unit).peripheral(s)``."""
        serial = self._emu.unit(unit).peripheral(index).serial
        for slot in self._emu.unit(unit).slots:
            if slot.peripheral is not None and slot.peripheral.serial == serial:
                slot.peripheral = None

    # --- housekeeping ----------------------------------------------------------------------------
    def clear(self) -> None:
        """Reset all pending/persistent faults (see module docstring for what is not undone)."""
        self._delays: list[tuple[float, bool]] = []
        self._http_errors: list[int] = []
        self._drops: list[bool] = []
        self._truncate = 0
        self._html = 0
        self._call_failures: list[CallFailure] = []
        self.session_lifetime: float | None = None
        emu = self._emu
        for u in getattr(emu, "units", []):
            u.unreachable = False
        for unit_id, ocp in getattr(self, "_tripped", []):
            if unit_id in emu.unit_ids():
                emu.unit(unit_id).ocp(ocp).tripped = False
        for unit_id, idx in getattr(self, "_disconnected", []):
            if unit_id in emu.unit_ids():
                emu.unit(unit_id).peripheral(idx).connected = True
        self._tripped: list[tuple[int, int]] = []
        self._disconnected: list[tuple[int, int]] = []
        self._clear_answers()
        self._clear_reliability()
        self._clear_random()

    # --- used by the server ----------------------------------------------------------------------
    def take_delay(self) -> tuple[float, bool]:
        """(seconds, after_processing) of the next delayed response, (0, False) if none."""
        if not self._delays:
            return (0.0, False)
        self._emu.count_fault("delay_responses")
        return self._delays.pop(0)

    def take_http_error(self) -> int | None:
        if not self._http_errors:
            return None
        self._emu.count_fault("http_error")
        return self._http_errors.pop(0)

    def take_drop(self) -> bool | None:
        """None = no drop pending, else whether to reset."""
        if not self._drops:
            return None
        self._emu.count_fault("drop_connection")
        return self._drops.pop(0)

    def take_html(self) -> bool:
        if self._html > 0:
            self._html -= 1
            self._emu.count_fault("html_response")
            return True
        return False

    def take_truncate(self) -> bool:
        if self._truncate > 0:
            self._truncate -= 1
            self._emu.count_fault("truncate_json")
            return True
        return False

    def match_call(self, rid: str, method: str, obj: RpcObject | None) -> Any:
        """The failure (``statcode``, ``rpc_error``) of this call, if one applies."""
        for failure in self._call_failures:
            if failure.matches(self._emu, rid, method, obj):
                if failure.remaining is not None:
                    failure.remaining -= 1
                self._emu.count_fault("fail_call")
                return failure
        return self.match_call_fault(rid, method, obj)

    def describe(self) -> dict[str, Any]:
        """Snapshot of pending faults (for debugging / the stats endpoint)."""
        return {
            "delays": [seconds for seconds, _ in self._delays],
            "http_errors": list(self._http_errors),
            "truncate": self._truncate,
            "drops": len(self._drops),
            "html": self._html,
            "call_failures": len(self._call_failures),
            "session_lifetime": self.session_lifetime,
            "unreachable_links": [u.pdu_id for u in self._emu.units if u.unreachable],
            **self._describe_answers(),
            **self._describe_reliability(),
            **self._describe_random(),
        }
