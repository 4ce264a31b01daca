"""The sandbox's HTTP layer: Iggy's user and PAT routes over `SandboxState`, on loopback.

Facts read from the Iggy and axum sources (not copied):
- routes, auth and statuses: core/server/src/http/personal_access_tokens.rs, users.rs,
  system.rs (`pong`), http_server.rs and jwt/middleware.rs (stable, tag server-0.8.0): the JWT
  middleware is a `Router::layer`, so it runs before routing for every path outside its public
  list (unknown routes and wrong methods included) and answers a bare 401; GET /users/{id} looks
  the id up as a number or a name, so /users/me is a JSON 404 `not_found` on stable. The older
  generations work the same way with their own routes and public paths (generations.py).
- edge (tag server-0.9.0-edge.5): core/server/src/http.rs (same table, no fallback, auth is an
  extractor so unknown routes are a plain 404), extractor.rs, handlers.rs (`me` alias on
  GET /users/{id}, user JSON gains `options`), error.rs (401s carry the JSON error body;
  TransientNotCommitted 57 and TransientNotAccepted 58 are 503 with `Retry-After: 1`),
  submit.rs (a create whose commit is not confirmed in time answers 57 although it may still
  commit: the token can exist while its secret was never sent).
- GET /stats (system.rs at server-0.8.0, handlers.rs at edge.5): `Stats` as iggy_common 0.11.0
  (Iggy 0.9.0) serializes it, `iggy_server_version` the release played; for the root user only
  (read_servers), public from 0.4.80 up to 0.7.0. Served from 0.4.112, the release whose Stats
  gained `iggy_server_version` (sdk/src/models/stats.rs).
- user JSON: core/common/src/types/user/user_info.rs, Permissions::root in
  core/common/src/types/permissions/permissions_global.rs.
- body rejections: axum_json.py. extract/path/mod.rs of axum 0.8.9: a name that is not UTF-8
  once percent-decoded -> 400 "Invalid URL: Invalid UTF-8 in `name`". A body over
  `[http] max_request_size` ("2 MB", core/server/config.toml) -> 413; the sandbox answers it
  from the Content-Length alone, before auth and without reading the body, and closes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from iggy_cli.sandbox import axum_json
from iggy_cli.sandbox.accounts import (
    ApiError,
    Caller,
    Clock,
    IdentityInfo,
    SandboxState,
    Unauthorized,
    User,
)
from iggy_cli.sandbox.faults import (
    Body,
    CannedAnswer,
    Countdown,
    Fault,
    FaultPlan,
    LoseMode,
    LostAnswer,
    RecordedRequest,
    Recorder,
)
from iggy_cli.sandbox.generations import Dialect, LoginShape, dialect

_TEXT = "text/plain; charset=utf-8"
# When this process started serving, for the `start_time` and `run_time` of GET /stats.
_STARTED_US = time.time_ns() // 1_000
_JSON = "application/json"
MAX_BODY_BYTES = 2_000_000  # [http] max_request_size = "2 MB"
IDLE_TIMEOUT_S = 5.0
LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
RETRY_AFTER_S = 1  # RETRY_AFTER_SECONDS, core/server/src/http/error.rs (edge)
_ROOT_PERMISSIONS = {
    "global": dict.fromkeys(
        (
            "manage_servers",
            "read_servers",
            "manage_users",
            "read_users",
            "manage_streams",
            "read_streams",
            "manage_topics",
            "read_topics",
            "poll_messages",
            "send_messages",
        ),
        True,
    ),
    "streams": None,
}


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, payload: object) -> _Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return _Response(status, body, _JSON)


def _text(status: int, text: str) -> _Response:
    return _Response(status, text.encode(), _TEXT)


def _mangled(mode: str, response: _Response) -> bytes:
    """The bytes a LostAnswer of `mode` sends instead of `response` (see faults.LostAnswer)."""
    if mode == "garbled":
        return b"garbage, not http\r\n\r\n"
    if mode == "not-json":
        body = b"<html><body>Accepted</body></html>"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
    head = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
    if response.content_type is not None:
        head.append(f"Content-Type: {response.content_type}")
    head += [f"{name}: {value}" for name, value in response.headers]
    body = response.body
    if mode == "cut-body":
        head.append(f"Content-Length: {len(body) + 200}")  # promised, never all sent
        body = body[: len(body) // 2]
    else:  # many-headers
        head += [f"X-Filler-{index}: {'f' * 100}" for index in range(3000)]
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _error_body(error: ApiError) -> _Response:
    payload = {"id": error.id, "code": error.code, "reason": error.reason, "field": error.field}
    response = _json(error.status, payload)
    if error.status == 503:
        return _Response(503, response.body, _JSON, (("Retry-After", str(RETRY_AFTER_S)),))
    return response


# ---- routes ----


@dataclass(slots=True)
class _Call:
    app: _App
    headers: Message
    body: bytes
    params: tuple[str, ...]
    authenticated: Caller | None = None

    @property
    def state(self) -> SandboxState:
        return self.app.state

    @property
    def dialect(self) -> Dialect:
        return self.app.state.dialect

    def caller(self) -> Caller:
        # The JWT middleware already authenticated; edge's extractor does it here, after routing.
        if self.authenticated is None:
            self.authenticated = self.state.authenticate(self.headers.get("Authorization"))
        return self.authenticated

    def json(self, shape: axum_json.Shape) -> dict[str, str | int | None]:
        return axum_json.parse_body(self.headers, self.body, shape)

    def param(self, name: str) -> str:
        try:
            return urllib.parse.unquote_to_bytes(self.params[0]).decode("utf-8")
        except UnicodeDecodeError:
            raise axum_json.Rejection(400, f"Invalid URL: Invalid UTF-8 in `{name}`") from None


def _identity(info: IdentityInfo, shape: LoginShape) -> _Response:
    """IdentityInfo as each generation serializes it (dialects.Dialect.login_shape)."""
    payload: dict[str, object] = {"user_id": info.user_id}
    if shape == "token-string":
        payload["token"] = info.access_token
    elif shape == "token-object":
        payload["token"] = {
            "access_token": info.access_token,
            "refresh_token": info.refresh_token,
            "expiry": info.expiry,
        }
    elif shape == "tokens":
        payload["tokens"] = {
            "access_token": {"token": info.access_token, "expiry": info.expiry},
            "refresh_token": {"token": info.refresh_token, "expiry": info.refresh_expiry},
        }
    else:
        payload["access_token"] = {"token": info.access_token, "expiry": info.expiry}
    return _json(200, payload)


def _user(user: User, edge: bool) -> _Response:
    payload: dict[str, object] = {
        "id": user.id,
        "created_at": user.created_at,
        "status": "active",
        "username": user.username,
        "permissions": _ROOT_PERMISSIONS if user.is_root else None,
    }
    if edge:
        payload["options"] = {}
    return _json(200, payload)


def _ping(call: _Call) -> _Response:
    return _text(200, "pong")


def _login(call: _Call) -> _Response:
    body = call.json(axum_json.LOGIN_USER)
    info = call.state.login(str(body["username"]), str(body["password"]))
    return _identity(info, call.dialect.login_shape)


def _login_with_token(call: _Call) -> _Response:
    info = call.state.login_with_token(str(call.json(axum_json.LOGIN_WITH_PAT)["token"]))
    return _identity(info, call.dialect.login_shape)


def _refresh(call: _Call) -> _Response:
    if call.dialect.refresh == "refresh-token":
        token = call.json(axum_json.REFRESH_TOKEN)["refresh_token"]
    else:
        token = call.json(axum_json.REFRESH_JWT)["token"]
    return _identity(call.state.refresh(str(token)), call.dialect.login_shape)


def _logout(call: _Call) -> _Response:
    caller = call.caller()
    if call.dialect.logout_method == "POST":
        call.json(axum_json.LOGOUT_USER)  # `Json<LogoutUser>`: a JSON object, usually {}
    call.state.logout(caller)
    return _Response(204)


def _get_user(call: _Call) -> _Response:
    caller = call.caller()
    return _user(call.state.get_user(caller, call.param("user_id")), call.state.edge)


def _stats(call: _Call) -> _Response:
    """GET /stats: the server's `Stats`, whose `iggy_server_version` is how a client learns the
    release over HTTP (core/common/src/types/stats/mod.rs in iggy_common 0.11.0, the crate of
    Iggy 0.9.0; VERSION is the server crate's CARGO_PKG_VERSION, core/server/src/lib.rs).
    Public from 0.4.80 up to 0.7.0 (`public_paths`), then for read_servers or manage_servers."""
    if "/stats" not in call.dialect.public_paths:
        call.state.check_read_servers(call.caller())
    major, minor, patch = call.dialect.version
    started_us = _STARTED_US
    now_us = call.state.now_us()
    return _json(
        200,
        {
            "process_id": os.getpid(),
            "cpu_usage": 0.0,
            "total_cpu_usage": 0.0,
            "memory_usage": "0 B",
            "total_memory": "0 B",
            "available_memory": "0 B",
            "run_time": max(0, now_us - started_us),
            "start_time": started_us,
            "read_bytes": "0 B",
            "written_bytes": "0 B",
            "messages_size_bytes": "0 B",
            "streams_count": 0,
            "topics_count": 0,
            "partitions_count": 0,
            "segments_count": 0,
            "messages_count": 0,
            "clients_count": 0,
            "consumer_groups_count": 0,
            "hostname": "iggy-sandbox",
            "os_name": "sandbox",
            "os_version": "",
            "kernel_version": "",
            "iggy_server_version": call.dialect.release,
            "iggy_server_semver": major * 1_000_000 + minor * 1_000 + patch,
            "cache_metrics": {},
            "threads_count": threading.active_count(),
            "free_disk_space": "0 B",
            "total_disk_space": "0 B",
        },
    )


def _list_tokens(call: _Call) -> _Response:
    tokens = call.state.list_tokens(call.caller().user_id)
    field = call.dialect.list_expiry_field
    return _json(200, [{"name": token.name, field: token.expiry_at} for token in tokens])


def _create_token(call: _Call) -> _Response:
    caller = call.caller()
    seconds = call.dialect.expiry_in_seconds
    body = call.json(axum_json.CREATE_PAT_SECONDS if seconds else axum_json.CREATE_PAT)
    expiry = body["expiry"]
    assert expiry is None or isinstance(expiry, int)
    token = call.state.create_token(caller.user_id, str(body["name"]), expiry)
    if call.state.edge and call.app.not_committed.take():
        raise call.state.errors.transient_not_committed()  # created; the secret is lost
    return _json(200, {"token": token})


def _delete_token(call: _Call) -> _Response:
    caller = call.caller()
    call.state.delete_token(caller.user_id, call.param("name"))
    return _Response(204)


_Handler = Callable[[_Call], _Response]
_Routes = tuple[tuple[tuple[str, ...], dict[str, _Handler]], ...]


def _routes(d: Dialect) -> _Routes:
    """(path segments, {method: handler}) of one dialect; a literal segment beats a
    `{capture}`, as in axum's router, so DELETE <prefix>/login is a 405, never a delete."""
    pat = d.pat_prefix
    routes: list[tuple[tuple[str, ...], dict[str, _Handler]]] = [
        (("ping",), {"GET": _ping}),
        (("users", "login"), {"POST": _login}),
        (("users", "logout"), {d.logout_method: _logout}),
        (("users", "{user_id}"), {"GET": _get_user}),
        ((pat,), {"GET": _list_tokens, "POST": _create_token}),
        ((pat, "login"), {"POST": _login_with_token}),
        ((pat, "{name}"), {"DELETE": _delete_token}),
    ]
    if d.refresh != "none":
        routes.append((("users", "refresh-token"), {"POST": _refresh}))
    if d.version >= (0, 4, 112):  # when Stats gained iggy_server_version (#1445)
        routes.append((("stats",), {"GET": _stats}))
    return tuple(routes)


def _route(routes: _Routes, path: str) -> tuple[dict[str, _Handler], tuple[str, ...]] | None:
    segments = path.split("/")[1:]
    matches = []
    for pattern, methods in routes:
        if len(pattern) != len(segments):
            continue
        pairs = list(zip(pattern, segments, strict=True))
        if all(p == s or (p.startswith("{") and s) for p, s in pairs):
            rank = tuple(p.startswith("{") for p in pattern)  # literals first
            matches.append((rank, methods, tuple(s for p, s in pairs if p.startswith("{"))))
    if not matches:
        return None
    _, methods, captures = min(matches, key=lambda match: match[0])
    return methods, captures


def _allow(methods: Mapping[str, _Handler]) -> str:
    return ",".join(m for name in methods for m in ((name, "HEAD") if name == "GET" else (name,)))


class _App:
    """Turns one parsed request into one response; shared by every request thread."""

    def __init__(self, state: SandboxState, access_log: Callable[[str], None] | None) -> None:
        self.state = state
        self.access_log = access_log
        self.routes = _routes(state.dialect)
        self.faults = FaultPlan()
        self.recorder = Recorder()
        self.busy = Countdown()
        self.not_committed = Countdown()

    def handle(self, method: str, path: str, headers: Message, body: bytes) -> _Response:
        try:
            if self.state.edge and path != "/ping" and self.busy.take():
                # Nothing is done: the request never entered the (consensus) pipeline.
                raise self.state.errors.transient_not_accepted()
            authenticated = None
            if not self.state.edge and path not in self.state.dialect.public_paths:
                authenticated = self.state.authenticate(headers.get("Authorization"))
            found = _route(self.routes, path)
            if found is None:
                return _Response(404)
            methods, params = found
            handler = methods.get("GET" if method == "HEAD" else method)
            if handler is None:
                return _Response(405, headers=(("Allow", _allow(methods)),))
            return handler(_Call(self, headers, body, params, authenticated))
        except Unauthorized:
            return _Response(401)
        except ApiError as error:
            return _error_body(error)
        except axum_json.Rejection as rejection:
            return _text(rejection.status, rejection.text)


class _BodyTooLarge(Exception):
    pass


def _parsed_json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except ValueError:
        return None


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like hyper
    # Headers and body go out in separate writes; with Nagle's algorithm on, a keep-alive
    # client's delayed ACK then stalls every response. hyper sets TCP_NODELAY too.
    disable_nagle_algorithm = True
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        # An idle keep-alive connection (or a client that stops mid-request) is dropped after
        # this many seconds, so it cannot hold a thread forever.
        self.connection.settimeout(self.server.idle_timeout_s)

    def do_GET(self) -> None:
        app = self.server.app
        split = urllib.parse.urlsplit(self.path)
        path = split.path or "/"
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True  # the body is never read, so the stream is lost
            self._log(path, 413)
            self._send(_text(413, "Failed to buffer the request body: length limit exceeded"))
            return
        except ValueError:  # a Content-Length or chunk size that is not a number
            self.close_connection = True
            self._log(path, 400)
            self._send(_Response(400))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(
            self.command, path, split.query, headers, body, _parsed_json(body)
        )
        app.recorder.add(request)
        fault = app.faults.take(self.command, path)
        if fault is not None and isinstance(fault.action, CannedAnswer):
            canned = fault.action
            extra = tuple(canned.headers.items())
            response = _Response(canned.status, canned.render(request), canned.content_type, extra)
            self._log(path, response.status)
            self._send(response)
            return
        try:
            response = app.handle(self.command, path, self.headers, body)
        except Exception:
            traceback.print_exc()
            response = _Response(500)
        if fault is not None and isinstance(fault.action, LostAnswer):
            self._log(path, response.status, " (answer lost)")
            self._lose(fault.action, response)
            return
        self._log(path, response.status)  # before replying, so the log never lags behind
        self._send(response)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _log(self, path: str, status: int, note: str = "") -> None:
        if self.server.app.access_log is not None:
            self.server.app.access_log(f"{self.command} {path} {status}{note}")

    def _send(self, response: _Response) -> None:
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _lose(self, lost: LostAnswer, response: _Response) -> None:
        self.close_connection = True
        if lost.mode == "close":
            return  # the connection is closed without a byte of the answer
        if lost.mode == "hold":
            self._hold(lost.hold_s)
            return
        if lost.mode == "reset":
            self.server.reset_on_close(self.connection)
            return
        self.wfile.write(_mangled(lost.mode, response))
        self.wfile.flush()

    def _hold(self, hold_s: float) -> None:
        connection = self.connection
        deadline = time.monotonic() + hold_s
        while not self.server.stopping.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([connection], [], [], 0.05)
            if not readable:
                continue
            if isinstance(connection, ssl.SSLSocket):
                return  # TLS cannot peek; a readable socket here is a close_notify or EOF
            try:
                if not connection.recv(1, socket.MSG_PEEK):
                    return  # the client closed: it has given up
            except OSError:
                return
            time.sleep(0.05)  # it sent more (a new request): keep holding, without spinning

    def _read_body(self) -> bytes:
        limit = self.server.max_body_bytes
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while size := int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16):
                if size < 0:
                    raise ValueError("a negative chunk size")
                total += size
                if total > limit:
                    raise _BodyTooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():
            raise ValueError("Content-Length is not a number")
        if len(text) > 20 or int(text) > limit:  # never allocate what a client claims
            raise _BodyTooLarge
        length = int(text)
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: object) -> None:
        pass  # the access log above is the only output, and it never shows bodies


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        app: _App,
        tls: ssl.SSLContext | None,
        *,
        max_body_bytes: int,
        idle_timeout_s: float,
    ) -> None:
        self.app = app
        self.tls_context = tls
        self.max_body_bytes = max_body_bytes
        self.idle_timeout_s = idle_timeout_s
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._resets: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self._track(request)
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS is set up here, on the request's own thread and under the idle timeout: done in
        # the accept loop, one client that never finishes its handshake would stall everyone.
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(self.idle_timeout_s)
        try:
            wrapped = self.tls_context.wrap_socket(request, server_side=True)
        except OSError:  # ssl.SSLError included: a failed handshake
            return
        self._track(wrapped, replacing=request)
        try:
            super().finish_request(wrapped, client_address)
        finally:
            self._untrack(wrapped)
            with contextlib.suppress(OSError):
                wrapped.close()

    def reset_on_close(self, connection: socket.socket) -> None:
        """Close `connection` with a TCP reset instead of a FIN (SO_LINGER with a zero
        timeout, and no shutdown first, which would send the FIN)."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._connections_lock:
            self._resets.add(connection)

    def shutdown_request(self, request: Any) -> None:
        self._untrack(request)
        with self._connections_lock:
            reset = request in self._resets
            self._resets.discard(request)
        if reset:
            self.close_request(request)
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that resets or vanishes mid-request is not a bug worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def _track(self, connection: socket.socket, replacing: socket.socket | None = None) -> None:
        with self._connections_lock:
            self._connections.discard(replacing)
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        # A stopped server must drop its keep-alive connections too, or a client goes on
        # talking to the old instance (and its old JWT secret) through them.
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.address()

    def address(self) -> tuple[str, int]:
        host, port = self.socket.getsockname()[:2]
        return str(host), int(port)


def parse_user(text: str) -> tuple[str, str]:
    """`NAME:PASSWORD` (the first colon splits: a password may hold colons)."""
    name, colon, password = text.partition(":")
    if not colon or not name:
        raise ValueError(f"expected NAME:PASSWORD, got {text.split(':', 1)[0]!r} without one")
    return name, password


class SandboxServer:
    """An in-memory Iggy user/PAT HTTP API; binds in the constructor (OSError if taken).

    `dialect` is "first", "legacy", "renaming", "stable" (the default) or "edge", and
    `server_version` a release inside it ("0.0.42", "0.2.16", ...; see generations.py for what
    each changes on the wire); either alone is enough. `edge=True` means dialect="edge".
    `users` are extra (name, password) pairs; the root user is `username`/`password`.

    Test controls, all thread-safe and callable while the server runs:
    `lose_answer` / `answer_with` arm faults for requests matched by method and path,
    `busy` / `create_not_committed` make an edge server answer its real 503s, and `requests`
    is what the server received (never printed by the sandbox).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = "iggy",
        password: str = "iggy",
        edge: bool = False,
        max_tokens_per_user: int = 100,
        cleaner_interval_s: float | None = 60.0,
        clock: Clock | None = None,
        *,
        dialect: str | Dialect | None = None,
        server_version: str | None = None,
        users: Sequence[tuple[str, str]] = (),
        access_log: Callable[[str], None] | None = None,
        on_token_minted: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        chosen = _choose_dialect(dialect, server_version, edge)
        self._state = SandboxState(
            username,
            password,
            dialect=chosen,
            users=users,
            max_tokens_per_user=max_tokens_per_user,
            cleaner_interval_s=cleaner_interval_s,
            clock=clock,
        )
        self._state.on_token_minted = on_token_minted
        self._app = _App(self._state, access_log)
        self._httpd = _HttpServer(
            (host, port),
            self._app,
            tls,
            max_body_bytes=max_body_bytes,
            idle_timeout_s=idle_timeout_s,
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.address()
        scheme = "https" if self._httpd.tls_context is not None else "http"
        return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"

    @property
    def state(self) -> SandboxState:
        return self._state

    @property
    def dialect(self) -> Dialect:
        return self._state.dialect

    # Faults

    def lose_answer(
        self,
        method: str,
        path: str,
        *,
        count: int = 1,
        mode: LoseMode = "close",
        hold_s: float = 60.0,
        skip: int = 0,
    ) -> Fault:
        """Carry out the next `count` requests matching `method` ("*" for any) and `path` (an
        fnmatch pattern over the path as sent, e.g. "/personal-access-tokens*"), then lose
        their answers: "close" closes the connection without a byte; "hold" sends nothing
        until the client closes the connection (it gave up), the server stops, or `hold_s`;
        the other modes send a reset, garbage, a page that is not the answer, a cut body or
        too many headers (faults.LostAnswer). The first `skip` matching requests are
        answered as usual (the second create of a run: `skip=1`)."""
        lost = LostAnswer(mode, hold_s)
        return self._app.faults.arm(Fault(method, path, lost, count, skip))

    def answer_with(
        self,
        method: str,
        path: str,
        status: int,
        body: Body | Callable[[RecordedRequest], Body] = b"",
        *,
        content_type: str | None = "text/plain; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        count: int = 1,
        skip: int = 0,
    ) -> Fault:
        """Answer the next `count` matching requests with this status, content type, headers
        and body instead of handling them (nothing changes on the server). `body` may be a
        function of the request, e.g. `lambda r: f"bad: {r.json}"` for a server that echoes
        secrets back. The first `skip` matching requests are answered as usual."""
        answer = CannedAnswer(status, body, content_type, dict(headers or {}))
        return self._app.faults.arm(Fault(method, path, answer, count, skip))

    def clear_faults(self) -> None:
        self._app.faults.clear()

    def busy(self, requests: int) -> None:
        """Edge only: answer the next `requests` requests (any but GET /ping) with 503,
        `Retry-After: 1` and the TransientNotAccepted body (id 58) without doing anything."""
        self._edge_only("busy")
        self._app.busy.add(requests)

    def create_not_committed(self, count: int = 1) -> None:
        """Edge only: carry out the next `count` token creates, then answer each with 503,
        `Retry-After: 1` and the TransientNotCommitted body (id 57): the token exists but its
        secret never reaches the client."""
        self._edge_only("create_not_committed")
        self._app.not_committed.add(count)

    def _edge_only(self, what: str) -> None:
        if not self._state.edge:
            raise ValueError(
                f"{what}: only an edge server answers 503s (dialect is {self.dialect})"
            )

    # Recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far (at most the last 10,000), oldest first."""
        return self._app.recorder.snapshot()

    def clear_requests(self) -> None:
        self._app.recorder.clear()

    # Running

    def start(self) -> SandboxServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _choose_dialect(chosen: str | Dialect | None, release: str | None, edge: bool) -> Dialect:
    if isinstance(chosen, Dialect):
        if release is not None:
            raise ValueError("give server_version with a dialect name, not a Dialect")
        found = chosen
    elif chosen is None and release is None:
        found = dialect("edge" if edge else "stable")
    else:
        found = dialect(chosen, release)
    if edge and not found.edge:
        raise ValueError(f"edge=True contradicts the {found.name} dialect")
    return found


def run_sandbox(
    host: str,
    port: int,
    username: str,
    password: str,
    echo: Callable[[str], None],
    *,
    dialect: str | None = None,
    server_version: str | None = None,
    users: Sequence[tuple[str, str]] = (),
    busy: int = 0,
    create_not_committed: int = 0,
) -> None:
    """Serve in the foreground until Ctrl-C; raises OSError if the address is taken and
    ValueError for a dialect, release or edge-only option that does not fit."""

    def access_log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    server = SandboxServer(
        host,
        port,
        username,
        password,
        dialect=dialect,
        server_version=server_version,
        users=users,
        access_log=access_log,
    )
    try:
        if busy:
            server.busy(busy)
        if create_not_committed:
            server.create_not_committed(create_not_committed)
        flavour = server.dialect.name if server_version is None else str(server.dialect)
        # The passwords too: a stand-in's passwords are no secret, and one that is not said
        # has to be guessed (`--password` given long ago, or the default).
        accounts = ", ".join(
            f'"{name}" (password "{secret}")' for name, secret in [(username, password), *users]
        )
        who = "user" if not users else "users"
        echo(f"Iggy sandbox ({flavour}) listening on {server.url} — {who} {accounts}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
