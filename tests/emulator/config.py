"""Emulator configuration (a plain dataclass; every field has a usable default)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import CLOCKS

# Device time per preset (reference §2.2: real PX3 units spend 4-10 ms per sub-request; a lone
# HTTP request costs tens of ms; sub-requests relayed to link units are not faster).
DEVICE_SPEEDS: dict[str, tuple[float, float, float]] = {
    # name: (ms per HTTP request, ms per call / sub-request, ms per call routed to a link unit)
    "instant": (0.0, 0.0, 0.0),
    "px3": (40.0, 8.0, 8.0),
}


@dataclass(frozen=True)
class DeviceTime:
    """Seconds of device time: per HTTP request, per call, per call routed to a link unit."""

    request_s: float
    call_s: float
    link_call_s: float


@dataclass
class EmulatorConfig:
    """Shape and behaviour of the emulated PDU (primary unit plus optional link units).

    Outlet, inlet, breaker and slot indexes are 0-based everywhere (like the well-known RIDs).
    """

    outlets: int = 8
    """Outlets of the primary unit (and of link units unless ``link_unit_outlets`` is set)."""
    link_units: int = 0
    """Number of link units (0-7); they get link ids 2 .. link_units + 1."""
    peripherals: int = 3
    """First N devices of the peripheral catalogue (see README; 0-11) on the primary unit."""
    firmware: str = "4.4"
    """Wire profile: "4.4" (4.4.1 bindings) or "3.6" (3.6.0 bindings)."""
    tls: bool = False
    """Serve HTTPS with a generated self-signed certificate (``emu.tls_fingerprint``)."""
    cert_dir: str | None = None
    """With tls: keep the certificate in this folder (``cert.pem``, ``key.pem``) and reuse it on
    the next start, like a real PDU keeps its certificate across reboots."""
    username: str = "admin"
    password: str = "raritan"
    device_speed: str = "instant"
    """Device-time preset: "instant" (no device time) or "px3" (a real PX3: 40 ms per HTTP
    request, 8 ms per call / bulk sub-request, 8 ms per call routed to a link unit)."""
    latency_ms: float | None = None
    """Device time per HTTP request (None: from ``device_speed``)."""
    per_call_ms: float | None = None
    """Device time per JSON-RPC call: each bulk sub-request, and a direct call (None: from
    ``device_speed``)."""
    link_call_ms: float | None = None
    """Device time per call routed to a link unit (None: the preset's, or ``per_call_ms`` when
    that is given)."""
    clock: str = "real"
    """"real" (host time; follows Home Assistant's ``freezer``) or "manual" (time moves only by
    ``emu.advance(seconds)`` and by device time), see clock.py."""
    time_scale: float = 0.0
    """Manual clock only: real seconds slept per second of device time (0 = none)."""
    seed: int = 1
    """Seeds serial numbers, MACs and load profiles (same seed = same device)."""
    inlet_phases: int = 1
    """1 (single phase: poles L1, N) or 3 (wye: poles L1, L2, L3, N; outlets spread over lines)."""
    ocps: int | None = None
    """Breakers per unit; None = 3 for three-phase, else 2 when outlets >= 8, else 0."""
    non_switchable_outlets: tuple[int, ...] = ()
    """0-based outlets whose MetaData.isSwitchable is false (setPowerState returns 1)."""
    metered_only: bool = False
    """No relays: hasSwitchableOutlets false, every isSwitchable false, switching returns 1."""
    metered_outlets: bool = True
    """False: outlet sensor refs are null except ``outletState`` (hasMeteredOutlets false)."""
    cycle_delay: int = 10
    """Pdu.Settings.cycleDelay and every Outlet.Settings.cycleDelay (seconds)."""
    session_timeout: int = 1800
    """Idle timeout of session tokens (Session.timeout), seconds."""
    single_login: bool = False
    """newSession returns _ret_ 1 while the user already has a live session."""
    max_bulk: int | None = None
    """If set, a /bulk with more sub-requests answers HTTP ``max_bulk_status``."""
    max_bulk_status: int = 413
    """HTTP status of a too large bulk (413; e.g. 500 or 502 to model other firmware)."""
    redirect_http: bool = False
    """With tls: also listen on ``emu.http_redirect_port`` (plain HTTP) answering 302 -> https."""
    readonly_users: dict[str, str] = field(default_factory=dict)
    """user -> password of view-only users (role "Viewer": every write answers -32001)."""
    accounts: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """user -> (password, privileges) of users with a role of their own; a privilege is a name
    (``"switchOutlet"``), a name with arguments (``"switchOutlet:1:3"``) or a preset of
    ``privileges.PRESETS`` (``"admin"``, ``"ro"``, ``"operator"``). See privileges.py."""
    auth_interface: bool = True
    """False: ``/auth/currentUser`` and ``/auth/role`` answer HTTP 404 (firmware without them)."""
    link_unit_outlets: int | None = None
    """Outlets per link unit (default: ``outlets``)."""
    link_unit_peripherals: int | None = None
    """Peripherals per link unit (default: ``peripherals``)."""
    link_unit_phases: int | None = None
    """Inlet phases of link units (default: ``inlet_phases``)."""
    pdu_name: str = ""
    """Pdu.Settings.name of the primary ("" like a fresh device)."""
    serialize: bool = True
    """Process one HTTP request at a time (a real device's RPC server is effectively serial)."""
    noise: bool = True
    """False: exact values (230.0 V, 50.0 Hz, P = base_power, PF = power_factor, peripherals =
    their value) for tests that compare numbers; energy still grows with time."""
    keep_alive: bool | None = None
    """None: like the firmware (4.4 keeps connections alive; 3.6 answers ``Connection: Close``
    unless the request asks for ``Connection: keep-alive`` as python-requests does, so aiohttp
    clients reconnect for every request). True: keep alive; False: close after every response
    (NET reports 4.3.x closing TLS keep-alive between requests)."""
    gzip: bool | None = None
    """None: like the firmware (4.4 gzips a JSON answer when the request accepts gzip, 3.6 never);
    True/False: always/never when accepted."""
    outlet_groups: int = 0
    """Outlet groups at start ("Group 1" ...): group k holds outlet k-1 of the primary and outlet
    k-1 of the first link unit (without link units: outlets k-1 and k of the primary)."""
    event_service: bool = True
    """``/eventservice`` (``event.Service``, pushed events). False: like firmware without it, the
    RID answers HTTP 404 (so a client can prove it works by polling alone)."""

    def __post_init__(self) -> None:
        if self.firmware not in ("3.6", "4.4"):
            raise ValueError("firmware must be '3.6' or '4.4'")
        if not 0 <= self.link_units <= 7:
            raise ValueError("link_units must be 0..7")
        if self.inlet_phases not in (1, 3):
            raise ValueError("inlet_phases must be 1 or 3")
        if self.outlets < 0:
            raise ValueError("outlets must be >= 0")
        if self.device_speed not in DEVICE_SPEEDS:
            raise ValueError(f"device_speed must be one of {sorted(DEVICE_SPEEDS)}")
        if self.clock not in CLOCKS:
            raise ValueError(f"clock must be one of {CLOCKS}")
        if self.time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        if self.outlet_groups < 0:
            raise ValueError("outlet_groups must be >= 0")
        self.non_switchable_outlets = tuple(self.non_switchable_outlets)

    def device_time(self) -> DeviceTime:
        """The preset with explicit ``latency_ms``/``per_call_ms``/``link_call_ms`` on top."""
        request_ms, call_ms, link_ms = DEVICE_SPEEDS[self.device_speed]
        if self.latency_ms is not None:
            request_ms = self.latency_ms
        if self.per_call_ms is not None:
            call_ms = link_ms = self.per_call_ms
        if self.link_call_ms is not None:
            link_ms = self.link_call_ms
        return DeviceTime(request_ms / 1000, call_ms / 1000, link_ms / 1000)

    def ocps_for(self, outlets: int, phases: int) -> int:
        if self.ocps is not None:
            return self.ocps
        if phases == 3 and outlets >= 3:
            return 3
        return 2 if outlets >= 8 else 0
