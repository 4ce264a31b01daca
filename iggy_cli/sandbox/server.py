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
- body rejections: axum 0.8.9 (the version in Iggy's Cargo.lock) axum/src/json.rs and
  extract/rejection.rs: no `application/json` (or `+json`) content type -> 415 "Expected request
  with `Content-Type: application/json`"; serde_json syntax/EOF errors -> 400 "Failed to parse the
  request body as JSON: <error>"; data errors -> 422 "Failed to deserialize the JSON body into the
  target type: <path>: <error>"; trailing data after the value -> 400; all text/plain.
  extract/path/mod.rs: a name that is not UTF-8 once percent-decoded -> 400 "Invalid URL: Invalid
  UTF-8 in `name`". The inner texts follow serde_json 1.0.149 (src/de.rs, src/error.rs) and
  serde_path_to_error; `_Reader` re-implements their grammar so data errors met before a syntax
  error win, as in the streaming parser. Positions are exact for the usual mistakes (wrong type,
  missing field, trailing data) and only close for some malformed numbers and escapes.
- IggyExpiry's visitor text "a microsecond expiry as a u64": core/common/src/utils/expiry.rs.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import socketserver
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from iggy_cli.sandbox.state import (
    U64_MAX,
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


# ---- axum's Json<T> extractor: serde_json + serde_path_to_error, as far as these bodies go ----


class _Rejection(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.response = _text(status, text)


class _JsonError(Exception):
    def __init__(self, message: str, *, data: bool) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def under(self, path: str) -> _JsonError:
        return _JsonError(f"{path}: {self.message}", data=self.data)


_Kind = Literal["string", "optional string", "u64"]


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: _Kind
    expecting: str = "a string"


@dataclass(frozen=True, slots=True)
class _Shape:
    struct: str
    fields: tuple[_Field, ...]
    by_name: Mapping[str, _Field] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})


_LOGIN_USER = _Shape(
    "LoginUser",
    (
        _Field("username", "string"),
        _Field("password", "string"),
        _Field("version", "optional string"),
        _Field("context", "optional string"),
    ),
)
_LOGIN_WITH_PAT = _Shape("LoginWithPersonalAccessToken", (_Field("token", "string"),))
_REFRESH_TOKEN = _Shape("RefreshToken", (_Field("token", "string"),))
_CREATE_PAT = _Shape(
    "CreatePersonalAccessToken",
    (_Field("name", "string"), _Field("expiry", "u64", "a microsecond expiry as a u64")),
)
_RUST_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"', "\0": "\\0"}
_STRING_ESCAPES = frozenset(b'"\\/bfnrt')
_WHITESPACE = frozenset(b" \t\n\r")
_EXPONENT = frozenset(b"eE")
_SIGNS = frozenset(b"+-")
_LITERALS = {word[0]: word for word in (b"null", b"true", b"false")}
_QUOTE, _BACKSLASH, _COMMA, _COLON, _MINUS, _DOT, _ZERO, _LETTER_U = b'"\\,:-.0u'
_OPEN_LIST, _CLOSE_LIST, _OPEN_MAP, _CLOSE_MAP = b"[]{}"
_HEX = frozenset(b"0123456789abcdefABCDEF")
_DIGITS = frozenset(b"0123456789")


def _rust_debug(text: str) -> str:
    escaped = (
        _RUST_ESCAPES.get(ch) or (ch if ch.isprintable() else f"\\u{{{ord(ch):x}}}") for ch in text
    )
    return '"' + "".join(escaped) + '"'


def _rust_float(value: float) -> str:
    """serde_json's float text (zmij, same layout as ryu): 1000.0, 1e+16, 1.5e-7."""
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    assert isinstance(exponent, int)
    point = len(digits) + exponent  # value = 0.<digits> * 10**point
    if exponent >= 0 and point <= 16:
        return f"{sign}{digits}{'0' * exponent}.0"
    if 0 < point <= 16:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -5 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def _unexpected_number(number: int | float) -> str:
    if isinstance(number, float):
        return f"floating point `{_rust_float(number)}`"
    return f"integer `{number}`"


class _Reader:
    """A byte cursor over the body with serde_json's error texts and line/column rules."""

    __slots__ = ("data", "index")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.index = 0

    def peek(self) -> int | None:
        return self.data[self.index] if self.index < len(self.data) else None

    def eat(self) -> int | None:
        byte = self.peek()
        self.index += byte is not None
        return byte

    def skip_ws(self) -> int | None:
        while self.peek() in _WHITESPACE:
            self.index += 1
        return self.peek()

    def error(self, message: str, *, data: bool = False, peek: bool = False) -> _JsonError:
        # serde_json's column is the byte count on the line up to the consumed byte, or up to
        # and including the peeked one.
        index = min(len(self.data), self.index + 1) if peek else self.index
        line_start = self.data.rfind(b"\n", 0, index) + 1
        line = self.data.count(b"\n", 0, line_start) + 1
        return _JsonError(f"{message} at line {line} column {index - line_start}", data=data)

    def ident(self, rest: bytes) -> None:
        for expected in rest:
            byte = self.eat()
            if byte is None:
                raise self.error("EOF while parsing a value")
            if byte != expected:
                raise self.error("expected ident")

    def string(self) -> str:
        """The string whose opening quote was just eaten."""
        start = self.index
        while (byte := self.eat()) != _QUOTE:
            if byte is None:
                raise self.error("EOF while parsing a string")
            if byte < 0x20:  # raw control characters must be escaped
                raise self.error("control character (\\u0000-\\u001F) found while parsing a string")
            if byte == _BACKSLASH:
                self._escape()
        try:
            text: str = json.loads('"' + self.data[start : self.index].decode("utf-8"))
        except UnicodeDecodeError:
            raise self.error("invalid unicode code point") from None
        if any("\ud800" <= ch <= "\udfff" for ch in text):
            raise self.error("lone leading surrogate in hex escape")
        return text

    def _escape(self) -> None:
        escape = self.eat()
        if escape == _LETTER_U:  # \uXXXX
            for _ in range(4):
                digit = self.eat()
                if digit is None:
                    raise self.error("EOF while parsing a string")
                if digit not in _HEX:
                    raise self.error("invalid escape")
        elif escape is None:
            raise self.error("EOF while parsing a string")
        elif escape not in _STRING_ESCAPES:
            raise self.error("invalid escape")

    def number(self) -> int | float:
        start = self.index
        negative = self.peek() == _MINUS
        self.index += negative
        first = self.eat()
        if first is None:
            raise self.error("EOF while parsing a value")
        if first not in _DIGITS:
            raise self.error("invalid number")
        if first == _ZERO and self.peek() in _DIGITS:
            raise self.error("invalid number", peek=True)
        self._digits()
        is_float = False
        if self.peek() == _DOT:
            self.index += 1
            is_float = self._required_digits()
        if self.peek() in _EXPONENT:
            self.index += 1
            if self.peek() in _SIGNS:
                self.index += 1
            is_float = self._required_digits()
        text = self.data[start : self.index].decode("ascii")
        # Beyond i64/u64, serde_json parses the integer as an f64 (len() first: Python refuses
        # to convert very long digit strings to int).
        if is_float or len(text) > 21 or not -(2**63) <= int(text) <= U64_MAX:
            value = float(text)
            if math.isinf(value):
                raise self.error("number out of range")
            return value
        return -0.0 if negative and int(text) == 0 else int(text)

    def _digits(self) -> None:
        while self.peek() in _DIGITS:
            self.index += 1

    def _required_digits(self) -> bool:
        if self.peek() not in _DIGITS:
            message = "EOF while parsing a value" if self.peek() is None else "invalid number"
            raise self.error(message, peek=True)
        self._digits()
        return True

    def invalid_type(self, expecting: str) -> _JsonError:
        """serde_json's peek_invalid_type: consume the scalar in the way, then name it."""
        byte = self.peek()
        if byte in _LITERALS:
            self.index += 1
            word = _LITERALS[byte]
            self.ident(word[1:])
            unexpected = "null" if word == b"null" else f"boolean `{word.decode()}`"
        elif byte == _MINUS or byte in _DIGITS:
            unexpected = _unexpected_number(self.number())
        elif byte == _QUOTE:
            self.index += 1
            unexpected = f"string {_rust_debug(self.string())}"
        elif byte in (_OPEN_LIST, _OPEN_MAP):
            unexpected = "sequence" if byte == _OPEN_LIST else "map"
        else:
            return self.error("expected value", peek=True)
        return self.error(f"invalid type: {unexpected}, expected {expecting}", data=True)

    def ignore(self) -> None:
        """Skip any value, as serde_json's ignore_value does for unknown fields."""
        byte = self.skip_ws()
        if byte is None:
            raise self.error("EOF while parsing a value", peek=True)
        if byte in _LITERALS:
            self.index += 1
            self.ident(_LITERALS[byte][1:])
        elif byte == _MINUS or byte in _DIGITS:
            self.number()
        elif byte == _QUOTE:
            self.index += 1
            self.string()
        elif byte in (_OPEN_LIST, _OPEN_MAP):
            self.index += 1
            self._ignore_members(close=byte + 2, is_map=byte == _OPEN_MAP)  # "[" + 2 is "]"
        else:
            raise self.error("expected value", peek=True)

    def _ignore_members(self, close: int, *, is_map: bool) -> None:
        first = True
        while (byte := self.skip_ws()) != close:
            if byte is None:
                kind = "an object" if is_map else "a list"
                raise self.error(f"EOF while parsing {kind}", peek=True)
            if not first:
                if byte != _COMMA:
                    raise self.error(f"expected `,` or `{chr(close)}`", peek=True)
                self.index += 1
                if self.skip_ws() == close:
                    raise self.error("trailing comma", peek=True)
            first = False
            if is_map:
                if self.skip_ws() != _QUOTE:
                    raise self.error("key must be a string", peek=True)
                self.index += 1
                self.string()
                self.colon()
            self.ignore()
        self.index += 1

    def colon(self) -> None:
        byte = self.skip_ws()
        if byte != _COLON:
            message = "EOF while parsing an object" if byte is None else "expected `:`"
            raise self.error(message, peek=True)
        self.index += 1


def _field_value(reader: _Reader, spec: _Field) -> str | int | None:
    byte = reader.skip_ws()
    if spec.kind == "optional string" and _LITERALS.get(byte or 0) == b"null":
        reader.index += 1
        reader.ident(b"ull")
        return None
    if byte is None:
        raise reader.error("EOF while parsing a value", peek=True)
    if spec.kind != "u64" and byte == _QUOTE:
        reader.index += 1
        return reader.string()
    if spec.kind == "u64" and (byte == _MINUS or byte in _DIGITS):
        number = reader.number()
        if isinstance(number, int) and number >= 0:
            return number
        unexpected = _unexpected_number(number)
        raise reader.error(f"invalid type: {unexpected}, expected {spec.expecting}", data=True)
    raise reader.invalid_type(spec.expecting)


def _visit_map(reader: _Reader, shape: _Shape) -> dict[str, str | int | None]:
    values: dict[str, str | int | None] = {}
    first = True
    while (byte := reader.skip_ws()) != _CLOSE_MAP:
        if byte is None:
            raise reader.error("EOF while parsing an object", peek=True)
        if not first:
            if byte != _COMMA:
                raise reader.error("expected `,` or `}`", peek=True)
            reader.index += 1
            byte = reader.skip_ws()
        first = False
        if byte != _QUOTE:
            message = {None: "EOF while parsing a value", _CLOSE_MAP: "trailing comma"}.get(byte)
            raise reader.error(message or "key must be a string", peek=True)
        reader.index += 1
        key = reader.string()
        spec = shape.by_name.get(key)
        if spec is not None and key in values:
            _end_map(reader)
            raise reader.error(f"duplicate field `{key}`", data=True)
        try:
            reader.colon()
            if spec is None:
                reader.ignore()
            else:
                values[key] = _field_value(reader, spec)
        except _JsonError as error:
            raise error.under(key) from None
    missing = [f.name for f in shape.fields if f.kind != "optional string" and f.name not in values]
    reader.index += 1
    if missing:
        raise reader.error(f"missing field `{missing[0]}`", data=True)
    return values


def _end_map(reader: _Reader) -> None:
    # serde_json still runs end_map after the visitor failed; it moves the reported position.
    if reader.skip_ws() == _CLOSE_MAP:
        reader.index += 1


def _visit_seq(reader: _Reader, shape: _Shape) -> dict[str, str | int | None]:
    # serde's derived structs also accept a JSON array of the fields in order.
    values: dict[str, str | int | None] = {}
    for position, spec in enumerate(shape.fields):
        byte = reader.skip_ws()
        if byte is None:
            raise reader.error("EOF while parsing a list", peek=True)
        if byte != _CLOSE_LIST and position > 0:
            if byte != _COMMA:
                raise reader.error("expected `,` or `]`", peek=True)
            reader.index += 1
            byte = reader.skip_ws()
            if byte in (None, _CLOSE_LIST):
                message = "trailing comma" if byte else "EOF while parsing a value"
                raise reader.error(message, peek=True)
        if byte == _CLOSE_LIST:
            if spec.kind == "optional string":
                continue
            reader.index += 1
            count = len(shape.fields)
            message = f"invalid length {position}, expected struct {shape.struct} with {count}"
            raise reader.error(f"{message} elements", data=True)
        try:
            values[spec.name] = _field_value(reader, spec)
        except _JsonError as error:
            raise error.under(f"[{position}]") from None
    byte = reader.skip_ws()
    if byte != _CLOSE_LIST:
        if byte == _COMMA:
            reader.index += 1
            message = "trailing comma" if reader.skip_ws() == _CLOSE_LIST else "trailing characters"
        else:
            message = "EOF while parsing a list" if byte is None else "trailing characters"
        raise reader.error(message, peek=True)
    reader.index += 1
    return values


def _deserialize(data: bytes, shape: _Shape) -> dict[str, str | int | None]:
    reader = _Reader(data)
    byte = reader.skip_ws()
    if byte is None:
        raise reader.error("EOF while parsing a value", peek=True)
    reader.index += byte in (_OPEN_MAP, _OPEN_LIST)
    if byte == _OPEN_MAP:
        values = _visit_map(reader, shape)
    elif byte == _OPEN_LIST:
        values = _visit_seq(reader, shape)
    else:
        raise reader.invalid_type(f"struct {shape.struct}")
    if reader.skip_ws() is not None:
        raise reader.error("trailing characters", peek=True)
    return values


def _is_json_content_type(value: str | None) -> bool:
    if value is None or any(not (" " <= ch <= "~" or ch == "\t") for ch in value):
        return False
    essence = value.split(";", 1)[0].strip().lower()
    kind, _, subtype = essence.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _parse_body(headers: Message, body: bytes, shape: _Shape) -> dict[str, str | int | None]:
    if not _is_json_content_type(headers.get("Content-Type")):
        raise _Rejection(415, "Expected request with `Content-Type: application/json`")
    try:
        return _deserialize(body, shape)
    except _JsonError as error:
        if error.data:
            prefix = "Failed to deserialize the JSON body into the target type"
            raise _Rejection(422, f"{prefix}: {error.message}") from None
        raise _Rejection(
            400, f"Failed to parse the request body as JSON: {error.message}"
        ) from None


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

    def json(self, shape: _Shape) -> dict[str, str | int | None]:
        return _parse_body(self.headers, self.body, shape)

    def param(self, name: str) -> str:
        try:
            return urllib.parse.unquote_to_bytes(self.params[0]).decode("utf-8")
        except UnicodeDecodeError:
            raise _Rejection(400, f"Invalid URL: Invalid UTF-8 in `{name}`") from None


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
    body = call.json(_LOGIN_USER)
    return _identity(call.state.login(str(body["username"]), str(body["password"])))


def _login_with_token(call: _Call) -> _Response:
    return _identity(call.state.login_with_token(str(call.json(_LOGIN_WITH_PAT)["token"])))


def _refresh(call: _Call) -> _Response:
    return _identity(call.state.refresh(str(call.json(_REFRESH_TOKEN)["token"])))


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
    body = call.json(_CREATE_PAT)
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
        except _Rejection as rejection:
            return rejection.response


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like hyper
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

    def __init__(self, address: tuple[str, int], app: _App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _RequestHandler)

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
    ) -> None:
        self._state = SandboxState(
            username,
            password,
            edge=edge,
            max_tokens_per_user=max_tokens_per_user,
            cleaner_interval_s=cleaner_interval_s,
            clock=clock,
        )
        self._httpd = _HttpServer((host, port), _App(self._state, access_log))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.address()
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

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
