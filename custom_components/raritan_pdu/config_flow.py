"""Config flow for Raritan PDUs: user, trust certificate, discovery, reauth, reconfigure.

Every step that connects does the same three things: parse the form (pure functions below, raising
``InvalidInput`` with an error for each field), ``validate_input`` (read the nameplate, raising a
typed error), and finish (create or update the entry). A certificate that fails verification
leads to the ``trust_certificate`` step, which retries the step that met it with the same input.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Self
from urllib.parse import urlsplit

import voluptuous as vol
from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
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
    XerusError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusTimeoutError,
    XerusTlsError,
)

# No min/max on the port selector: an out-of-range number must reach the flow, which answers
# with a translated field error (the selector's own check shows an untranslated message).
_PORT_SELECTOR = NumberSelector(NumberSelectorConfig(step=1, mode=NumberSelectorMode.BOX))
_PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_USERNAME_SELECTOR = TextSelector(TextSelectorConfig(autocomplete="username"))


def _connection_schema(password: vol.Marker) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST): TextSelector(),
            vol.Optional(CONF_PORT): _PORT_SELECTOR,
            vol.Required(CONF_SSL, default=True): bool,
            vol.Required(CONF_VERIFY_SSL, default=True): bool,
            vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): _USERNAME_SELECTOR,
            password: _PASSWORD_SELECTOR,
        }
    )


USER_SCHEMA = _connection_schema(vol.Required(CONF_PASSWORD))
# An empty password keeps the stored one.
RECONFIGURE_SCHEMA = _connection_schema(vol.Optional(CONF_PASSWORD))
CREDENTIALS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_USERNAME, default=DEFAULT_USERNAME): _USERNAME_SELECTOR,
        vol.Required(CONF_PASSWORD): _PASSWORD_SELECTOR,
    }
)
TRUST_SCHEMA = vol.Schema({vol.Required(CONF_TRUST, default=False): bool})

# Longer user names or passwords are paste errors; the limit keeps the request header small.
_MAX_CREDENTIAL_LENGTH: Final = 128
_MAX_HOSTNAME_LENGTH: Final = 253
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?")
# host[:port] or [IPv6]:port; the port part is checked on its own.
_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[^\]]*)\]|(?P<name>[^:\[\]]*))(?::(?P<port>[^:]*))?")

# Errors of the nameplate read and what the form shows for them (the first class of the
# exception's MRO found here decides).
_CONNECT_ERRORS: Final[dict[type[Exception], str]] = {
    XerusTimeoutError: "timeout_connect",
    XerusAuthenticationError: "invalid_auth",
    XerusPrivilegeError: "insufficient_privileges",
    XerusProtocolError: "not_xerus",
    XerusNotFoundError: "not_xerus",
    XerusError: "cannot_connect",
}


# ---------------------------------------------------------------------------------- errors


class FormError(Exception):
    """Something to show on the form: ``errors`` (field or ``"base"`` -> translation key)."""

    def __init__(self, errors: dict[str, str], placeholders: dict[str, str] | None = None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.placeholders = placeholders or {}


class InvalidInput(FormError):
    """Form fields that can't be used, each with its error."""


class CannotConnect(FormError):
    """Reading the nameplate failed: ``error`` is the form's base error."""

    def __init__(self, error: str, placeholders: dict[str, str] | None = None) -> None:
        super().__init__({"base": error}, placeholders)


class LinkUnit(CannotConnect):
    """The address answers as a link unit: its primary unit must be added instead."""

    def __init__(self, primary_host: str | None) -> None:
        if primary_host:
            super().__init__("link_unit", {"primary_host": primary_host})
        else:
            super().__init__("link_unit_unknown_primary")


class UntrustedCertificate(Exception):
    """The certificate failed verification; its fingerprint can be pinned instead."""

    def __init__(self, host: str, fingerprint: str) -> None:
        super().__init__(fingerprint)
        self.host = host
        self.fingerprint = fingerprint


class InvalidHost(ValueError):
    """The host field can't be used; ``error`` is its translation key."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ---------------------------------------------------------------------------------- parsing


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _parse_port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise InvalidHost("invalid_port")
    return int(text)


def _parse_hostname(name: str) -> str:
    """A host name or IP address, normalised (lower case, IPv6 compressed without brackets)."""
    name = name.lower()
    if ":" in name:
        try:
            address = ipaddress.IPv6Address(name)
        except ValueError as err:
            raise InvalidHost("invalid_host") from err
        if address.scope_id:
            # fe80::1%eth0: the zone names an interface of this machine, which a URL can't use.
            raise InvalidHost("ipv6_zone")
        return address.compressed
    if name.replace(".", "").isdigit():
        # Only digits and dots: an IPv4 address or nothing (999.1.1.1 is no host name).
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError as err:
            raise InvalidHost("invalid_host") from err
    if len(name) > _MAX_HOSTNAME_LENGTH or not _HOSTNAME.fullmatch(name):
        raise InvalidHost("invalid_host")
    return name


def parse_host(raw: str, ssl: bool) -> tuple[str, int | None, bool]:
    """Split what the user typed as host into ``(host, port or None, ssl)``.

    Accepts ``pdu.local``, ``10.0.0.5``, ``10.0.0.5:8443``, ``fe80::1``, ``[fe80::1]:8443`` and
    URLs such as ``https://10.0.0.5/`` (the scheme decides HTTPS). A URL has no path, query or
    user name (the API is at the root of the PDU's web server). Raises ``InvalidHost``.
    """
    text = raw.strip()
    if not text or _has_control_characters(text):
        raise InvalidHost("invalid_host")
    if "://" not in text:
        if text.count(":") > 1 and not text.startswith("["):
            text = f"[{text}]"  # a bare IPv6 address
        text = f"{'https' if ssl else 'http'}://{text}"
    try:
        url = urlsplit(text)
    except ValueError as err:  # e.g. an unclosed bracket
        raise InvalidHost("invalid_host") from err
    if url.scheme not in ("http", "https") or "@" in url.netloc or url.path not in ("", "/"):
        raise InvalidHost("invalid_url")
    if url.query:
        raise InvalidHost("invalid_url")
    authority = _AUTHORITY.fullmatch(url.netloc)
    if authority is None:
        raise InvalidHost("invalid_host")
    port_text = authority["port"]
    port = None if port_text is None else _parse_port(port_text)
    host = _parse_hostname(authority["ipv6"] or authority["name"] or "")
    return host, port, url.scheme == "https"


def _port_field_error(value: float | None) -> str | None:
    if value is None or (math.isfinite(value) and value.is_integer() and 0 < value < 65536):
        return None
    return "invalid_port"


def _credential_error(value: str, *, username: bool) -> str | None:
    if len(value) > _MAX_CREDENTIAL_LENGTH:
        return "too_long"
    if _has_control_characters(value):
        return "control_characters"
    if username and ":" in value:
        # HTTP Basic authentication cannot carry a colon in the user name (RFC 7617).
        return "username_colon"
    return None


def _credential_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if error := _credential_error(user_input[CONF_USERNAME], username=True):
        errors[CONF_USERNAME] = error
    if error := _credential_error(user_input[CONF_PASSWORD], username=False):
        errors[CONF_PASSWORD] = error
    return errors


def parse_credentials(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Username and password of a form. Raises ``InvalidInput``."""
    if errors := _credential_errors(user_input):
        raise InvalidInput(errors)
    return {
        CONF_USERNAME: user_input[CONF_USERNAME],
        CONF_PASSWORD: user_input[CONF_PASSWORD],
    }


def parse_connection(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data (no MAC, no fingerprint yet) from the user or reconfigure form.

    A port in the host wins over the port field; without either, the scheme's default port is
    used. Raises ``InvalidInput`` with an error for every field that can't be used.
    """
    errors = _credential_errors(user_input)
    field_port: float | None = user_input.get(CONF_PORT)
    if error := _port_field_error(field_port):
        errors[CONF_PORT] = error
    try:
        host, host_port, ssl = parse_host(user_input[CONF_HOST], user_input[CONF_SSL])
    except InvalidHost as err:
        errors[CONF_HOST] = err.error
    if errors:
        raise InvalidInput(errors)
    default_port = DEFAULT_PORT_HTTPS if ssl else DEFAULT_PORT_HTTP
    return {
        CONF_HOST: host,
        CONF_PORT: host_port or (int(field_port) if field_port else default_port),
        CONF_SSL: ssl,
        CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
        CONF_FINGERPRINT: None,
        **parse_credentials(user_input),
    }


def _typed_values(user_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the user typed, to show again (Home Assistant never fills in a password)."""
    return {key: value for key, value in (user_input or {}).items() if key != CONF_PASSWORD}


# ---------------------------------------------------------------------------------- validation


def _connect_error(err: Exception) -> str:
    return next(_CONNECT_ERRORS[cls] for cls in type(err).__mro__ if cls in _CONNECT_ERRORS)


async def validate_input(hass: HomeAssistant, data: Mapping[str, Any]) -> PduIdentity:
    """Read the nameplate of the primary unit with the entry data ``data`` (one request).

    Raises ``UntrustedCertificate`` when the certificate failed verification, ``LinkUnit`` when
    the address answers as a link unit and ``CannotConnect`` for everything else.
    """
    host = data[CONF_HOST]
    client = async_create_client(hass, data)
    try:
        identity = await client.get_identity()
    except XerusError as err:
        if isinstance(err, XerusTlsError) and err.fingerprint:
            raise UntrustedCertificate(host, err.fingerprint) from err
        # Without a certificate to show (e.g. HTTPS to a plain HTTP port) TLS errors are
        # connection errors.
        LOGGER.debug("Cannot read the identity of %s: %s", host, err)
        raise CannotConnect(_connect_error(err)) from err
    except Exception as err:
        LOGGER.exception("Unexpected error reading the identity of %s", host)
        raise CannotConnect("unknown") from err
    finally:
        await client.close()
    if identity.role == CascadeRole.LINK_UNIT:
        raise LinkUnit(identity.primary_host)
    return identity


def _entry_title(identity: PduIdentity) -> str:
    return identity.name or f"{identity.model} {identity.serial}".strip()


def _with_mac(data: dict[str, Any], identity: PduIdentity) -> dict[str, Any]:
    return {**data, CONF_MAC: dr.format_mac(identity.mac) if identity.mac else None}


def _follow_address(
    entry: ConfigEntry | None, host: str, port: int | None = None
) -> dict[str, Any]:
    """The address updates for a configured PDU found again by a discovery.

    An entry that stores an IP address follows the discovered one; a host name is left alone
    (it resolves by itself, and a CA-signed certificate may name it).
    """
    if entry is None:
        return {}
    try:
        ipaddress.ip_address(entry.data.get(CONF_HOST, ""))
    except ValueError:
        return {}
    return {CONF_HOST: host} if port is None else {CONF_HOST: host, CONF_PORT: port}


@dataclass(slots=True)
class _PendingTrust:
    """A certificate shown in the trust step, and the step (with its input) that met it."""

    host: str
    fingerprint: str
    retry: Callable[[], Awaitable[ConfigFlowResult]]


# ---------------------------------------------------------------------------------- flow


class RaritanConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Raritan (Xerus) PDU."""

    VERSION = 1
    MINOR_VERSION = 2

    # Address of a discovered PDU (None in other flows).
    _host: str | None = None
    _port: int

    def __init__(self) -> None:
        """Initialise the flow state."""
        # Fingerprints the user trusted in this flow (and the entry's): never asked again.
        self._trusted: set[str] = set()
        # The fingerprint just declined: the retried step shows certificate_not_trusted.
        self._declined: str | None = None
        self._pending: _PendingTrust | None = None

    def is_matching(self, other_flow: Self) -> bool:
        """A discovery of the address another flow is already setting up."""
        return other_flow._host == self._host

    async def _async_validate(self, data: dict[str, Any]) -> PduIdentity:
        """``validate_input``, pinning a certificate trusted in this flow (set in ``data``)."""
        declined, self._declined = self._declined, None
        try:
            return await validate_input(self.hass, data)
        except UntrustedCertificate as err:
            if err.fingerprint == declined:
                raise CannotConnect("certificate_not_trusted") from err
            if err.fingerprint not in self._trusted:
                raise
            data[CONF_FINGERPRINT] = err.fingerprint
        return await validate_input(self.hass, data)

    async def _async_ask_trust(
        self, err: UntrustedCertificate, retry: Callable[[], Awaitable[ConfigFlowResult]]
    ) -> ConfigFlowResult:
        self._pending = _PendingTrust(err.host, err.fingerprint, retry)
        return await self.async_step_trust_certificate()

    async def async_step_trust_certificate(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the fingerprint of a certificate that failed verification; offer to pin it."""
        pending = self._pending
        assert pending is not None
        if user_input is None:
            return self.async_show_form(
                step_id="trust_certificate",
                data_schema=TRUST_SCHEMA,
                description_placeholders={
                    CONF_HOST: pending.host,
                    "fingerprint": pending.fingerprint,
                },
            )
        self._pending = None
        if user_input[CONF_TRUST]:
            self._trusted.add(pending.fingerprint)
        else:
            self._declined = pending.fingerprint
        return await pending.retry()

    # ------------------------------------------------------------------ user

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the address and the credentials of the PDU."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data = parse_connection(user_input)
                identity = await self._async_validate(data)
            except UntrustedCertificate as err:
                return await self._async_ask_trust(err, partial(self.async_step_user, user_input))
            except FormError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=_entry_title(identity), data=_with_mac(data, identity)
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, _typed_values(user_input)),
            errors=errors,
            description_placeholders=placeholders,
        )

    # ------------------------------------------------------------------ discovery

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A device with the Raritan OUI got an address."""
        mac = dr.format_mac(discovery_info.macaddress)
        device_registry = dr.async_get(self.hass)
        connection = (dr.CONNECTION_NETWORK_MAC, mac)
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_MAC) == mac:
                # A configured primary unit: this flow is about its entry.
                await self.async_set_unique_id(entry.unique_id)
                self._abort_if_unique_id_configured(
                    updates=_follow_address(entry, discovery_info.ip)
                )
            if any(
                connection in device.connections
                for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
            ):
                # A link unit of a configured primary unit: nothing to set up.
                return self.async_abort(reason="already_configured")
        await self.async_set_unique_id(mac)
        self._abort_if_unique_id_configured()
        return await self._async_discovered(
            discovery_info.ip, DEFAULT_PORT_HTTPS, discovery_info.hostname or discovery_info.ip
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A PDU announced its JSON-RPC service (``_raritan-rpcs._tcp``)."""
        host = str(discovery_info.ip_address)
        await self.async_set_unique_id(discovery_info.name.lower())
        self._abort_if_unique_id_configured()
        return await self._async_discovered(
            host,
            discovery_info.port or DEFAULT_PORT_HTTPS,
            discovery_info.name.split(".", 1)[0] or host,
        )

    async def _async_discovered(self, host: str, port: int, name: str) -> ConfigFlowResult:
        self._async_abort_entries_match({CONF_HOST: host})
        self._host, self._port = host, port
        if self.hass.config_entries.flow.async_has_matching_flow(self):
            return self.async_abort(reason="already_in_progress")
        self.context["title_placeholders"] = {"name": name}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the credentials of a discovered PDU."""
        assert self._host is not None
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_HOST: self._host,
                CONF_PORT: self._port,
                CONF_SSL: True,
                CONF_VERIFY_SSL: True,
                CONF_FINGERPRINT: None,
            }
            try:
                data.update(parse_credentials(user_input))
                identity = await self._async_validate(data)
            except UntrustedCertificate as err:
                return await self._async_ask_trust(
                    err, partial(self.async_step_discovery_confirm, user_input)
                )
            except LinkUnit as err:
                # Nothing to set up: the link unit comes with its primary unit.
                return self.async_abort(
                    reason="link_unit" if err.placeholders else "link_unit_unknown_primary",
                    description_placeholders=err.placeholders,
                )
            except FormError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                entry = await self.async_set_unique_id(identity.unique_id, raise_on_progress=False)
                self._abort_if_unique_id_configured(
                    updates=_follow_address(entry, self._host, self._port)
                )
                return self.async_create_entry(
                    title=_entry_title(identity), data=_with_mac(data, identity)
                )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, _typed_values(user_input)
            ),
            errors=errors,
            description_placeholders={**placeholders, CONF_HOST: self._host},
        )

    # ------------------------------------------------------------------ reauth and reconfigure

    async def _async_update_entry(
        self, entry: ConfigEntry, data: dict[str, Any], identity: PduIdentity
    ) -> ConfigFlowResult:
        """Store the new settings of the entry's PDU (refused for another PDU) and reload."""
        await self.async_set_unique_id(identity.unique_id)
        self._abort_if_unique_id_mismatch(reason="wrong_device")
        return self.async_update_reload_and_abort(entry, data_updates=_with_mac(data, identity))

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The PDU rejected the credentials, or presented a different certificate."""
        # Try the stored settings first: a changed certificate is fixed by trusting the new
        # one (no password needed); anything else asks for credentials.
        try:
            await self._async_validate(dict(entry_data))
        except UntrustedCertificate as err:
            stored = {key: entry_data[key] for key in (CONF_USERNAME, CONF_PASSWORD)}
            return await self._async_ask_trust(err, partial(self.async_step_reauth_confirm, stored))
        except FormError:
            pass
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new credentials."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                data = {**entry.data, **parse_credentials(user_input)}
                identity = await self._async_validate(data)
            except UntrustedCertificate as err:
                return await self._async_ask_trust(
                    err, partial(self.async_step_reauth_confirm, user_input)
                )
            except FormError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                return await self._async_update_entry(entry, data, identity)
        suggested = _typed_values(user_input) or {CONF_USERNAME: entry.data[CONF_USERNAME]}
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(CREDENTIALS_SCHEMA, suggested),
            errors=errors,
            description_placeholders={
                **placeholders,
                "name": entry.title,
                CONF_HOST: entry.data[CONF_HOST],
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change host, port, HTTPS, verification or credentials of the same PDU."""
        entry = self._get_reconfigure_entry()
        if fingerprint := entry.data.get(CONF_FINGERPRINT):
            # The certificate trusted for this entry stays trusted.
            self._trusted.add(fingerprint)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                # An empty password field keeps the stored password.
                password = user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
                data = parse_connection({**user_input, CONF_PASSWORD: password})
                identity = await self._async_validate(data)
            except UntrustedCertificate as err:
                return await self._async_ask_trust(
                    err, partial(self.async_step_reconfigure, user_input)
                )
            except FormError as err:
                errors, placeholders = err.errors, err.placeholders
            else:
                return await self._async_update_entry(entry, data, identity)
        suggested = _typed_values(user_input) or {
            key: entry.data[key]
            for key in (CONF_HOST, CONF_PORT, CONF_SSL, CONF_VERIFY_SSL, CONF_USERNAME)
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(RECONFIGURE_SCHEMA, suggested),
            errors=errors,
            description_placeholders={**placeholders, "name": entry.title},
        )
