"""axum's `Json<T>` extractor for the sandbox: serde_json and serde_path_to_error's grammar and
texts, as far as the four request bodies of the user and PAT routes go.

Facts read from axum 0.8.9 (the version in Iggy's Cargo.lock): axum/src/json.rs and
extract/rejection.rs: no `application/json` (or `+json`) content type -> 415 "Expected request
with `Content-Type: application/json`"; syntax and EOF errors -> 400 "Failed to parse the request
body as JSON: <error>"; data errors -> 422 "Failed to deserialize the JSON body into the target
type: <path>: <error>"; trailing data after the value -> 400; all text/plain. The inner texts
follow serde_json 1.0.149 (src/de.rs, src/error.rs) and serde_path_to_error; `_Reader`
re-implements their grammar so that a data error met before a syntax error wins, as in the
streaming parser. Positions are exact for the usual mistakes (wrong type, missing field,
trailing data) and only close for some malformed numbers and escapes. IggyExpiry's visitor text
"a microsecond expiry as a u64" is from core/common/src/utils/expiry.rs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import Message
from typing import Literal

from iggy_cli.sandbox.state import U64_MAX


class Rejection(Exception):
    """A request axum turns away before any handler runs: a status and a plain-text body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text


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
class Shape:
    struct: str
    fields: tuple[_Field, ...]
    by_name: Mapping[str, _Field] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})


LOGIN_USER = Shape(
    "LoginUser",
    (
        _Field("username", "string"),
        _Field("password", "string"),
        _Field("version", "optional string"),
        _Field("context", "optional string"),
    ),
)
LOGIN_WITH_PAT = Shape("LoginWithPersonalAccessToken", (_Field("token", "string"),))
REFRESH_TOKEN = Shape("RefreshToken", (_Field("token", "string"),))
CREATE_PAT = Shape(
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


def _visit_map(reader: _Reader, shape: Shape) -> dict[str, str | int | None]:
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


def _visit_seq(reader: _Reader, shape: Shape) -> dict[str, str | int | None]:
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


def _deserialize(data: bytes, shape: Shape) -> dict[str, str | int | None]:
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


def parse_body(headers: Message, body: bytes, shape: Shape) -> dict[str, str | int | None]:
    if not _is_json_content_type(headers.get("Content-Type")):
        raise Rejection(415, "Expected request with `Content-Type: application/json`")
    try:
        return _deserialize(body, shape)
    except _JsonError as error:
        if error.data:
            prefix = "Failed to deserialize the JSON body into the target type"
            raise Rejection(422, f"{prefix}: {error.message}") from None
        raise Rejection(400, f"Failed to parse the request body as JSON: {error.message}") from None
