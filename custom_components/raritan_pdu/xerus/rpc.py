"""JSON-RPC building blocks shared by the client and reading plans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from .const import RPC_ERR_PRIVILEGE
from .exceptions import (
    XerusAuthenticationError,
    XerusError,
    XerusHttpError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
)


class _Missing:
    """Marker for a bulk sub-request without a response."""


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class BulkCall:
    """One sub-request of a ``/bulk`` call."""

    rid: str
    method: str
    params: dict[str, Any] | None = None

    def fragment(self, request_id: int) -> str:
        """The serialized ``{"rid": ..., "json": {...}}`` request object."""
        return json.dumps(
            {
                "rid": self.rid,
                "json": {
                    "jsonrpc": "2.0",
                    "method": self.method,
                    "params": self.params or {},
                    "id": request_id,
                },
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True, slots=True)
class BulkResult:
    """Result of one bulk sub-request: ``value`` (decoded like ``call``) or ``error``."""

    value: Any = None
    error: XerusError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Any:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value


def unwrap_result(result: Any) -> Any:
    """``result._ret_``, or the whole result when out-parameters exist; ``None`` for void."""
    if isinstance(result, dict):
        if not result:
            return None
        if "_ret_" in result and len(result) == 1:
            return result["_ret_"]
    return result


def rpc_error(error: object) -> XerusRpcError:
    """Exception for a JSON-RPC error object."""
    data = error if isinstance(error, dict) else {}
    code = data.get("code")
    message = data.get("message")
    code = code if isinstance(code, int) and not isinstance(code, bool) else -32603
    text = message if isinstance(message, str) else str(error)
    if code == RPC_ERR_PRIVILEGE:
        return XerusPrivilegeError(code, text)
    return XerusRpcError(code, text)


def http_error(status: int, what: str = "") -> XerusError:
    """Exception for a non-200 HTTP status (or bulk ``statcode``)."""
    suffix = f" ({what})" if what else ""
    if status == 404:
        return XerusNotFoundError(404, f"resource not found{suffix}")
    if status == 401:
        return XerusAuthenticationError(f"authentication failed{suffix}")
    if status == 403:
        return XerusPrivilegeError(403, f"forbidden (HTTP 403){suffix}")
    return XerusHttpError(status, f"HTTP status {status}{suffix}")


def decode_sub_response(response: object) -> Any:
    """The ``result`` of a bulk sub-response, or the ``XerusError`` describing its failure."""
    if isinstance(response, XerusError):
        return response
    if response is MISSING:
        return XerusProtocolError("the bulk response has no answer for this sub-request")
    if not isinstance(response, dict):
        return XerusProtocolError("malformed bulk sub-response")
    statcode = response.get("statcode")
    if statcode != 200:
        if isinstance(statcode, int) and not isinstance(statcode, bool):
            return http_error(statcode, "bulk sub-request")
        return XerusProtocolError("bulk sub-response without statcode")
    msg = response.get("json")
    if isinstance(msg, str):  # old performRequest style: JSON in a string
        try:
            msg = json.loads(msg)
        except ValueError:
            return XerusProtocolError("malformed JSON in bulk sub-response")
    if not isinstance(msg, dict):
        return XerusProtocolError("bulk sub-response without JSON-RPC object")
    error = msg.get("error")
    if error is not None:
        return rpc_error(error)
    if "result" not in msg:
        return XerusProtocolError("bulk sub-response without result")
    return msg["result"]


__all__ = [
    "MISSING",
    "BulkCall",
    "BulkResult",
    "decode_sub_response",
    "http_error",
    "rpc_error",
    "unwrap_result",
]
