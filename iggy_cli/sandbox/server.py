"""The sandbox's HTTP layer: Iggy's user and PAT routes over `SandboxState`, on loopback.

Facts read from the Iggy and axum sources (not copied):
- routes, auth and statuses: core/server/src/http/personal_access_tokens.rs, users.rs,
  system.rs (`pong`), http_server.rs and jwt/middleware.rs (stable, tag server-0.8.0): the JWT
  middleware is a `Router::layer`, so it runs before routing for every path outside its public
  list (unknown routes and wrong methods included) and answers a bare 401; GET /users/{id} looks
  the id up as a number or a name, so /users/me is a JSON 404 `not_found` on stable.
- edge (main, 0.9.0-edge): core/server/src/http.rs (same table, no fallback, auth is an extractor
  so unknown routes are a plain 404), extractor.rs, handlers.rs (`me` alias on GET /users/{id},
  user JSON gains `options`), error.rs (401s carry the JSON error body).
- user JSON: core/common/src/types/user/user_info.rs, Permissions::root in
  core/common/src/types/permissions/permissions_global.rs.
- body rejections: see axum_json.py. extract/path/mod.rs of axum 0.8.9: a name that is not UTF-8
  once percent-decoded -> 400 "Invalid URL: Invalid UTF-8 in `name`".
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import ssl
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from iggy_cli.sandbox import axum_json
from iggy_cli.sandbox.state import (
    ApiError,
    Caller,
    Clock,
    IdentityInfo,
    SandboxState,
    Unauthorized,
    User,
)

_PAT_LOGIN = "/personal-access-tokens/login"
# Paths stable's JWT middleware lets through without a bearer (exact match).
_PUBLIC_PATHS = frozenset(
    ("/", "/metrics", "/ping", "/ui", "/users/login", "/users/refresh-token", _PAT_LOGIN)
)
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"
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
    allow: str | None = None


def _json(status: int, payload: object) -> _Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return _Response(status, body, _JSON)


def _text(status: int, text: str) -> _Response:
    return _Response(status, text.encode(), _TEXT)


# ---- routes ----


@dataclass(slots=True)
class _Call:
    state: SandboxState
    headers: Message
    body: bytes
    params: tuple[str, ...]
    authenticated: Caller | None = None

    def caller(self) -> Caller:
        # Stable's middleware already authenticated; edge's extractor does it here, after routing.
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


def _error_body(error: ApiError) -> _Response:
    payload = {"id": error.id, "code": error.code, "reason": error.reason, "field": error.field}
    return _json(error.status, payload)


def _identity(info: IdentityInfo) -> _Response:
    token = {"token": info.access_token, "expiry": info.expiry}
    return _json(200, {"user_id": info.user_id, "access_token": token})


def _user(user: User, edge: bool) -> _Response:
    payload: dict[str, object] = {
        "id": user.id,
        "created_at": user.created_at,
        "status": "active",
        "username": user.username,
        "permissions": _ROOT_PERMISSIONS,
    }
    if edge:
        payload["options"] = {}
    return _json(200, payload)


def _ping(call: _Call) -> _Response:
    return _text(200, "pong")


def _login(call: _Call) -> _Response:
    body = call.json(axum_json.LOGIN_USER)
    return _identity(call.state.login(str(body["username"]), str(body["password"])))


def _login_with_token(call: _Call) -> _Response:
    return _identity(call.state.login_with_token(str(call.json(axum_json.LOGIN_WITH_PAT)["token"])))


def _refresh(call: _Call) -> _Response:
    return _identity(call.state.refresh(str(call.json(axum_json.REFRESH_TOKEN)["token"])))


def _logout(call: _Call) -> _Response:
    call.state.logout(call.caller())
    return _Response(204)


def _get_user(call: _Call) -> _Response:
    caller = call.caller()
    return _user(call.state.get_user(caller, call.param("user_id")), call.state.edge)


def _list_tokens(call: _Call) -> _Response:
    tokens = call.state.list_tokens(call.caller().user_id)
    return _json(200, [{"name": token.name, "expiry_at": token.expiry_at} for token in tokens])


def _create_token(call: _Call) -> _Response:
    caller = call.caller()
    body = call.json(axum_json.CREATE_PAT)
    expiry = body["expiry"]
    assert isinstance(expiry, int)
    return _json(200, {"token": call.state.create_token(caller.user_id, str(body["name"]), expiry)})


def _delete_token(call: _Call) -> _Response:
    caller = call.caller()
    call.state.delete_token(caller.user_id, call.param("name"))
    return _Response(204)


_Handler = Callable[[_Call], _Response]

# (path segments, {method: handler}); a literal segment beats a `{capture}`, as in axum's
# router, so DELETE /personal-access-tokens/login is a 405, never a delete of "login".
_ROUTES: tuple[tuple[tuple[str, ...], dict[str, _Handler]], ...] = (
    (("ping",), {"GET": _ping}),
    (("users", "login"), {"POST": _login}),
    (("users", "refresh-token"), {"POST": _refresh}),
    (("users", "logout"), {"DELETE": _logout}),
    (("users", "{user_id}"), {"GET": _get_user}),
    (("personal-access-tokens",), {"GET": _list_tokens, "POST": _create_token}),
    (("personal-access-tokens", "login"), {"POST": _login_with_token}),
    (("personal-access-tokens", "{name}"), {"DELETE": _delete_token}),
)


def _route(path: str) -> tuple[dict[str, _Handler], tuple[str, ...]] | None:
    segments = path.split("/")[1:]
    matches = []
    for pattern, methods in _ROUTES:
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

    def handle(self, method: str, target: str, headers: Message, body: bytes) -> _Response:
        path = urllib.parse.urlsplit(target).path or "/"
        try:
            authenticated = None
            if not self.state.edge and path not in _PUBLIC_PATHS:
                authenticated = self.state.authenticate(headers.get("Authorization"))
            found = _route(path)
            if found is None:
                return _Response(404)
            methods, params = found
            handler = methods.get("GET" if method == "HEAD" else method)
            if handler is None:
                return _Response(405, allow=_allow(methods))
            return handler(_Call(self.state, headers, body, params, authenticated))
        except Unauthorized:
            return _Response(401)
        except ApiError as error:
            return _error_body(error)
        except axum_json.Rejection as rejection:
            return _text(rejection.status, rejection.text)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like hyper
    # Headers and body go out in separate writes; with Nagle's algorithm on, a keep-alive
    # client's delayed ACK then stalls every response ~40 ms. hyper sets TCP_NODELAY too.
    disable_nagle_algorithm = True
    server: _HttpServer

    def do_GET(self) -> None:
        try:
            body = self._read_body()
        except ValueError:  # a Content-Length or chunk size that is not a number
            body, self.close_connection = None, True
        try:
            if body is None:
                response = _Response(400)
            else:
                response = self.server.app.handle(self.command, self.path, self.headers, body)
        except Exception:
            traceback.print_exc()
            response = _Response(500)
        if self.server.app.access_log is not None:  # before replying, so it never lags behind
            path = urllib.parse.urlsplit(self.path).path
            self.server.app.access_log(f"{self.command} {path} {response.status}")
        self.send_response(response.status)
        for name, value in (("Content-Type", response.content_type), ("Allow", response.allow)):
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: object) -> None:
        pass  # the access log above is the only output, and it never shows bodies


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: _App, tls: ssl.SSLContext | None) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)
        self.tls = tls is not None
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def process_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # A stopped server must drop its keep-alive connections too, or a client goes on
        # talking to the old instance (and its old JWT secret) through them.
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


class SandboxServer:
    """An in-memory Iggy user/PAT HTTP API; binds in the constructor (OSError if taken)."""

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
        access_log: Callable[[str], None] | None = None,
        on_token_minted: Callable[[str], None] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._state = SandboxState(
            username,
            password,
            edge=edge,
            max_tokens_per_user=max_tokens_per_user,
            cleaner_interval_s=cleaner_interval_s,
            clock=clock,
        )
        self._state.on_token_minted = on_token_minted
        self._httpd = _HttpServer((host, port), _App(self._state, access_log), tls)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.address()
        scheme = "https" if self._httpd.tls else "http"
        return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"

    @property
    def state(self) -> SandboxState:
        return self._state

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


def run_sandbox(
    host: str, port: int, username: str, password: str, edge: bool, echo: Callable[[str], None]
) -> None:
    """Serve in the foreground until Ctrl-C; raises OSError if the address is taken."""

    def access_log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    server = SandboxServer(host, port, username, password, edge, access_log=access_log)
    flavour = "edge" if edge else "stable"
    echo(f'Iggy sandbox ({flavour}) listening on {server.url} — user "{username}"')
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
