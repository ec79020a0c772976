"""HTTP(S) JSON-RPC front end of the emulator: auth, sessions, RID resolution, bulk, stats, TLS."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import secrets
import socket
import ssl
import struct
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from .config import EmulatorConfig
from .errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    HttpStatusError,
    RpcError,
    invalid_params,
)
from .faults import Faults
from .model import (
    LINK_OK,
    LINK_UNREACHABLE,
    ROLE_LINK,
    ROLE_PRIMARY,
    ROLE_STANDALONE,
    RpcObject,
    Unit,
    UnitConfig,
    arg,
    ret,
)
from .profiles import Profile, get_profile

_LOGGER = logging.getLogger(__name__)

HTML_LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Login</title></head><body>"
    '<form method="post" action="/login"><input name="login"><input name="password" '
    'type="password"></form></body></html>'
)
JSON_HEADERS = {
    "Cache-Control": "no-cache, no-store",
    "X-Frame-Options": "sameorigin",
    "X-Content-Type-Options": "nosniff",
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


@dataclass
class CallContext:
    """Who is calling (shared by all sub-requests of a bulk)."""

    username: str
    readonly: bool
    session: Session | None
    remote_ip: str
    client_type: str


# --- objects that live on the emulator rather than in the power model ----------------------------
class SessionManagerObject(RpcObject):
    iface = "SessionManager"

    def rpc_newSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        emu = self.emu
        now = time.monotonic()
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
        return ret(self._current(ctx).as_struct(time.monotonic()))

    def rpc_getSessions(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        now = time.monotonic()
        return ret([s.as_struct(now) for s in self.emu.live_sessions()])

    def rpc_closeSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        sid = arg(p, "sessionId", int)
        arg(p, "reason", int)
        for token, s in list(self.emu.sessions.items()):
            if s.session_id == sid:
                del self.emu.sessions[token]

    def rpc_closeCurrentSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "reason", int)
        sess = self._current(ctx)
        self.emu.sessions.pop(sess.token, None)

    def rpc_touchCurrentSession(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        user_activity = arg(p, "userActivity", bool)
        sess = self._current(ctx)
        if user_activity:
            sess.last_user = time.monotonic()

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
                "status": LINK_UNREACHABLE if u.unreachable else LINK_OK,
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


def make_certificate(host: str) -> tuple[bytes, bytes, str]:
    """Self-signed cert for ``host`` -> (cert PEM, key PEM, SHA-256 fingerprint "AB:CD:...")."""
    if host in _CERT_CACHE:
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
        folder.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        cert_file.write_bytes(cert_pem)
    digest = x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA256()).hex().upper()
    return cert_pem, key_pem, ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _ssl_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file = Path(tmp) / "cert.pem"
        key_file = Path(tmp) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        ctx.load_cert_chain(str(cert_file), str(key_file))
    return ctx


def _bind(host: str, port: int) -> socket.socket:
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(info[0], socket.SOCK_STREAM)
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
        self.users: dict[str, str] = {config.username: config.password}
        self.readonly_users: dict[str, str] = dict(config.readonly_users)
        self.sessions: dict[str, Session] = {}
        self.session_history: list[Session] = []
        self.session_counter = 0
        self.boot_count = 0
        self.boot_monotonic = time.monotonic() - 7 * 86400
        self._units: dict[int, Unit] = {}
        self._registry: dict[str, RpcObject] = {}
        self._site_objects: dict[int, dict[str, RpcObject]] = {}
        self._sample: float | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: list[web.AppRunner] = []
        self._lock = asyncio.Lock()
        self._stats: dict[str, Any] = {}
        self.reset_stats()
        self._units[0] = self._make_unit(0, config.outlets, config.peripherals, config.inlet_phases)
        for link_id in range(2, 2 + config.link_units):
            self._units[link_id] = self._make_link_unit(link_id)
        self.faults = Faults(self)
        self._rebuild_registry()

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

    def stats(self) -> dict[str, Any]:
        """Counters (same JSON as GET /_emulator/stats)."""
        out = json.loads(json.dumps(self._stats))
        out["sessions_active"] = len(self.live_sessions())
        out["boot_count"] = self.boot_count
        return out

    def reset_stats(self) -> None:
        self._stats = {
            "http_requests": 0,
            "bulk_requests": 0,
            "bulk_subrequests": 0,
            "rpc_calls": 0,
            "methods": {},
            "method_names": {},
            "status_codes": {},
            "bytes_in": 0,
            "bytes_out": 0,
            "auth_failures": 0,
            "sessions_created": 0,
        }

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 = a free port); with ``redirect_http`` also a plain port."""
        self._loop = asyncio.get_running_loop()
        self.host = host
        ssl_ctx = None
        if self.config.tls:
            # synchronous on purpose: an executor thread would outlive the test (HA checks threads)
            cert_pem, key_pem, self.tls_fingerprint = load_or_make_certificate(
                host, self.config.cert_dir
            )
            ssl_ctx = _ssl_context(cert_pem, key_pem)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        sock = _bind(host, port)
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock, ssl_context=ssl_ctx).start()
        if self.config.tls and self.config.redirect_http:
            rapp = web.Application()
            rapp.router.add_route("*", "/{tail:.*}", self._redirect)
            rrunner = web.AppRunner(
                rapp, access_log=None, shutdown_timeout=0.5, handle_signals=False
            )
            await rrunner.setup()
            self._runners.append(rrunner)
            rsock = _bind(host, 0)
            self.http_redirect_port = rsock.getsockname()[1]
            await web.SockSite(rrunner, rsock).start()

    async def stop(self) -> None:
        for handle in list(self._timers):
            handle.cancel()
        self._timers.clear()
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
        return int(self._sample if self._sample is not None else time.time())

    def call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        loop = self._loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                fn()
                return None

        def run() -> None:
            self._timers.discard(handle)
            fn()

        handle = loop.call_later(delay, run)
        self._timers.add(handle)
        return handle

    def opaque_rid(self, obj: RpcObject) -> str:
        suffix = f"_b{self.boot_count}" if self.boot_count else ""
        return f"/tfwopaque/{obj.typecode}/{obj.unit.prefix}{obj.instance}{suffix}"

    def live_sessions(self) -> list[Session]:
        now = time.monotonic()
        for token, s in list(self.sessions.items()):
            if self._session_expired(s, now):
                del self.sessions[token]
        return list(self.sessions.values())

    def _session_expired(self, s: Session, now: float) -> bool:
        if now - s.last >= s.timeout:
            return True
        lifetime = self.faults.session_lifetime
        return lifetime is not None and now - s.created >= lifetime

    def bump(self, key: str, amount: int = 1) -> None:
        self._stats[key] += amount

    def reboot(self) -> None:
        self.boot_count += 1
        self.sessions.clear()
        self.boot_monotonic = time.monotonic()
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
    ) -> int:
        if link_id is None:
            link_id = next(i for i in range(2, 9) if i not in self._units)
        if not 2 <= link_id <= 8 or link_id in self._units:
            raise ValueError(f"link id {link_id} is not free (2..8)")
        self._units[link_id] = self._make_link_unit(link_id, outlets, peripherals, phases)
        self._rebuild_registry()
        return link_id

    def remove_link_unit(self, link_id: int) -> None:
        if link_id == 0 or link_id not in self._units:
            raise ValueError(f"no link unit {link_id}")
        unit = self._units.pop(link_id)
        for o in unit.outlets:
            o._cancel_cycle()
            o._cancel_pending_on()
        self._rebuild_registry()

    def try_resolve(self, rid: str) -> RpcObject | None:
        try:
            return self.resolve(rid)
        except HttpStatusError:
            return None

    # --- construction ----------------------------------------------------------------------------
    def _make_unit(self, pdu_id: int, outlets: int, peripherals: int, phases: int) -> Unit:
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
        unit = Unit(self, pdu_id, ucfg, cfg.seed)
        unit.link_host = "" if pdu_id == 0 else f"192.0.2.{10 + pdu_id}"
        site = {
            "/model/unit": unit.unit_object,
            "/firmware": FirmwareObject(unit, "firmware"),
            "/cascade": CascadeObject(unit, "cascade"),
        }
        if pdu_id == 0:
            site["/session"] = SessionManagerObject(unit, "session")
        self._site_objects[pdu_id] = site
        return unit

    def _make_link_unit(
        self,
        link_id: int,
        outlets: int | None = None,
        peripherals: int | None = None,
        phases: int | None = None,
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
        )

    def _rebuild_registry(self) -> None:
        self._registry = {}
        for unit in self._units.values():
            for obj in unit.objects():
                self._registry[obj.rid] = obj

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
        elif len(segs) == 1:
            obj = self._site_objects[base.pdu_id].get("/" + segs[0])
        if obj is None:
            raise HttpStatusError(404, "Not Found")
        self._check_reachable(obj.unit)
        return obj

    def _check_reachable(self, unit: Unit) -> None:
        if unit.unreachable:
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
        return None

    # --- HTTP ------------------------------------------------------------------------------------
    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        location = f"https://{self._netloc(self.port)}{request.path_qs}"
        return web.Response(status=302, headers={"Location": location})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/_emulator/stats":
            return web.json_response(self.stats())
        body = await request.read()
        self._stats["http_requests"] += 1
        self._stats["bytes_in"] += len(body)
        response = await self._process(request, body)
        if not self.config.keep_alive:
            response.force_close()
        raw = response.body
        self._stats["bytes_out"] += len(raw) if isinstance(raw, bytes | bytearray) else 0
        codes = self._stats["status_codes"]
        codes[str(response.status)] = codes.get(str(response.status), 0) + 1
        return response

    async def _process(self, request: web.Request, body: bytes) -> web.Response:
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        delay, delay_after = self.faults.take_delay()
        if delay and not delay_after:
            await asyncio.sleep(delay)
        if request.method == "GET" and request.path in ("/", "/index.html"):
            return web.Response(status=200, text=HTML_LOGIN_PAGE, content_type="text/html")
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        drop = self.faults.take_drop()
        if drop is not None:
            self._drop(request, reset=drop)
            return web.Response(status=500)  # never reaches the client
        status = self.faults.take_http_error()
        if status is not None:
            return web.Response(status=status, text=HTTP_REASONS.get(status, "Error"))
        if self.faults.take_html():
            return web.Response(status=200, text=HTML_LOGIN_PAGE, content_type="text/html")
        ctx = self._authenticate(request)
        if ctx is None:
            self._stats["auth_failures"] += 1
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Xerus"'})
        if self.config.serialize:
            async with self._lock:
                status, payload = await self._dispatch(request.path, body, ctx)
        else:
            status, payload = await self._dispatch(request.path, body, ctx)
        if delay and delay_after:
            await asyncio.sleep(delay)
        if status != 200:
            return web.Response(status=status, text=HTTP_REASONS.get(status, "Error"))
        pretty = self.config.pretty_json
        if pretty is None:
            pretty = not self.profile.is_4x
        if pretty:
            data = json.dumps(payload, indent=4).encode()
        else:
            data = json.dumps(payload, separators=(",", ":")).encode()
        if self.faults.take_truncate():
            data = data[: max(1, len(data) // 2)]
        headers = dict(JSON_HEADERS)
        if self.config.tls:
            headers["Strict-Transport-Security"] = "max-age=63072000"
        return web.Response(
            status=200,
            body=data,
            headers=headers,
            content_type="application/json",
            charset="UTF-8",
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
        now = time.monotonic()
        if token is not None:
            sess = self.sessions.get(token)
            if sess is None or self._session_expired(sess, now):
                self.sessions.pop(token, None)
                return None
            if sess.username not in self.users and sess.username not in self.readonly_users:
                return None
            sess.last = now
            return CallContext(
                sess.username,
                sess.username in self.readonly_users and sess.username not in self.users,
                sess,
                remote,
                client_type,
            )
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if self.users.get(user) == password and user in self.users:
            return CallContext(user, False, None, remote, client_type)
        if self.readonly_users.get(user) == password and user in self.readonly_users:
            return CallContext(user, True, None, remote, client_type)
        return None

    async def _dispatch(self, path: str, body: bytes, ctx: CallContext) -> tuple[int, Any]:
        self._sample = time.time()
        try:
            for unit in self._units.values():
                unit.tick()
            try:
                req = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return 200, _error(None, PARSE_ERROR, "Parse error")
            path = _normalize(path)  # the 3.6 SDK requests "//model/pdu/0"
            if path == "/bulk":
                return await self._bulk(req, ctx)
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
        if self.config.per_call_ms:
            await asyncio.sleep(self.config.per_call_ms / 1000)
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
            result = obj.call(ctx, method, params)
        except RpcError as err:
            return 200, _error(req_id, err.code, err.message)
        except HttpStatusError as err:
            return err.status, None
        except Exception:  # an emulator bug: make it visible but keep serving
            _LOGGER.exception("emulator failed on %s %s", rid, method)
            return 200, _error(req_id, INTERNAL_ERROR, "Internal error")
        return 200, {"jsonrpc": "2.0", "result": result, "id": req_id}

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

    async def _bulk(self, req: Any, ctx: CallContext) -> tuple[int, Any]:
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            return 200, _error(
                req.get("id") if isinstance(req, dict) else None, INVALID_REQUEST, "Invalid Request"
            )
        req_id = req.get("id")
        method = req["method"]
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
        responses = []
        for item in requests:
            self._stats["bulk_subrequests"] += 1
            sub: Any = item["json"]
            if string_json:
                try:
                    sub = json.loads(sub)
                except ValueError:
                    responses.append(
                        {
                            "json": json.dumps(_error(None, PARSE_ERROR, "Parse error")),
                            "statcode": 200,
                        }
                    )
                    continue
            sub_id = sub.get("id") if isinstance(sub, dict) else None
            if _normalize(item["rid"]) == "/bulk":
                status, payload = 400, None
            else:
                status, payload = await self._call(item["rid"], sub, ctx)
            if payload is None:
                payload = _error(sub_id, status, HTTP_REASONS.get(status, "HTTP error"))
            responses.append(
                {"json": json.dumps(payload) if string_json else payload, "statcode": status}
            )
        return 200, {"jsonrpc": "2.0", "result": {"responses": responses}, "id": req_id}


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
