"""Config flow for Raritan PDUs: user, trust certificate, discovery, reauth, reconfigure."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigFlow,
    ConfigFlowResult,
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
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from yarl import URL

from . import async_create_client
from .const import (
    CONF_FINGERPRINT,
    CONF_MAC,
    CONF_TRUST,
    DEFAULT_PORT_HTTP,
    DEFAULT_PORT_HTTPS,
    DEFAULT_USERNAME,
    DOMAIN,
    LOGGER,
)
from .xerus import (
    CascadeRole,
    PduIdentity,
    XerusAuthenticationError,
    XerusConnectionError,
    XerusError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusTimeoutError,
    XerusTlsError,
)

_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")

_PORT_SELECTOR = NumberSelector(
    NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
)
_PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_USERNAME_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="username"))

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Optional(CONF_PORT): _PORT_SELECTOR,
        vol.Required(CONF_SSL, default=True): bool,
        vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): _USERNAME_SELECTOR,
        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
        vol.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Optional(CONF_PORT): _PORT_SELECTOR,
        vol.Required(CONF_SSL, default=True): bool,
        vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): _USERNAME_SELECTOR,
        vol.Optional(CONF_PASSWORD): _PASSWORD_SELECTOR,
        vol.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): _USERNAME_SELECTOR,
        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
    }
)
TRUST_SCHEMA = vol.Schema({vol.Required(CONF_TRUST, default=False): bool})


_USER_SOURCES = (SOURCE_USER, SOURCE_REAUTH, SOURCE_RECONFIGURE)


class InvalidHost(ValueError):
    """The host field is not a host name, an IP address or an http(s) URL."""


def _parse_port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InvalidHost(text)
    return int(text)


def normalize_host(raw: str, ssl: bool, port: int | None) -> tuple[str, int, bool]:
    """Split what the user typed into ``(host, port, ssl)``.

    Accepts ``pdu.local``, ``10.0.0.5``, ``10.0.0.5:8443``, ``fe80::1``, ``[fe80::1]:8443`` and
    URLs such as ``https://10.0.0.5/`` (the scheme decides HTTPS). A port in the host wins
    over the port field; without either, the default port of the scheme is used.
    """
    text = raw.strip()
    host_port: int | None = None
    if "://" in text:
        try:
            url = URL(text)
            host_port = url.explicit_port
        except ValueError as err:
            raise InvalidHost(text) from err
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidHost(text)
        ssl = url.scheme == "https"
        host = url.host
    elif text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidHost(text)
        if rest:
            host_port = _parse_port(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        host_port = _parse_port(port_text)
    else:
        host = text
    host = host.lower()
    if ":" in host:
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError as err:
            raise InvalidHost(text) from err
    elif not _HOSTNAME.match(host):
        raise InvalidHost(text)
    port = host_port or port or (DEFAULT_PORT_HTTPS if ssl else DEFAULT_PORT_HTTP)
    return host, int(port), ssl


async def _async_read_identity(hass: HomeAssistant, data: Mapping[str, Any]) -> PduIdentity:
    """Connect with ``data`` and read the nameplate of the unit (one request)."""
    client = async_create_client(hass, data)
    try:
        return await client.get_identity()
    finally:
        await client.close()


def _entry_title(identity: PduIdentity) -> str:
    return identity.name or f"{identity.model} {identity.serial}".strip()


class RaritanConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Raritan (Xerus) PDU."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Initialise the flow state."""
        self._data: dict[str, Any] = {}
        self._suggested: dict[str, Any] = {}
        self._errors: dict[str, str] = {}
        self._placeholders: dict[str, str] = {}
        self._untrusted_fingerprint: str | None = None
        self._known_fingerprint: str | None = None

    # ------------------------------------------------------------------ user

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the address and the credentials of the PDU."""
        if (
            user_input is not None
            and self._take_connection_input(user_input, user_input[CONF_PASSWORD])
            and (result := await self._async_connect()) is not None
        ):
            return result
        return self._async_show_user_form()

    def _take_connection_input(self, user_input: dict[str, Any], password: str) -> bool:
        """Keep the form's values (never the password) and build the entry data from them.

        False, with the host field's error set, when the host can't be used.
        """
        self._reset_errors()
        self._suggested = {k: v for k, v in user_input.items() if k != CONF_PASSWORD}
        try:
            host, port, ssl = normalize_host(
                user_input[CONF_HOST], user_input[CONF_SSL], user_input.get(CONF_PORT)
            )
        except InvalidHost:
            self._errors = {CONF_HOST: "invalid_host"}
            return False
        self._data = {
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_SSL: ssl,
            CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
            CONF_FINGERPRINT: None,
            CONF_USERNAME: user_input[CONF_USERNAME],
            CONF_PASSWORD: password,
        }
        return True

    def _async_show_user_form(self) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, self._suggested),
            errors=self._errors,
            description_placeholders=self._placeholders,
        )

    # ------------------------------------------------------------------ certificate

    async def async_step_trust_certificate(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the fingerprint of a certificate that failed verification; offer to pin it."""
        assert self._untrusted_fingerprint is not None
        if user_input is None:
            return self.async_show_form(
                step_id="trust_certificate",
                data_schema=TRUST_SCHEMA,
                description_placeholders={
                    "host": self._data[CONF_HOST],
                    "fingerprint": self._untrusted_fingerprint,
                },
            )
        fingerprint = self._untrusted_fingerprint
        self._untrusted_fingerprint = None
        self._reset_errors()
        if not user_input[CONF_TRUST]:
            self._errors = {"base": "certificate_not_trusted"}
        else:
            self._data[CONF_FINGERPRINT] = fingerprint
            if (result := await self._async_connect()) is not None:
                return result
        return self._async_show_origin_form()

    def _async_show_origin_form(self) -> ConfigFlowResult:
        """Show the form of the step that started the connection again, with the errors."""
        if self.source == SOURCE_USER:
            return self._async_show_user_form()
        if self.source == SOURCE_REAUTH:
            return self._async_show_reauth_form()
        if self.source == SOURCE_RECONFIGURE:
            return self._async_show_reconfigure_form()
        return self._async_show_discovery_form()

    # ------------------------------------------------------------------ connecting

    def _reset_errors(self) -> None:
        self._errors = {}
        self._placeholders = {}

    async def _async_probe(self) -> PduIdentity | None:
        """Read the identity with ``self._data``.

        On failure, set ``self._errors`` (or ``self._untrusted_fingerprint`` when the
        certificate needs the user's trust) and return None.
        """
        try:
            identity = await _async_read_identity(self.hass, self._data)
        except XerusTlsError as err:
            fingerprint = err.fingerprint
            if fingerprint is None:
                # No certificate to show (e.g. HTTPS to a plain HTTP port).
                LOGGER.debug("TLS error with %s: %s", self._data[CONF_HOST], err)
                self._errors = {"base": "cannot_connect"}
                return None
            if fingerprint == self._known_fingerprint != self._data[CONF_FINGERPRINT]:
                # The certificate the user already trusted for this entry: keep trusting it.
                self._data[CONF_FINGERPRINT] = fingerprint
                return await self._async_probe()
            self._untrusted_fingerprint = fingerprint
            return None
        except XerusTimeoutError:
            self._errors = {"base": "timeout_connect"}
        except XerusConnectionError:
            self._errors = {"base": "cannot_connect"}
        except XerusAuthenticationError:
            self._errors = {"base": "invalid_auth"}
        except XerusPrivilegeError:
            self._errors = {"base": "insufficient_privileges"}
        except (XerusProtocolError, XerusNotFoundError):
            self._errors = {"base": "not_xerus"}
        except XerusError:
            LOGGER.debug("Error reading the identity of %s", self._data[CONF_HOST], exc_info=True)
            self._errors = {"base": "cannot_connect"}
        except Exception:
            LOGGER.exception("Unexpected error connecting to %s", self._data[CONF_HOST])
            self._errors = {"base": "unknown"}
        else:
            if identity.role != CascadeRole.LINK_UNIT:
                return identity
            self._errors = {"base": "link_unit"}
            self._placeholders = {"primary_host": identity.primary_host or "?"}
        return None

    async def _async_connect(self) -> ConfigFlowResult | None:
        """Connect and finish the flow; None when the origin form must be shown again."""
        identity = await self._async_probe()
        if self._untrusted_fingerprint is not None:
            return await self.async_step_trust_certificate()
        if identity is None:
            if self._errors.get("base") == "link_unit" and self.source not in _USER_SOURCES:
                # Discovered link unit: nothing the user can fix in this flow.
                return self.async_abort(
                    reason="link_unit", description_placeholders=self._placeholders
                )
            return None
        mac = dr.format_mac(identity.mac) if identity.mac else None
        self._data[CONF_MAC] = mac
        if self.source == SOURCE_REAUTH:
            await self.async_set_unique_id(identity.unique_id)
            self._abort_if_unique_id_mismatch(reason="wrong_device")
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(), data_updates=self._data
            )
        if self.source == SOURCE_RECONFIGURE:
            await self.async_set_unique_id(identity.unique_id)
            self._abort_if_unique_id_mismatch(reason="wrong_device")
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), data_updates=self._data
            )
        if self.source == SOURCE_USER:
            await self.async_set_unique_id(identity.unique_id)
            self._abort_if_unique_id_configured()
        else:
            await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
            self._abort_if_unique_id_configured(
                updates={CONF_HOST: self._data[CONF_HOST], CONF_PORT: self._data[CONF_PORT]}
            )
        return self.async_create_entry(title=_entry_title(identity), data=self._data)

    # ------------------------------------------------------------------ discovery

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A device with the Raritan OUI got an address."""
        mac = dr.format_mac(discovery_info.macaddress)
        host = discovery_info.ip
        device_registry = dr.async_get(self.hass)
        connection = (dr.CONNECTION_NETWORK_MAC, mac)
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_MAC) == mac:
                # A known primary unit: follow its new address.
                await self.async_set_unique_id(entry.unique_id)
                self._abort_if_unique_id_configured(updates={CONF_HOST: host})
            if any(
                connection in device.connections
                for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
            ):
                # A link unit of a configured primary unit: nothing to set up.
                return self.async_abort(reason="already_configured")
        await self.async_set_unique_id(mac)
        self._abort_if_unique_id_configured()
        return await self._async_start_discovery(
            host, DEFAULT_PORT_HTTPS, discovery_info.hostname or host
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A PDU announced its JSON-RPC service (``_raritan-rpcs._tcp``)."""
        host = str(discovery_info.ip_address)
        # The serial number is unknown until the user gave credentials; until then the
        # service instance name (unique on the network) identifies the flow, so the
        # discovery can be ignored.
        await self.async_set_unique_id(discovery_info.name.lower())
        self._abort_if_unique_id_configured()
        name = discovery_info.name.split(".", 1)[0] or host
        return await self._async_start_discovery(
            host, discovery_info.port or DEFAULT_PORT_HTTPS, name
        )

    async def _async_start_discovery(self, host: str, port: int, name: str) -> ConfigFlowResult:
        self._async_abort_entries_match({CONF_HOST: host})
        for progress in self._async_in_progress(include_uninitialized=True):
            placeholders = progress["context"].get("title_placeholders") or {}
            if placeholders.get(CONF_HOST) == host:
                return self.async_abort(reason="already_in_progress")
        self.context["title_placeholders"] = {"name": name, CONF_HOST: host}
        self._data = {
            CONF_HOST: host,
            CONF_PORT: port,
            CONF_SSL: True,
            CONF_VERIFY_SSL: True,
            CONF_FINGERPRINT: None,
        }
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the credentials of a discovered PDU."""
        if user_input is not None and (result := await self._async_connect_with(user_input)):
            return result
        return self._async_show_discovery_form()

    async def _async_connect_with(self, credentials: dict[str, Any]) -> ConfigFlowResult | None:
        """Connect with new credentials (the rest of the entry data stays as it is)."""
        self._reset_errors()
        self._suggested = {CONF_USERNAME: credentials[CONF_USERNAME]}
        self._data[CONF_USERNAME] = credentials[CONF_USERNAME]
        self._data[CONF_PASSWORD] = credentials[CONF_PASSWORD]
        return await self._async_connect()

    def _async_show_discovery_form(self) -> ConfigFlowResult:
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=self.add_suggested_values_to_schema(CREDENTIALS_SCHEMA, self._suggested),
            errors=self._errors,
            description_placeholders={**self._placeholders, CONF_HOST: self._data[CONF_HOST]},
        )

    # ------------------------------------------------------------------ reauth

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The PDU rejected the credentials, or presented a different certificate."""
        self._data = dict(entry_data)
        self._suggested = {CONF_USERNAME: entry_data[CONF_USERNAME]}
        # Probe with the stored settings: a changed certificate is fixed by trusting the
        # new one (no password needed); anything else asks for credentials.
        await self._async_probe()
        self._reset_errors()
        if self._untrusted_fingerprint is not None:
            return await self.async_step_trust_certificate()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new credentials."""
        if user_input is not None and (result := await self._async_connect_with(user_input)):
            return result
        return self._async_show_reauth_form()

    def _async_show_reauth_form(self) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(CREDENTIALS_SCHEMA, self._suggested),
            errors=self._errors,
            description_placeholders={
                **self._placeholders,
                "name": entry.title,
                CONF_HOST: entry.data[CONF_HOST],
            },
        )

    # ------------------------------------------------------------------ reconfigure

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change host, port, HTTPS, verification or credentials of the same PDU."""
        entry = self._get_reconfigure_entry()
        self._known_fingerprint = entry.data.get(CONF_FINGERPRINT)
        if user_input is None:
            self._suggested = {
                key: entry.data[key]
                for key in (CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL, CONF_USERNAME)
            }
        elif (
            # An empty password field keeps the stored password.
            self._take_connection_input(
                user_input, user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
            )
            and (result := await self._async_connect()) is not None
        ):
            return result
        return self._async_show_reconfigure_form()

    def _async_show_reconfigure_form(self) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(RECONFIGURE_SCHEMA, self._suggested),
            errors=self._errors,
            description_placeholders={
                **self._placeholders,
                "name": self._get_reconfigure_entry().title,
            },
        )
