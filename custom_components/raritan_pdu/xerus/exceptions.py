"""Typed exceptions of the Xerus JSON-RPC client.

Every exception raised by this package is a subclass of :class:`XerusError`.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import ssl
from typing import ClassVar, Final


class XerusError(Exception):
    """Base class of every error raised by the Xerus client."""


class XerusConnectionError(XerusError):
    """The device could not be reached or the connection broke."""


class XerusTimeoutError(XerusConnectionError):
    """The device did not answer within the timeout."""


class XerusConnectionLostError(XerusConnectionError):
    """The connection broke after the request was sent: the device may have processed it.

    (A request that could not be sent at all, e.g. connection refused, is a plain
    :class:`XerusConnectionError`.)
    """


class XerusOutcomeUnknownError(XerusConnectionError):
    """A command was sent but its answer was lost (timeout, broken connection, garbled body).

    The device may or may not have carried it out: re-read the state instead of reporting a
    failure, and do not repeat the command blindly (a second power cycle). ``method`` is the
    command; the lost answer's error is ``__cause__``.
    """

    def __init__(self, message: str, method: str) -> None:
        super().__init__(message)
        self.method = method


class XerusTlsError(XerusConnectionError):
    """TLS handshake or certificate verification failed.

    ``fingerprint`` is the SHA-256 fingerprint (``"AB:CD:..."``) of the certificate the
    device presented, set only when the certificate is the problem (it failed verification, or
    it is not the pinned one). A handshake that failed for another reason (and, with pinning,
    while the device still presents the pinned certificate) has ``fingerprint`` ``None``: a
    connection problem, not a certificate change.
    """

    def __init__(self, message: str, fingerprint: str | None = None) -> None:
        super().__init__(message)
        self.fingerprint = fingerprint


class XerusCertificateMismatchError(XerusTlsError):
    """The certificate does not match the pinned fingerprint."""

    def __init__(
        self, message: str, fingerprint: str | None = None, expected: str | None = None
    ) -> None:
        super().__init__(message, fingerprint)
        self.expected = expected


class XerusAuthenticationError(XerusError):
    """The device rejected the credentials (HTTP 401).

    ``consecutive``: requests in a row (within this call and the calls before it) whose user
    name and password were rejected since the client's last successful request. One 401 may be a
    blip (an authentication backend that is briefly unavailable); the caller decides how many
    make a confirmed rejection. ``credentials_rejected`` is False when only a session token was
    rejected (nothing says the password is wrong).
    """

    status: int = 401

    def __init__(
        self, message: str, *, consecutive: int = 1, credentials_rejected: bool = True
    ) -> None:
        super().__init__(message)
        self.consecutive = consecutive
        self.credentials_rejected = credentials_rejected


class XerusProtocolError(XerusError):
    """The answer is not a valid JSON-RPC response (HTML, truncated, wrong id, ...).

    ``answered`` is False when the device's JSON-RPC service cannot have seen the request (an
    HTML page came instead of JSON, a redirect was refused): nothing was carried out. True
    for a garbled, truncated or mismatching answer: the request may have been carried out.
    """

    def __init__(self, message: str, *, answered: bool = True) -> None:
        super().__init__(message)
        self.answered = answered


class XerusHttpError(XerusError):
    """The device answered with an unexpected HTTP status (or a bulk sub-request ``statcode``)."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or f"HTTP status {status}")
        self.status = status


class XerusNotFoundError(XerusHttpError):
    """HTTP 404: unknown resource id, e.g. a stale opaque RID after a reboot."""

    def __init__(self, status: int = 404, message: str | None = None) -> None:
        super().__init__(status, message or "resource not found (HTTP 404)")


class XerusRpcError(XerusError):
    """A JSON-RPC error object (``{"error": {"code": ..., "message": ...}}``)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.rpc_message = message


class XerusPrivilegeError(XerusRpcError):
    """The user lacks the privilege for the call (JSON-RPC -32001 or HTTP 403)."""


class XerusStorageError(XerusError):
    """A stored document (``Topology.from_json``) is malformed or of an unknown version."""


class XerusDeviceError(XerusError):
    """A command returned a non-zero integer ``_ret_`` (a domain error code).

    For outlet commands the codes are those of ``const.OutletError``.
    """

    ERR_OUTLET_NOT_SWITCHABLE: ClassVar[int] = 1
    ERR_LOAD_SHEDDING_ACTIVE: ClassVar[int] = 2
    ERR_OUTLET_DISABLED: ClassVar[int] = 3
    ERR_OUTLET_NOT_OFF: ClassVar[int] = 4
    ERR_RELAY_CONTROL_DISABLED: ClassVar[int] = 5

    def __init__(self, code: int, method: str, message: str | None = None) -> None:
        super().__init__(message or f"{method} failed with return code {code}")
        self.code = code
        self.method = method


# --- words for low-level errors ---------------------------------------------------------------
# Messages of these exceptions reach the user (Home Assistant shows them, e.g. "Failed setup, will
# retry: ..."): they say what happened in words and never contain the representation of a Python
# object, a password or a session token.

_ERRNO_WORDS: Final = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed (broken pipe)",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.EADDRNOTAVAIL: "address not available",
}
_SSL_REASON_WORDS: Final = {
    "WRONG_VERSION_NUMBER": "the port does not seem to speak HTTPS (wrong version number)",
    "HTTP_REQUEST": "the port does not seem to speak HTTPS",
}
_SSL_TEXT = re.compile(r"^\[[^\]]*\]\s*(?P<text>.*?)\s*(?:\(_ssl\.c:\d+\))?$")


def describe_ssl_error(err: BaseException) -> str:
    """What went wrong in a TLS handshake, in words (``"self-signed certificate"``)."""
    if isinstance(err, ssl.SSLCertVerificationError) and err.verify_message:
        return str(err.verify_message)
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason:
        return _SSL_REASON_WORDS.get(reason, reason.replace("_", " ").lower())
    text = str(err.args[-1]) if err.args else ""  # (errno, "[SSL: X] text (_ssl.c:n)")
    match = _SSL_TEXT.match(text)
    return (match.group("text") if match else text) or "TLS error"


def describe_os_error(err: BaseException) -> str:
    """A socket error in words (``"connection refused"``), without addresses or objects."""
    if isinstance(err, ssl.SSLError):
        return describe_ssl_error(err)
    if isinstance(err, socket.gaierror):
        return "host name not found"
    code = getattr(err, "errno", None)
    if isinstance(code, int) and code > 0:
        return _ERRNO_WORDS.get(code) or os.strerror(code).lower()
    return "connection failed"


__all__ = [
    "XerusAuthenticationError",
    "XerusCertificateMismatchError",
    "XerusConnectionError",
    "XerusConnectionLostError",
    "XerusDeviceError",
    "XerusError",
    "XerusHttpError",
    "XerusNotFoundError",
    "XerusOutcomeUnknownError",
    "XerusPrivilegeError",
    "XerusProtocolError",
    "XerusRpcError",
    "XerusStorageError",
    "XerusTimeoutError",
    "XerusTlsError",
    "describe_os_error",
    "describe_ssl_error",
]
