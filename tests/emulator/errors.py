"""Exceptions used inside the emulator to produce JSON-RPC errors and HTTP statuses."""

from __future__ import annotations

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
INSUFFICIENT_PRIVILEGES = -32001


class RpcError(Exception):
    """Answered as a JSON-RPC error object (HTTP 200)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class HttpStatusError(Exception):
    """Answered as an HTTP status without JSON body (in a bulk: that statcode)."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(f"HTTP {status} {reason}")
        self.status = status
        self.reason = reason


def method_not_found(method: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")


def invalid_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: {message}")


def privilege_error() -> RpcError:
    return RpcError(INSUFFICIENT_PRIVILEGES, "Insufficient privileges to perform request.")
