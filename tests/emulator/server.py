"""HTTP(S) JSON-RPC front end of the emulator: auth, sessions, RID resolution, bulk, stats, TLS."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import gzip
import json
import logging
import secrets
import socket
import ssl
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web

from . import wire
from .clock import Clock, RealClock, Timer, make_clock
from .config import EmulatorConfig
from .errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    HttpStatusError,
    RpcError,
    invalid_params,
)
from .events import Channel, EventHub, EventService, LongPoll
from .faults import Faults
from .groups import OutletGroup, OutletGroupManager
from .model import (
    ROLE_LINK,
    ROLE_PRIMARY,
    ROLE_STANDALONE,
    RpcObject,
    Unit,
    UnitConfig,
    arg,
    ret,
)
from .power import PowerSupply
from .privileges import Accounts
from .profiles import Profile, get_profile
from .reliability import OTHER_HOST
from .thresholds import Sampler
from .usermgmt import CurrentUser, RoleManagerObject

_LOGGER = logging.getLogger(__name__)

HTML_LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Login</title></head><body>"
    '<form method="post" action="/login"><input name="login"><input name="password" '
    'type="password"></form></body></html>'
)
# Headers of JSON answers as real units send them (reference §1.3).
JSON_HEADERS_36 = {"Cache-Control": "no-cache", "Pragma": "no-cache"}
JSON_HEADERS_4X = {
    "Cache-Control": "no-cache, no-store",
    "Vary": "accept-encoding",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' blob:"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "sameorigin",
    "X-XSS-Protection": "1; mode=block",
}
HTTP_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Session:
    session_id: int
    token: str
    username: str
    remote_ip: str
    client_type: str
    creation_uptime: int
    created: float
    last: float
    last_user: float
    timeout: int

    def as_struct(self, now: float) -> dict[str, Any]:
        return {
            "sessionId": self.session_id,
            "username": self.username,
            "remoteIp": self.remote_ip,
            "clientType": self.client_type,
            "creationTime": self.creation_uptime,
            "timeout": self.timeout,
            "idle": int(now - self.last),
            "userIdle": int(now - self.last_user),
        }


class DeviceWork:
    """Device time of one HTTP request, charged through the clock as it accrues.

    The real clock sleeps in slices of at least ``quantum`` (fewer, longer sleeps keep a 3,000
    sub-request bulk close to its nominal time); the manual clock advances with every charge, so
    timers due during a long bulk fire between the sub-requests where they fall."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.seconds = 0.0
        self._debt = 0.0

    async def spend(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.seconds += seconds
        self._debt += seconds
        if self._debt >= self.clock.quantum:
            await self.finish()

    async def finish(self) -> None:
        debt, self._debt = self._debt, 0.0
        if debt > 0:
            await self.clock.busy(debt)


@dataclass
class CallContext:
    """Who is calling (shared by all sub-requests of a bulk)."""

    username: str
    #: The names of the privileges the caller's role grants (``privileges.allows``).
    privileges: frozenset[str]
    session: Session | None
    remote_ip: str
    client_type: str
    in_bulk: bool = False


# --- objects that live on the emulator rather than in the power model ----------------------------
class SessionManagerObject(RpcObject):
    iface = "SessionManager"

    def rpc_newSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        emu = self.emu
        now = emu.clock.monotonic()
        if emu.config.single_login and any(s.username == ctx.username for s in emu.live_sessions()):
            empty = {
                "sessionId": 0,
                "username": "",
                "remoteIp": "",
                "clientType": "",
                "creationTime": 0,
                "timeout": 0,
                "idle": 0,
                "userIdle": 0,
            }
            return {"_ret_": 1, "session": empty, "token": ""}
        emu.session_counter += 1
        sess = Session(
            session_id=emu.session_counter,
            token=secrets.token_hex(16),
            username=ctx.username,
            remote_ip=ctx.remote_ip,
            client_type=ctx.client_type,
            creation_uptime=int(now - emu.boot_monotonic),
            created=now,
            last=now,
            last_user=now,
            timeout=emu.config.session_timeout,
        )
        emu.sessions[sess.token] = sess
        emu.session_history.append(sess)
        emu.bump("sessions_created")
        return {"_ret_": 0, "session": sess.as_struct(now), "token": sess.token}

    def _current(self, ctx: CallContext) -> Session:
        if ctx.session is None:
            raise RpcError(-32000, "This call must be authenticated using a session token.")
        return ctx.session

    def rpc_getCurrentSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self._current(ctx).as_struct(self.emu.clock.monotonic()))

    def rpc_getSessions(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        now = self.emu.clock.monotonic()
        return ret([s.as_struct(now) for s in self.emu.live_sessions()])

    def rpc_closeSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        sid = arg(p, "sessionId", int)
        arg(p, "reason", int)
        for token, s in list(self.emu.sessions.items()):
            if s.session_id == sid:
                del self.emu.sessions[token]
        self.emu.events.prune()  # the session's event channels die with it

    def rpc_closeCurrentSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "reason", int)
        sess = self._current(ctx)
        self.emu.sessions.pop(sess.token, None)
        self.emu.events.prune()

    def rpc_touchCurrentSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        user_activity = arg(p, "userActivity", bool)
        sess = self._current(ctx)
        if user_activity:
            sess.last_user = self.emu.clock.monotonic()

    def rpc_getSessionHistory(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(
            [
                {
                    "creationTime": s.creation_uptime,
                    "remoteIp": s.remote_ip,
                    "clientType": s.client_type,
                }
                for s in self.emu.session_history[-32:]
            ]
        )


class FirmwareObject(RpcObject):
    iface = "Firmware"
    only_4x = frozenset({"getInfo"})

    def rpc_getVersion(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.profile.fw_version)

    def rpc_getInfo(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"product": "PX3", "platform": "PX3", "version": self.profile.fw_version})

    def rpc_getUpdateHistory(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_reboot(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.unit.pdu_id == 0:
            self.emu.call_later(0.05, self.emu.reboot)


class CascadeObject(RpcObject):
    iface = "CascadeManager"
    only_4x = frozenset(
        {
            "getLinkPortStatus",
            "getSupportedRoles",
            "getSupportedLinkUnitTypes",
            "addLinkUnit2",
            "getPrimaryUnitSettings",
            "setPrimaryUnitSettings",
        }
    )

    def status(self) -> dict[str, Any]:
        emu = self.emu
        prof = self.profile
        if self.unit.pdu_id != 0:
            full = {
                "role": ROLE_LINK,
                "master": emu.host,
                "primaryUnit": emu.host,
                "primaryLinkId": 1,
                "linkUnits": [],
            }
            return prof.pick("CascadeManager.Status", full)
        links = []
        for u in emu.units[1:]:
            lu = {
                "type": 0,
                "host": u.link_host,
                "fwVersion": prof.fw_version,
                "status": u.link_status,
            }
            links.append({"key": u.pdu_id, "value": prof.pick("CascadeManager.LinkUnit", lu)})
        full = {
            "role": ROLE_PRIMARY if links else ROLE_STANDALONE,
            "master": "",
            "primaryUnit": "",
            "primaryLinkId": 1,
            "linkUnits": links,
        }
        return prof.pick("CascadeManager.Status", full)

    def rpc_getStatus(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.status())

    def rpc_getPrimaryUnitSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"caCertChain": "", "allowOffTimeRangeCerts": False})

    def rpc_setPrimaryUnitSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "primaryUnitSettings", dict)
        return ret(0)

    def rpc_getLinkPortStatus(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(
            {
                "isSupported": False,
                "isLinkDetected": False,
                "isLinkingConfirmationNeeded": False,
                "connectedNeighborAddr": "",
            }
        )

    def rpc_getSupportedRoles(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([0, 1, 2])

    def rpc_getSupportedLinkUnitTypes(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([0])

    def rpc_addLinkUnit(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        link_id = arg(p, "linkId", int)
        for name in ("host", "login", "password", "newPassword"):
            arg(p, name, str)
        if self.unit.pdu_id != 0:
            return ret(3)  # ERR_UNSUPPORTED_ON_LINK_UNIT
        if not 2 <= link_id <= 8:
            return ret(1)
        if link_id in self.emu.unit_ids():
            return ret(4)  # ERR_LINK_ID_IN_USE
        self.emu.add_link_unit(link_id)
        return ret(0)

    def rpc_releaseLinkUnit(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        link_id = arg(p, "linkId", int)
        if self.unit.pdu_id != 0:
            return ret(3)
        if link_id not in self.emu.unit_ids() or link_id == 0:
            return ret(1)
        self.emu.remove_link_unit(link_id)
        return ret(0)


# --- TLS -----------------------------------------------------------------------------------------
_CERT_CACHE: dict[str, tuple[bytes, bytes, str]] = {}


def make_certificate(host: str, *, fresh: bool = False) -> tuple[bytes, bytes, str]:
    """Self-signed cert for ``host`` -> (cert PEM, key PEM, SHA-256 fingerprint "AB:CD:...").

    One per host and process (generating costs time); ``fresh=True``: a new one, not cached."""
    if host in _CERT_CACHE and not fresh:
        return _CERT_CACHE[host]
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "PX3 emulator"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Raritan"),
        ]
    )
    alt: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for candidate in {host, "127.0.0.1"}:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(candidate)))
        except ValueError:
            alt.append(x509.DNSName(candidate))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    if fresh:
        return cert_pem, key_pem, fingerprint
    _CERT_CACHE[host] = (cert_pem, key_pem, fingerprint)
    return _CERT_CACHE[host]


def load_or_make_certificate(host: str, cert_dir: str | None) -> tuple[bytes, bytes, str]:
    """The certificate kept in ``cert_dir`` (made and saved there on first use), else a new one."""
    if cert_dir is None:
        return make_certificate(host)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    folder = Path(cert_dir)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    if cert_file.is_file() and key_file.is_file():
        cert_pem, key_pem = cert_file.read_bytes(), key_file.read_bytes()
    else:
        cert_pem, key_pem, _ = make_certificate(host)
        _save_certificate(folder, cert_pem, key_pem)
    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256()).hex().upper()
    return cert_pem, key_pem, ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _save_certificate(folder: Path, cert_pem: bytes, key_pem: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "key.pem"
    key_file.touch(mode=0o600)
    key_file.write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(cert_pem)


def _ssl_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    _load_chain(ctx, cert_pem, key_pem)
    return ctx


def _load_chain(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cert_file = Path(tmp) / "cert.pem"
        key_file = Path(tmp) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        ctx.load_cert_chain(str(cert_file), str(key_file))


class _ResettingSocket(socket.socket):
    """A listening socket that resets connections right after accepting them while
    ``reset_next()`` says so (``faults.tls_handshake_failure``): the client, in the middle of
    its TLS handshake, gets a TCP RST. asyncio skips an accept that raises
    ConnectionAbortedError."""

    reset_next: Callable[[], bool] = staticmethod(lambda: False)

    def accept(self) -> tuple[socket.socket, Any]:
        conn, addr = super().accept()
        if self.reset_next():
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            raise ConnectionAbortedError("emulator: connection reset during the handshake")
        return conn, addr


def _bind(host: str, port: int, reset_next: Callable[[], bool] | None = None) -> socket.socket:
    """A listening socket; with ``reset_next`` one that resets connections it says to."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    if reset_next is None:
        sock = socket.socket(info[0], socket.SOCK_STREAM)
    else:
        sock = _ResettingSocket(info[0], socket.SOCK_STREAM)
        sock.reset_next = reset_next
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(info[4])
    sock.listen(128)
    sock.setblocking(False)
    return sock


# --- the emulator --------------------------------------------------------------------------------
class PduEmulator:
    """A Raritan Xerus PDU (primary + link units) answering JSON-RPC over HTTP(S)."""

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = EmulatorConfig(**overrides)
        elif overrides:
            raise TypeError("pass either an EmulatorConfig or keyword overrides, not both")
        self.config = config
        self.profile: Profile = get_profile(config.firmware)
        self.host = "127.0.0.1"
        self.port = 0
        self.http_redirect_port: int | None = None
        self.tls_fingerprint: str | None = None
        self.cleartext_url: str | None = None  # plain HTTP on this host (faults.redirect)
        self.other_host_url: str | None = None  # plain HTTP on another host (127.0.0.2)
        self._other_host: str | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._main_app: web.Application | None = None
        self._main_runner: web.AppRunner | None = None
        self.accounts = Accounts.create(
            (config.username, config.password), config.readonly_users, config.accounts
        )
        self.sessions: dict[str, Session] = {}
        self.session_history: list[Session] = []
        self.session_counter = 0
        self.boot_count = 0
        self.clock: Clock = make_clock(config.clock, time_scale=config.time_scale)
        self.device_time = config.device_time()
        self.boot_monotonic = self.clock.monotonic() - 7 * 86400
        self.events = EventHub(self)  # /eventservice channels; the model reports changes here
        self.sampler = Sampler(self)  # threshold comparators, once per second of emulated time
        self._units: dict[int, Unit] = {}
        self._registry: dict[str, RpcObject] = {}
        self._site_objects: dict[int, dict[str, RpcObject]] = {}
        self._sample: float | None = None
        self._last_bulk: tuple[list[dict[str, Any]], bool] = ([], False)
        self._timers: set[Timer] = set()
        self._inflight: set[asyncio.Task[Any]] = set()
        self._runners: list[web.AppRunner] = []
        self._lock = asyncio.Lock()
        self._stats: dict[str, Any] = {}
        self.reset_stats()
        self._units[0] = self._make_unit(0, config.outlets, config.peripherals, config.inlet_phases)
        for link_id in range(2, 2 + config.link_units):
            self._units[link_id] = self._make_link_unit(link_id)
        self.faults = Faults(self)
        self.power = PowerSupply(self)  # the mains: faults.power_loss cuts it
        self.groups = OutletGroupManager(self)  # /model/outletgroup; test API for outlet groups
        self._rebuild_registry()
        self.groups.create_initial(config.outlet_groups)

    # --- public API ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{self._netloc(self.port)}"

    def _netloc(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{port}"

    @property
    def units(self) -> list[Unit]:
        """Primary first, then link units by id."""
        return [self._units[k] for k in sorted(self._units)]

    def unit(self, pdu_id: int = 0) -> Unit:
        """Unit model: 0 = primary, 2..8 = link units."""
        try:
            return self._units[pdu_id]
        except KeyError:
            raise KeyError(f"no unit {pdu_id}; units: {sorted(self._units)}") from None

    def unit_ids(self) -> list[int]:
        return sorted(self._units)

    @property
    def outlet_groups(self) -> list[OutletGroup]:
        """The outlet groups by id (``emu.groups`` creates, deletes and renames them)."""
        return self.groups.all()

    def advance(self, seconds: float) -> None:
        """Manual clock: move emulated time ``seconds`` on; timers due on the way (cycle ends,
        sequenced switch-ons, reboots, delayed answers) fire in order, each at its instant."""
        self.clock.advance(seconds)

    def freeze(self) -> None:
        """Stop the physics time (readings, noise, energy, sessions) where it is: two polls read
        identical values until ``advance(seconds)`` or ``unfreeze()``. Device time still costs
        time (real clock: the client waits as long as for a PX3) and timers keep their schedule."""
        self.clock.freeze()

    def unfreeze(self) -> None:
        """Let the physics time run again from where it stands (never backwards)."""
        self.clock.unfreeze()

    @property
    def frozen(self) -> bool:
        return self.clock.frozen

    def last_bulk(self) -> list[tuple[str, Any]]:
        """The sub-requests ``(rid, json request object)`` of the last ``/bulk`` request the device
        processed (``performRequest`` strings parsed), e.g. what a client read in its last poll."""
        requests, string_json = self._last_bulk
        out: list[tuple[str, Any]] = []
        for item in requests:
            sub = item["json"]
            if string_json:
                with contextlib.suppress(ValueError):
                    sub = json.loads(sub)
            out.append((item["rid"], sub))
        return out

    def as_user(self, user: str, ip: str) -> contextlib.AbstractContextManager[None]:
        """``with emu.as_user("admin", "192.0.2.7"):`` changes made through the test API inside
        are made by that user from that address (their UserEvents say so); outside, changes come
        from the PDU's front panel (user "", address "display")."""
        return self.events.as_user(user, ip)

    def stats(self) -> dict[str, Any]:
        """Counters (same JSON as GET /_emulator/stats)."""
        out = json.loads(json.dumps(self._stats))
        out["sessions_active"] = len(self.live_sessions())
        out["events"] = self.events.stats()
        out["boot_count"] = self.boot_count
        for key in ("device_busy_s", "device_busy_last_s", "device_busy_max_s"):
            out[key] = round(out[key], 9)
        return out

    def reset_stats(self) -> None:
        self._stats = {
            "http_requests": 0,
            # of which to the event service and its channels, counted as they arrive (the
            # method counters follow once the device got to the request)
            "event_http_requests": 0,
            "bulk_requests": 0,
            "bulk_subrequests": 0,
            "rpc_calls": 0,
            "methods": {},
            "method_names": {},
            "status_codes": {},
            "bytes_in": 0,
            "bytes_out": 0,
            "json_bytes_out": 0,
            "gzip_responses": 0,
            "auth_failures": 0,
            "sessions_created": 0,
            "device_busy_s": 0.0,
            "device_busy_last_s": 0.0,
            "device_busy_max_s": 0.0,
            "faults_injected": {},
            "random_faults": {},
            "cleartext_requests": 0,
            "cleartext_credentials": 0,
            "cleartext_tokens": 0,
            "other_host_requests": 0,
        }
        if hasattr(self, "events"):
            self.events.reset_stats()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 = a free port); with ``redirect_http`` also a plain port;
        always the plain-HTTP listeners behind ``faults.redirect`` (``cleartext_url``,
        ``other_host_url``)."""
        if isinstance(self.clock, RealClock):
            self.clock.loop = asyncio.get_running_loop()
        self.host = host
        ssl_ctx = None
        if self.config.tls:
            # synchronous on purpose: an executor thread would outlive the test (HA checks threads)
            cert_pem, key_pem, self.tls_fingerprint = load_or_make_certificate(
                host, self.config.cert_dir
            )
            ssl_ctx = _ssl_context(cert_pem, key_pem)
        self._ssl_context = ssl_ctx
        self._main_app = web.Application(client_max_size=64 * 1024 * 1024)
        self._main_app.router.add_route("*", "/{tail:.*}", self._handle)
        self._main_runner = await self._runner(self._main_app)
        sock = _bind(host, port, reset_next=self.faults.take_connection_reset)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._main_runner, sock, ssl_context=ssl_ctx).start()
        if self.config.tls and self.config.redirect_http:
            rapp = web.Application()
            rapp.router.add_route("*", "/{tail:.*}", self._redirect)
            rsock = _bind(host, 0)
            self.http_redirect_port = rsock.getsockname()[1]
            await web.SockSite(await self._runner(rapp), rsock).start()
        await self._start_cleartext_listeners(host)

    async def _runner(self, app: web.Application) -> web.AppRunner:
        app.on_response_prepare.append(self._on_response_prepare)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        return runner

    async def _start_cleartext_listeners(self, host: str) -> None:
        """Plain HTTP on this host and on another one (``faults.redirect``), serving like the
        device and counting what arrives in clear text."""
        trap = web.Application(client_max_size=64 * 1024 * 1024)
        trap.router.add_route("*", "/{tail:.*}", self._handle_cleartext)
        runner = await self._runner(trap)
        sock = _bind(host, 0)
        self.cleartext_url = f"http://{self._netloc(sock.getsockname()[1])}"
        await web.SockSite(runner, sock).start()
        other = OTHER_HOST if host != OTHER_HOST else "127.0.0.3"
        try:
            other_sock = _bind(other, 0)
        except OSError:  # no second loopback address on this system
            return
        self._other_host = other
        self.other_host_url = f"http://{other}:{other_sock.getsockname()[1]}"
        await web.SockSite(runner, other_sock).start()

    def replace_certificate(self) -> str:
        """``faults.change_certificate``: a new self-signed certificate for new connections,
        open ones closed; returns the new fingerprint."""
        if self._ssl_context is None:
            raise RuntimeError("no TLS listener: EmulatorConfig(tls=True) and emu.start() first")
        cert_pem, key_pem, fingerprint = make_certificate(self.host, fresh=True)
        _load_chain(self._ssl_context, cert_pem, key_pem)
        if self.config.cert_dir is not None:
            _save_certificate(Path(self.config.cert_dir), cert_pem, key_pem)
        self.tls_fingerprint = fingerprint
        server = self._main_runner.server if self._main_runner is not None else None
        for handler in list(server.connections) if server is not None else []:
            handler.force_close()  # the device's web server restarts with the new certificate
        return fingerprint

    async def stop(self) -> None:
        """Cancel timers and requests still being answered (e.g. delayed answers a client gave
        up on), then close the listeners: nothing of the emulator outlives ``stop``."""
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
        inflight = [task for task in self._inflight if not task.done()]
        for task in inflight:
            task.cancel()
        await asyncio.gather(*inflight, return_exceptions=True)
        self.clock.close()
        for o in (o for u in self._units.values() for o in u.outlets):
            o._cycle_handle = None
            o._pending_on = None
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

    async def __aenter__(self) -> PduEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- model helpers used by model/faults ------------------------------------------------------
    def sample_time(self) -> int:
        """Reading timestamp (Unix s): fixed for the duration of one HTTP request."""
        return int(self._sample if self._sample is not None else self.clock.time())

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer | None:
        """``fn`` after ``delay`` s of emulated time (at once if a real clock has no loop yet)."""

        def run() -> None:
            self._timers.discard(handle)
            fn()

        try:
            handle = self.clock.call_later(delay, run)
        except RuntimeError:  # real clock before start, outside any event loop
            fn()
            return None
        self._timers.add(handle)
        return handle

    def opaque_rid(self, obj: RpcObject) -> str:
        suffix = f"_b{self.boot_count}" if self.boot_count else ""
        return f"/tfwopaque/{obj.typecode}/{obj.unit.prefix}{obj.instance}{suffix}"

    def live_sessions(self) -> list[Session]:
        now = self.clock.monotonic()
        for token, s in list(self.sessions.items()):
            if self.session_expired(s, now):
                del self.sessions[token]
        return list(self.sessions.values())

    def session_expired(self, s: Session, now: float) -> bool:
        """Whether session ``s`` is over at monotonic time ``now`` (idle timeout, lifetime)."""
        # to the microsecond, so that exactly ``timeout`` s of emulated idle time expire a token
        if round(now - s.last, 6) >= s.timeout:
            return True
        lifetime = self.faults.session_lifetime
        return lifetime is not None and round(now - s.created, 6) >= lifetime

    def bump(self, key: str, amount: int = 1) -> None:
        self._stats[key] += amount

    def count_fault(self, kind: str) -> None:
        """A fault reached the wire (``stats()["faults_injected"]``)."""
        injected = self._stats["faults_injected"]
        injected[kind] = injected.get(kind, 0) + 1

    def count_random(self, kind: str) -> None:
        """``faults.random`` armed a fault (``stats()["random_faults"]``)."""
        armed = self._stats["random_faults"]
        armed[kind] = armed.get(kind, 0) + 1

    def reboot(self) -> None:
        self.events.reset(drop=True)  # the connections of waiting polls die with the device
        self.boot_count += 1
        self.sessions.clear()
        self.boot_monotonic = self.clock.monotonic()
        for u in self._units.values():
            u.tick()
            for o in u.outlets:
                if o.cycle_in_progress or o.switch_on_in_progress:
                    o.set_power(1)  # pending relay actions complete across the reboot
        self._rebuild_registry()

    def add_link_unit(
        self,
        link_id: int | None = None,
        *,
        outlets: int | None = None,
        peripherals: int | None = None,
        phases: int | None = None,
        seed: int | None = None,
    ) -> int:
        """A link unit appears (``seed``: another device than the configured seed makes)."""
        if link_id is None:
            link_id = next(i for i in range(2, 9) if i not in self._units)
        if not 2 <= link_id <= 8 or link_id in self._units:
            raise ValueError(f"link id {link_id} is not free (2..8)")
        unit = self._make_link_unit(link_id, outlets, peripherals, phases, seed)
        self._units[link_id] = unit
        self._rebuild_registry()
        events = self.events
        with events.link_change():
            if events.active:
                events.baseline(unit)
            fields = events.link_fields(unit)
            events.emit("CascadeManager.LinkUnitAddedEvent", self.cascade, **fields)
        return link_id

    def remove_link_unit(self, link_id: int) -> None:
        if link_id == 0 or link_id not in self._units:
            raise ValueError(f"no link unit {link_id}")
        unit = self._units[link_id]
        events = self.events
        with events.link_change():
            fields = events.link_fields(unit)
            events.reset(drop=False, units=[unit])  # its event channels die
            del self._units[link_id]
            for o in unit.outlets:
                o._cancel_cycle()
                o._cancel_pending_on()
            self._rebuild_registry()
            events.emit("CascadeManager.LinkUnitReleasedEvent", self.cascade, **fields)

    @property
    def cascade(self) -> RpcObject:
        """The primary's ``/cascade`` object (source of the link unit events)."""
        return self.site_object(0, "/cascade")

    def site_object(self, pdu_id: int, rid: str) -> RpcObject:
        """A unit's object at a top-level well-known RID (``/cascade``, ``/eventservice``...)."""
        return self._site_objects[pdu_id][rid]

    def register(self, obj: RpcObject) -> None:
        """An object that appeared at runtime (an event channel) answers at its opaque RID."""
        self._registry[obj.rid] = obj

    def unregister(self, obj: Any) -> None:
        """An event channel that died: its RID answers 404."""
        self._registry.pop(getattr(obj, "registered_rid", obj.rid), None)

    def try_resolve(self, rid: str) -> RpcObject | None:
        try:
            return self.resolve(rid)
        except HttpStatusError:
            return None

    # --- construction ----------------------------------------------------------------------------
    def _make_unit(
        self, pdu_id: int, outlets: int, peripherals: int, phases: int, seed: int | None = None
    ) -> Unit:
        cfg = self.config
        ucfg = UnitConfig(
            outlets=outlets,
            phases=phases,
            ocps=cfg.ocps_for(outlets, phases),
            peripherals=peripherals,
            non_switchable=cfg.non_switchable_outlets if pdu_id == 0 else (),
            metered_only=cfg.metered_only,
            metered_outlets=cfg.metered_outlets,
            cycle_delay=cfg.cycle_delay,
            name=cfg.pdu_name if pdu_id == 0 else "",
            noise=cfg.noise,
        )
        unit = Unit(self, pdu_id, ucfg, cfg.seed if seed is None else seed)
        unit.link_host = "" if pdu_id == 0 else f"192.0.2.{10 + pdu_id}"
        site = {
            "/model/unit": unit.unit_object,
            "/firmware": FirmwareObject(unit, "firmware"),
            "/cascade": CascadeObject(unit, "cascade"),
        }
        if pdu_id == 0:
            site["/session"] = SessionManagerObject(unit, "session")
            if cfg.auth_interface:  # older firmware: the RIDs are unknown (404)
                site["/auth/currentUser"] = CurrentUser(unit, "currentUser")
                site["/auth/role"] = RoleManagerObject(unit, "role")
        if cfg.event_service:  # firmware without it: the RID is unknown (404)
            site["/eventservice"] = EventService(unit)
        self._site_objects[pdu_id] = site
        return unit

    def _make_link_unit(
        self,
        link_id: int,
        outlets: int | None = None,
        peripherals: int | None = None,
        phases: int | None = None,
        seed: int | None = None,
    ) -> Unit:
        cfg = self.config
        return self._make_unit(
            link_id,
            outlets
            if outlets is not None
            else (cfg.link_unit_outlets if cfg.link_unit_outlets is not None else cfg.outlets),
            peripherals
            if peripherals is not None
            else (
                cfg.link_unit_peripherals
                if cfg.link_unit_peripherals is not None
                else cfg.peripherals
            ),
            phases or cfg.link_unit_phases or cfg.inlet_phases,
            seed,
        )

    def rebuild_registry(self) -> None:
        """Re-index the opaque RIDs after objects appeared or disappeared (e.g. outlet groups)."""
        self._rebuild_registry()

    def _rebuild_registry(self) -> None:
        self._registry = {}
        for unit in self._units.values():
            for obj in unit.objects():
                self._registry[obj.rid] = obj
            for site_obj in self._site_objects[unit.pdu_id].values():
                if isinstance(site_obj, EventService):
                    self._registry[site_obj.rid] = site_obj
        for obj in self.groups.objects():
            self._registry[obj.rid] = obj
        for obj in self.events.objects():
            self._registry[getattr(obj, "registered_rid", obj.rid)] = obj
        self.sampler.invalidate()

    # --- RID resolution --------------------------------------------------------------------------
    def resolve(self, rid: str, base: Unit | None = None) -> RpcObject:
        """Map an RID (well-known, opaque or /link/<n>/...) to an object (else HttpStatusError)."""
        primary = self._units[0]
        base = base or primary
        segs = [s for s in rid.split("/") if s]
        obj: RpcObject | None = None
        if len(segs) >= 3 and segs[0] == "tfwopaque":
            obj = self._registry.get("/" + "/".join(segs))
            if obj is not None and base is not primary and obj.unit is not base:
                obj = None
        elif len(segs) >= 2 and segs[0] == "link" and base is primary:
            unit = self._units.get(_int(segs[1]))
            if unit is None or unit is primary:
                raise HttpStatusError(404, "Not Found")
            self._check_reachable(unit)
            obj = self.resolve("/" + "/".join(segs[2:]), unit)
        elif segs[:1] == ["model"]:
            obj = self._resolve_model(segs[1:], base)
        elif len(segs) == 1 or (len(segs) == 2 and segs[0] == "auth"):
            obj = self._site_objects[base.pdu_id].get("/" + "/".join(segs))
        if obj is None:
            raise HttpStatusError(404, "Not Found")
        self._check_reachable(obj.unit)
        return obj

    def _check_reachable(self, unit: Unit) -> None:
        if unit.offline:
            raise HttpStatusError(503, "Service Unavailable")

    def _resolve_model(self, segs: list[str], base: Unit) -> RpcObject | None:
        if not segs:
            return None
        head, rest = segs[0], segs[1:]
        if head == "pdu" and rest:
            pdu_id = _int(rest[0])
            unit = (
                base
                if pdu_id == 0
                else (self._units.get(pdu_id) if base.pdu_id == 0 and pdu_id >= 2 else None)
            )
            if unit is None:
                return None
            if unit is not base:
                self._check_reachable(unit)
            return _resolve_pdu(unit, rest[1:])
        if head in ("outlet", "inlet", "ocp"):
            return _resolve_pdu(base, segs)
        if head == "peripheraldevicemanager" and not rest:
            return base.device_manager
        if head == "peripheraldeviceslot" and rest:
            idx = _int(rest[0])
            if not 0 <= idx < len(base.slots):
                return None
            slot = base.slots[idx]
            if len(rest) == 1:
                return slot
            if rest[1:] == ["device"] and slot.peripheral is not None:
                return slot.peripheral.sensor
            return None
        if head == "unit" and not rest:
            return base.unit_object
        if head == "alertedsensormanager" and not rest:
            return base.alerted_sensor_manager
        if head == "outletgroup" and base.pdu_id == 0:  # groups live on the primary only
            return self.groups.resolve(rest)
        return None

    # --- HTTP ------------------------------------------------------------------------------------
    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        location = f"https://{self._netloc(self.port)}{request.path_qs}"
        return web.Response(status=302, headers={"Location": location})

    async def _handle_cleartext(self, request: web.Request) -> web.StreamResponse:
        """A request on a plain-HTTP listener (a client followed ``faults.redirect``): count
        what arrived in clear text, then answer like the device."""
        stats = self._stats
        stats["cleartext_requests"] += 1
        if "Authorization" in request.headers:
            stats["cleartext_credentials"] += 1
        if "X-SessionToken" in request.headers:
            stats["cleartext_tokens"] += 1
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        if sockname and sockname[0] == self._other_host:
            stats["other_host_requests"] += 1
        return await self._handle(request)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/_emulator/stats":
            return web.json_response(self.stats())
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            body = await request.read()
            self._stats["http_requests"] += 1
            if isinstance(self.try_resolve(request.path), EventService | Channel):
                self._stats["event_http_requests"] += 1
            self._stats["bytes_in"] += len(body)
            response = await self._process(request, body)
            self._set_connection(request, response)
            raw = response.body
            self._stats["bytes_out"] += len(raw) if isinstance(raw, bytes | bytearray) else 0
            codes = self._stats["status_codes"]
            codes[str(response.status)] = codes.get(str(response.status), 0) + 1
            return response
        finally:
            self._inflight.discard(task)  # type: ignore[arg-type]

    def _set_connection(self, request: web.Request, response: web.Response) -> None:
        """Keep-alive as the firmware does (see ``EmulatorConfig.keep_alive``)."""
        keep = self.config.keep_alive
        if keep is None:
            asked = request.headers.get("Connection", "").lower() == "keep-alive"
            keep = self.profile.is_4x or asked
        if keep and request.keep_alive:
            response.headers["Connection"] = "keep-alive" if self.profile.is_4x else "Keep-Alive"
        else:
            response.force_close()
            response.headers["Connection"] = "close" if self.profile.is_4x else "Close"

    async def _on_response_prepare(
        self, request: web.Request, response: web.StreamResponse
    ) -> None:
        """No ``Server`` header (devices send none); 4.x sends no ``Date`` either."""
        response.headers.popall("Server", None)
        if self.profile.is_4x:
            response.headers.popall("Date", None)

    async def _process(self, request: web.Request, body: bytes) -> web.Response:
        if request.method == "POST":
            self.faults.on_request()  # faults.random: arms this request's fault, if any
        delay, delay_after = self.faults.take_delay()
        if delay and not delay_after:
            await self.clock.wait(delay)
        if request.method == "POST" and (drop := self.faults.take_drop()) is not None:
            self._drop(request, reset=drop)
            return web.Response(status=500)  # never reaches the client
        if self.power.down:  # faults.power_loss: the device is off, nothing answers
            self._drop(request, reset=True)
            return web.Response(status=500)  # never reaches the client
        lock = self._lock if self.config.serialize else contextlib.nullcontext()
        async with lock:  # the device handles one HTTP request at a time
            work = DeviceWork(self.clock)
            await work.spend(self.device_time.request_s + self.faults.take_slow())
            answer = await self._answer(request, body, work)
            await work.finish()
            stats = self._stats
            stats["device_busy_s"] += work.seconds
            stats["device_busy_last_s"] = work.seconds
            stats["device_busy_max_s"] = max(stats["device_busy_max_s"], work.seconds)
        if isinstance(answer, LongPoll):  # pollEvents on an empty channel: waits unlocked
            response = await self._finish_long_poll(request, answer)
        else:
            response = answer
        if delay and delay_after:
            await self.clock.wait(delay)
        return response

    async def _finish_long_poll(self, request: web.Request, poll: LongPoll) -> web.Response:
        """The answer of a waiting ``pollEvents``: once an event is queued or 30 s passed, while
        the device serves other requests. A device going down meanwhile resets the connection."""
        result = await poll.result()
        if result is None:
            self._drop(request, reset=True)
            return web.Response(status=500)  # never reaches the client
        return self._json_response(request, poll.respond(result))

    async def _answer(
        self, request: web.Request, body: bytes, work: DeviceWork
    ) -> web.Response | LongPoll:
        if request.method == "GET" and request.path in ("/", "/index.html"):
            return web.Response(status=200, text=HTML_LOGIN_PAGE, content_type="text/html")
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        status = self.faults.take_http_error()
        if status is not None:
            return web.Response(status=status, text=HTTP_REASONS.get(status, "Error"))
        if self.faults.take_html():
            return web.Response(status=200, text=HTML_LOGIN_PAGE, content_type="text/html")
        early = self.faults.early_answer(request) if request.app is self._main_app else None
        if early is not None:
            return early  # a redirect or a transient 401
        ctx = self._authenticate(request)
        if ctx is None:
            self._stats["auth_failures"] += 1
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Xerus"'})
        status, payload = await self._dispatch(request.path, body, ctx, work)
        if isinstance(payload, LongPoll):
            return payload
        if status != 200:
            return web.Response(status=status, text=HTTP_REASONS.get(status, "Error"))
        if _normalize(request.path) == "/bulk":
            payload = self.faults.mutate_bulk(payload)
        return self._json_response(request, payload)

    def _json_response(self, request: web.Request, payload: Any) -> web.Response:
        is_4x = self.profile.is_4x
        data = wire.dumps(payload, "4.4" if is_4x else "3.6").encode()
        if self.faults.take_truncate():
            data = data[: max(1, len(data) // 2)]
        data, encoding = self.faults.mutate_body(payload, data)
        self._stats["json_bytes_out"] += len(data)
        headers = dict(JSON_HEADERS_4X if is_4x else JSON_HEADERS_36)
        if self.config.tls and is_4x:
            headers["Strict-Transport-Security"] = "max-age=63072000"
        gzip_on = is_4x if self.config.gzip is None else self.config.gzip
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        if encoding == "gzip":  # a mutated body, compressed already
            headers["Content-Encoding"] = "gzip"
        elif encoding is None and gzip_on and accepts_gzip:
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
            self._stats["gzip_responses"] += 1
        return web.Response(
            status=200, body=data, headers=headers, content_type="application/json", charset="UTF-8"
        )

    @staticmethod
    def _drop(request: web.Request, *, reset: bool) -> None:
        transport = request.transport
        if transport is None:
            return
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    def _authenticate(self, request: web.Request) -> CallContext | None:
        remote = request.remote or ""
        client_type = request.headers.get("X-Client-Type", "JSON-RPC")
        token = request.headers.get("X-SessionToken")
        now = self.clock.monotonic()
        if token is not None:
            sess = self.sessions.get(token)
            if sess is None or self.session_expired(sess, now):
                self.sessions.pop(token, None)
                return None
            if sess.username not in self.accounts.accounts:
                return None
            sess.last = now
            return CallContext(
                sess.username, self.accounts.granted(sess.username), sess, remote, client_type
            )
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if self.accounts.password(user) == password:
            return CallContext(user, self.accounts.granted(user), None, remote, client_type)
        return None

    async def _dispatch(
        self, path: str, body: bytes, ctx: CallContext, work: DeviceWork
    ) -> tuple[int, Any]:
        self._sample = self.clock.time()
        try:
            for unit in self._units.values():
                unit.tick()
            try:
                req = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return 200, _error(None, PARSE_ERROR, "Parse error")
            path = _normalize(path)  # the 3.6 SDK requests "//model/pdu/0"
            if path == "/bulk":
                return await self._bulk(req, ctx, work)
            await work.spend(self._call_time(path))
            return await self._call(path, req, ctx)
        finally:
            self._sample = None

    async def _call(self, rid: str, req: Any, ctx: CallContext) -> tuple[int, Any]:
        """One JSON-RPC call -> (HTTP status, response object)."""
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            rid_id = req.get("id") if isinstance(req, dict) else None
            return 200, _error(rid_id, INVALID_REQUEST, "Invalid Request")
        req_id = req.get("id")
        method = req["method"]
        params = req.get("params", {})
        if params is None:
            params = {}
        try:
            obj = self.resolve(rid)
        except HttpStatusError as err:
            failure = self.faults.match_call(rid, method, None)
            return self._fail(failure, req_id) if failure else (err.status, None)
        self._count_method(obj, method)
        failure = self.faults.match_call(rid, method, obj)
        if failure is not None:
            return self._fail(failure, req_id)
        if not isinstance(params, dict):
            return 200, _error(req_id, -32602, "Invalid params: params must be an object")
        try:
            with self.events.calling(ctx):  # UserEvents name the caller; state events at the end
                result = obj.call(ctx, method, params)
        except RpcError as err:
            return 200, _error(req_id, err.code, err.message)
        except HttpStatusError as err:
            return err.status, None
        except Exception:  # an emulator bug: make it visible but keep serving
            _LOGGER.exception("emulator failed on %s %s", rid, method)
            return 200, _error(req_id, INTERNAL_ERROR, "Internal error")
        if isinstance(result, LongPoll):  # answered when it is over (see _process)
            result.respond = lambda res: self.faults.mutate_response(
                rid, method, obj, {"jsonrpc": "2.0", "result": res, "id": req_id}
            )
            return 200, result
        response = {"jsonrpc": "2.0", "result": result, "id": req_id}
        return 200, self.faults.mutate_response(rid, method, obj, response)

    def _call_time(self, rid: str) -> float:
        """Device time of one call: calls routed to a link unit are relayed by the primary."""
        dt = self.device_time
        return dt.link_call_s if self._routed_unit(rid) else dt.call_s

    def _routed_unit(self, rid: str) -> int:
        """The link unit a call goes to (0: the primary), from the RID alone."""
        segs = [seg for seg in rid.split("/") if seg]
        if len(segs) >= 2 and segs[0] == "link":
            return max(_int(segs[1]), 0)
        if len(segs) >= 3 and segs[:2] == ["model", "pdu"]:
            return max(_int(segs[2]), 0)
        if segs[:1] == ["tfwopaque"]:
            obj = self._registry.get("/" + "/".join(segs))
            return obj.unit.pdu_id if obj is not None else 0
        return 0

    def _fail(self, failure: Any, req_id: Any) -> tuple[int, Any]:
        if failure.rpc_error is not None:
            code, message = failure.rpc_error
            return 200, _error(req_id, code, message)
        return failure.statcode, None

    def _count_method(self, obj: RpcObject, method: str) -> None:
        self._stats["rpc_calls"] += 1
        key = f"{obj.typecode.split(':')[0]}.{method}"
        methods = self._stats["methods"]
        methods[key] = methods.get(key, 0) + 1
        names = self._stats["method_names"]
        names[method] = names.get(method, 0) + 1

    async def _bulk(self, req: Any, ctx: CallContext, work: DeviceWork) -> tuple[int, Any]:
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            return 200, _error(
                req.get("id") if isinstance(req, dict) else None, INVALID_REQUEST, "Invalid Request"
            )
        req_id = req.get("id")
        method = req["method"]
        ctx = replace(ctx, in_bulk=True)  # a pollEvents in a bulk does not wait
        self._stats["bulk_requests"] += 1
        self._stats["rpc_calls"] += 1
        key = f"bulkrpc.BulkRequest.{method}"
        self._stats["methods"][key] = self._stats["methods"].get(key, 0) + 1
        self._stats["method_names"][method] = self._stats["method_names"].get(method, 0) + 1
        if method == "getTypeInfo":
            return 200, {
                "jsonrpc": "2.0",
                "result": ret({"id": self.profile.typecode("BulkRequest"), "base": None}),
                "id": req_id,
            }
        if method not in ("performBulk", "performRequest", "performBulkTimeout"):
            return 200, _error(req_id, -32601, f"Method not found: {method}")
        params = req.get("params") or {}
        try:
            requests = arg(params, "requests", list) if isinstance(params, dict) else None
            if requests is None:
                raise invalid_params("params must be an object")
            if method == "performBulkTimeout":
                arg(params, "timeoutMs", int)
            string_json = method == "performRequest"
            for item in requests:
                if not (
                    isinstance(item, dict)
                    and isinstance(item.get("rid"), str)
                    and isinstance(item.get("json"), str if string_json else dict)
                ):
                    raise invalid_params(
                        "each request needs a string 'rid' and "
                        + ("a string 'json'" if string_json else "an object 'json'")
                    )
        except RpcError as err:
            return 200, _error(req_id, err.code, err.message)
        if self.config.max_bulk is not None and len(requests) > self.config.max_bulk:
            return self.config.max_bulk_status, None
        self._last_bulk = (requests, string_json)
        fw = "4.4" if self.profile.is_4x else "3.6"
        responses = []
        for item in requests:  # one after the other, like the firmware
            self._stats["bulk_subrequests"] += 1
            await work.spend(self._call_time(item["rid"]))
            status, payload = await self._sub_request(item, string_json, ctx)
            responses.append(
                {"json": wire.dumps(payload, fw) if string_json else payload, "statcode": status}
            )
        return 200, {"jsonrpc": "2.0", "result": {"responses": responses}, "id": req_id}

    async def _sub_request(
        self, item: dict[str, Any], string_json: bool, ctx: CallContext
    ) -> tuple[int, Any]:
        """One bulk sub-request -> (statcode, response object)."""
        sub: Any = item["json"]
        if string_json:
            try:
                sub = json.loads(sub)
            except ValueError:
                return 200, _error(None, PARSE_ERROR, "Parse error")
        sub_id = sub.get("id") if isinstance(sub, dict) else None
        if _normalize(item["rid"]) == "/bulk":
            status, payload = 400, None
        else:
            status, payload = await self._call(item["rid"], sub, ctx)
        if payload is None:
            payload = _error(sub_id, status, HTTP_REASONS.get(status, "HTTP error"))
        return status, payload


def _error(req_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": req_id}


def _normalize(path: str) -> str:
    return "/" + "/".join(seg for seg in path.split("/") if seg)


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


def _resolve_pdu(unit: Unit, segs: list[str]) -> RpcObject | None:
    if not segs:
        return unit.pdu
    kind, rest = segs[0], segs[1:]
    if not rest:
        return None
    idx = _int(rest[0])
    tail = rest[1:]
    if kind == "outlet" and 0 <= idx < len(unit.outlets):
        outlet = unit.outlets[idx]
        if not tail:
            return outlet
        return outlet.sensors.get(tail[0]) if len(tail) == 1 else None
    if kind == "inlet" and 0 <= idx < len(unit.inlets):
        inlet = unit.inlets[idx]
        if not tail:
            return inlet
        if len(tail) == 1:
            return inlet.sensors.get(tail[0])
        if len(tail) == 3 and tail[0] == "pole":
            pole = _int(tail[1])
            if 0 <= pole < len(inlet.pole_sensors):
                return inlet.pole_sensors[pole].get(tail[2])
        return None
    if kind == "ocp" and 0 <= idx < len(unit.ocps):
        ocp = unit.ocps[idx]
        if not tail:
            return ocp
        return ocp.sensors.get(tail[0]) if len(tail) == 1 else None
    return None
