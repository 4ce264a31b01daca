"""axum's `Json<T>` extractor as a client meets it: the status and content type of a rejection.

axum (0.6 in the first releases, 0.8.9 at server-0.8.0; axum/src/json.rs, extract/rejection.rs)
turns a body away before any handler runs, always as `text/plain; charset=utf-8`:
- 415 "Expected request with `Content-Type: application/json`" without an `application/json`
  (or `application/*+json`) content type;
- 400 "Failed to parse the request body as JSON: ..." for a body that is not JSON (empty,
  truncated, trailing data, NaN, a lone surrogate, not UTF-8);
- 422 "Failed to deserialize the JSON body into the target type: ..." for JSON of the wrong
  shape (a missing field, a wrong type, a number out of range, a duplicate field).
The texts after the colon are short descriptions, not serde_json's exact words and positions:
no client should parse them. Unknown fields are ignored, as serde does by default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import Message
from typing import Literal

from iggy_cli.sandbox.accounts import U32_MAX, U64_MAX

Kind = Literal["str", "str?", "u64", "u32?"]
"""A field's type: a string, an optional string, a u64, or an optional u32 (null or absent)."""

Shape = Mapping[str, Kind]

LOGIN_USER: Shape = {"username": "str", "password": "str", "version": "str?", "context": "str?"}
LOGIN_WITH_PAT: Shape = {"token": "str"}
REFRESH_JWT: Shape = {"token": "str"}
REFRESH_TOKEN: Shape = {"refresh_token": "str"}  # up to 0.2.24
CREATE_PAT: Shape = {"name": "str", "expiry": "u64"}
CREATE_PAT_SECONDS: Shape = {"name": "str", "expiry": "u32?"}  # up to 0.2.24
LOGOUT_USER: Shape = {}  # `LogoutUser {}`, the POST body up to 0.2.16

_NO_JSON = "Expected request with `Content-Type: application/json`"
_SYNTAX = "Failed to parse the request body as JSON: "
_DATA = "Failed to deserialize the JSON body into the target type: "


class Rejection(Exception):
    """A request axum turns away before any handler runs: a status and a plain-text body."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text


def _is_json_content_type(value: str | None) -> bool:
    if value is None or any(not (" " <= ch <= "~" or ch == "\t") for ch in value):
        return False
    essence = value.split(";", 1)[0].strip().lower()
    kind, _, subtype = essence.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateField(key)
        found[key] = value
    return found


class _DuplicateField(Exception):
    pass


def _has_surrogate(value: object) -> bool:
    # Python decodes "\ud800" to a lone surrogate; serde_json refuses it as a syntax error.
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(item) for key, item in value.items())
    return False


def _check(name: str, kind: Kind, value: object, present: bool) -> str | int | None:
    if not present or value is None:
        if kind in ("str?", "u32?"):
            return None
        raise Rejection(422, f"{_DATA}missing field `{name}`" if not present else _null(name))
    if kind in ("str", "str?"):
        if isinstance(value, str):
            return value
        raise Rejection(422, f"{_DATA}{name}: invalid type, expected a string")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Rejection(422, f"{_DATA}{name}: invalid type, expected an unsigned integer")
    if value > (U32_MAX if kind == "u32?" else U64_MAX):
        raise Rejection(422, f"{_DATA}{name}: invalid value, out of range")
    return value


def _null(name: str) -> str:
    return f"{_DATA}{name}: invalid type: null"


def parse_body(headers: Message, body: bytes, shape: Shape) -> dict[str, str | int | None]:
    """The body's fields of `shape`, or Rejection(415 | 400 | 422, text)."""
    if not _is_json_content_type(headers.get("Content-Type")):
        raise Rejection(415, _NO_JSON)
    try:
        value = json.loads(
            body.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_no_duplicates,
        )
    except _DuplicateField as duplicate:
        raise Rejection(422, f"{_DATA}duplicate field `{duplicate}`") from None
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not valid JSON"
        raise Rejection(400, f"{_SYNTAX}{reason}") from None
    if _has_surrogate(value):
        raise Rejection(400, f"{_SYNTAX}lone surrogate in a string")
    if not isinstance(value, dict):
        raise Rejection(422, f"{_DATA}invalid type, expected an object")
    return {
        name: _check(name, kind, value.get(name), name in value) for name, kind in shape.items()
    }
