"""TLS helpers: certificate fingerprints and cached SSL contexts.

Creating an ``ssl.SSLContext`` that verifies certificates loads the CA store from disk (blocking
I/O), so contexts are created once, in an executor, and cached for the life of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import ssl
from collections.abc import Callable

from .exceptions import (
    XerusConnectionError,
    XerusTimeoutError,
    XerusTlsError,
    describe_os_error,
    describe_ssl_error,
)

_HEX_ONLY = re.compile(r"^[0-9A-F]{64}$")
_contexts: dict[bool, ssl.SSLContext] = {}


def normalize_fingerprint(fingerprint: str) -> str:
    """Return a SHA-256 fingerprint as upper-case, colon-separated hex (``"AB:CD:..."``).

    Accepts colons, spaces, dashes, lower case and an optional ``sha256:`` / ``SHA256=`` prefix.
    Raises ``ValueError`` if it is not 32 bytes of hex.
    """
    text = fingerprint.strip()
    text = re.sub(r"^(sha-?256)\s*[:=]\s*", "", text, flags=re.IGNORECASE)
    hex_digits = re.sub(r"[\s:\-]", "", text).upper()
    if not _HEX_ONLY.match(hex_digits):
        raise ValueError(f"not a SHA-256 fingerprint: {fingerprint!r}")
    return ":".join(hex_digits[i : i + 2] for i in range(0, 64, 2))


def fingerprint_to_bytes(fingerprint: str) -> bytes:
    """The 32 raw bytes of a fingerprint in any format :func:`normalize_fingerprint` accepts."""
    return bytes.fromhex(normalize_fingerprint(fingerprint).replace(":", ""))


def format_fingerprint(digest: bytes) -> str:
    """Format raw digest bytes as ``"AB:CD:..."``."""
    return ":".join(f"{byte:02X}" for byte in digest)


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint of a DER encoded certificate, ``"AB:CD:..."``."""
    return format_fingerprint(hashlib.sha256(der).digest())


def _make_context(verify: bool) -> ssl.SSLContext:
    if verify:
        context = ssl.create_default_context()
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


async def get_ssl_context(verify: bool) -> ssl.SSLContext:
    """A shared client context (verifying or not), created once in an executor."""
    context = _contexts.get(verify)
    if context is None:
        loop = asyncio.get_running_loop()
        maker: Callable[[], ssl.SSLContext] = lambda: _make_context(verify)  # noqa: E731
        context = await loop.run_in_executor(None, maker)
        context = _contexts.setdefault(verify, context)
    return context


async def fetch_certificate_fingerprint(
    host: str,
    port: int = 443,
    timeout: float = 10,  # noqa: ASYNC109 - part of the public API
) -> str:
    """Connect without verification and return the SHA-256 fingerprint of the server certificate.

    The result is upper-case, colon-separated hex, suitable for trust-on-first-use pinning.
    """
    context = await get_ssl_context(False)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                host, port, ssl=context, server_hostname=host or None
            )
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    except TimeoutError as err:
        raise XerusTimeoutError(f"{where} did not present a certificate in time") from err
    except ssl.SSLError as err:
        reason = describe_ssl_error(err)
        raise XerusTlsError(f"TLS handshake with {where} failed: {reason}") from err
    except OSError as err:
        raise XerusConnectionError(f"cannot connect to {where}: {describe_os_error(err)}") from err
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
    if not der:
        raise XerusTlsError(f"{where} presented no certificate")
    return certificate_fingerprint(der)


__all__ = [
    "certificate_fingerprint",
    "fetch_certificate_fingerprint",
    "fingerprint_to_bytes",
    "format_fingerprint",
    "get_ssl_context",
    "normalize_fingerprint",
]
