"""Config flow tests: every flow talks to the emulator (or a small real aiohttp server).

Every result a flow shows is checked against ``strings.json`` (autouse fixture below): its step,
errors and abort reason have strings, and every placeholder of those strings is filled.
"""

from __future__ import annotations

import json
import logging
import math
import string
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest
import pytest_socket
import voluptuous as vol
from aiohttp import ClientSession, web
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_IGNORE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.raritan_pdu
from custom_components.raritan_pdu.config_flow import (
    RECONFIGURE_SCHEMA,
    USER_SCHEMA,
    InvalidHost,
    parse_host,
)
from custom_components.raritan_pdu.const import (
    CONF_FINGERPRINT,
    CONF_MAC,
    CONF_TRUST,
    DOMAIN,
)
from custom_components.raritan_pdu.xerus import XerusClient
from tests.emulator import EmulatorConfig, PduEmulator

from .conftest import (
    ProxyFactory,
    async_setup_retries,
    entry_data,
    get_device,
    make_config_entry,
    setup_integration,
)

EmulatorFactory = Callable[..., Awaitable[PduEmulator]]
TLS = pytest.mark.parametrize("emulator_config", [{"tls": True}])
STRINGS: dict[str, Any] = json.loads(
    (Path(custom_components.raritan_pdu.__file__).parent / "strings.json").read_text("utf-8")
)["config"]


def assert_translated(result: dict[str, Any]) -> None:
    """What the user sees has its strings, and every placeholder they name is filled."""
    placeholders = result.get("description_placeholders") or {}
    assert all(isinstance(value, str) for value in placeholders.values()), placeholders
    texts: list[str] = []
    if result["type"] is FlowResultType.FORM:
        step = STRINGS["step"][result["step_id"]]
        texts.append(step.get("description", ""))
        for field, error in (result.get("errors") or {}).items():
            assert error in STRINGS["error"], f"error {error} (on {field}) has no string"
            texts.append(STRINGS["error"][error])
    elif result["type"] is FlowResultType.ABORT:
        assert result["reason"] in STRINGS["abort"], f"abort {result['reason']} has no string"
        texts.append(STRINGS["abort"][result["reason"]])
    for text in texts:
        for _, name, _, _ in string.Formatter().parse(text):
            assert name is None or name in placeholders, f"{text!r} lacks {{{name}}}"


@pytest.fixture(autouse=True)
def every_result_is_translated(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check every result of the flow manager with ``assert_translated``."""
    manager = hass.config_entries.flow
    for name in ("async_init", "async_configure"):
        original = getattr(manager, name)

        async def checked(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            result = await _original(*args, **kwargs)
            assert_translated(result)
            return result

        monkeypatch.setattr(manager, name, checked)


def user_input(emu: PduEmulator, **overrides: Any) -> dict[str, Any]:
    """What a user types for ``emu`` (plain HTTP emulator unless configured with tls)."""
    data: dict[str, Any] = {
        CONF_HOST: f"{emu.host}:{emu.port}",
        CONF_SSL: emu.config.tls,
        CONF_USERNAME: emu.config.username,
        CONF_PASSWORD: emu.config.password,
        CONF_VERIFY_SSL: True,
    }
    data.update(overrides)
    return data


def suggested_values(result: dict[str, Any]) -> dict[str, Any]:
    """The suggested values of a form's schema, by field."""
    schema: vol.Schema = result["data_schema"]
    values: dict[str, Any] = {}
    for key in schema.schema:
        description = key.description or {}
        if "suggested_value" in description:
            values[str(key)] = description["suggested_value"]
    return values


def without_password(typed: dict[str, Any]) -> dict[str, Any]:
    """What a form shows again of ``typed`` (NaN as text, so that it compares equal)."""
    return {
        key: "nan" if isinstance(value, float) and math.isnan(value) else value
        for key, value in typed.items()
        if key != CONF_PASSWORD
    }


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


@pytest.mark.parametrize("schema", [USER_SCHEMA, RECONFIGURE_SCHEMA])
def test_form_field_order(schema: vol.Schema) -> None:
    """The certificate check comes right after HTTPS, the credentials last."""
    assert [str(key) for key in schema.schema] == [
        CONF_HOST,
        CONF_PORT,
        CONF_SSL,
        CONF_VERIFY_SSL,
        CONF_USERNAME,
        CONF_PASSWORD,
    ]


# ---------------------------------------------------------------------------------- host parsing


@pytest.mark.parametrize(
    ("raw", "ssl", "expected"),
    [
        ("pdu.local", True, ("pdu.local", None, True)),
        ("PDU.Local", False, ("pdu.local", None, False)),
        ("10.0.0.5", True, ("10.0.0.5", None, True)),
        ("10.0.0.5:8443", True, ("10.0.0.5", 8443, True)),
        (" fe80::1 ", True, ("fe80::1", None, True)),
        ("fe80:0:0::1", False, ("fe80::1", None, False)),
        ("[fe80::1]:8443", True, ("fe80::1", 8443, True)),
        ("[fe80::1]", False, ("fe80::1", None, False)),
        ("https://10.0.0.5/", False, ("10.0.0.5", None, True)),
        ("http://10.0.0.5/", True, ("10.0.0.5", None, False)),
        ("https://[fe80::1]:8443/", False, ("fe80::1", 8443, True)),
        ("http://pdu.example.com:8080", True, ("pdu.example.com", 8080, False)),
        # The part after # never leaves the browser: what the address bar shows works.
        ("https://10.0.0.5/#/dashboard", True, ("10.0.0.5", None, True)),
        ("pdu.local.", True, ("pdu.local.", None, True)),
    ],
)
def test_parse_host(raw: str, ssl: bool, expected: tuple[str, int | None, bool]) -> None:
    """Everything a user may paste ends up as host, port (if given) and HTTPS flag."""
    assert parse_host(raw, ssl) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "invalid_host"),
        ("   ", "invalid_host"),
        ("pdu local", "invalid_host"),
        ("pdu\nlocal", "invalid_host"),
        ("-pdu.local", "invalid_host"),
        ("pdü.local", "invalid_host"),
        ("a" * 64 + ".local", "invalid_host"),
        (".".join(["abcdefgh"] * 30), "invalid_host"),
        ("999.1.1.1", "invalid_host"),
        ("10.0.0", "invalid_host"),
        ("[fe80::1", "invalid_host"),
        ("[fe80::1]x", "invalid_host"),
        ("[10.0.0.5]", "invalid_host"),
        ("fe80::zz", "invalid_host"),
        ("[v1.fe:80]", "invalid_host"),  # an "IPvFuture" literal of RFC 3986
        ("http://fe80::1/", "invalid_host"),
        ("https://", "invalid_host"),
        ("https://:8443", "invalid_host"),
        ("10.0.0.5:port", "invalid_port"),
        ("10.0.0.5:70000", "invalid_port"),
        ("10.0.0.5:0", "invalid_port"),
        ("10.0.0.5:", "invalid_port"),
        ("[fe80::1]:", "invalid_port"),
        ("https://10.0.0.5:abc/", "invalid_port"),
        ("fe80::1%eth0", "ipv6_zone"),
        ("[fe80::1%eth0]:8443", "ipv6_zone"),
        ("https://[fe80::1%25eth0]/", "ipv6_zone"),
        ("ftp://10.0.0.5/", "invalid_url"),
        ("https://10.0.0.5/index.html", "invalid_url"),
        ("https://10.0.0.5/?user=admin", "invalid_url"),
        ("10.0.0.5/api", "invalid_url"),
        ("https://admin:secret@10.0.0.5/", "invalid_url"),
    ],
)
def test_parse_host_invalid(raw: str, error: str) -> None:
    """Garbage is refused (instead of being stored), each with the error that explains it."""
    with pytest.raises(InvalidHost) as caught:
        parse_host(raw, True)
    assert caught.value.error == error


# ---------------------------------------------------------------------------------- user step


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_user_flow_creates_entry(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """Host with port, plain HTTP: the entry is created from the nameplate."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    primary = emulator.unit(0)
    assert result["result"].unique_id == primary.serial
    assert result["title"] == f"{primary.model} {primary.serial}"
    assert result["data"] == {
        CONF_HOST: "127.0.0.1",
        CONF_PORT: emulator.port,
        CONF_SSL: False,
        CONF_VERIFY_SSL: True,
        CONF_FINGERPRINT: None,
        CONF_USERNAME: "admin",
        CONF_PASSWORD: "raritan",
        CONF_MAC: dr.format_mac(primary.mac),
    }
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize("emulator_config", [{"pdu_name": "Rack 12 PDU"}])
async def test_user_flow_title_is_pdu_name(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """The name set on the PDU becomes the entry title; a URL sets the scheme and port."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(emulator, **{CONF_HOST: f"http://127.0.0.1:{emulator.port}/", CONF_SSL: True}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Rack 12 PDU"
    assert result["data"][CONF_SSL] is False
    assert result["data"][CONF_PORT] == emulator.port


@pytest.mark.parametrize("brackets", [True, False])
async def test_user_flow_ipv6(hass: HomeAssistant, socket_enabled: None, brackets: bool) -> None:
    """IPv6 with brackets and port, or bare with the port field: stored without brackets."""
    # Home Assistant's test harness only allows connecting to 127.0.0.1.
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])
    emu = PduEmulator(EmulatorConfig(link_units=0))
    await emu.start(host="::1", port=0)
    typed = (
        {CONF_HOST: f"[::1]:{emu.port}"} if brackets else {CONF_HOST: "::1", CONF_PORT: emu.port}
    )
    try:
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(emu, **typed)
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_HOST] == "::1"
        assert result["data"][CONF_PORT] == emu.port
        await hass.async_block_till_done()
        assert result["result"].state is ConfigEntryState.LOADED
        device = get_device(hass, emu.unit(0).serial)
        assert device is not None
        assert device.configuration_url == f"http://[::1]:{emu.port}/"
        assert await hass.config_entries.async_unload(result["result"].entry_id)
    finally:
        await emu.stop()


async def test_user_flow_port_field(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """The port field is used when the host has no port."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(emulator, **{CONF_HOST: "127.0.0.1", CONF_PORT: float(emulator.port)}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PORT] == emulator.port


@pytest.mark.parametrize(
    "emulator_config", [{"username": "bénédicte", "password": "pässwörd 🔌 ünïcödé"}]
)
async def test_user_flow_unicode_credentials(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """Non-ASCII user names and passwords reach the PDU as its web interface sends them."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_USERNAME] == "bénédicte"


async def test_user_flow_already_configured(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """Adding the same PDU twice aborts."""
    mock_config_entry.add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_flow_invalid_host_keeps_input(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A bad host is flagged on the field; what the user typed stays (never the password)."""
    result = await start_user_flow(hass)
    typed = user_input(emulator, **{CONF_HOST: "not a host", CONF_USERNAME: "operator"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}
    suggested = suggested_values(result)
    assert suggested[CONF_HOST] == "not a host"
    assert suggested[CONF_USERNAME] == "operator"
    assert CONF_PASSWORD not in suggested

    # Fixing the host finishes the flow.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


def typed_form(**overrides: Any) -> dict[str, Any]:
    """A complete user form (every field typed) with ``overrides``."""
    return {
        CONF_HOST: "10.0.0.5",
        CONF_PORT: 8443,
        CONF_SSL: True,
        CONF_VERIFY_SSL: False,
        CONF_USERNAME: "operator",
        CONF_PASSWORD: "secret",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        # garbage, huge and unicode hosts
        ({CONF_HOST: ""}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "pdu local"}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "pdu\r\n.local"}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "x" * 10_000}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "pdü.local"}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "300.1.2.3"}, {CONF_HOST: "invalid_host"}),
        # IPv6: brackets that do not close, zones (which a URL can't use)
        ({CONF_HOST: "[2001:db8::5"}, {CONF_HOST: "invalid_host"}),
        ({CONF_HOST: "fe80::1%eth0"}, {CONF_HOST: "ipv6_zone"}),
        ({CONF_HOST: "[fe80::1%eth0]:443"}, {CONF_HOST: "ipv6_zone"}),
        # URLs with more than scheme, host and port
        ({CONF_HOST: "https://10.0.0.5/index.html"}, {CONF_HOST: "invalid_url"}),
        ({CONF_HOST: "https://10.0.0.5/?tab=outlets"}, {CONF_HOST: "invalid_url"}),
        ({CONF_HOST: "https://admin@10.0.0.5/"}, {CONF_HOST: "invalid_url"}),
        ({CONF_HOST: "ssh://10.0.0.5"}, {CONF_HOST: "invalid_url"}),
        # ports out of range, in the host or in the port field (NaN through the Python API)
        ({CONF_HOST: "10.0.0.5:65536"}, {CONF_HOST: "invalid_port"}),
        ({CONF_HOST: "[2001:db8::5]:0"}, {CONF_HOST: "invalid_port"}),
        ({CONF_PORT: 70000}, {CONF_PORT: "invalid_port"}),
        ({CONF_PORT: 0}, {CONF_PORT: "invalid_port"}),
        ({CONF_PORT: -443}, {CONF_PORT: "invalid_port"}),
        ({CONF_PORT: 443.5}, {CONF_PORT: "invalid_port"}),
        ({CONF_PORT: math.nan}, {CONF_PORT: "invalid_port"}),
        ({CONF_PORT: math.inf}, {CONF_PORT: "invalid_port"}),
        # user names HTTP Basic authentication can't carry, control characters, huge fields
        ({CONF_USERNAME: "ad:min"}, {CONF_USERNAME: "username_colon"}),
        ({CONF_USERNAME: "admin\r\nX-Injected: 1"}, {CONF_USERNAME: "control_characters"}),
        ({CONF_USERNAME: "admin\t"}, {CONF_USERNAME: "control_characters"}),
        ({CONF_PASSWORD: "secret\n"}, {CONF_PASSWORD: "control_characters"}),
        ({CONF_USERNAME: "u" * 129}, {CONF_USERNAME: "too_long"}),
        ({CONF_PASSWORD: "p" * 10_000}, {CONF_PASSWORD: "too_long"}),
        # every bad field at once gets its own error
        (
            {CONF_HOST: "bad host", CONF_PORT: math.nan, CONF_USERNAME: "a:b", CONF_PASSWORD: "\0"},
            {
                CONF_HOST: "invalid_host",
                CONF_PORT: "invalid_port",
                CONF_USERNAME: "username_colon",
                CONF_PASSWORD: "control_characters",
            },
        ),
    ],
)
async def test_user_flow_field_errors(
    hass: HomeAssistant, overrides: dict[str, Any], errors: dict[str, str]
) -> None:
    """Bad input gets its error on its field, before any connection; the form keeps the rest.

    Sockets are blocked here: input that got through to a connection would fail differently.
    """
    result = await start_user_flow(hass)
    typed = typed_form(**overrides)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert without_password(suggested_values(result)) == without_password(typed)


async def test_user_flow_invalid_auth_then_success(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A wrong password shows invalid_auth and loses nothing else."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_values(result)[CONF_HOST] == f"127.0.0.1:{emulator.port}"
    assert CONF_PASSWORD not in suggested_values(result)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_cannot_connect(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """Nothing listens on the port."""
    port = emulator.port
    await emulator.stop()
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_HOST: f"127.0.0.1:{port}"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_https_to_http_port(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """HTTPS to a plain HTTP port: no certificate to trust, cannot_connect."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_SSL: True})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_timeout(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """The device does not answer in time."""
    emulator.faults.delay_responses(0.6)
    result = await start_user_flow(hass)
    with patch("custom_components.raritan_pdu.DEFAULT_TIMEOUT", 0.3):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(emulator)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "timeout_connect"}


async def test_user_flow_http_error(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """An HTTP 500 from the device is a connection problem."""
    emulator.faults.http_error(500, count=5)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_not_xerus_html(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """A web server answering HTML is not a Xerus PDU."""
    emulator.faults.html_response(count=5)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_xerus"}


async def test_user_flow_not_xerus_web_server(hass: HomeAssistant, socket_enabled: None) -> None:
    """A real web server that knows nothing about /bulk (404) is not a Xerus PDU."""

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="Not Found")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", not_found)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_HOST: f"127.0.0.1:{port}",
                CONF_SSL: False,
                CONF_USERNAME: "admin",
                CONF_PASSWORD: "x",
                CONF_VERIFY_SSL: True,
            },
        )
    finally:
        await runner.cleanup()
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_xerus"}


async def test_user_flow_insufficient_privileges(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A user that may not read the nameplate gets a clear message."""
    emulator.faults.fail_call(
        method="getMetaData", rpc_error=(-32001, "Insufficient privileges to perform request.")
    )
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "insufficient_privileges"}


async def test_user_flow_unexpected_http_client_error_is_cannot_connect(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """Whatever the HTTP client raises is a connection problem to the user, not "unknown".

    The error used here is real: the test harness refuses connections to any host but
    127.0.0.1 with a RuntimeError, as a broken resolver (aiodns/pycares) raises a TypeError.
    """
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_HOST: f"127.0.0.2:{emulator.port}"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested_values(result)[CONF_HOST] == f"127.0.0.2:{emulator.port}"


async def test_user_flow_unexpected_error(
    hass: HomeAssistant,
    emulator: PduEmulator,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug (an exception that is no Xerus error) is logged with its traceback, shown as
    unknown, and the form keeps what the user typed."""

    async def broken(self: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(XerusClient, "get_identity", broken)
    result = await start_user_flow(hass)
    with caplog.at_level(logging.ERROR):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(emulator)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error reading the identity of 127.0.0.1" in caplog.text
    assert "Traceback" in caplog.text
    assert suggested_values(result)[CONF_HOST] == f"127.0.0.1:{emulator.port}"


# ---------------------------------------------------------------------------------- link units


async def test_user_flow_link_unit_refused(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """A link unit entered directly is refused, naming its primary unit."""
    link_unit = await proxy_factory(emulator, link_id=2)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_HOST: f"127.0.0.1:{link_unit.port}"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "link_unit"}
    assert result["description_placeholders"] == {"primary_host": emulator.host}


def _forget_primary_unit(value: Any) -> Any:
    """``value`` with every primary unit address (``primaryUnit``, 3.6: ``master``) emptied."""
    if isinstance(value, dict):
        return {
            key: "" if key in ("primaryUnit", "master") else _forget_primary_unit(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_forget_primary_unit(item) for item in value]
    return value


AUTH_HEADERS = ("Authorization", "X-SessionToken")


async def start_forgetful_server(target: str) -> tuple[str, web.AppRunner]:
    """A plain HTTP server forwarding to ``target`` whose answers name no primary unit;
    returns its URL and its runner."""

    async def forward(request: web.Request) -> web.Response:
        auth = {name: request.headers[name] for name in AUTH_HEADERS if name in request.headers}
        async with ClientSession() as session:
            resp = await session.post(
                target + request.path, data=await request.read(), headers=auth
            )
            answer = _forget_primary_unit(await resp.json(content_type=None))
        return web.json_response(answer, status=resp.status)

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return f"http://127.0.0.1:{port}", runner


async def test_link_unit_without_primary_address(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """A link unit that does not name its primary unit: the messages name no address either."""
    url, runner = await start_forgetful_server(emulator.url)
    try:
        # HTTPS as link unit 2 (the proxy forwards to ``.url``), then the forgetful server.
        link_unit = await proxy_factory(
            SimpleNamespace(url=url), link_id=2, cert_host="link-unit.example"
        )
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            user_input(emulator, **{CONF_HOST: f"127.0.0.1:{link_unit.port}", CONF_SSL: True}),
        )
        assert result["description_placeholders"]["fingerprint"] == link_unit.fingerprint
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TRUST: True}
        )
        assert result["errors"] == {"base": "link_unit_unknown_primary"}
        assert result["description_placeholders"] == {}

        info = zeroconf_info(emulator)
        info.port = link_unit.port
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_TRUST: True}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "link_unit_unknown_primary"
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------------------- certificates


@TLS
async def test_user_flow_trust_self_signed_certificate(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A self-signed certificate is shown by fingerprint and pinned when trusted."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"] == {
        "host": "127.0.0.1",
        "fingerprint": emulator.tls_fingerprint,
    }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_SSL] is True
    assert result["data"][CONF_FINGERPRINT] == emulator.tls_fingerprint
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


@TLS
async def test_user_flow_decline_certificate(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """Declining the certificate returns to the form with an explanation."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: False})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "certificate_not_trusted"}
    assert suggested_values(result)[CONF_HOST] == f"127.0.0.1:{emulator.port}"

    # Submitting again offers the certificate again.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: False})

    # Turning verification off is the other way out.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_VERIFY_SSL: False})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False
    assert result["data"][CONF_FINGERPRINT] is None


@TLS
async def test_user_flow_trust_once_then_fix_password(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """Trusting, then a wrong password: the form shows the error, and the fixed password
    finishes the flow without asking to trust the same certificate again."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "still wrong"})
    )
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_FINGERPRINT] == emulator.tls_fingerprint


@TLS
async def test_trusted_certificate_is_not_trusted_for_another(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """Trust is per fingerprint: another certificate met in the same flow is asked for."""
    other = await proxy_factory(emulator, cert_host="second.example")
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_HOST: f"127.0.0.1:{other.port}"})
    )
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == other.fingerprint


# ---------------------------------------------------------------------------------- reauth


async def test_reauth_new_password(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """The password changed on the PDU: reauth asks for it, updates the entry and reloads."""
    await setup_integration(hass, mock_config_entry)
    emulator.faults.change_password("n3w-secret")
    emulator.faults.expire_sessions()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # Rejected once: retried, not asked for yet (a single 401 can be a hiccup).
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await async_setup_retries(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert suggested_values(result) == {CONF_USERNAME: "admin"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "ad:min", CONF_PASSWORD: "n3w-secret"}
    )
    assert result["errors"] == {CONF_USERNAME: "username_colon"}
    assert suggested_values(result) == {CONF_USERNAME: "ad:min"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "n3w-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert mock_config_entry.data[CONF_PASSWORD] == "n3w-secret"
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED


async def test_reauth_wrong_device(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, emulator: PduEmulator
) -> None:
    """Reauth that reaches another PDU (other serial) is refused."""
    other = await emulator_factory(seed=2)
    entry = make_config_entry(emulator, entry_data(other))
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


@TLS
async def test_certificate_change_starts_reauth(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """A changed certificate asks for reauthentication (once, no repair issue besides), which
    shows and pins the new one."""
    new = await proxy_factory(emulator, cert_host="replaced.example")  # same PDU, new certificate
    assert new.fingerprint != emulator.tls_fingerprint
    entry = make_config_entry(
        emulator,
        entry_data(emulator, **{CONF_PORT: new.port, CONF_FINGERPRINT: emulator.tls_fingerprint}),
    )
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert new.fingerprint in entry.reason
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == new.fingerprint

    # Declining keeps the old fingerprint and asks for credentials instead.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: False})
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "certificate_not_trusted"}

    # Submitting the credentials meets the certificate again: trust it this time.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_FINGERPRINT] == new.fingerprint
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@TLS
async def test_reauth_new_certificate_and_new_password(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """New certificate and new password: trusted once, then only the password is asked."""
    new = await proxy_factory(emulator, cert_host="replaced.example")
    emulator.faults.change_password("n3w-secret")
    entry = make_config_entry(
        emulator,
        entry_data(emulator, **{CONF_PORT: new.port, CONF_FINGERPRINT: emulator.tls_fingerprint}),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    # The stored password was tried with the trusted certificate: it is wrong now.
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "n3w-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_FINGERPRINT] == new.fingerprint
    assert entry.data[CONF_PASSWORD] == "n3w-secret"


# ---------------------------------------------------------------------------------- reconfigure


async def test_reconfigure_moves_to_new_address(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, emulator: PduEmulator
) -> None:
    """The same PDU at a new address/port; an empty password keeps the stored one."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_PASSWORD: "raritan"}))
    await setup_integration(hass, entry)
    moved = await emulator_factory(link_units=2)  # same seed: same PDU

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert suggested_values(result)[CONF_HOST] == "127.0.0.1"
    assert suggested_values(result)[CONF_PORT] == emulator.port
    assert CONF_PASSWORD not in suggested_values(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: float(moved.port),
            CONF_SSL: False,
            CONF_USERNAME: "admin",
            CONF_VERIFY_SSL: True,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == moved.port
    assert entry.data[CONF_PASSWORD] == "raritan"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_errors_and_wrong_device(
    hass: HomeAssistant, emulator_factory: EmulatorFactory, emulator: PduEmulator
) -> None:
    """Bad input is shown on the form; another PDU is refused."""
    entry = make_config_entry(emulator)
    entry.add_to_hass(hass)
    other = await emulator_factory(seed=2)

    result = await entry.start_reconfigure_flow(hass)
    typed = user_input(emulator, **{CONF_HOST: "fe80::1%eth0", CONF_PORT: 70000})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["errors"] == {CONF_HOST: "ipv6_zone", CONF_PORT: "invalid_port"}
    assert without_password(suggested_values(result)) == without_password(typed)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert result["description_placeholders"]["name"] == entry.title
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


@TLS
async def test_reconfigure_keeps_trusted_certificate(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """The certificate trusted before is trusted again without asking."""
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_USERNAME: "admin"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert mock_config_entry.data[CONF_FINGERPRINT] == emulator.tls_fingerprint


# ---------------------------------------------------------------------------------- discovery


def dhcp_info(emu: PduEmulator, pdu_id: int = 0, ip: str = "127.0.0.1") -> DhcpServiceInfo:
    return DhcpServiceInfo(
        ip=ip,
        hostname="px3-pdu",
        macaddress=emu.unit(pdu_id).mac.replace(":", "").lower(),
    )


def zeroconf_info(emu: PduEmulator) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(emu.host),
        ip_addresses=[ip_address(emu.host)],
        port=emu.port,
        hostname="px3-pdu.local.",
        type="_raritan-rpcs._tcp.local.",
        name="PX3-5190R._raritan-rpcs._tcp.local.",
        properties={"rr_fw": "4.4.1"},
    )


@TLS
async def test_zeroconf_discovery_trust_and_create(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """Zeroconf: only credentials are asked, then the certificate, then the entry exists."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(emulator)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {CONF_HOST: "127.0.0.1"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "wrong"}
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["step_id"] == "discovery_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested_values(result) == {CONF_USERNAME: "admin"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin\n", CONF_PASSWORD: "raritan"}
    )
    assert result["errors"] == {CONF_USERNAME: "control_characters"}
    assert suggested_values(result) == {CONF_USERNAME: "admin\n"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.unit(0).serial
    assert result["data"][CONF_PORT] == emulator.port
    assert result["data"][CONF_FINGERPRINT] == emulator.tls_fingerprint


@TLS
async def test_dhcp_discovery_new_device(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """DHCP of an unknown PDU: confirm with credentials; the entry keeps the MAC."""
    with patch("custom_components.raritan_pdu.config_flow.DEFAULT_PORT_HTTPS", emulator.port):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(emulator)
        )
    assert result["step_id"] == "discovery_confirm"

    # The same device announcing itself again while the flow is open: one flow only.
    result2 = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(emulator)
    )
    assert result2["type"] is FlowResultType.ABORT
    assert result2["reason"] == "already_in_progress"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_MAC] == dr.format_mac(emulator.unit(0).mac)


async def test_dhcp_known_pdu_new_address(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """A configured PDU that got a new address is followed silently."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(emulator, ip="127.0.0.9")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "127.0.0.9"


async def test_dhcp_link_unit_of_configured_pdu(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """A link unit of a configured primary is not offered for setup."""
    await setup_integration(hass, mock_config_entry)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(emulator, pdu_id=2, ip="10.9.9.9")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert mock_config_entry.data[CONF_HOST] == "127.0.0.1"


async def test_discovery_known_host_aborts(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """A device at the address of a configured entry is not offered again."""
    mock_config_entry.add_to_hass(hass)
    info = dhcp_info(emulator)
    info.macaddress = "000d5d000001"
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_dhcp_ignored_device(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """A discovery the user ignored stays ignored."""
    MockConfigEntry(
        domain=DOMAIN,
        source=SOURCE_IGNORE,
        unique_id=dr.format_mac(emulator.unit(0).mac),
        data={},
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(emulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@TLS
@pytest.mark.parametrize(
    ("stored", "expected"), [("10.1.1.1", "127.0.0.1"), ("pdu.example.com", "pdu.example.com")]
)
async def test_zeroconf_known_serial_updates_host(
    hass: HomeAssistant, emulator: PduEmulator, stored: str, expected: str
) -> None:
    """After the credentials, a discovered PDU that is already configured follows the
    discovered address, unless its entry stores a host name (which resolves by itself)."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_HOST: stored}))
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(emulator)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == expected
    assert entry.data[CONF_PORT] == emulator.port


async def test_zeroconf_link_unit_aborts(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """A discovered link unit cannot be set up on its own."""
    link_unit = await proxy_factory(emulator, link_id=2, cert_host="link-unit.example")
    info = zeroconf_info(emulator)
    info.port = link_unit.port
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == link_unit.fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "link_unit"
    assert result["description_placeholders"] == {"primary_host": emulator.host}


@TLS
async def test_reconfigure_asks_to_trust_new_certificate(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """A certificate never trusted for this entry is shown; declining returns to the form.
    Once trusted, it stays trusted while the user fixes the password."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_FINGERPRINT: None}))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == emulator.tls_fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: False})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "certificate_not_trusted"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_FINGERPRINT] == emulator.tls_fingerprint


# ---------------------------------------------------------------------------------- discovery ids


def discovery(emu: PduEmulator, source: str) -> dict[str, Any]:
    """``async_init`` arguments of a DHCP or zeroconf discovery of ``emu``'s primary unit."""
    info = dhcp_info(emu) if source == SOURCE_DHCP else zeroconf_info(emu)
    return {"context": {"source": source}, "data": info}


def flow_unique_id(hass: HomeAssistant, flow_id: str) -> str | None:
    unique_id: str | None = hass.config_entries.flow.async_get(flow_id)["context"]["unique_id"]
    return unique_id


@TLS
@pytest.mark.parametrize("source", [SOURCE_DHCP, SOURCE_ZEROCONF])
async def test_discovery_unique_id_rule(
    hass: HomeAssistant, emulator: PduEmulator, source: str
) -> None:
    """Until the credentials, a discovery flow is known by what the discovery carries (DHCP:
    the MAC, zeroconf: the mDNS instance name); the entry it creates by the serial."""
    with patch("custom_components.raritan_pdu.config_flow.DEFAULT_PORT_HTTPS", emulator.port):
        result = await hass.config_entries.flow.async_init(DOMAIN, **discovery(emulator, source))
    expected = (
        dr.format_mac(emulator.unit(0).mac)
        if source == SOURCE_DHCP
        else "px3-5190r._raritan-rpcs._tcp.local."
    )
    assert flow_unique_id(hass, result["flow_id"]) == expected

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "admin", CONF_PASSWORD: "raritan"}
    )
    assert flow_unique_id(hass, result["flow_id"]) == expected  # still unknown: trust first
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.unit(0).serial


@pytest.mark.parametrize("source", [SOURCE_DHCP, SOURCE_ZEROCONF])
async def test_ignored_discovery_stays_ignored(
    hass: HomeAssistant, emulator: PduEmulator, source: str
) -> None:
    """Ignoring a discovered PDU hides it from that discovery; adding it by hand still works."""
    result = await hass.config_entries.flow.async_init(DOMAIN, **discovery(emulator, source))
    assert result["step_id"] == "discovery_confirm"
    # What the frontend's "Ignore" button does.
    ignored = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": flow_unique_id(hass, result["flow_id"]), "title": "PX3"},
    )
    assert ignored["type"] is FlowResultType.CREATE_ENTRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    result = await hass.config_entries.flow.async_init(DOMAIN, **discovery(emulator, source))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_dhcp_known_pdu_by_host_name(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """A configured PDU reached by host name keeps it when DHCP reports its address."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_HOST: "pdu.example.com"}))
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp_info(emulator, ip="127.0.0.9")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "pdu.example.com"
