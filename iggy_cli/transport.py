"""An httpx transport over the standard library's http.client.

httpx's own transport imports httpcore, h11 and anyio, ~16 ms on every run, for a connection
pool a CLI making three requests to one server does not need. This one keeps one keep-alive
connection per origin, verifies TLS exactly as configured, and maps failures to httpx's
exceptions, so client.py handles them as before. With a proxy configured in the environment
the client uses httpx's own transport instead (see `proxy_configured`).
"""

from __future__ import annotations

import http.client
import os
import ssl

import httpx

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
# A kept-alive connection the server has closed fails like this before any answer; the
# request is sent again once on a fresh connection, as httpcore does.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE", "PUT", "OPTIONS"})


def proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.lower()) for name in _PROXY_VARIABLES)


class StdlibTransport(httpx.BaseTransport):
    def __init__(self, timeout: float, tls: ssl.SSLContext | None) -> None:
        self._timeout = timeout
        self._tls = tls
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.scheme, request.url.host, request.url.port or _default_port(request))
        body = request.read()
        reused = origin in self._connections
        try:
            return self._send(origin, request, body)
        except _STALE:
            # Sent again only where a repeat is harmless: never a POST, which mints tokens.
            if not reused or request.method not in _IDEMPOTENT:
                self._drop(origin)
                raise httpx.ReadError("the server closed the connection") from None
            self._drop(origin)
            return self._send(origin, request, body)

    def close(self) -> None:
        for origin in list(self._connections):
            self._drop(origin)

    def _send(
        self, origin: tuple[str, str, int], request: httpx.Request, body: bytes
    ) -> httpx.Response:
        connection = self._connection(origin)
        try:
            connection.putrequest(
                request.method,
                request.url.raw_path.decode("ascii"),
                skip_host=True,
                skip_accept_encoding=True,
            )
            for name, value in request.headers.raw:
                if name.lower() != b"accept-encoding":
                    connection.putheader(name.decode("latin-1"), value)
            connection.putheader("Accept-Encoding", "identity")  # bodies arrive as they are
            connection.endheaders(body or None)
            answer = connection.getresponse()
            content = answer.read()
        except _STALE:
            raise
        except TimeoutError as error:
            self._drop(origin)
            if connection.sock is None:
                raise httpx.ConnectTimeout(str(error)) from None
            raise httpx.ReadTimeout(str(error)) from None
        except ssl.SSLError as error:
            self._drop(origin)
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

    def _connection(self, origin: tuple[str, str, int]) -> http.client.HTTPConnection:
        connection = self._connections.get(origin)
        if connection is None:
            scheme, host, port = origin
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    host, port, timeout=self._timeout, context=self._tls
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
            self._connections[origin] = connection
        return connection

    def _drop(self, origin: tuple[str, str, int]) -> None:
        connection = self._connections.pop(origin, None)
        if connection is not None:
            connection.close()


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80


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
