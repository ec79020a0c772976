"""JSON-RPC 2.0 of the Xerus API: the one place that writes and reads the envelope.

Writing: :func:`encode_request` (one call, POSTed to the object's RID), :func:`encode_sub_request`
(one sub-request of a ``/bulk`` call, serialized once and reused: reading plans keep thousands of
them) and :func:`encode_bulk` (the ``performBulk`` envelope around pre-serialized sub-requests).
Nothing else in the package writes JSON-RPC text.

Reading: :func:`parse_body` (the HTTP body), :func:`response_result` (the ``result`` of a
response, checked against the request id), :func:`bulk_responses` (the sub-responses of
``performBulk``), :func:`decode_sub_response` (one sub-response) and the error mapping
(:func:`rpc_error`, :func:`http_error`). Failures become ``XerusError`` subclasses, never anything
else.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
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

#: orjson's parser when it is installed (Home Assistant always installs it; the library works
#: with the standard library alone), and what it raises for a body it does not take.
_fast_loads: Callable[[bytes], Any] | None = None
_FastError: type[ValueError] = ValueError
try:
    import orjson
except ImportError:  # pragma: no cover - the standard library alone
    pass
else:
    _fast_loads, _FastError = orjson.loads, orjson.JSONDecodeError

#: JSON-RPC "internal error" (also used for an error object without a usable code).
RPC_ERR_INTERNAL: Final = -32603
#: The largest response body read or decompressed (bytes). The largest real answers (a poll or
#: a discovery round of a primary with 7 link units x 48 outlets) are 1-3 MB of JSON; 16 MiB
#: leaves room for bigger stacks and still bounds what a broken or hostile peer costs.
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
#: ``Accept-Encoding`` the client sends: exactly the encodings :func:`decompress_body` reads.
ACCEPT_ENCODING: Final = "gzip, deflate"
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS

_compact = json.JSONEncoder(separators=(",", ":")).encode


class _Missing:
    """Marker for a bulk sub-request without a response."""


MISSING: Final = _Missing()

# --- writing ----------------------------------------------------------------------------------


def _params(params: Mapping[str, Any] | None) -> str:
    return _compact(params) if params else "{}"


def encode_request(method: str, params: Mapping[str, Any] | None, request_id: int) -> bytes:
    """The body of a single call (POSTed to the RID of the object)."""
    return (
        '{"jsonrpc":"2.0","method":'
        + encode_basestring_ascii(method)
        + ',"params":'
        + _params(params)
        + ',"id":'
        + str(request_id)
        + "}"
    ).encode()


def encode_sub_request(
    rid: str, method: str, sub_id: int, params: Mapping[str, Any] | None = None
) -> str:
    """One ``{"rid": ..., "json": {...}}`` sub-request of a ``/bulk`` call.

    ``sub_id`` is the sub-request's position in its bulk: answers are matched by it.
    """
    return (
        '{"rid":'
        + encode_basestring_ascii(rid)
        + ',"json":{"jsonrpc":"2.0","method":'
        + encode_basestring_ascii(method)
        + ',"params":'
        + _params(params)
        + ',"id":'
        + str(sub_id)
        + "}}"
    )


def encode_bulk(fragments: Sequence[str], request_id: int) -> bytes:
    """The ``performBulk`` call around pre-serialized sub-requests (POSTed to ``/bulk``)."""
    return (
        '{"jsonrpc":"2.0","method":"performBulk","params":{"requests":['
        + ",".join(fragments)
        + ']},"id":'
        + str(request_id)
        + "}"
    ).encode()


@dataclass(frozen=True, slots=True)
class BulkCall:
    """One sub-request of a ``/bulk`` call."""

    rid: str
    method: str
    params: dict[str, Any] | None = None

    def fragment(self, request_id: int) -> str:
        """The serialized ``{"rid": ..., "json": {...}}`` request object."""
        return encode_sub_request(self.rid, self.method, request_id, self.params)


def encode_calls(calls: Sequence[BulkCall]) -> list[str]:
    """The sub-requests of ``calls``, numbered by position (what ``bulk_raw`` sends)."""
    return [call.fragment(i) for i, call in enumerate(calls)]


# --- reading ----------------------------------------------------------------------------------


def _too_large() -> XerusProtocolError:
    return XerusProtocolError(f"the response is larger than {MAX_BODY_BYTES // 2**20} MiB")


def decompress_body(raw: bytes, content_encoding: str) -> bytes:
    """The body without its ``Content-Encoding`` (gzip, deflate), never above the size cap."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding in ("gzip", "x-gzip"):
        wbits = _GZIP_WBITS
    elif encoding == "deflate":
        # RFC 9110 "deflate" is zlib-wrapped; some servers send raw deflate.
        wbits = zlib.MAX_WBITS if raw[:1] and raw[0] & 0x0F == 8 else -zlib.MAX_WBITS
    else:
        raise XerusProtocolError(f"unsupported content encoding {encoding[:20]!r}")
    decompressor = zlib.decompressobj(wbits)
    try:
        data = decompressor.decompress(raw, MAX_BODY_BYTES + 1)
    except zlib.error as err:
        raise XerusProtocolError(f"the {encoding} response body is corrupt") from err
    if len(data) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
        raise _too_large()
    if not decompressor.eof:
        raise XerusProtocolError(f"the {encoding} response body is truncated")
    return data


def parse_body(raw: bytes, content_type: str, content_encoding: str = "") -> dict[str, Any]:
    """The JSON object of a response body; HTML, garbage, a truncated or huge body raise.

    ``NaN``/``Infinity`` literals parse (to non-finite floats): a reading decoder treats such a
    value as invalid, so one bad reading does not fail the whole answer.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    raw = decompress_body(raw, content_encoding)
    text = raw.lstrip()
    if not text:
        raise XerusProtocolError("empty response body")
    if text[:1] == b"<" or "html" in content_type.lower():
        raise XerusProtocolError("the device answered with HTML instead of JSON", answered=False)
    try:
        data = _loads(raw)
    except ValueError as err:  # also UnicodeDecodeError and integers of over 4300 digits
        raise XerusProtocolError(f"malformed or truncated JSON: {_short(err)}") from err
    except RecursionError as err:
        raise XerusProtocolError("malformed JSON: nested too deeply") from err
    if not isinstance(data, dict):
        raise XerusProtocolError("the JSON-RPC response is not an object")
    return data


#: The integers both parsers make an ``int``: orjson makes one outside them the nearest float.
_INT_MIN: Final = -(2**63)
_INT_LIMIT: Final = 2**64


def _parse_int(text: str) -> int | float:
    """An integer literal as orjson reads it, for the standard library's parser.

    Every IDL integer (``int``, ``long``, ``time``) is inside 64 bits, where both give the same
    ``int``; beyond, orjson gives the nearest float, and so does this (infinite for one too
    large for a float, like ``1e400``: a reading decoder takes it for an invalid value). Over
    4300 digits, ``int()`` raises: a malformed body, as before.
    """
    if len(text) < 19:  # at most 18 digits: inside 64 bits
        return int(text)
    number = int(text)
    if _INT_MIN <= number < _INT_LIMIT:
        return number
    return float(text)


def _loads(raw: bytes) -> Any:
    """``json.loads``, through orjson when it is installed (a poll of a large stack is 1-3 MB).

    The same result either way: orjson rejects what the standard library takes (``NaN`` and
    ``Infinity`` literals, numbers beyond a double, a BOM, UTF-16, lone surrogates, deep
    nesting), which the standard library then parses (or rejects); and the standard library
    reads an integer beyond 64 bits as orjson does (:func:`_parse_int`), so that no body needs
    a scan for long numbers first.
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(raw)
        except _FastError:
            pass
    return json.loads(raw, parse_int=_parse_int)


def _short(err: ValueError) -> str:
    """The first line of a decoding error, at most 120 characters (it may quote the body)."""
    text = str(err).split("\n", 1)[0]
    return text if len(text) <= 120 else text[:117] + "..."


def response_result(msg: Mapping[str, Any], request_id: int) -> Any:
    """The ``result`` of a JSON-RPC response to ``request_id``; an error object raises."""
    error = msg.get("error")
    if error is not None:
        if msg.get("id") not in (None, request_id):
            raise XerusProtocolError("JSON-RPC error with a foreign id")
        raise rpc_error(error)
    if msg.get("id") != request_id:
        raise XerusProtocolError(
            f"JSON-RPC response id {msg.get('id')!r} does not match {request_id}"
        )
    if "result" not in msg:
        raise XerusProtocolError("JSON-RPC response without result")
    return msg["result"]


def bulk_responses(result: object) -> list[Any]:
    """The ``responses`` list of a ``performBulk`` result."""
    responses = result.get("responses") if isinstance(result, dict) else None
    if not isinstance(responses, list):
        raise XerusProtocolError("performBulk result without responses")
    return responses


def sub_response_id(response: object) -> Any:
    """The JSON-RPC id of a raw sub-response (``None`` if it has none)."""
    msg = response.get("json") if isinstance(response, dict) else None
    return msg.get("id") if isinstance(msg, dict) else None


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
    code = code if isinstance(code, int) and not isinstance(code, bool) else RPC_ERR_INTERNAL
    if isinstance(message, str):
        text = message
    else:
        text = error if isinstance(error, str) else "no error message"
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


def _statcode_error(statcode: object) -> XerusError:
    if isinstance(statcode, int) and not isinstance(statcode, bool):
        return http_error(statcode, "bulk sub-request")
    return XerusProtocolError("bulk sub-response without statcode")


def _message_result(msg: object) -> Any:
    if isinstance(msg, str):  # old performRequest style: JSON in a string
        try:
            msg = json.loads(msg)
        except (ValueError, RecursionError):
            return XerusProtocolError("malformed JSON in bulk sub-response")
    if not isinstance(msg, dict):
        return XerusProtocolError("bulk sub-response without JSON-RPC object")
    error = msg.get("error")
    if error is not None:
        return rpc_error(error)
    if "result" not in msg:
        return XerusProtocolError("bulk sub-response without result")
    return msg["result"]


def decode_sub_response(response: object) -> Any:
    """The ``result`` of a bulk sub-response, or the ``XerusError`` describing its failure."""
    if isinstance(response, XerusError):
        return response
    if not isinstance(response, dict):
        if response is MISSING:
            return XerusProtocolError("the bulk response has no answer for this sub-request")
        return XerusProtocolError("malformed bulk sub-response")
    statcode = response.get("statcode")
    if statcode != 200:
        return _statcode_error(statcode)
    return _message_result(response.get("json"))


@dataclass(frozen=True, slots=True)
class BulkResult:
    """Result of one bulk sub-request: ``value`` (decoded like ``call``) or ``error``."""

    value: Any = None
    error: XerusError | None = None

    @classmethod
    def from_sub_response(cls, response: object) -> BulkResult:
        """Decode one raw sub-response (as ``bulk_raw`` returns it)."""
        decoded = decode_sub_response(response)
        if isinstance(decoded, XerusError):
            return cls(None, decoded)
        return cls(unwrap_result(decoded))

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Any:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value


__all__ = [
    "ACCEPT_ENCODING",
    "MAX_BODY_BYTES",
    "MISSING",
    "RPC_ERR_INTERNAL",
    "BulkCall",
    "BulkResult",
    "bulk_responses",
    "decode_sub_response",
    "decompress_body",
    "encode_bulk",
    "encode_calls",
    "encode_request",
    "encode_sub_request",
    "http_error",
    "parse_body",
    "response_result",
    "rpc_error",
    "sub_response_id",
    "unwrap_result",
]
