"""Typed exceptions of the Xerus JSON-RPC client.

Every exception raised by this package is a subclass of :class:`XerusError`.
"""

from __future__ import annotations

from typing import ClassVar


class XerusError(Exception):
    """Base class of every error raised by the Xerus client."""


class XerusConnectionError(XerusError):
    """The device could not be reached or the connection broke."""


class XerusTimeoutError(XerusConnectionError):
    """The device did not answer within the timeout."""


class XerusTlsError(XerusConnectionError):
    """TLS handshake or certificate verification failed.

    ``fingerprint`` is the SHA-256 fingerprint (``"AB:CD:..."``) of the certificate the
    device presented, when it could be read.
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
    """The device rejected the credentials (HTTP 401)."""

    status: int = 401


class XerusProtocolError(XerusError):
    """The answer is not a valid JSON-RPC response (HTML, truncated, wrong id, ...)."""


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


__all__ = [
    "XerusAuthenticationError",
    "XerusCertificateMismatchError",
    "XerusConnectionError",
    "XerusDeviceError",
    "XerusError",
    "XerusHttpError",
    "XerusNotFoundError",
    "XerusPrivilegeError",
    "XerusProtocolError",
    "XerusRpcError",
    "XerusTimeoutError",
    "XerusTlsError",
]
