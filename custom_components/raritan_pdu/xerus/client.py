"""Async (aiohttp) client of the Xerus JSON-RPC API.

Transport rules (reference section 1): every call is a POST of one JSON-RPC 2.0 object to
``/<rid>``; batching uses the ``/bulk`` object; plain-HTTP requests may be redirected to HTTPS
(handled here, because aiohttp would turn the POST into a GET); authentication is HTTP Basic or a
session token (``X-SessionToken``) that is renewed transparently.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import json
import logging
import time
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote, urljoin, urlsplit

import aiohttp

from .const import (
    ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER,
    RID_BULK,
    RID_CASCADE,
    RID_SESSION,
    RID_UNIT,
    SessionCloseReason,
    pdu_rid,
)
from .exceptions import (
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusConnectionError,
    XerusDeviceError,
    XerusError,
    XerusHttpError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
    XerusTlsError,
)
from .models import (
    CascadeStatus,
    OutletInfo,
    OutletState,
    PduIdentity,
    PeripheralInfo,
    Readings,
    SensorInfo,
    StateReading,
    Topology,
)
from .plan import ReadingPlan
from .rpc import (
    MISSING,
    BulkCall,
    BulkResult,
    decode_sub_response,
    http_error,
    rpc_error,
    unwrap_result,
)
from .tls import (
    fetch_certificate_fingerprint,
    fingerprint_to_bytes,
    format_fingerprint,
    get_ssl_context,
    normalize_fingerprint,
)

_LOGGER = logging.getLogger(__name__)

#: Bulks of at most this many sub-requests are not split when the connection breaks.
SMALL_BULK: Final = 8
#: JSON-RPC "internal error".
RPC_ERR_INTERNAL: Final = -32603
#: Extra timeout per bulk sub-request (devices process sub-requests sequentially).
PER_SUBREQUEST_TIMEOUT: Final = 0.002
_REDIRECTS: Final = (301, 302, 303, 307, 308)
_RETRY_ERRNOS: Final = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_MAX_REDIRECTS: Final = 3
_JSON_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}


def _is_size_rejection(err: XerusError, size: int) -> bool:
    """Does this failure of a whole bulk suggest the bulk was too large?"""
    if isinstance(err, XerusNotFoundError | XerusAuthenticationError | XerusPrivilegeError):
        return False
    if isinstance(err, XerusHttpError):
        return err.status == 413 or 500 <= err.status < 600
    if isinstance(err, XerusRpcError):
        # An internal error of the whole performBulk may be the device running out of memory.
        return err.code == RPC_ERR_INTERNAL and size > SMALL_BULK
    if isinstance(err, XerusTimeoutError | XerusTlsError):
        return False
    if isinstance(err, XerusConnectionError):
        return size > SMALL_BULK
    return False


class XerusClient:
    """Client of one Xerus device (the primary unit; link units are reached through it)."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        use_tls: bool = True,
        verify_tls: bool = True,
        fingerprint: str | None = None,
        username: str = "admin",
        password: str = "",
        session: aiohttp.ClientSession | None = None,
        use_session_token: bool = True,
        timeout: float = 10.0,
        max_bulk_size: int | None = None,
    ) -> None:
        self.host = host.strip().strip("[]")
        self._scheme = "https" if use_tls else "http"
        self._port = port
        self.verify_tls = verify_tls
        self.fingerprint = normalize_fingerprint(fingerprint) if fingerprint else None
        self._fingerprint_obj = (
            aiohttp.Fingerprint(fingerprint_to_bytes(fingerprint)) if fingerprint else None
        )
        # Built by hand: the header is all aiohttp.BasicAuth would give us, and newer aiohttp
        # releases deprecate that class. UTF-8, as browsers send it to the PDU's web UI.
        if ":" in username:
            # RFC 7617: the user-id of Basic authentication cannot contain a colon.
            raise ValueError("a user name for HTTP Basic authentication cannot contain ':'")
        credentials = f"{username}:{password}".encode()
        self._basic = "Basic " + base64.b64encode(credentials).decode("ascii")
        self._username = username
        self._session = session
        self._owns_session = session is None
        self.use_session_token = use_session_token
        self._token: str | None = None
        self._token_timeout: float | None = None
        self._token_last_used = 0.0
        self._token_disabled = not use_session_token
        self._login_lock = asyncio.Lock()
        self.timeout = timeout
        #: Largest number of sub-requests per HTTP request the device accepted after rejecting a
        #: larger bulk (``None``: no limit known, every bulk goes out as one HTTP request).
        self.max_bulk_size = max_bulk_size
        #: Number of HTTP requests sent (diagnostics).
        self.request_count = 0
        self._next_id = 0

    # ----------------------------------------------------------------------------- properties

    @property
    def base_url(self) -> str:
        """Scheme, host and port used for the next request (changes after a redirect)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self._port}" if self._port is not None else ""
        return f"{self._scheme}://{host}{port}"

    @property
    def uses_session_token(self) -> bool:
        """True while requests are authenticated with a session token."""
        return self._token is not None

    @property
    def session_token_disabled(self) -> bool:
        """True if this client fell back to (or was configured for) Basic auth only."""
        return self._token_disabled

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _url(self, rid: str) -> str:
        path = rid if rid.startswith("/") else "/" + rid
        return self.base_url + quote(path, safe="/:")

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session and self._session is not None:
                raise XerusConnectionError("the aiohttp session was closed")
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _ssl_param(self) -> aiohttp.Fingerprint | bool | Any:
        if self._scheme != "https":
            return True
        if self._fingerprint_obj is not None:
            return self._fingerprint_obj
        if not self.verify_tls:
            return False
        # An explicit context, so that verification does not depend on the injected session's
        # connector settings; created once, in an executor (it loads the CA store).
        return await get_ssl_context(True)

    # ------------------------------------------------------------------------------ transport

    async def _post(
        self, rid: str, body: bytes, budget: float, token: str | bool | None = True
    ) -> dict[str, Any]:
        """POST ``body`` to ``rid`` and return the parsed JSON object.

        ``token``: ``True`` = use the current session token if any, ``False``/``None`` = Basic
        auth, a string = that token. Handles redirects, one retry on a closed keep-alive
        connection / HTTP 408 and maps every failure to a ``XerusError``. Raises
        ``XerusAuthenticationError`` on 401 (the caller decides about re-login).
        """
        retried = False
        redirects = 0
        while True:
            headers = dict(_JSON_HEADERS)
            use_token = self._token if token is True else (token or None)
            if use_token:
                headers["X-SessionToken"] = use_token
            else:
                headers["Authorization"] = self._basic
            url = self._url(rid)
            ssl_param = await self._ssl_param()
            session = self._get_session()
            self.request_count += 1
            try:
                async with session.post(
                    url,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    ssl=ssl_param,
                    timeout=aiohttp.ClientTimeout(total=budget),
                ) as resp:
                    status = resp.status
                    if status in _REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location or redirects >= _MAX_REDIRECTS:
                            raise XerusHttpError(status, f"redirect without target ({status})")
                        redirects += 1
                        self._follow_redirect(url, location)
                        continue
                    if status == 408 and not retried:
                        retried = True
                        continue
                    if status != 200:
                        raise http_error(status, f"POST {rid}")
                    raw = await resp.read()
                    content_type = resp.headers.get("Content-Type", "")
            except XerusError:
                raise
            except aiohttp.ServerFingerprintMismatch as err:
                raise XerusCertificateMismatchError(
                    f"certificate of {self.host} does not match the pinned fingerprint",
                    format_fingerprint(err.got),
                    self.fingerprint,
                ) from err
            except aiohttp.ClientSSLError as err:
                presented = await self._presented_fingerprint()
                raise XerusTlsError(f"TLS error talking to {self.host}: {err}", presented) from err
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as err:
                # A keep-alive connection closed by the device (idle timeout) surfaces as a
                # disconnect, a reset or a broken pipe: send once more on a fresh connection.
                closed = isinstance(err, aiohttp.ServerDisconnectedError) or (
                    err.errno in _RETRY_ERRNOS
                )
                if closed and not retried:
                    retried = True
                    _LOGGER.debug("%s closed the connection (%s), retrying once", self.host, err)
                    continue
                raise XerusConnectionError(f"connection to {self.host} failed: {err}") from err
            except TimeoutError as err:
                raise XerusTimeoutError(f"timeout talking to {self.host}") from err
            except aiohttp.ClientPayloadError as err:
                raise XerusProtocolError(f"truncated response from {self.host}: {err}") from err
            except aiohttp.ClientError as err:
                raise XerusConnectionError(f"cannot talk to {self.host}: {err}") from err
            return self._parse_body(raw, content_type)

    def _follow_redirect(self, current: str, location: str) -> None:
        target = urlsplit(urljoin(current, location))
        try:
            port = target.port
        except ValueError:
            port = -1
        if target.scheme not in ("http", "https") or not target.hostname or port == -1:
            raise XerusProtocolError(f"unusable redirect target {location!r}")
        if target.hostname != self.host.lower():
            # Only scheme/port changes are followed: never send credentials to another host.
            raise XerusProtocolError(f"redirect to another host refused: {location!r}")
        _LOGGER.debug("%s redirected to %s", current, location)
        self._scheme = target.scheme
        self._port = port

    async def _presented_fingerprint(self) -> str | None:
        try:
            return await fetch_certificate_fingerprint(
                self.host, self._port or 443, min(self.timeout, 10)
            )
        except XerusError:
            return None

    @staticmethod
    def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
        text = raw.lstrip()
        if not text:
            raise XerusProtocolError("empty response body")
        if text[:1] == b"<" or "html" in content_type.lower():
            raise XerusProtocolError("the device answered with HTML instead of JSON")
        try:
            data = json.loads(raw)
        except ValueError as err:
            raise XerusProtocolError(f"malformed or truncated JSON: {err}") from err
        if not isinstance(data, dict):
            raise XerusProtocolError("the JSON-RPC response is not an object")
        return data

    @staticmethod
    def _result(msg: dict[str, Any], request_id: int) -> Any:
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

    # --------------------------------------------------------------------------- auth/session

    def _token_expired(self) -> bool:
        if self._token is None or self._token_timeout is None:
            return False
        margin = min(5.0, self._token_timeout / 10)
        return time.monotonic() - self._token_last_used >= self._token_timeout - margin

    async def _ensure_token(self) -> None:
        if self._token_disabled:
            return
        if self._token is not None and not self._token_expired():
            return
        async with self._login_lock:
            if self._token_disabled:
                return
            if self._token is not None and not self._token_expired():
                return
            await self._login()

    async def _login(self) -> None:
        """``/session newSession`` with Basic auth; on anything but success use Basic auth."""
        self._token = None
        request_id = self._new_id()
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "newSession", "params": {}, "id": request_id}
        ).encode()
        try:
            msg = await self._post(RID_SESSION, body, self.timeout, token=False)
            result = self._result(msg, request_id)
        except (XerusHttpError, XerusRpcError, XerusProtocolError) as err:
            _LOGGER.debug("%s: no session token (%s), using Basic auth", self.host, err)
            self._token_disabled = True
            return
        data = result if isinstance(result, dict) else {}
        ret = data.get("_ret_", 0)
        session = data.get("session")
        session = session if isinstance(session, dict) else {}
        token = data.get("token")
        if not isinstance(token, str) or not token:
            token = session.get("token")  # SessionManager 1.0.0
        if ret == ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER:
            _LOGGER.debug(
                "%s: user %s already has an exclusive session, using Basic auth",
                self.host,
                self._username,
            )
            self._token_disabled = True
            return
        if ret != 0 or not isinstance(token, str) or not token:
            _LOGGER.debug("%s: newSession returned %r, using Basic auth", self.host, ret)
            self._token_disabled = True
            return
        timeout = session.get("timeout")
        self._token = token
        self._token_timeout = (
            float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None
        )
        self._token_last_used = time.monotonic()
        _LOGGER.debug("%s: new session (timeout %s s)", self.host, self._token_timeout)

    async def _request(self, rid: str, body: bytes, budget: float) -> dict[str, Any]:
        """POST with authentication: session token (renewed once on 401) or Basic."""
        await self._ensure_token()
        token = self._token
        if token is None:
            return await self._post(rid, body, budget, token=False)
        try:
            msg = await self._post(rid, body, budget, token=token)
            self._token_last_used = time.monotonic()
            return msg
        except XerusAuthenticationError:
            _LOGGER.debug("%s: session token rejected, logging in again", self.host)
        async with self._login_lock:
            if self._token == token:
                await self._login()  # raises XerusAuthenticationError if Basic is rejected too
            new_token = self._token
        if new_token is not None:
            try:
                msg = await self._post(rid, body, budget, token=new_token)
                self._token_last_used = time.monotonic()
                return msg
            except XerusAuthenticationError:
                _LOGGER.debug("%s: new session token rejected, using Basic auth", self.host)
                self._token = None
                self._token_disabled = True
        return await self._post(rid, body, budget, token=False)

    async def close(self) -> None:
        """Close the device session (``closeCurrentSession``) and an owned aiohttp session."""
        token, self._token = self._token, None
        if token is not None and self._session is not None and not self._session.closed:
            request_id = self._new_id()
            body = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "closeCurrentSession",
                    "params": {"reason": int(SessionCloseReason.LOGOUT)},
                    "id": request_id,
                }
            ).encode()
            try:
                await self._post(RID_SESSION, body, self.timeout, token=token)
            except XerusError as err:
                _LOGGER.debug("%s: closing the session failed: %s", self.host, err)
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> XerusClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---------------------------------------------------------------------------------- calls

    async def call(self, rid: str, method: str, params: dict[str, Any] | None = None) -> Any:
        """One JSON-RPC call; returns ``result._ret_`` (or the whole result with out-params)."""
        request_id = self._new_id()
        body = json.dumps(
            {"jsonrpc": "2.0", "method": method, "params": params or {}, "id": request_id},
            separators=(",", ":"),
        ).encode()
        msg = await self._request(rid, body, self.timeout)
        return unwrap_result(self._result(msg, request_id))

    async def bulk(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        """Many calls in one ``/bulk`` request; per-call value or error, in call order."""
        raw = await self.bulk_raw([call.fragment(i) for i, call in enumerate(calls)])
        results: list[BulkResult] = []
        for item in raw:
            decoded = decode_sub_response(item)
            if isinstance(decoded, XerusError):
                results.append(BulkResult(None, decoded))
            else:
                results.append(BulkResult(unwrap_result(decoded)))
        return results

    async def bulk_raw(self, fragments: Sequence[str]) -> list[Any]:
        """Send pre-serialized sub-requests (ids = their index) and return the raw sub-responses.

        Each item is the ``{"json": ..., "statcode": ...}`` object, :data:`MISSING` or a
        ``XerusError`` (duplicate/missing answers). Splits adaptively when the device rejects
        the size; otherwise exactly one HTTP request (or ``ceil(n / max_bulk_size)``).
        """
        total = len(fragments)
        out: list[Any] = [MISSING] * total
        if not total:
            return out
        await self._send_adaptive(fragments, 0, total, out, False)
        return out

    async def _send_adaptive(
        self, fragments: Sequence[str], lo: int, hi: int, out: list[Any], half: bool
    ) -> None:
        """Send ``fragments[lo:hi]``; on a size rejection split in halves (recursively).

        HTTP 413 and a broken connection (already retried once by ``_post``) split at once; a 5xx
        is first retried once at the same size (it may be transient), unless this chunk already
        is a half of a rejected bulk (``half``). A half that works sets ``max_bulk_size``.
        """
        size = hi - lo
        limit = self.max_bulk_size
        if limit is not None and size > limit:
            for start in range(lo, hi, limit):
                await self._send_adaptive(fragments, start, min(start + limit, hi), out, False)
            return
        retry_same_size = not half
        while True:
            try:
                responses = await self._post_bulk(fragments, lo, hi)
                break
            except XerusError as err:
                if size <= 1 or not _is_size_rejection(err, size):
                    raise
                transient_5xx = isinstance(err, XerusRpcError) or (
                    isinstance(err, XerusHttpError) and err.status != 413
                )
                if retry_same_size and transient_5xx:
                    retry_same_size = False
                    _LOGGER.debug("%s: bulk of %d failed (%s), retrying", self.host, size, err)
                    continue
                _LOGGER.debug("%s rejected a bulk of %d (%s), splitting", self.host, size, err)
            mid = lo + size // 2
            await self._send_adaptive(fragments, lo, mid, out, True)
            await self._send_adaptive(fragments, mid, hi, out, True)
            return
        answered = self._answered_prefix(responses, lo, hi)
        if answered is not None:
            # The device stopped early (performBulkTimeout semantics): keep the answers,
            # remember how many it managed and send the rest again.
            _LOGGER.debug("%s answered %d of %d bulk calls", self.host, answered, size)
            self._place(responses, lo, lo + answered, out)
            self.max_bulk_size = min(answered, self.max_bulk_size or answered)
            await self._send_adaptive(fragments, lo + answered, hi, out, False)
            return
        if half and (self.max_bulk_size is None or size < self.max_bulk_size):
            _LOGGER.debug("%s: using bulks of at most %d sub-requests", self.host, size)
            self.max_bulk_size = size
        self._place(responses, lo, hi, out)

    @staticmethod
    def _answered_prefix(responses: list[Any], lo: int, hi: int) -> int | None:
        """Number of calls answered if the device answered only the first ones, else None."""
        count = len(responses)
        if count == 0 or count >= hi - lo:
            return None
        for pos, resp in enumerate(responses):
            msg = resp.get("json") if isinstance(resp, dict) else None
            if not isinstance(msg, dict) or msg.get("id") != lo + pos:
                return None
        return count

    async def _post_bulk(self, fragments: Sequence[str], lo: int, hi: int) -> list[Any]:
        request_id = self._new_id()
        body = (
            '{"jsonrpc":"2.0","method":"performBulk","params":{"requests":['
            + ",".join(fragments[lo:hi])
            + ']},"id":'
            + str(request_id)
            + "}"
        ).encode()
        timeout = self.timeout + (hi - lo) * PER_SUBREQUEST_TIMEOUT
        msg = await self._request(RID_BULK, body, timeout)
        result = self._result(msg, request_id)
        responses = result.get("responses") if isinstance(result, dict) else None
        if not isinstance(responses, list):
            raise XerusProtocolError("performBulk result without responses")
        return responses

    @staticmethod
    def _place(responses: list[Any], lo: int, hi: int, out: list[Any]) -> None:
        size = hi - lo
        if len(responses) == size:
            for pos, resp in enumerate(responses):
                msg = resp.get("json") if isinstance(resp, dict) else None
                sub_id = msg.get("id") if isinstance(msg, dict) else None
                if sub_id != lo + pos and sub_id is not None:
                    break
                out[lo + pos] = resp
            else:
                return
        # Slow path: count or order mismatch; match by sub-request id.
        by_id: dict[int, list[Any]] = {}
        for pos, resp in enumerate(responses):
            msg = resp.get("json") if isinstance(resp, dict) else None
            sub_id = msg.get("id") if isinstance(msg, dict) else None
            if sub_id is None and len(responses) == size:
                sub_id = lo + pos
            if isinstance(sub_id, int) and lo <= sub_id < hi:
                by_id.setdefault(sub_id, []).append(resp)
        for idx in range(lo, hi):
            found = by_id.get(idx)
            if found is None:
                out[idx] = XerusProtocolError("the bulk response has no answer for this call")
            elif len(found) > 1:
                out[idx] = XerusProtocolError("the bulk response answers this call twice")
            else:
                out[idx] = found[0]
        if len(responses) > size:
            _LOGGER.debug("%s: %d extra bulk responses", "bulk", len(responses) - size)

    # ------------------------------------------------------------------ identity / discovery

    async def get_identity(self) -> PduIdentity:
        """Identity of the unit this client talks to (``/model/pdu/0``) + cascade role (1 bulk)."""
        rid = pdu_rid(0)
        meta, settings, cascade = await self.bulk(
            [
                BulkCall(rid, "getMetaData"),
                BulkCall(rid, "getSettings"),
                BulkCall(RID_CASCADE, "getStatus"),
            ]
        )
        status = (
            CascadeStatus.from_json(cascade.value) if cascade.ok else CascadeStatus.standalone()
        )
        return PduIdentity.from_json(
            0,
            rid,
            meta.unwrap(),
            settings.value if settings.ok else None,
            role=status.role,
            primary_host=status.primary_host,
        )

    async def discover(self) -> Topology:
        """Discover the primary unit and every link unit with status OK (fixed number of bulks)."""
        from .discovery import discover_topology

        return await discover_topology(self)

    async def poll(self, plan: ReadingPlan) -> Readings:
        """Read ``plan`` with ONE HTTP request (unless the device rejected that bulk size)."""
        raw = await self.bulk_raw(plan.fragments)
        return plan.decode(raw)

    # ------------------------------------------------------------------------------- commands

    async def _command(
        self, rid: str, method: str, params: dict[str, Any] | None, read: str
    ) -> Any:
        command, state = await self.bulk([BulkCall(rid, method, params), BulkCall(rid, read)])
        ret = command.unwrap()
        if isinstance(ret, int) and not isinstance(ret, bool) and ret != 0:
            raise XerusDeviceError(ret, method)
        return state.unwrap()

    async def set_outlet_power(self, outlet: OutletInfo | str, on: bool = True) -> OutletState:
        """Switch an outlet; ``setPowerState`` and ``getState`` go out in the same bulk."""
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        value = await self._command(rid, "setPowerState", {"pstate": 1 if on else 0}, "getState")
        return OutletState.from_json(value)

    async def cycle_outlet(self, outlet: OutletInfo | str) -> OutletState:
        """Power-cycle an outlet; ``cyclePowerState`` and ``getState`` in the same bulk."""
        rid = outlet.rid if isinstance(outlet, OutletInfo) else outlet
        value = await self._command(rid, "cyclePowerState", None, "getState")
        return OutletState.from_json(value)

    async def set_actuator(
        self, actuator: PeripheralInfo | SensorInfo | str, on: bool = True
    ) -> StateReading:
        """Switch a peripheral actuator (``sensors.Switch.setState`` + ``getState``, one bulk)."""
        if isinstance(actuator, PeripheralInfo):
            if actuator.sensor is None:
                raise XerusDeviceError(2, "setState", "the peripheral slot has no device")
            rid = actuator.sensor.rid
        elif isinstance(actuator, SensorInfo):
            rid = actuator.rid
        else:
            rid = actuator
        value = await self._command(rid, "setState", {"newState": 1 if on else 0}, "getState")
        return StateReading.from_json(value)

    async def identify(self, pdu_id: int = 0, seconds: int = 10) -> None:
        """Flash the unit's display (``/model/unit identify``; link units via ``/link/<id>``)."""
        rid = RID_UNIT if pdu_id in (0, 1) else f"/link/{pdu_id}{RID_UNIT}"
        await self.call(rid, "identify", {"seconds": seconds})


__all__ = ["BulkCall", "BulkResult", "XerusClient"]
