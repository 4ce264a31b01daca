"""Servers that are not Iggy, for the failures a real Iggy cannot produce on demand: a proxy
or web server answering HTML, a peer that accepts connections but never answers, one that
drips its answer a byte at a time, one whose answer never ends, one that hands out a login
token no header can carry, one that drops kept-alive connections, one whose answers are
compressed bombs, and one that adds odd header bytes to a real server's answers. All bind
127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.client
import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@contextmanager
def html_server(status: int = 200) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Completes the TCP handshake (the kernel does, from the backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def closed_port_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


@contextmanager
def garbage_server() -> Iterator[str]:
    """Answers every connection with a line that is not HTTP at all."""

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(b"garbage, not http\r\n\r\n")

    with socket_server(answer) as url:
        yield url


@contextmanager
def socket_server(
    serve: Callable[[socket.socket, threading.Event], None],
) -> Iterator[str]:
    """Calls `serve(connection, stop)` for each connection, each in a thread of its own; a
    peer that goes away mid-answer ends its thread quietly."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve_one(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            serve(connection, stop)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


# Where a drip server starts dripping: (sent at once, then one byte per interval).
_JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
DRIPS = {
    "status-line": (b"", _JSON_HEAD + b"Content-Length: 2\r\n\r\n{}"),
    "headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"z" * 1000 + b"\r\n\r\n"),
    "body": (_JSON_HEAD + b"Content-Length: 1000\r\n\r\n", b"[" + b" " * 998 + b"]"),
}


@contextmanager
def drip_server(where: str, interval: float = 1.0) -> Iterator[str]:
    """Answers every request slowly: `DRIPS[where]`, one byte each `interval` seconds, so that
    no single read ever waits long."""
    at_once, dripped = DRIPS[where]

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(at_once)
        for byte in dripped:
            if stop.wait(interval):
                return
            connection.sendall(bytes([byte]))

    with socket_server(answer) as url:
        yield url


# Answers that never end, in each way an HTTP answer can be long.
_MIB = b"x" * 2**20
ENDLESS = {
    "declared-length": (_JSON_HEAD + b"Content-Length: 104857600\r\n\r\n", _MIB),
    "chunked": (
        _JSON_HEAD + b"Transfer-Encoding: chunked\r\n\r\n",
        b"%x\r\n%s\r\n" % (len(_MIB), _MIB),
    ),
    "until-close": (b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", _MIB),
    # Header lines as long as a proxy's would be, without end.
    "headers": (b"HTTP/1.1 200 OK\r\n", b"X-Big: " + b"y" * 60_000 + b"\r\n"),
}


@contextmanager
def endless_server(kind: str) -> Iterator[str]:
    """Answers every request with `ENDLESS[kind]`: a head, then its second part over and over
    as fast as the client reads, until the client goes away."""
    head, repeated = ENDLESS[kind]

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(head)
        while not stop.is_set():
            connection.sendall(repeated)

    with socket_server(answer) as url:
        yield url


@functools.cache
def double_gzip(size: int) -> bytes:
    """`size` zero bytes, gzipped twice: some KB that decode to `size` bytes."""
    return gzip.compress(gzip.compress(bytes(size), 9), 9)


@contextmanager
def bomb_server(size: int = 64 * 2**20) -> Iterator[str]:
    """Answers every request with JSON in `Content-Encoding: gzip, gzip` that decodes to
    `size` bytes (by default 64 MiB, sixteen times the cap, from under 1 KB on the wire)."""
    body = double_gzip(size)
    head = _JSON_HEAD + b"Content-Encoding: gzip, gzip\r\nContent-Length: %d\r\n\r\n" % len(body)

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        connection.recv(65536)
        connection.sendall(head + body)
        stop.wait(5)  # kept open: the client ends the exchange

    with socket_server(answer) as url:
        yield url


@contextmanager
def identity_server(access_token: str) -> Iterator[str]:
    """Answers every request as a login does, handing out `access_token` as the JWT."""
    identity = {"user_id": 0, "access_token": {"token": access_token, "expiry": 2_000_000_000}}
    body = json.dumps(identity).encode()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def dropping_server(events: list[str], close_after_answer: bool = False) -> Iterator[str]:
    """Keeps connections alive, but answers only the first request on each: on the second it
    closes without answering, as a server does whose idle timeout ran out just as the request
    came. With `close_after_answer`, it closes right after the first answer instead, as if
    the idle timeout were zero. `events` gets `connection N: METHOD PATH answered|dropped`
    and `connection N: closed`, in order."""
    counter = iter(range(1, 1_000_000))
    identity = {"user_id": 0, "access_token": {"token": "jwt-x", "expiry": 2_000_000_000}}
    body = json.dumps(identity).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        number = next(counter)
        with connection.makefile("rb") as reader:
            for nth in (1, 2):
                request_line = reader.readline().decode("latin-1").split()
                if not request_line:
                    return
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                reader.read(length)
                seen = f"connection {number}: {' '.join(request_line[:2])}"
                if nth == 2:
                    events.append(f"{seen} dropped")
                    break
                events.append(f"{seen} answered")
                connection.sendall(head.encode() + b"\r\n\r\n" + body)
                if close_after_answer:
                    break
        connection.shutdown(socket.SHUT_RDWR)
        connection.close()
        if close_after_answer:
            events.append(f"connection {number}: closed")

    with socket_server(answer) as url:
        yield url


@contextmanager
def header_adding_server(upstream: str, method: str, path: str, line: bytes) -> Iterator[str]:
    """A server in front of `upstream` (http://127.0.0.1:PORT) that passes every request on
    and every answer back, adding the raw header `line` to the answers to METHOD PATH: the
    server behind acts, and its answer carries bytes no real Iggy sends."""
    port = int(upstream.rsplit(":", 1)[1])

    def answer(connection: socket.socket, stop: threading.Event) -> None:
        with connection.makefile("rb") as reader:
            while (request_line := reader.readline().decode("latin-1").split()) and not (
                stop.is_set()
            ):
                headers: dict[str, str] = {}
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip()] = value.strip()
                body = reader.read(int(headers.get("Content-Length") or 0))
                verb, target = request_line[:2]
                passed = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    passed.request(verb, target, body or None, headers)
                    got = passed.getresponse()
                    content = got.read()
                finally:
                    passed.close()
                head = [f"HTTP/1.1 {got.status} {got.reason}".encode("latin-1")]
                head += [
                    f"{name}: {value}".encode("latin-1")
                    for name, value in got.getheaders()
                    if name.lower() not in ("connection", "content-length", "transfer-encoding")
                ]
                if (verb, target) == (method, path):
                    head.append(line)
                head.append(b"Content-Length: %d" % len(content))
                connection.sendall(b"\r\n".join(head) + b"\r\n\r\n" + content)

    with socket_server(answer) as url:
        yield url


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key for 127.0.0.1, made by openssl."""
    assert shutil.which("openssl"), "openssl is missing: `make test` installs it"
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
