"""An httpx transport over the standard library's http.client: one deadline and one size cap
per request, and the proxy variables of the environment.

Why not httpx's own transport: it imports httpcore, h11 and anyio, ~16 ms on every run, for a
connection pool a CLI making three requests to one server does not need. This one keeps one
keep-alive connection per origin and verifies TLS exactly as configured.

The deadline bounds the whole request, not each read: every blocking step is given the time
left as its timeout. Name resolution runs in a helper thread (getaddrinfo takes no timeout);
each connect attempt, the TLS handshake (OpenSSL bounds a whole handshake by one timeout),
each send, and each single recv of the answer (`_MeteredReader`, under http.client's buffer)
get the time left, so a server that drips one byte a second cannot stretch a request past
it. The same reader counts the bytes of each answer, status line and headers included, and
stops at `MAX_ANSWER_BYTES`.

Proxies come from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, read as urllib reads them
(`proxy_for`): an http URL goes to the proxy in absolute form, an https URL through a CONNECT
tunnel, with TLS to the server inside it. Only http:// proxies are spoken.

Failures become httpx's exceptions (a passed deadline is an `httpx.TimeoutException`), plus
`AnswerTooLarge`, `NotTls` and `ProxyRefused`, which client.py turns into messages.
"""

from __future__ import annotations

import http.client
import io
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import httpx

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, SupportsRead, WriteableBuffer

# The largest answer read, headers included. A full token list (100 tokens, the server's
# limit per user, with 255-byte names) is under 40 KB; 4 MiB leaves room for any proxy's
# error page, and a server that sends more is not one to keep reading from.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# A kept-alive connection the server has closed fails like this before any answer; the
# request is sent again once on a fresh connection, as httpcore does.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})
# What OpenSSL says when the first bytes back are not a TLS record (a plain HTTP answer).
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG"})
# RFC 9110 field names and values, without obs-text: http.client refuses the rest with an
# error that quotes the value, and the value may be a bearer.
_FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e]*")
_HOST = re.compile(r"[A-Za-z0-9._-]+")

Origin = tuple[str, str, int]


class AnswerTooLarge(httpx.TransportError):
    """The answer passed MAX_ANSWER_BYTES; the rest was not read."""


class NotTls(httpx.ConnectError):
    """An https URL, and the server answered the TLS handshake in something else."""


class ProxyRefused(httpx.ProxyError):
    """The proxy answered the CONNECT with something other than 2xx."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"the proxy answered the tunnel request with HTTP {status} {reason}")
        self.status = status


class ProxySettingError(ValueError):
    """A proxy variable this request would use does not name an http:// proxy."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable} is not a proxy this tool can use: {reason}")
        self.variable = variable


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    variable: str  # where it came from, for messages
    # "Basic ..." from the user:password of the proxy URL: sent to the proxy, never beyond it.
    authorization: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return _authority(self.host, self.port)


def proxy_for(scheme: str, host: str, port: int, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy for one origin, from the environment as urllib.request reads it.

    As urllib: a lower-case variable wins over its upper-case form, even when empty; NO_PROXY
    is a comma-separated list of host names, `name` also matching its subdomains, or `*`; and
    HTTP_PROXY is ignored under CGI (REQUEST_METHOD set: "httpoxy"). As curl and httpx:
    ALL_PROXY serves a scheme that has no variable of its own, and a value without a scheme is
    an http:// proxy. Raises ProxySettingError for a value that cannot be used.
    """
    if _bypassed(host.lower(), port, _variable(environ, "no_proxy")[1]):
        return None
    for base in (f"{scheme}_proxy", "all_proxy"):
        name, value = _variable(environ, base)
        if value:
            return _parse_proxy(name, value)
    return None


def _variable(environ: Mapping[str, str], base: str) -> tuple[str, str]:
    upper = base.upper()
    if base in environ:
        return base, environ[base].strip()
    if base == "http_proxy" and "REQUEST_METHOD" in environ:
        return upper, ""
    return upper, environ.get(upper, "").strip()


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    if no_proxy == "*":
        return True
    with_port = f"{host}:{port}"
    for entry in no_proxy.lower().split(","):
        name = entry.strip().lstrip(".")
        if not name:
            continue
        if name in (host, with_port) or host.endswith("." + name) or with_port.endswith("." + name):
            return True
    return False


def _parse_proxy(variable: str, value: str) -> Proxy:
    # Never quoted in a message: the value may hold the proxy's password.
    text = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ProxySettingError(variable, "it is not a URL") from None
    if parts.scheme.lower() != "http":
        raise ProxySettingError(
            variable, f"only http:// proxies are supported, not {parts.scheme}://"
        )
    host = parts.hostname or ""
    if not (_HOST.fullmatch(host) or (":" in host and _is_ip_literal(host))):
        raise ProxySettingError(variable, "it names no valid host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ProxySettingError(variable, "the port must be a number from 1 to 65535")
    authorization = None
    if parts.username is not None:
        import base64

        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    return Proxy(host, port or 80, variable, authorization)


class StdlibTransport(httpx.BaseTransport):
    def __init__(
        self,
        timeout: float,
        tls: ssl.SSLContext | None,
        proxy: Proxy | None = None,
    ) -> None:
        self._timeout = timeout
        self._tls = tls
        self._proxy = proxy
        self._connections: dict[Origin, _Connection] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self._timeout
        # client.py's retries of one call share one deadline, given here.
        given = request.extensions.get("iggy_deadline")
        budget = _Budget(min(deadline, given) if given else deadline, MAX_ANSWER_BYTES)
        origin = (request.url.scheme, request.url.host, request.url.port or _default_port(request))
        body = request.read()
        _check_headers(request)
        connection = self._connections.get(origin)
        if connection is not None and connection.closed_by_peer():
            self._drop(origin)  # closed while idle: no need to find out by failing
        reused = origin in self._connections
        try:
            return self._send(origin, request, body, budget)
        except _STALE:
            # Sent again only where a repeat is harmless: never a POST, which mints tokens.
            # The repeat runs against the same deadline.
            self._drop(origin)
            if not reused or request.method not in _IDEMPOTENT:
                raise httpx.ReadError("the server closed the connection") from None
            try:
                return self._send(origin, request, body, budget)
            except _STALE:
                self._drop(origin)
                raise httpx.ReadError("the server closed the connection") from None

    def close(self) -> None:
        for origin in list(self._connections):
            self._drop(origin)

    def _send(
        self, origin: Origin, request: httpx.Request, body: bytes, budget: _Budget
    ) -> httpx.Response:
        connection = self._connection(origin)
        connection.budget = budget
        target = request.url.raw_path.decode("ascii")
        if self._proxy is not None and origin[0] == "http":
            target = f"http://{_authority(origin[1], origin[2])}{target}"  # absolute form
        try:
            connection.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                if name.lower() != b"accept-encoding":
                    connection.putheader(name.decode("ascii"), value)
            connection.putheader("Accept-Encoding", "identity")  # bodies arrive as they are
            if self._proxy is not None and origin[0] == "http" and self._proxy.authorization:
                connection.putheader("Proxy-Authorization", self._proxy.authorization)
            connection.endheaders(body or None)
            answer = connection.getresponse()
            if answer.length is not None and answer.length > budget.cap:
                raise AnswerTooLarge(f"an answer larger than {_size(budget.cap)}")
            content = answer.read()
        except _STALE:
            raise
        except httpx.TransportError:
            self._drop(origin)
            raise
        except TimeoutError as error:
            self._drop(origin)
            if connection.sock is None:
                raise httpx.ConnectTimeout(str(error)) from None
            raise httpx.ReadTimeout(str(error)) from None
        except ssl.SSLError as error:
            self._drop(origin)
            if error.reason in _NOT_TLS_REASONS:
                raise NotTls(str(error)) from None
            raise httpx.ConnectError(str(error)) from None
        except (http.client.HTTPException, UnicodeError) as error:
            # A garbled status line, a cut-short body, a header that is not Latin-1.
            self._drop(origin)
            raise httpx.RemoteProtocolError(f"{type(error).__name__}: {error}") from None
        except OSError as error:
            self._drop(origin)
            raise httpx.ConnectError(str(error) or type(error).__name__) from None
        if answer.will_close:
            self._drop(origin)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.getheaders(),
            content=content,
            request=request,
        )

    def _connection(self, origin: Origin) -> _Connection:
        connection = self._connections.get(origin)
        if connection is None:
            scheme, host, port = origin
            tls = self._tls if scheme == "https" else None
            if scheme == "https" and tls is None:
                tls = ssl.create_default_context()
            connection = _Connection(host, port, tls, self._proxy)
            self._connections[origin] = connection
        return connection

    def _drop(self, origin: Origin) -> None:
        connection = self._connections.pop(origin, None)
        if connection is not None:
            connection.close()


@dataclass
class _Budget:
    """What one request may still spend: time until `deadline`, `cap` bytes per answer."""

    deadline: float
    cap: int

    def left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        return left


class _Connection(http.client.HTTPConnection):
    """One connection to an origin, direct or through a proxy, bounded by the request's budget."""

    def __init__(
        self, host: str, port: int, tls: ssl.SSLContext | None, proxy: Proxy | None
    ) -> None:
        super().__init__(host, port)
        self.budget = _Budget(0.0, 0)  # set by the transport before each request
        self._tls = tls
        self._proxy = proxy
        self.response_class = _metered_response(self)

    def connect(self) -> None:
        hop = (self._proxy.host, self._proxy.port) if self._proxy else (self.host, self.port)
        sock = _open_socket(*hop, self.budget)
        try:
            if self._tls is not None:
                if self._proxy is not None:
                    self._open_tunnel(sock)
                sock.settimeout(self.budget.left())
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def send(
        self, data: ReadableBuffer | SupportsRead[bytes] | Iterable[ReadableBuffer] | str
    ) -> None:
        if self.sock is None:
            self.connect()
        self.sock.settimeout(self.budget.left())
        super().send(data)

    def closed_by_peer(self) -> bool:
        """An idle keep-alive connection with something to read has been closed (or is broken)."""
        if self.sock is None:
            return False
        try:
            return bool(select.select([self.sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def _open_tunnel(self, sock: socket.socket) -> None:
        assert self._proxy is not None
        authority = _authority(self.host, self.port)
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if self._proxy.authorization:
            lines.append(f"Proxy-Authorization: {self._proxy.authorization}")
        sock.settimeout(self.budget.left())
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        answer = self.response_class(sock, method="CONNECT")
        try:
            answer.begin()
        finally:
            answer.close()
        if not 200 <= answer.status < 300:
            raise ProxyRefused(answer.status, answer.reason)


def _metered_response(connection: _Connection) -> type[http.client.HTTPResponse]:
    """http.client's answer, reading through a `_MeteredReader` on the connection's budget."""

    class MeteredResponse(http.client.HTTPResponse):
        def __init__(
            self,
            sock: socket.socket,
            debuglevel: int = 0,
            method: str | None = None,
            url: str | None = None,
        ) -> None:
            super().__init__(sock, debuglevel, method, url)
            self.fp.close()
            self.fp = io.BufferedReader(_MeteredReader(sock, connection.budget))

    return MeteredResponse


class _MeteredReader(io.RawIOBase):
    """A socket's bytes, each recv given the time left and counted against the cap."""

    def __init__(self, sock: socket.socket, budget: _Budget) -> None:
        super().__init__()
        self._sock = sock
        # A file on the socket keeps it open until the answer is read, even once the
        # connection has closed it: how http.client hands a last answer over to the reader.
        self._hold = sock.makefile("rb", buffering=0)
        self._budget = budget
        self._count = 0

    def close(self) -> None:
        self._hold.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        self._sock.settimeout(self._budget.left())
        # One byte past the cap is enough to know it was passed.
        wanted = min(len(view), self._budget.cap - self._count + 1)
        count = self._sock.recv_into(view, wanted)
        self._count += count
        if self._count > self._budget.cap:
            raise AnswerTooLarge(f"an answer larger than {_size(self._budget.cap)}")
        return count


def _open_socket(host: str, port: int, budget: _Budget) -> socket.socket:
    error: OSError | None = None
    for family, kind, protocol, _, address in _resolve(host, port, budget):
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(budget.left())
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except TimeoutError:
            sock.close()
            raise  # the deadline is spent: no time for the next address
        except OSError as failure:
            sock.close()
            error = failure
    raise error or OSError(f"no address for {host}")


def _resolve(host: str, port: int, budget: _Budget) -> list[tuple[Any, ...]]:
    """getaddrinfo within the deadline: it takes no timeout, so a slow resolver runs on in a
    daemon thread nobody waits for."""
    if _is_ip_literal(host):
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    found: list[tuple[Any, ...]] = []
    failed: list[OSError] = []

    def resolve() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            failed.append(error)

    worker = threading.Thread(target=resolve, name="iggy-resolve", daemon=True)
    worker.start()
    worker.join(budget.left())
    if worker.is_alive():
        raise TimeoutError(f"resolving {host} took too long")
    if failed:
        raise failed[0]
    return found


def _is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


def _check_headers(request: httpx.Request) -> None:
    """Refuse, without quoting it, a header http.client would refuse by quoting it."""
    for name, value in request.headers.raw:
        if not (_FIELD_NAME.fullmatch(name) and _FIELD_VALUE.fullmatch(value)):
            shown = name.decode("ascii", "replace") if _FIELD_NAME.fullmatch(name) else "a"
            raise httpx.LocalProtocolError(
                f"the {shown} header holds characters HTTP does not allow"
            )


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80


def _size(count: int) -> str:
    return f"{count // 2**20} MiB" if count % 2**20 == 0 else f"{count} bytes"


def tls_context(verify: bool, ca_cert: str | None) -> ssl.SSLContext:
    """Verification on, against `ca_cert` or the CA bundle httpx itself trusts (certifi)."""
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_cert is None:
        import certifi

        ca_cert = certifi.where()
    return ssl.create_default_context(cafile=ca_cert)
