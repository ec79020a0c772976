"""One authenticated HTTP POST to the device: session, TLS, redirects, retry and login.

Transport rules (reference section 1): every call is a POST of one JSON-RPC 2.0 object to
``/<rid>``; plain-HTTP requests may be redirected to HTTPS (followed here, because aiohttp would
turn the POST into a GET; HTTPS is never left for plain HTTP); authentication is HTTP Basic or a
session token (``X-SessionToken``) that is renewed transparently. Bodies are read with a size cap
and decompressed here (``rpc.decompress_body``), never more than ``rpc.MAX_BODY_BYTES``. Every
failure becomes a ``XerusError`` whose message says what happened in words (it reaches the
user); passwords and tokens never appear in messages or logs.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import itertools
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urljoin, urlsplit

import aiohttp

from .const import ERR_ACTIVE_SESSION_EXCLUSIVE_FOR_USER, RID_SESSION, SessionCloseReason
from .exceptions import (
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusConnectionError,
    XerusConnectionLostError,
    XerusError,
    XerusHttpError,
    XerusNotFoundError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
    XerusTlsError,
    describe_os_error,
    describe_ssl_error,
)
from .rpc import (
    ACCEPT_ENCODING,
    MAX_BODY_BYTES,
    encode_request,
    http_error,
    parse_body,
    response_result,
)
from .tls import (
    fetch_certificate_fingerprint,
    fingerprint_to_bytes,
    format_fingerprint,
    get_ssl_context,
    normalize_fingerprint,
)

_LOGGER = logging.getLogger(__name__)

_REDIRECTS: Final = (301, 302, 303, 307, 308)
_RETRY_ERRNOS: Final = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_MAX_REDIRECTS: Final = 3
_JSON_HEADERS: Final = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    # Decompressed here, with the size cap (aiohttp's own decompression has none).
    "Accept-Encoding": ACCEPT_ENCODING,
}
#: JSON-RPC "method not found": a device without session tokens (``newSession`` unknown).
_RPC_METHOD_NOT_FOUND: Final = -32601
#: Seconds until ``newSession`` is tried again after a failure that may be transient.
SESSION_RETRY_INTERVAL: Final = 600.0


@dataclass(frozen=True, slots=True)
class _Reply:
    """What one POST returned (the body only for status 200)."""

    status: int
    location: str | None = None
    body: bytes = b""
    content_type: str = ""
    content_encoding: str = ""


def _closed_keep_alive(err: aiohttp.ClientError) -> bool:
    """A keep-alive connection the device closed (idle timeout): worth one more try."""
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return True
    return (
        isinstance(err, aiohttp.ClientOSError)
        and not isinstance(err, aiohttp.ClientSSLError)
        and err.errno in _RETRY_ERRNOS
    )


def _connection_error(where: str, host: str, err: aiohttp.ClientError) -> XerusError:
    """A failed request in words (aiohttp's texts show Python objects and addresses).

    Failures before the request went out (name resolution, connect) are plain
    ``XerusConnectionError``; a connection that broke afterwards is ``XerusConnectionLostError``
    (the device may have processed the request).
    """
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return XerusConnectionError(f"cannot resolve the host name {host}")
    if isinstance(err, aiohttp.ClientConnectorError):
        return XerusConnectionError(f"cannot connect to {where}: {describe_os_error(err.os_error)}")
    if isinstance(err, aiohttp.ServerDisconnectedError):
        return XerusConnectionLostError(f"{where} closed the connection without an answer")
    if isinstance(err, aiohttp.ClientPayloadError):
        return XerusProtocolError(f"the response from {where} was truncated")
    if isinstance(err, OSError):
        return XerusConnectionLostError(
            f"the connection to {where} failed: {describe_os_error(err)}"
        )
    return XerusConnectionError(f"the request to {where} failed ({type(err).__name__})")


def _tls_message(where: str, err: aiohttp.ClientSSLError) -> str:
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        reason = describe_ssl_error(err.certificate_error)
        return f"the certificate of {where} is not trusted: {reason}"
    return f"TLS handshake with {where} failed: {describe_ssl_error(err.os_error)}"


class Transport:
    """POSTs JSON-RPC bodies to one device and authenticates them.

    ``call`` sends one JSON-RPC call and returns its ``result``; ``exchange`` sends a body built
    elsewhere (a ``performBulk`` envelope) and returns the ``result`` of the response with
    ``request_id``. Request ids come from :meth:`next_id`.
    """

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
    ) -> None:
        self.host = host.strip().strip("[]")
        self._scheme = "https" if use_tls else "http"
        self._port = port
        self.verify_tls = verify_tls
        self.fingerprint = normalize_fingerprint(fingerprint) if fingerprint else None
        self._pinned = (
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
        #: Session tokens are off for good (configured, or the device has no session manager).
        self._token_disabled = not use_session_token
        #: ``newSession`` failed in a way that may pass: Basic auth until this monotonic time.
        self._token_retry_at: float | None = None
        #: Requests in a row whose user name and password were rejected (HTTP 401).
        self._auth_failures = 0
        self._login_lock = asyncio.Lock()
        self.timeout = timeout
        #: Number of HTTP requests sent (diagnostics).
        self.request_count = 0
        self._ids = itertools.count(1)

    # ----------------------------------------------------------------------------- properties

    @property
    def base_url(self) -> str:
        """Scheme, host and port used for the next request (changes after a redirect)."""
        port = f":{self._port}" if self._port is not None else ""
        return f"{self._scheme}://{self._url_host}{port}"

    @property
    def where(self) -> str:
        """``host:port`` for messages (the port the next request goes to)."""
        port = self._port if self._port is not None else (443 if self._scheme == "https" else 80)
        return f"{self._url_host}:{port}"

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def uses_session_token(self) -> bool:
        """True while requests are authenticated with a session token."""
        return self._token is not None

    @property
    def session_token_disabled(self) -> bool:
        """True while this client uses Basic auth only (configured, or after a fallback).

        After a fallback that may be transient (``newSession`` failed, a new token was rejected)
        session tokens are tried again :data:`SESSION_RETRY_INTERVAL` seconds later.
        """
        return self._token_disabled or self._token_retry_at is not None

    def next_id(self) -> int:
        """A new JSON-RPC request id."""
        return next(self._ids)

    # ---------------------------------------------------------------------------------- calls

    async def call(
        self,
        rid: str,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        idempotent: bool = True,
    ) -> Any:
        """One authenticated JSON-RPC call; the raw ``result``."""
        request_id = self.next_id()
        body = encode_request(method, params, request_id)
        return await self.exchange(
            rid, body, request_id, timeout or self.timeout, idempotent=idempotent
        )

    async def exchange(
        self,
        rid: str,
        body: bytes,
        request_id: int,
        timeout: float,  # noqa: ASYNC109
        *,
        idempotent: bool = True,
    ) -> Any:
        """POST ``body`` (authenticated) and return the ``result`` of the response.

        ``idempotent=False`` (commands): never sent twice, not even after a closed keep-alive
        connection (the device may have carried it out before the connection broke).
        """
        msg = await self._request(rid, body, timeout, idempotent)
        return response_result(msg, request_id)

    async def close(self) -> None:
        """Close the device session (``closeCurrentSession``) and an owned aiohttp session."""
        token, self._token = self._token, None
        if token is not None and self._session is not None and not self._session.closed:
            request_id = self.next_id()
            params = {"reason": int(SessionCloseReason.LOGOUT)}
            body = encode_request("closeCurrentSession", params, request_id)
            try:
                await self._post(RID_SESSION, body, self.timeout, token, idempotent=True)
            except XerusError as err:
                _LOGGER.debug("%s: closing the session failed: %s", self.host, err)
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------------------------ HTTP POST

    def _url(self, rid: str) -> str:
        path = rid if rid.startswith("/") else "/" + rid
        return self.base_url + quote(path, safe="/:")

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session requests go through (the injected one, or the client's own)."""
        return self._session

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session and self._session is not None:
                raise XerusConnectionError("the aiohttp session was closed")
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def _ssl_param(self) -> aiohttp.Fingerprint | ssl.SSLContext | bool:
        if self._scheme != "https":
            return True
        if self._pinned is not None:
            return self._pinned
        if not self.verify_tls:
            return False
        # An explicit context, so that verification does not depend on the injected session's
        # connector settings; created once, in an executor (it loads the CA store).
        return await get_ssl_context(True)

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = dict(_JSON_HEADERS)
        if token:
            headers["X-SessionToken"] = token
        else:
            headers["Authorization"] = self._basic
        return headers

    async def _post(
        self,
        rid: str,
        body: bytes,
        timeout: float,  # noqa: ASYNC109
        token: str | None,
        *,
        idempotent: bool,
    ) -> dict[str, Any]:
        """POST ``body`` to ``rid`` (``token`` or Basic auth) and return the JSON object.

        Follows redirects; retries once on a closed keep-alive connection (``idempotent`` only)
        or HTTP 408. Raises ``XerusAuthenticationError`` on 401 (the caller decides about
        re-login).
        """
        retried = False
        redirects = 0
        while True:
            url = self._url(rid)
            reply = await self._send(
                url, body, timeout, token, may_retry=idempotent and not retried
            )
            if reply is None or (reply.status == 408 and not retried):
                retried = True
                continue
            if reply.status in _REDIRECTS:
                if not reply.location:
                    raise XerusHttpError(reply.status, f"redirect without target ({reply.status})")
                if redirects >= _MAX_REDIRECTS:
                    raise XerusHttpError(reply.status, f"too many redirects ({reply.status})")
                redirects += 1
                self._follow_redirect(url, reply.location)
                continue
            if reply.status == 401:
                raise self._rejected(rid, basic=token is None)
            if reply.status != 200:
                raise http_error(reply.status, f"POST {rid}")
            self._auth_failures = 0
            return parse_body(reply.body, reply.content_type, reply.content_encoding)

    def _rejected(self, rid: str, *, basic: bool) -> XerusAuthenticationError:
        """The error of a 401; only a rejected user name and password counts as a failure."""
        if basic:
            self._auth_failures += 1
            what = "the user name or password"
        else:
            what = "the session token"
        return XerusAuthenticationError(
            f"{self.where} rejected {what} (POST {rid})",
            consecutive=self._auth_failures,
            credentials_rejected=basic,
        )

    async def _send(
        self,
        url: str,
        body: bytes,
        timeout: float,  # noqa: ASYNC109
        token: str | None,
        *,
        may_retry: bool,
    ) -> _Reply | None:
        """One POST; ``None`` if a closed keep-alive connection should be retried."""
        headers = self._headers(token)
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
                timeout=aiohttp.ClientTimeout(total=timeout),
                auto_decompress=False,
            ) as resp:
                if resp.status != 200:
                    return _Reply(resp.status, resp.headers.get("Location"))
                return _Reply(
                    200,
                    None,
                    await self._read_body(resp),
                    resp.headers.get("Content-Type", ""),
                    resp.headers.get("Content-Encoding", ""),
                )
        except TimeoutError as err:
            raise XerusTimeoutError(f"{self.where} did not answer within {timeout:.3g} s") from err
        except aiohttp.ClientError as err:
            if may_retry and _closed_keep_alive(err):
                _LOGGER.debug("%s closed the connection, retrying once", self.where)
                return None
            raise await self._client_error(err) from err
        except XerusError:
            raise
        except Exception as err:
            # E.g. aiodns 3.2 with pycares 5 raises TypeError while resolving a host name: no
            # exception but XerusError leaves the library.
            _LOGGER.debug("%s: unexpected error of the HTTP client", self.where, exc_info=True)
            raise XerusConnectionError(
                f"the request to {self.where} failed: unexpected {type(err).__name__} "
                "in the HTTP client"
            ) from err

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        """The raw body, at most :data:`rpc.MAX_BODY_BYTES` (a larger one is not read on)."""
        length = resp.content_length
        if length is None or length <= MAX_BODY_BYTES:
            data = bytearray()
            while chunk := await resp.content.readany():
                data += chunk
                if len(data) > MAX_BODY_BYTES:
                    break
            else:
                return bytes(data)
        resp.close()  # the rest stays unread: the connection cannot be reused
        raise XerusProtocolError(
            f"the response from {self.where} is larger than {MAX_BODY_BYTES // 2**20} MiB"
        )

    async def _client_error(self, err: aiohttp.ClientError) -> XerusError:
        where = self.where
        if isinstance(err, aiohttp.ServerFingerprintMismatch):
            return XerusCertificateMismatchError(
                f"the certificate of {where} does not match the pinned fingerprint",
                format_fingerprint(err.got),
                self.fingerprint,
            )
        if isinstance(err, aiohttp.ClientConnectorCertificateError):
            # Verification failed: the certificate is the problem, tell which one it is.
            return XerusTlsError(_tls_message(where, err), await self._presented_fingerprint())
        if isinstance(err, aiohttp.ClientSSLError):
            return await self._handshake_error(where, err)
        return _connection_error(where, self.host, err)

    async def _handshake_error(self, where: str, err: aiohttp.ClientSSLError) -> XerusError:
        """A TLS handshake that failed for another reason than the certificate's validity.

        With pinning, the certificate is fetched again: only another certificate than the
        pinned one is a certificate change; the same one makes this a connection problem.
        """
        message = _tls_message(where, err)
        if self.fingerprint is not None:
            presented = await self._presented_fingerprint()
            if presented is not None and presented != self.fingerprint:
                return XerusCertificateMismatchError(
                    f"{message}; the certificate of {where} does not match the pinned "
                    "fingerprint",
                    presented,
                    self.fingerprint,
                )
            if presented is not None:
                message += " (it still presents the pinned certificate)"
        return XerusTlsError(message)

    def _follow_redirect(self, current: str, location: str) -> None:
        target = urlsplit(urljoin(current, location))
        try:
            port = target.port
        except ValueError:
            port = -1
        if target.scheme not in ("http", "https") or not target.hostname or port == -1:
            raise XerusProtocolError(f"unusable redirect target {location!r}", answered=False)
        if target.hostname != self.host.lower():
            # Only scheme/port changes are followed: never send credentials to another host.
            raise XerusProtocolError(
                f"redirect to another host refused: {location!r}", answered=False
            )
        if self._scheme == "https" and target.scheme != "https":
            # Credentials and the session token would go out in clear text, without the pin.
            raise XerusProtocolError(
                f"{self.where} redirected from HTTPS to plain HTTP ({location!r}): refused",
                answered=False,
            )
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

    # --------------------------------------------------------------------------- auth/session

    def _token_expired(self) -> bool:
        if self._token is None or self._token_timeout is None:
            return False
        margin = min(5.0, self._token_timeout / 10)
        return time.monotonic() - self._token_last_used >= self._token_timeout - margin

    def _needs_login(self) -> bool:
        if self._token_disabled:
            return False
        if self._token_retry_at is not None:
            if time.monotonic() < self._token_retry_at:
                return False
            self._token_retry_at = None
        return self._token is None or self._token_expired()

    def _use_basic(self, *, permanently: bool) -> None:
        """Basic auth for good (no session manager), or until a later retry of ``newSession``."""
        self._token = None
        if permanently:
            self._token_disabled = True
        else:
            self._token_retry_at = time.monotonic() + SESSION_RETRY_INTERVAL

    async def _ensure_token(self) -> None:
        if not self._needs_login():
            return
        async with self._login_lock:
            if self._needs_login():  # not if another request logged in meanwhile
                await self._login()

    async def _login(self) -> None:
        """``/session newSession`` with Basic auth; on anything but success use Basic auth.

        A device without a session manager (404, method not found) gets Basic auth for good;
        other failures (a 503, garbage, a single-login limitation) only until
        :data:`SESSION_RETRY_INTERVAL` has passed.
        """
        self._token = None
        request_id = self.next_id()
        body = encode_request("newSession", None, request_id)
        try:
            msg = await self._post(RID_SESSION, body, self.timeout, None, idempotent=True)
            result = response_result(msg, request_id)
        except (XerusHttpError, XerusRpcError, XerusProtocolError) as err:
            definitive = isinstance(err, XerusNotFoundError) or (
                isinstance(err, XerusRpcError) and err.code == _RPC_METHOD_NOT_FOUND
            )
            _LOGGER.debug("%s: no session token (%s), using Basic auth", self.host, err)
            self._use_basic(permanently=definitive)
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
            self._use_basic(permanently=False)
            return
        if ret != 0 or not isinstance(token, str) or not token:
            _LOGGER.debug(
                "%s: newSession returned no token (return code %s), using Basic auth",
                self.host,
                ret if isinstance(ret, int) else "?",
            )
            self._use_basic(permanently=False)
            return
        timeout = session.get("timeout")
        self._token = token
        self._token_timeout = (
            float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None
        )
        self._token_last_used = time.monotonic()
        _LOGGER.debug("%s: new session (timeout %s s)", self.host, self._token_timeout)

    async def _request(
        self,
        rid: str,
        body: bytes,
        timeout: float,  # noqa: ASYNC109
        idempotent: bool,
    ) -> dict[str, Any]:
        """POST with authentication: session token (renewed once on 401) or Basic.

        A 401 means nothing was processed, so a command is re-sent after a re-login too.
        """
        await self._ensure_token()
        token = self._token
        if token is None:
            return await self._post(rid, body, timeout, None, idempotent=idempotent)
        try:
            msg = await self._post(rid, body, timeout, token, idempotent=idempotent)
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
                msg = await self._post(rid, body, timeout, new_token, idempotent=idempotent)
                self._token_last_used = time.monotonic()
                return msg
            except XerusAuthenticationError:
                _LOGGER.debug("%s: new session token rejected, using Basic auth", self.host)
                self._use_basic(permanently=False)
        return await self._post(rid, body, timeout, None, idempotent=idempotent)


__all__ = ["Transport"]
