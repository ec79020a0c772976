"""Shared fixtures of the Home Assistant integration tests (real integration against the emulator).

* ``emulator``: a started emulator, primary unit + 2 link units, firmware given by the
  ``firmware`` fixture ("4.4"; parametrize ``firmware`` to change it) and extra config from the
  ``emulator_config`` fixture (override it in a module/test, e.g. ``{"tls": True}``). It has
  no event service unless ``emulator_config`` says ``{"event_service": True}`` (the tests of
  pushed events, ``test_events_*.py``), so request counts of polls are those of the polls.
* ``mock_config_entry``: a config entry for that emulator, as the config flow would create it.
* ``setup_integration(hass, entry)``: add and set up an entry, wait until it settled.
* ``init_integration``: ``mock_config_entry``, set up.
* ``async_poll(hass, freezer)``: advance time by one poll interval and let the poll finish.
* ``async_topology_refresh(hass, freezer)``: let the slow topology cadence elapse, so the next
  poll rediscovers the PDU (and entities added by it read their first values).
* ``async_setup_retries(hass, entry)``: let Home Assistant retry a setup until it stops
  retrying (rejected credentials are confirmed by ``AUTH_FAILURES_TO_REAUTH`` attempts).
* ``get_device(hass, identifier)``: the device with ``(DOMAIN, identifier)`` (works on every HA
  version: ``DeviceRegistry.async_get_device`` raises when called from tests on HA >= 2026.x).
* ``entity_id(hass, platform, unique_id)``: the entity id of a registered entity (asserts it);
  ``ext_entity_id(hass, entry, platform, serial, sensor_type)``: that of an external sensor or
  actuator of the package ``serial``.

Tests that poll take ``freezer`` as their FIRST fixture, so time (and with it the emulator's
readings and sessions) is frozen before setup: a later jump of the monotonic clock would look
like an expired session and topology.
* ``proxy_factory(emu, link_id=None, cert_host=None, port=0)``: a real HTTP(S) server forwarding
  to ``emu``
  - ``link_id``: answers as that link unit would for itself (role LINK_UNIT);
  - ``cert_host``: serves HTTPS with its own self-signed certificate (a "changed certificate").
"""

from __future__ import annotations

import base64
import json
import logging
import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import format_mac
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.config_flow import RaritanConfigFlow
from custom_components.raritan_pdu.const import (
    AUTH_FAILURES_TO_REAUTH,
    CONF_FINGERPRINT,
    CONF_MAC,
    DOMAIN,
    SCAN_INTERVAL,
    TOPOLOGY_REFRESH_INTERVAL,
)
from custom_components.raritan_pdu.coordinator import RaritanCoordinator
from tests.emulator import PduEmulator, make_certificate


@pytest.fixture
async def hass(hass: HomeAssistant) -> HomeAssistant:
    """Home Assistant's ``hass``, tolerating TLS handshakes that clients abort on test servers.

    When a client refuses a self-signed certificate (as it should), the emulator's or a
    proxy's server side reports the reset handshake to the event loop's exception handler,
    which Home Assistant's test harness turns into a test failure. That is the test device's
    business, not the integration's: drop exactly those reports.
    """
    loop = hass.loop
    handler = loop.get_exception_handler()

    def filtered(loop: Any, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if message.startswith("Error on transport creation for incoming connection"):
            return
        if handler is not None:
            handler(loop, context)

    loop.set_exception_handler(filtered)
    return hass


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/raritan_pdu in every test."""


@pytest.fixture(autouse=True)
def no_deprecated_calls(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Home Assistant reports a deprecated call of the integration.

    Newer versions report what they will remove ("Detected that custom integration ...", e.g.
    ``via_device`` from 2026.8 on); the supported range must not depend on any of it.
    """
    yield
    reports = [
        record.getMessage()
        for phase in ("setup", "call")
        for record in caplog.get_records(phase)
        if record.getMessage().startswith(f"Detected that custom integration '{DOMAIN}'")
    ]
    assert not reports, reports


@pytest.fixture
def firmware() -> str:
    """Firmware profile of the emulator (parametrize to test "3.6")."""
    return "4.4"


@pytest.fixture
def emulator_config() -> dict[str, Any]:
    """Extra EmulatorConfig fields for the ``emulator`` fixture."""
    return {}


@pytest.fixture
async def emulator(
    socket_enabled: None,
    emulator_factory: Any,
    firmware: str,
    emulator_config: dict[str, Any],
) -> PduEmulator:
    """A running emulator: primary unit + 2 link units."""
    # Without the event service unless a test asks for it: the long polls of the event
    # channel (push.py) would add requests to the counts that polling tests assert.
    config: dict[str, Any] = {
        "firmware": firmware,
        "link_units": 2,
        "event_service": False,
        **emulator_config,
    }
    emu: PduEmulator = await emulator_factory(**config)
    return emu


def entry_data(emu: PduEmulator, **overrides: Any) -> dict[str, Any]:
    """Config entry data for an emulator, as the config flow stores it."""
    data: dict[str, Any] = {
        CONF_HOST: emu.host,
        CONF_PORT: emu.port,
        CONF_SSL: emu.config.tls,
        CONF_VERIFY_SSL: True,
        CONF_FINGERPRINT: emu.tls_fingerprint if emu.config.tls else None,
        CONF_USERNAME: emu.config.username,
        CONF_PASSWORD: emu.config.password,
        CONF_MAC: format_mac(emu.unit(0).mac),
    }
    data.update(overrides)
    return data


def make_config_entry(emu: PduEmulator, data: Mapping[str, Any] | None = None) -> MockConfigEntry:
    """A config entry for ``emu`` (unique id = primary serial)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"PDU {emu.unit(0).serial}",
        unique_id=emu.unit(0).serial,
        data=dict(data) if data is not None else entry_data(emu),
        version=RaritanConfigFlow.VERSION,
        minor_version=RaritanConfigFlow.MINOR_VERSION,
    )


@pytest.fixture
def mock_config_entry(emulator: PduEmulator) -> MockConfigEntry:
    """Config entry of the ``emulator`` (not added to hass yet)."""
    return make_config_entry(emulator)


def get_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """The device of a config entry of this integration with ``(DOMAIN, identifier)``.

    Uses only helpers that exist and are not deprecated from HA 2025.4 to 2026.x
    (``async_get_device`` and ``registry.devices`` lookups raise from tests on 2026.x).
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            if (DOMAIN, identifier) in device.identifiers:
                return device
    return None


async def setup_emulator_entry(hass: HomeAssistant, emu: PduEmulator) -> MockConfigEntry:
    """A config entry for ``emu``, set up (its coordinator is ``entry.runtime_data``)."""
    entry = make_config_entry(emu)
    await setup_integration(hass, entry)
    return entry


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add ``entry`` to hass, set it up and wait until everything settled."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The ``mock_config_entry``, set up."""
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id of the entity with this unique id (asserts that it is registered)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} with unique id {unique_id}"
    return found


def ext_entity_id(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    platform: str,
    serial: str,
    sensor_type: int,
    *,
    actuator: bool = False,
) -> str:
    """Entity id of the external sensor (or actuator) of this package serial and sensor type."""
    part = f"_ext_{serial}:{sensor_type}:{int(actuator)}_"
    found = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == platform and part in e.unique_id and not e.unique_id.endswith("_alarm_level")
    ]
    assert len(found) == 1, f"{platform} {part}: {found}"
    return found[0]


async def async_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Advance time by one poll interval and wait for the poll to finish."""
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_setup_retries(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Let Home Assistant retry the entry's setup (at most as often as confirming rejected
    credentials takes), until it is no longer retrying."""
    for _ in range(AUTH_FAILURES_TO_REAUTH):
        if entry.state is not ConfigEntryState.SETUP_RETRY:
            return
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
        await hass.async_block_till_done(wait_background_tasks=True)


async def async_topology_refresh(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the slow topology cadence elapse; the next poll rediscovers the PDU."""
    freezer.tick(TOPOLOGY_REFRESH_INTERVAL)
    await async_poll(hass, freezer)
    # Entities that were added register their resource ids: one debounced refresh reads them.
    freezer.tick(2)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


# Certificates of the proxies, made now: on newer HA test harnesses the clock is frozen during
# tests (HAFakeDatetime), which the certificate builder refuses.
PROXY_CERT_HOSTS = ("first.example", "second.example", "replaced.example", "link-unit.example")
for _host in PROXY_CERT_HOSTS:
    make_certificate(_host)


@dataclass
class Proxy:
    """A running forwarding server."""

    host: str
    port: int
    fingerprint: str | None
    runner: web.AppRunner

    async def stop(self) -> None:
        """Stop serving (the port becomes free for another proxy)."""
        await self.runner.cleanup()


ProxyFactory = Callable[..., Awaitable[Proxy]]


def _server_context(cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "cert.pem").write_bytes(cert_pem)
        Path(tmp, "key.pem").write_bytes(key_pem)
        context.load_cert_chain(Path(tmp, "cert.pem"), Path(tmp, "key.pem"))
    return context


@pytest.fixture
async def proxy_factory(socket_enabled: None) -> AsyncIterator[ProxyFactory]:
    """Start real aiohttp servers that forward JSON-RPC requests to an emulator."""
    runners: list[web.AppRunner] = []

    async def make(
        emu: PduEmulator,
        link_id: int | None = None,
        cert_host: str | None = None,
        port: int = 0,
    ) -> Proxy:
        def rewrite(rid: str) -> str:
            if link_id is None or rid in ("/bulk", "/session"):
                return rid
            return f"/link/{link_id}{rid}"

        async def forward(request: web.Request) -> web.Response:
            body = await request.read()
            if request.path == "/bulk" and link_id is not None:
                payload = json.loads(body)
                for sub in payload["params"]["requests"]:
                    sub["rid"] = rewrite(sub["rid"])
                body = json.dumps(payload).encode()
            headers = {
                key: value
                for key, value in request.headers.items()
                if key.lower() in ("authorization", "x-sessiontoken", "content-type")
            }
            async with (
                ClientSession() as session,
                session.post(
                    f"{emu.url}{rewrite(request.path)}", data=body, headers=headers, ssl=False
                ) as resp,
            ):
                return web.Response(
                    status=resp.status,
                    body=await resp.read(),
                    content_type=resp.content_type,
                )

        context: ssl.SSLContext | None = None
        fingerprint: str | None = None
        if cert_host is not None:
            cert_pem, key_pem, fingerprint = make_certificate(cert_host)
            context = _server_context(cert_pem, key_pem)
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context, reuse_address=True)
        await site.start()
        bound: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return Proxy("127.0.0.1", bound, fingerprint, runner)

    yield make
    for runner in runners:
        await runner.cleanup()


# --- what the user sees in the log (fault tests) ---------------------------------------------


class _RecordingSessions(dict[str, Any]):
    """The emulator's token table, remembering every token it ever held."""

    def __init__(self, initial: Mapping[str, Any], seen: set[str]) -> None:
        super().__init__(initial)
        self.seen = seen
        seen.update(initial)

    def __setitem__(self, key: str, value: Any) -> None:
        self.seen.add(key)
        super().__setitem__(key, value)


class LogGuard:
    """The log of a test as the user reads it, and the secrets that must never be in it.

    ``watch(emu)`` adds the emulator's passwords, their Basic ``Authorization`` values and
    every session token it hands out from then on. ``problems()`` are the integration's
    warning and error lines; at teardown no record at any level (DEBUG included) may contain a
    secret, and no record of the integration may carry a traceback.
    """

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.secrets: set[str] = set()
        self.tokens: set[str] = set()

    def watch(self, emu: PduEmulator, *passwords: str) -> None:
        """Guard ``emu``'s credentials (and ``passwords`` set later) and its session tokens."""
        users = {emu.config.username: emu.config.password, **emu.config.readonly_users}
        for username, password in users.items():
            self.add_password(username, password)
        for password in passwords:
            self.add_password(emu.config.username, password)
        if not isinstance(emu.sessions, _RecordingSessions):
            emu.sessions = _RecordingSessions(emu.sessions, self.tokens)

    def add_password(self, username: str, password: str) -> None:
        assert len(password) >= 12, "give the emulator a distinctive password (SECRET)"
        basic = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.secrets.update({password, basic})

    def records(self) -> list[logging.LogRecord]:
        return [
            record
            for phase in ("setup", "call")
            for record in self.caplog.get_records(phase)
        ]

    def problems(self, since: int = 0) -> list[str]:
        """The integration's warning and error lines (from record ``since`` on)."""
        return [
            f"{record.levelname}: {record.getMessage()}"
            for record in self.caplog.records[since:]
            if record.levelno >= logging.WARNING and record.name.startswith(_OWN_LOGGERS)
        ]

    def errors(self, since: int = 0) -> list[str]:
        return [line for line in self.problems(since) if line.startswith("ERROR")]

    def mark(self) -> int:
        """A position in the log, for ``problems(since=)``."""
        return len(self.caplog.records)

    def drain(self) -> list[tuple[str, str]]:
        """Check the records so far, return the integration's lines (level, message) and
        forget the records (a long test keeps none in memory)."""
        records = list(self.caplog.records)
        self._check(records)
        # Also pytest's handler for the report: the records hold their arguments (errors with
        # their tracebacks, and through them connections), which would look like a leak.
        capture = type(self.caplog.handler)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, capture):
                handler.clear()
        return [
            (record.levelname, record.getMessage())
            for record in records
            if record.name.startswith(_OWN_LOGGERS)
        ]

    def check(self) -> None:
        self._check(self.records())

    def _check(self, records: list[logging.LogRecord]) -> None:
        for record in records:
            text = record.getMessage()
            if record.exc_info:
                text += logging.Formatter().formatException(record.exc_info)
                assert not record.name.startswith(_OWN_LOGGERS) or _ha_debug_detail(record), (
                    f"traceback: {text}"
                )
            for secret in self.secrets | self.tokens:
                assert secret not in text, f"a secret in the log ({record.levelname}): {text}"


_OWN_LOGGERS = (f"custom_components.{DOMAIN}", f"homeassistant.components.{DOMAIN}")


def _ha_debug_detail(record: logging.LogRecord) -> bool:
    """Home Assistant 2026's coordinator adds the exception of a failed update to a DEBUG
    line of its own ("Full error:", on the integration's logger): not a traceback users see."""
    return record.levelno < logging.INFO and record.pathname.endswith(
        os.path.join("helpers", "update_coordinator.py")
    )

#: A password no log line can contain by chance (``emulator_factory(password=SECRET)``).
SECRET = "Pw-8e1f!rack-7"


@pytest.fixture
def log_guard(caplog: pytest.LogCaptureFixture) -> Iterator[LogGuard]:
    """Capture everything at DEBUG; at teardown: no secret in any record, no traceback."""
    caplog.set_level(logging.DEBUG)
    guard = LogGuard(caplog)
    yield guard
    guard.check()


# --- values as the user sees them (fault tests) -----------------------------------------------


def power_entities(hass: HomeAssistant, emu: PduEmulator) -> dict[str, tuple[int, int]]:
    """Entity id -> (unit index, outlet index) of every outlet's active power sensor."""
    registry = er.async_get(hass)
    found: dict[str, tuple[int, int]] = {}
    for u, unit in enumerate(emu.units):
        for i in range(len(unit.outlets)):
            unique_id = f"{unit.serial}_outlet_{i + 1}_active_power"
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
            if entity_id is not None:
                found[entity_id] = (u, i)
    assert found
    return found


def shown_values(hass: HomeAssistant, emu: PduEmulator) -> dict[str, str]:
    return {e: hass.states.get(e).state for e in power_entities(hass, emu)}


def assert_truthful(hass: HomeAssistant, emu: PduEmulator) -> int:
    """Every outlet power shown is the emulator's (``noise=False``: exact), or not a value.
    Returns how many show a value."""
    shown = 0
    for entity_id, (u, i) in power_entities(hass, emu).items():
        state = hass.states.get(entity_id).state
        if state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            continue
        shown += 1
        expected = emu.units[u].outlet(i).active_power()
        assert float(state) == pytest.approx(expected, abs=0.5), (entity_id, state, expected)
    return shown


async def refresh(hass: HomeAssistant, coordinator: RaritanCoordinator) -> None:
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)


async def guarded_setup(
    hass: HomeAssistant,
    emulator_factory: Callable[..., Awaitable[PduEmulator]],
    log_guard: LogGuard,
    *,
    watch: tuple[str, ...] = (),
    **config: Any,
) -> tuple[PduEmulator, MockConfigEntry, RaritanCoordinator]:
    """An emulator (``password=SECRET``, exact values: ``noise=False``, unless ``config`` says
    otherwise) whose secrets ``log_guard`` watches (and the later passwords ``watch``), and its
    entry, set up: ``(emu, entry, coordinator)``."""
    emu = await emulator_factory(**{"password": SECRET, "noise": False, **config})
    log_guard.watch(emu, *watch)
    entry = await setup_emulator_entry(hass, emu)
    return emu, entry, entry.runtime_data
