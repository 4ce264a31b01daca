"""The HTTP stack: httpcore's connection pool (httpx's own transport layer), over a network
backend that holds each request to one deadline and one size cap.

httpcore does the HTTP/1.1, the keep-alive pool, absolute-form requests to an http:// proxy
and CONNECT tunnels for https. What it lets a caller give is a timeout per blocking step,
which a server dripping a byte a second never trips; and httpx decodes `Content-Encoding`
without a limit, so a few KB of double gzip become gigabytes. So:

- `_Backend` / `_Stream` (httpcore's `NetworkBackend` seam) give every connect, TLS
  handshake, write and read only the time left before the request's deadline, and count the
  bytes of each answer, status line and headers included, stopping at `MAX_ANSWER_BYTES`.
- `Transport.handle_request` reads the whole answer there, then undoes `Content-Encoding`
  itself, counting the decoded bytes against the same cap and the same deadline, and hands
  httpx an answer with nothing left to decode.

Hand-written, and why: name resolution runs in a helper thread (`_resolve`), since
getaddrinfo takes no timeout and httpcore's sync backend resolves inside
`socket.create_connection`; a request is sent once more when a kept-alive connection turns out
closed before any answer, if a repeat is harmless (httpcore sends nothing twice); a header
value h11 would refuse is refused first, since h11's error quotes it and it may be a bearer.
Which proxy and which CAs the environment names is environment.py's business.

Failures are httpx's exceptions (a passed deadline is an `httpx.TimeoutException`), plus
`AnswerTooLarge` and `NotTls`, which client.py turns into messages. After a failure,
`request.extensions[ANSWER_STATUS]` holds the status the server had begun to answer with, if
any: a 2xx there means the server acted even though its answer never arrived whole.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from iggy_cli.server.environment import Proxy, is_ip_literal

# The largest answer read, headers included, and the largest once decoded. A full token list
# (100 tokens, the server's limit per user, with 255-byte names) is under 40 KB; 4 MiB leaves
# room for any proxy's error page, and a server that sends more is not one to keep reading.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# Where the transport leaves, in the request's extensions, the status of an answer that began.
ANSWER_STATUS = "iggy_answer_status"
# The deadline of a whole call (client.py's retries of one request share it).
DEADLINE = "iggy_deadline"
# Sent again once on a fresh connection when a kept-alive one turns out closed before any
# answer, as long as a repeat is harmless: never a POST, which mints tokens.
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
# What OpenSSL says when the first bytes back are not a TLS record (a plain HTTP answer).
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG"})
# RFC 9110 field names and values, without obs-text: h11 refuses the rest with an error that
# quotes the value, and the value may be a bearer.
_FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e]*")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])[ \r]")
# Content codings undone here, as zlib's window bits; httpx decodes these same ones.
_CODINGS = {
    b"gzip": zlib.MAX_WBITS | 16,
    b"x-gzip": zlib.MAX_WBITS | 16,
    b"deflate": zlib.MAX_WBITS,
}
# What h11 says when an answer's head outgrows httpcore's limit on it.
_HEAD_TOO_LONG = "Receive buffer too long"


class AnswerTooLarge(httpx.TransportError):
    """The answer passed its cap; the rest was not read. The message says which cap."""


class NotTls(httpx.ConnectError):
    """An https URL, and the server answered the TLS handshake in something else."""


class ProxyRefused(httpx.ProxyError):
    """The proxy answered the CONNECT with something other than 2xx."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"the proxy answered the tunnel request with HTTP {status} {reason}")
        self.status = status


class Transport(httpx.BaseTransport):
    """httpcore's pool, direct or through `proxy`, each request bounded by `timeout` seconds
    (or the earlier deadline in its DEADLINE extension) and MAX_ANSWER_BYTES."""

    def __init__(
        self, timeout: float, tls: ssl.SSLContext | None = None, proxy: Proxy | None = None
    ) -> None:
        self._timeout = timeout
        self._backend = _Backend()
        self._pool: httpcore.ConnectionPool
        if proxy is None:
            self._pool = httpcore.ConnectionPool(ssl_context=tls, network_backend=self._backend)
        else:
            auth = proxy.authorization
            headers = [(b"Proxy-Authorization", auth.encode("ascii"))] if auth else None
            self._pool = httpcore.HTTPProxy(
                proxy_url=httpcore.URL(
                    scheme=b"http", host=proxy.host.encode("ascii"), port=proxy.port, target=b"/"
                ),
                proxy_headers=headers,
                ssl_context=tls,
                network_backend=self._backend,
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self._timeout
        given = request.extensions.get(DEADLINE)
        budget = _Budget(min(deadline, given) if given else deadline)
        _check_headers(request)
        request.headers["Accept-Encoding"] = "identity"  # bodies arrive as they are, or ought to
        body = request.read()
        try:
            try:
                return self._exchange(request, body, budget)
            except (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError):
                if not budget.stale():
                    raise
                # A kept-alive connection the server closed just as the request came.
                if request.method not in _IDEMPOTENT:
                    raise httpx.ReadError("the server closed the connection") from None
            try:
                return self._exchange(request, body, budget.again())
            except (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError):
                if not budget.stale():
                    raise
                raise httpx.ReadError("the server closed the connection") from None
        except httpcore.RemoteProtocolError as error:
            if str(error) == _HEAD_TOO_LONG:
                limit = httpcore.HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE
                raise AnswerTooLarge(f"headers larger than {_size(limit)}") from None
            raise httpx.RemoteProtocolError(_reason(error)) from None
        except Exception as error:
            mapped = _mapped(error)
            if mapped is None:
                raise
            raise mapped from None
        finally:
            if budget.status is not None:
                request.extensions[ANSWER_STATUS] = budget.status

    def close(self) -> None:
        self._pool.close()

    def _exchange(self, request: httpx.Request, body: bytes, budget: _Budget) -> httpx.Response:
        self._backend.budget = budget
        url = request.url
        answer = self._pool.handle_request(
            httpcore.Request(
                method=request.method.encode("ascii"),
                url=httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                headers=request.headers.raw,
                content=body,
            )
        )
        try:
            declared = _header(answer.headers, b"content-length")
            if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
                raise AnswerTooLarge(f"an answer larger than {_size(MAX_ANSWER_BYTES)}")
            content = answer.read()
        finally:
            answer.close()
        headers = answer.headers
        codings = [
            coding.strip().lower()
            for name, value in headers
            if name.lower() == b"content-encoding"
            for coding in value.split(b",")
        ]
        if any(coding not in (b"", b"identity") for coding in codings):
            content = _decoded(content, codings, budget)
            headers = [
                (name, value)
                for name, value in headers
                if name.lower() not in (b"content-encoding", b"content-length")
            ]
        reason = answer.extensions.get("reason_phrase", b"")
        return httpx.Response(
            answer.status,
            headers=headers,
            content=content,
            request=request,
            extensions={"reason_phrase": reason},
        )


class _Budget:
    """What one request may still spend: time until `deadline`, MAX_ANSWER_BYTES per answer.
    It also notes what the current try saw: whether it opened a connection, how many bytes
    came back, and the status an answer began with."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connected = False
        self.received = 0
        self.head = b""  # the first bytes of the answer, for its status
        self.status: int | None = None

    def again(self) -> _Budget:
        self.connected, self.received, self.head, self.status = False, 0, b"", None
        return self

    def stale(self) -> bool:
        """Failed on a kept-alive connection before a byte of answer came back."""
        return not self.connected and self.received == 0

    def left(self, given: float | None, expired: type[httpcore.TimeoutException]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise expired("the deadline passed")
        return left if given is None else min(given, left)

    def count(self, data: bytes) -> None:
        self.received += len(data)
        if self.status is None and len(self.head) < 16:
            self.head += data[: 16 - len(self.head)]
            found = _STATUS_LINE.match(self.head)
            if found:
                self.status = int(found.group(1))
        if self.received > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(f"an answer larger than {_size(MAX_ANSWER_BYTES)}")


class _Backend(httpcore.NetworkBackend):
    """httpcore's sync backend, each step given the time left of the current request."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self.budget = _Budget(0.0)  # set by the transport before each request

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        budget = self.budget
        budget.connected = True
        failure: httpcore.ConnectError | None = None
        for address in _resolve(host, port, budget):
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    budget.left(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _Stream(stream, self)
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: _Backend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        budget = self._backend.budget
        # One byte past the cap is enough to know it was passed.
        wanted = max(1, min(max_bytes, MAX_ANSWER_BYTES - budget.received + 1))
        data = self._inner.read(wanted, budget.left(timeout, httpcore.ReadTimeout))
        budget.count(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.budget.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        budget = self._backend.budget
        try:
            inner = self._inner.start_tls(
                ssl_context, server_hostname, budget.left(timeout, httpcore.ConnectTimeout)
            )
        except httpcore.ConnectError as error:
            cause = error.__cause__
            if isinstance(cause, ssl.SSLError) and cause.reason in _NOT_TLS_REASONS:
                raise NotTls(str(cause)) from None
            raise
        budget.head, budget.status = b"", None  # a proxy's answer to CONNECT is not the answer
        return _Stream(inner, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _resolve(host: str, port: int, budget: _Budget) -> list[str]:
    """getaddrinfo within the deadline: it takes no timeout, so a slow resolver runs on in a
    daemon thread nobody waits for."""
    if is_ip_literal(host):
        return [host]
    found: list[str] = []
    failed: list[OSError] = []

    def resolve() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as error:
            failed.append(error)

    worker = threading.Thread(target=resolve, name="iggy-resolve", daemon=True)
    worker.start()
    worker.join(budget.left(None, httpcore.ConnectTimeout))
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took too long")
    if failed:
        raise httpcore.ConnectError(str(failed[0]))
    return found


def _decoded(content: bytes, codings: list[bytes], budget: _Budget) -> bytes:
    """`content` with its content codings undone, last applied first, each output held to
    MAX_ANSWER_BYTES and the deadline. A coding not known here is left as it is: an answer
    that stays unreadable, never one decoded without a limit."""
    for coding in reversed(codings):
        if coding in (b"", b"identity"):
            continue
        bits = _CODINGS.get(coding)
        if bits is None:
            return content
        content = _inflated(content, bits, budget)
    return content


def _inflated(data: bytes, bits: int, budget: _Budget) -> bytes:
    inflater = zlib.decompressobj(bits)
    out = bytearray()
    pending = data
    while True:
        budget.left(None, httpcore.ReadTimeout)
        try:
            piece = inflater.decompress(pending, MAX_ANSWER_BYTES + 1 - len(out))
        except zlib.error:
            raise httpx.DecodingError("a compressed answer that does not decompress") from None
        out += piece
        if len(out) > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(
                f"an answer larger than {_size(MAX_ANSWER_BYTES)} once decompressed"
            )
        pending = inflater.unconsumed_tail
        if inflater.eof or not (piece or pending):
            return bytes(out)


# httpcore's failures as httpx's, the most specific first (as httpx maps them).
_MAPPING: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


def _mapped(error: Exception) -> httpx.TransportError | None:
    if isinstance(error, httpcore.ProxyError):
        # httpcore's words for a refused CONNECT: "407 Proxy Authentication Required".
        status, _, reason = str(error).partition(" ")
        if status.isdigit():
            return ProxyRefused(int(status), reason)
    for theirs, ours in _MAPPING:
        if isinstance(error, theirs):
            return ours(str(error) or type(error).__name__)
    return None


def _reason(error: httpcore.RemoteProtocolError) -> str:
    """h11's words for a broken answer, without the bytes it quotes (they may hold a secret)."""
    text = str(error).split(": bytearray(", 1)[0].split(": b'", 1)[0]
    return f"the answer is not valid HTTP ({text.rstrip('.')})"


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str:
    for name, value in headers:
        if name.lower() == wanted:
            return value.decode("latin-1").strip()
    return ""


def _check_headers(request: httpx.Request) -> None:
    """Refuse, without quoting it, a header h11 would refuse by quoting it."""
    for name, value in request.headers.raw:
        if not (_FIELD_NAME.fullmatch(name) and _FIELD_VALUE.fullmatch(value)):
            shown = name.decode("ascii", "replace") if _FIELD_NAME.fullmatch(name) else "a"
            raise httpx.LocalProtocolError(
                f"the {shown} header holds characters HTTP does not allow"
            )


def _size(count: int) -> str:
    if count % 2**20 == 0:
        return f"{count // 2**20} MiB"
    return f"{count // 1024} KiB" if count % 1024 == 0 else f"{count} bytes"
