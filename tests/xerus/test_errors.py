"""Error messages a user reads (Home Assistant shows them: "Failed setup, will retry: ...").

They say what happened in words, name the host and port, and never contain the representation of
a Python object, the password or a session token.
"""

from __future__ import annotations

import base64
import errno
import logging
import re
import socket
import ssl
from typing import Any

import aiohttp
import aiohttp.abc
import pytest

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    ReadingPlan,
    XerusCertificateMismatchError,
    XerusClient,
    XerusConnectionError,
    XerusError,
    XerusTimeoutError,
    XerusTlsError,
    fetch_certificate_fingerprint,
)
from custom_components.raritan_pdu.xerus.exceptions import describe_os_error

from .conftest import ClientFactory

PASSWORD = "s3cret-Pässword"
BASIC = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
WRONG_FP = ":".join(["AB"] * 32)
#: ``<aiohttp.client_reqrep.Fingerprint object at 0x7fefe5cf7490>``, ``<ssl.SSLContext ...>``,
#: aiohttp's ``ssl:default`` / ``ssl:True`` and ``[Errno 111]`` / ``('127.0.0.1', 443)`` tuples.
UNREADABLE = re.compile(r"<[^<>]*>|object at 0x|\bssl:|\[Errno|\('\d")


def assert_readable(err: BaseException, *expected: str, secrets: tuple[str, ...] = ()) -> None:
    text = str(err)
    assert not UNREADABLE.search(text), text
    for secret in (PASSWORD, BASIC, *secrets):
        assert secret not in text
    for part in expected:
        assert part in text, text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    "options",
    [
        {"use_tls": False},
        {"use_tls": True, "verify_tls": True},
        {"use_tls": True, "verify_tls": False},
        {"use_tls": True, "fingerprint": WRONG_FP},
    ],
    ids=["http", "https", "https-no-verify", "pinned"],
)
async def test_stopped_device(emulator_factory: Any, options: dict[str, Any]) -> None:
    emu = await emulator_factory(outlets=1, tls=options["use_tls"], password=PASSWORD)
    port = emu.port
    await emu.stop()
    async with XerusClient("127.0.0.1", port, password=PASSWORD, **options) as client:
        with pytest.raises(XerusConnectionError) as err:
            await client.get_identity()
    assert not isinstance(err.value, XerusTlsError)
    assert_readable(err.value, f"cannot connect to 127.0.0.1:{port}: connection refused")


async def test_wrong_port(emulator_factory: Any) -> None:
    plain = await emulator_factory(outlets=1, password=PASSWORD)
    async with XerusClient(plain.host, plain.port, password=PASSWORD, use_tls=True) as client:
        with pytest.raises(XerusTlsError) as tls_err:
            await client.get_identity()
    assert_readable(
        tls_err.value,
        f"TLS handshake with {plain.host}:{plain.port} failed",
        "does not seem to speak HTTPS",
    )

    secure = await emulator_factory(outlets=1, tls=True, password=PASSWORD)
    async with XerusClient(secure.host, secure.port, password=PASSWORD, use_tls=False) as client:
        with pytest.raises(XerusConnectionError) as http_err:
            await client.get_identity()
    assert_readable(http_err.value, f"{secure.host}:{secure.port} closed the connection")


async def test_untrusted_and_pinned_certificates(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=1, tls=True, password=PASSWORD)
    where = f"{emu.host}:{emu.port}"
    with pytest.raises(XerusTlsError) as untrusted:
        await client_factory(emu, verify_tls=True).get_identity()
    assert_readable(untrusted.value, f"the certificate of {where} is not trusted", "self-signed")

    with pytest.raises(XerusCertificateMismatchError) as mismatch:
        await client_factory(emu, fingerprint=WRONG_FP).get_identity()
    assert_readable(
        mismatch.value, f"the certificate of {where} does not match the pinned fingerprint"
    )


async def test_timeout_and_fingerprint_fetch(emulator_factory: Any) -> None:
    emu = await emulator_factory(outlets=1, password=PASSWORD)
    emu.faults.delay_responses(0.3)
    async with XerusClient(
        emu.host, emu.port, use_tls=False, password=PASSWORD, timeout=0.05
    ) as client:
        with pytest.raises(XerusTimeoutError) as timeout:
            await client.call("/model/pdu/0", "getMetaData")
    assert_readable(timeout.value, f"{emu.host}:{emu.port} did not answer within 0.05 s")

    with pytest.raises(XerusTlsError) as plain:
        await fetch_certificate_fingerprint(emu.host, emu.port, timeout=5)
    assert_readable(plain.value, f"TLS handshake with {emu.host}:{emu.port} failed")
    port = _free_port()
    with pytest.raises(XerusConnectionError) as refused:
        await fetch_certificate_fingerprint("127.0.0.1", port, timeout=5)
    assert_readable(refused.value, f"cannot connect to 127.0.0.1:{port}: connection refused")


async def test_no_password_or_token_in_messages_or_logs(
    emulator_factory: Any, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A session is created, expires, is renewed and finally fails: nothing secret is told."""
    caplog.set_level(logging.DEBUG, logger="custom_components.raritan_pdu.xerus")
    emu = await emulator_factory(outlets=1, password=PASSWORD)
    client = client_factory(emu, password=PASSWORD)
    await client.get_identity()
    assert client.uses_session_token
    tokens = set(emu.sessions)
    emu.faults.expire_sessions()
    await client.get_identity()
    tokens |= set(emu.sessions)
    emu.faults.change_password("another one")
    emu.faults.expire_sessions()
    errors: list[XerusError] = []
    with pytest.raises(XerusError) as err:
        await client.get_identity()
    errors.append(err.value)
    await emu.stop()
    with pytest.raises(XerusError) as err:
        await client.get_identity()
    errors.append(err.value)
    assert len(tokens) == 2
    for error in errors:
        assert_readable(error, secrets=tuple(tokens))
    logged = [record.getMessage() for record in caplog.records]
    assert logged
    for line in logged:
        assert PASSWORD not in line and BASIC not in line
        assert not any(token in line for token in tokens)


class _NoSuchHost(aiohttp.abc.AbstractResolver):
    """A resolver that knows no host (as DNS answers for a mistyped name)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


async def test_unknown_host_name(socket_enabled: None) -> None:
    connector = aiohttp.TCPConnector(resolver=_NoSuchHost())
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        XerusClient("pdu.invalid", password=PASSWORD, session=session) as client,
    ):
        with pytest.raises(XerusConnectionError) as err:
            await client.get_identity()
    assert_readable(err.value, "cannot resolve the host name pdu.invalid")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.5', 443)"),
            "connection refused",
        ),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "host unreachable"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network unreachable"),
        (OSError(errno.EACCES, "Permission denied"), "permission denied"),
        (
            OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 443, 0, 0)"),
            "connection failed",
        ),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "host name not found"),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1020)"),
            "wrong version number",
        ),
        (
            ssl.SSLError(1, "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure"),
            "sslv3 alert handshake failure",
        ),
        (ssl.SSLError(), "TLS error"),
    ],
)
def test_low_level_errors_in_words(error: OSError, words: str) -> None:
    """The words the messages use for socket and TLS errors: no errno, no addresses."""
    text = describe_os_error(error)
    assert text == words
    assert not UNREADABLE.search(text)


async def test_no_secret_in_any_message_or_log_over_every_fault(
    emulator_factory: Any, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Every fault of issue #12 at DEBUG: no password, Basic header or token anywhere."""
    caplog.set_level(logging.DEBUG, logger="custom_components.raritan_pdu.xerus")
    emu = await emulator_factory(outlets=12, link_units=1, peripherals=8, password=PASSWORD)
    client = client_factory(emu, password=PASSWORD, timeout=0.5)
    tokens: set[str] = set()
    errors: list[BaseException] = []

    async def step(action: Any) -> None:
        try:
            await action()
        except XerusError as err:
            errors.append(err)
        tokens.update(emu.sessions)

    topology = await client.discover()
    tokens.update(emu.sessions)
    plan = ReadingPlan.for_topology(topology)
    outlet = topology.primary.outlets[0]
    poll = lambda: client.poll(plan)  # noqa: E731
    faults = [
        emu.faults.expire_sessions,
        lambda: (
            emu.faults.expire_sessions(),
            emu.faults.fail_call(rid="/session", method="newSession", count=1),
        ),
        lambda: emu.faults.http_error(503, count=3),
        emu.faults.truncate_json,
        emu.faults.html_response,
        lambda: emu.faults.drop_connection(count=2, reset=True),
        lambda: emu.faults.fail_call(method="getReading", count=5),
        lambda: emu.faults.link_unreachable(2),
        emu.faults.reboot,
    ]
    for fault in faults:
        fault()
        await step(poll)
        emu.faults.clear()
    await step(lambda: client.poll(plan, check=topology))
    emu.faults.delay_responses(3.0)
    await step(lambda: client.bulk([BulkCall(outlet.rid, "getState")] * 3))
    emu.faults.delay_responses(3.0, after_processing=True)
    await step(lambda: client.cycle_outlet(outlet))
    emu.faults.fail_call(method="getState", count=1)
    await step(lambda: client.set_outlet_power(outlet, on=True))
    emu.faults.change_password("another one")
    emu.faults.expire_sessions()
    await step(poll)
    await step(poll)
    assert len(tokens) >= 2
    assert {type(e).__name__ for e in errors} >= {
        "XerusTimeoutError",
        "XerusProtocolError",
        "XerusOutcomeUnknownError",
        "XerusAuthenticationError",
    }
    for error in errors:
        assert_readable(error, secrets=tuple(tokens))
        assert_readable(error.__cause__ or error, secrets=tuple(tokens))
    logged = caplog.text  # every record at DEBUG, tracebacks included
    assert "rejected" in logged and "the topology changed" in logged
    for secret in (PASSWORD, BASIC, *tokens):
        assert secret not in logged
