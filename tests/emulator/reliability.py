"""Transport, auth, TLS, link-unit and firmware faults of ``emu.faults`` (reliability, #12).

* Redirects: the device answers ``307`` (or 301/302/308) to plain ``http://`` on the same host or
  on another host (``127.0.0.2``), where a plain-HTTP listener (``emu.cleartext_url``,
  ``emu.other_host_url``) serves the request like the device and counts what arrived in clear
  text: ``cleartext_requests``, ``cleartext_credentials`` (a Basic ``Authorization`` header),
  ``cleartext_tokens`` (an ``X-SessionToken``), ``other_host_requests`` in ``emu.stats()``.
* Auth: transient 401s with the right credentials, ``newSession`` failing with HTTP 503.
* TLS: the next N TLS handshakes reset (certificate unchanged), a new certificate at runtime.
* Link units: a unit whose calls all fail while ``/cascade`` reports it OK, a unit swapped for
  another one, a firmware upgrade that changes only the version segment of every opaque RID.
* Energy: counters reset on the device; a device that is slow for a while (device time).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .malformed import CallFault

if TYPE_CHECKING:
    from .model import Sensor
    from .server import PduEmulator

OTHER_HOST = "127.0.0.2"
"""Where ``redirect(other_host=True)`` points: another loopback address (Linux answers on all of
127.0.0.0/8), with its own plain-HTTP listener."""

REDIRECT_STATUSES = (301, 302, 307, 308)


def bump_version(typecode: str) -> str:
    """``pdumodel.Outlet:3.0.4`` -> ``pdumodel.Outlet:3.0.5`` (a compatible upgrade: only the
    last version number moves, reference 3.2)."""
    name, _, version = typecode.partition(":")
    parts = version.split(".")
    parts[-1] = str(int(parts[-1]) + 1)
    return f"{name}:{'.'.join(parts)}"


def bump_firmware(version: str) -> str:
    """``4.4.1.5-53217`` -> ``4.4.1.6-53218``."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)\.(\d+)-(\d+)", version)
    if match is None:
        return version + "+1"
    base, patch, build = match.groups()
    return f"{base}.{int(patch) + 1}-{int(build) + 1}"


class ReliabilityFaults:
    """Mixed into :class:`faults.Faults`; needs the answer faults (``_add_call_fault``)."""

    _emu: PduEmulator

    def _clear_reliability(self) -> None:
        self._redirects: list[tuple[int, bool]] = []
        self._unauthorized = 0
        self._slow: list[float] = []
        self._tls_resets = 0
        self._swaps = getattr(self, "_swaps", 0)  # an event: a later swap is another unit again

    def _describe_reliability(self) -> dict[str, Any]:
        return {
            "redirects": [status for status, _ in self._redirects],
            "transient_401": self._unauthorized,
            "slow_responses": list(self._slow),
            "tls_resets": self._tls_resets,
        }

    # --- redirects -------------------------------------------------------------------------------
    def redirect(self, count: int = 1, *, status: int = 307, other_host: bool = False) -> None:
        """The next ``count`` requests to the device answer ``status`` (unprocessed) with
        ``Location: http://<host>:<port><same path>``: the device's own host
        (``emu.cleartext_url``) or, with ``other_host``, another host (``emu.other_host_url``,
        127.0.0.2). Those plain-HTTP listeners serve the request like the device and count what
        arrived in clear text (``cleartext_*`` in ``emu.stats()``): a client that follows has
        sent its credentials or token unencrypted, or to a stranger."""
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"status must be one of {REDIRECT_STATUSES}")
        if other_host and self._emu.other_host_url is None:
            raise RuntimeError(f"no listener on {OTHER_HOST} (start the emulator first)")
        self._redirects.extend([(status, other_host)] * count)

    # --- auth ------------------------------------------------------------------------------------
    def transient_401(self, count: int = 1) -> None:
        """The next ``count`` requests answer HTTP 401 (empty body, ``WWW-Authenticate``)
        although their credentials or token are right (unprocessed; sessions stay valid)."""
        self._unauthorized += count

    def fail_new_session(self, count: int = 1, status: int = 503) -> None:
        """The next ``count`` ``newSession`` calls answer HTTP ``status`` (unprocessed: no
        session is created); Basic-auth calls keep working."""
        fault = CallFault(
            "fail_new_session",
            obj=self._emu.try_resolve("/session"),
            rid="/session",
            method="newSession",
            remaining=count,
            statcode=status,
        )
        self._add_call_fault(fault)

    # --- TLS -------------------------------------------------------------------------------------
    def tls_handshake_failure(self, count: int = 1) -> None:
        """The next ``count`` new connections are reset (TCP RST) as soon as they are accepted,
        i.e. during the client's TLS handshake, with the certificate unchanged (plain HTTP: right
        after connecting). Connections kept alive are not affected."""
        self._tls_resets += count

    def change_certificate(self) -> str:
        """The device gets a new self-signed certificate (as after a factory reset or a new
        upload): new connections see it, open connections are closed (the web server
        restarts), ``emu.tls_fingerprint`` and a ``cert_dir`` are updated. Returns the new
        SHA-256 fingerprint."""
        return self._emu.replace_certificate()

    # --- link units ------------------------------------------------------------------------------
    def link_unit_failing(
        self, link_id: int, *, statcode: int = 503, rpc_error: tuple[int, str] | None = None
    ) -> None:
        """Every call routed to link unit ``link_id`` (``/model/pdu/<id>...``,
        ``/link/<id>/...``, its opaque RIDs) fails with HTTP ``statcode`` (in a bulk: that
        statcode), or with ``rpc_error=(code, message)`` as JSON-RPC error, while ``/cascade``
        still reports the unit OK (status 1). Until ``clear()``."""
        self._emu.unit(link_id)  # KeyError for an unknown unit
        self._add_call_fault(
            CallFault("link_unit_failing", unit=link_id, statcode=statcode, rpc_error=rpc_error)
        )

    def swap_link_unit(self, link_id: int, **unit_options: Any) -> str:
        """Replace link unit ``link_id`` by another device at the same link id: new serial, MAC
        and loads; the same opaque RIDs (instance names follow the link id and the position, so
        RIDs a client cached stay valid and now reach the new unit). ``unit_options``:
        ``outlets``, ``peripherals``, ``phases``. Returns the new serial."""
        emu = self._emu
        emu.remove_link_unit(link_id)
        self._swaps += 1
        emu.add_link_unit(link_id, seed=emu.config.seed + 1000 * self._swaps, **unit_options)
        return emu.unit(link_id).serial

    def firmware_upgrade(self, version: str | None = None) -> str:
        """A compatible firmware upgrade: the last version number of every interface moves on
        (``/tfwopaque/pdumodel.Outlet:3.0.4/outlet.5`` -> ``...Outlet:3.0.5/outlet.5``, instance
        names kept, reference 3.2), so every cached opaque RID answers 404 while the same
        objects are reachable under the new ones; ``Firmware.getVersion`` tells ``version``
        (default: the next build). The device restarted: sessions are gone, uptime restarts;
        outlet states, settings and energy counters stay. Returns the new version."""
        emu = self._emu
        profile = emu.profile
        new_version = version or bump_firmware(profile.fw_version)
        types = {iface: bump_version(code) for iface, code in profile.types.items()}
        emu.profile = dataclasses.replace(profile, types=types, fw_version=new_version)
        emu.sessions.clear()
        emu.boot_monotonic = emu.clock.monotonic()
        emu._rebuild_registry()
        return new_version

    # --- energy, device speed --------------------------------------------------------------------
    def reset_energy(self, outlet: int | None = None, unit: int = 0) -> None:
        """Reset energy counters on the device (as ``resetValue`` or the web UI does): outlet
        ``outlet``'s active and apparent energy, or with None every outlet of ``unit`` (so its
        inlet, pole, breaker and unit totals, which are their sums, restart from 0 too).
        ``getLastResetTime`` of the reset counters tells now."""
        model = self._emu.unit(unit)
        outlets = model.outlets if outlet is None else [model.outlet(outlet)]
        counters: list[Sensor] = []
        for o in outlets:
            counters += [s for k, s in o.sensors.items() if k in ("activeEnergy", "apparentEnergy")]
        if outlet is None:
            counters += [s for s in model.all_sensors() if s.iface == "AccumulatingNumericSensor"]
        now = int(self._emu.clock.time())
        for sensor in counters:
            sensor.reset_time = now
        model.tick()
        for o in outlets:
            o.energy_wh = 0.0
            o.apparent_energy_vah = 0.0

    def slow_responses(self, seconds: float, count: int = 1) -> None:
        """The device needs ``seconds`` more device time for each of the next ``count`` requests
        (processed normally; the device lock is held, so other requests queue behind). Real
        clock: the client waits ``seconds`` more; manual clock: emulated time jumps on by
        ``seconds`` and nobody waits (unlike ``delay_responses``, which holds the answer until
        the test advances the clock)."""
        self._slow.extend([float(seconds)] * count)

    # --- used by the server ----------------------------------------------------------------------
    def early_answer(self, request: web.Request) -> web.Response | None:
        """A redirect or a transient 401 for this request (before authentication), if pending."""
        emu = self._emu
        if self._redirects:
            status, other = self._redirects.pop(0)
            emu.count_fault("redirect")
            base = emu.other_host_url if other else emu.cleartext_url
            return web.Response(status=status, headers={"Location": f"{base}{request.path_qs}"})
        if self._unauthorized > 0:
            self._unauthorized -= 1
            emu.count_fault("transient_401")
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Xerus"'})
        return None

    def take_slow(self) -> float:
        if not self._slow:
            return 0.0
        self._emu.count_fault("slow_responses")
        return self._slow.pop(0)

    def take_connection_reset(self) -> bool:
        if self._tls_resets <= 0:
            return False
        self._tls_resets -= 1
        self._emu.count_fault("tls_handshake_failure")
        return True
