"""Config flow tests: every flow talks to the emulator (or a small real aiohttp server)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

import pytest
import pytest_socket
import voluptuous as vol
from aiohttp import web
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

from custom_components.raritan_pdu.config_flow import InvalidHost, normalize_host
from custom_components.raritan_pdu.const import (
    CONF_FINGERPRINT,
    CONF_MAC,
    CONF_TRUST,
    DOMAIN,
)
from tests.emulator import EmulatorConfig, PduEmulator

from .conftest import ProxyFactory, entry_data, get_device, make_config_entry, setup_integration

EmulatorFactory = Callable[..., Awaitable[PduEmulator]]
TLS = pytest.mark.parametrize("emulator_config", [{"tls": True}])


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


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


# ---------------------------------------------------------------------------------- host parsing


@pytest.mark.parametrize(
    ("raw", "ssl", "port", "expected"),
    [
        ("pdu.local", True, None, ("pdu.local", 443, True)),
        ("PDU.Local", False, None, ("pdu.local", 80, False)),
        ("10.0.0.5", True, None, ("10.0.0.5", 443, True)),
        ("10.0.0.5", True, 8443, ("10.0.0.5", 8443, True)),
        ("10.0.0.5:8443", True, None, ("10.0.0.5", 8443, True)),
        ("10.0.0.5:8443", True, 9443, ("10.0.0.5", 8443, True)),
        (" fe80::1 ", True, None, ("fe80::1", 443, True)),
        ("fe80:0:0::1", False, 8080, ("fe80::1", 8080, False)),
        ("[fe80::1]:8443", True, None, ("fe80::1", 8443, True)),
        ("[fe80::1]", False, None, ("fe80::1", 80, False)),
        ("https://10.0.0.5/", False, None, ("10.0.0.5", 443, True)),
        ("http://10.0.0.5/", True, None, ("10.0.0.5", 80, False)),
        ("https://[fe80::1]:8443/index.html", False, None, ("fe80::1", 8443, True)),
        ("http://pdu.example.com:8080", True, 1234, ("pdu.example.com", 8080, False)),
    ],
)
def test_normalize_host(
    raw: str, ssl: bool, port: int | None, expected: tuple[str, int, bool]
) -> None:
    """Everything a user may paste ends up as host, port and HTTPS flag."""
    assert normalize_host(raw, ssl, port) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "pdu local",
        "10.0.0.5:port",
        "10.0.0.5:70000",
        "[fe80::1",
        "[fe80::1]x",
        "[fe80::1]:",
        "fe80::zz",
        "ftp://10.0.0.5/",
        "https://",
        "https://10.0.0.5:abc/",
        "-pdu.local",
    ],
)
def test_normalize_host_invalid(raw: str) -> None:
    """Garbage is refused instead of being stored."""
    with pytest.raises(InvalidHost):
        normalize_host(raw, True, None)


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


async def test_user_flow_ipv6(hass: HomeAssistant, socket_enabled: None) -> None:
    """A bracketed IPv6 address with port reaches the PDU and is stored without brackets."""
    # Home Assistant's test harness only allows connecting to 127.0.0.1.
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])
    emu = PduEmulator(EmulatorConfig(link_units=0))
    await emu.start(host="::1", port=0)
    try:
        result = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(emu, **{CONF_HOST: f"[::1]:{emu.port}"})
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


async def test_user_flow_unexpected_error(hass: HomeAssistant, emulator: PduEmulator) -> None:
    """An unexpected exception is logged and shown as unknown."""
    result = await start_user_flow(hass)
    # HTTP Basic auth cannot carry a ":" in the user name: the client refuses it.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_USERNAME: "ad:min"})
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}


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

    # Turning verification off is the other way out.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_VERIFY_SSL: False})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_VERIFY_SSL] is False
    assert result["data"][CONF_FINGERPRINT] is None


@TLS
async def test_user_flow_trust_then_wrong_password(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """Trusting the certificate, then the password is wrong: back to the form with the error."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_PASSWORD: "wrong"})
    )
    assert result["step_id"] == "trust_certificate"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: True})
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "invalid_auth"}


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
async def test_certificate_change_repair_and_reauth(
    hass: HomeAssistant, emulator: PduEmulator, proxy_factory: ProxyFactory
) -> None:
    """A changed certificate raises a repair issue; reauth shows and pins the new one."""
    new = await proxy_factory(emulator, cert_host="replaced.example")  # same PDU, new certificate
    assert new.fingerprint != emulator.tls_fingerprint
    entry = make_config_entry(
        emulator,
        entry_data(emulator, **{CONF_PORT: new.port, CONF_FINGERPRINT: emulator.tls_fingerprint}),
    )
    await setup_integration(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR

    issue_id = f"certificate_changed_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "certificate_changed"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["fingerprint"] == new.fingerprint

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
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


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
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(emulator, **{CONF_HOST: "bad host"})
    )
    assert result["errors"] == {CONF_HOST: "invalid_host"}
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
async def test_zeroconf_known_serial_updates_host(
    hass: HomeAssistant, emulator: PduEmulator
) -> None:
    """After the credentials, a discovered PDU that is already configured updates its entry."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_HOST: "10.1.1.1"}))
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
    assert entry.data[CONF_HOST] == "127.0.0.1"
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
    """A certificate never trusted for this entry is shown; declining returns to the form."""
    entry = make_config_entry(emulator, entry_data(emulator, **{CONF_FINGERPRINT: None}))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input(emulator))
    assert result["step_id"] == "trust_certificate"
    assert result["description_placeholders"]["fingerprint"] == emulator.tls_fingerprint
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_TRUST: False})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "certificate_not_trusted"}
