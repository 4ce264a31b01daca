"""A forwarding HTTP proxy on 127.0.0.1 that records what it forwarded: requests in absolute
form for http:// URLs, CONNECT tunnels for https:// ones. It forwards to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Headers for one hop only (RFC 9110 7.6.1): a proxy does not pass them on.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "transfer-encoding"}
)


@dataclass
class RecordingProxy:
    url: str
    # "POST http://127.0.0.1:PORT/users/login", "CONNECT 127.0.0.1:PORT", in order.
    seen: list[str] = field(default_factory=list)
    # The Proxy-Authorization of each request, None where there was none.
    credentials: list[str | None] = field(default_factory=list)


@contextmanager
def forwarding_proxy(require: str | None = None) -> Iterator[RecordingProxy]:
    """`require`: the Proxy-Authorization value a request must carry, or it gets a 407."""
    proxy = RecordingProxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _admitted(self) -> bool:
            proxy.seen.append(f"{self.command} {self.path}")
            given = self.headers.get("Proxy-Authorization")
            proxy.credentials.append(given)
            if require is None or given == require:
                return True
            self._refuse(407, "Proxy-Authenticate", 'Basic realm="test"')
            return False

        def _refuse(self, status: int, *header: str) -> None:
            self.send_response(status)
            if header:
                self.send_header(*header)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True

        def do_CONNECT(self) -> None:
            if not self._admitted():
                return
            host, _, port = self.path.rpartition(":")
            if host != "127.0.0.1":
                return self._refuse(403)
            upstream = socket.create_connection((host, int(port)), timeout=10)
            self.send_response(200, "Connection established")
            self.end_headers()
            self.close_connection = True
            with upstream:
                _pipe(self.connection, upstream)

        def _forward(self) -> None:
            if not self._admitted():
                return
            target = urlsplit(self.path)
            if target.scheme != "http" or target.hostname != "127.0.0.1":
                return self._refuse(403)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in _HOP_BY_HOP
            }
            upstream = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
            try:
                path = target.path + (f"?{target.query}" if target.query else "")
                upstream.request(self.command, path, body or None, headers)
                answer = upstream.getresponse()
                content = answer.read()
            finally:
                upstream.close()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Bytes both ways until either side closes (or both fall quiet for 30 s)."""
    peers = {one: other, other: one}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 30)
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)
            except OSError:
                return
