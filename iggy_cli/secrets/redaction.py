"""Masking of secrets in any text the tool may print: one function, `redact`, that knows every
secret in play in this process, applied BEFORE a text is cut short (`shorten`).

Why both halves matter: a stable Iggy server answers a login with an unknown PAT with
`Resource with key: <token> was not found.`, a proxy or an odd server may echo a whole request
(password included) in a plain-text 400, and a keyring's exception text may quote the secret it
was asked to keep. Cutting such a text first would slice a token so that no rule recognises the
piece, so masking always comes first.

What is masked:
- every secret registered with `remember` in this run (raw tokens minted, read from a store or
  given by IGGY_TOKEN/--token-stdin; JWTs; passwords from flags, environment, stdin, prompts and
  Iggy's context files; anything read from the keyring), wherever it appears whole, once it is
  at least `MIN_WHOLE` characters long;
- every run of `FRAGMENT` (16) or more consecutive characters of a registered secret, so a
  server that echoes part of a secret, or a cut that slices one, leaks fewer than 16 characters;
- the same secrets in every form a server or a library may echo them in (`_forms`): with
  their whitespace collapsed (as an error snippet shows a body), escaped in JSON, HTML or a
  Python repr (`b'Bearer eyJ...'` in a traceback), percent- or `+`-encoded in either hex
  case, and inside base64 (a `Basic` credential);
- the known shapes, registered or not: Iggy PATs (68 characters of base64) and JWTs.

Why `MIN_WHOLE` is 8: a shorter secret, such as the sandbox's default password `iggy`, is also
an ordinary word (`iggy-cli-session`, `http://iggy.example.com`); masking it would mangle
messages while protecting little, since a password that short is guessable anyway. Secrets of
8 to 15 characters are masked only where they appear whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_WHOLE = 8
FRAGMENT = 16
# `shorten` masks at least this much text past the cut, so a secret that straddles the cut is
# always seen whole by the rules above (a JWT longer than this is very unusual).
_MARGIN = 4096
# Iggy PATs: 50 random bytes in standard base64, so 67 characters and one `=` (SIZE = 50 and
# as_base64 in server/src/streaming/personal_access_tokens/personal_access_token.rs at
# server-0.4.140); 68 characters with one or two `=` in all.
_PAT_SHAPE = re.compile(
    r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{66}(?:[A-Za-z0-9+/]=|==)(?![A-Za-z0-9+/=])"
)
# JWTs: three base64url parts.
_JWT_SHAPE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

SECRET_KEYS = frozenset({"token", "password", "access_token", "refresh_token"})


class Secrets:
    """The secrets one run knows of, and the masking that follows from them."""

    def __init__(self) -> None:
        self._whole: set[str] = set()
        # FRAGMENT windows are found through the aligned 8-character blocks of each secret:
        # any run of 16 characters of a secret contains one whole block starting at a multiple
        # of 8, so searching for the blocks (str.find, fast) finds every run; each hit is then
        # extended both ways against the secret it came from.
        self._blocks: dict[str, set[tuple[str, int]]] = {}

    def remember(self, secret: str | None) -> None:
        """Register a secret (and its escaped forms); short or empty ones are ignored."""
        if not secret or len(secret) < MIN_WHOLE:
            return
        for form in _forms(secret):
            if len(form) < MIN_WHOLE or form in self._whole:
                continue
            self._whole.add(form)
            for start in range(0, len(form) - 7, 8):
                self._blocks.setdefault(form[start : start + 8], set()).add((form, start))

    def remember_json(self, value: Any) -> None:
        """Register the string values under secret keys (`token`, `password`, ...) anywhere in
        a parsed JSON value: what a server sends or is sent."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_KEYS and isinstance(item, str):
                    self.remember(item)
                else:
                    self.remember_json(item)
        elif isinstance(value, list):
            for item in value:
                self.remember_json(item)

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` with every known secret (and `extra` ones), every 16-character piece of one,
        and every PAT or JWT shape replaced by ***."""
        known: Secrets = self
        extra = [secret for secret in extra if secret and secret not in self._whole]
        if extra:
            known = self.copy()
            for secret in extra:
                known.remember(secret)
        spans = known._spans(text)
        if spans:
            pieces, last = [], 0
            for start, end in spans:
                pieces.append(text[last:start])
                pieces.append(MASK)
                last = end
            pieces.append(text[last:])
            text = "".join(pieces)
        text = _PAT_SHAPE.sub(MASK, text)
        return _JWT_SHAPE.sub(MASK, text)

    def shorten(self, text: str, limit: int, extra: Iterable[str] = (), total: str = "") -> str:
        """At most `limit` characters of `text`, masked first and cut second (with `…` and
        `total`, e.g. " (5000 bytes)", when cut). Only a bounded prefix is masked, but always
        one that reaches `_MARGIN` characters past the cut, so a huge body costs little and a
        secret that straddles the cut is still seen whole."""
        extra = tuple(extra)
        size = limit + _MARGIN
        while True:
            part = text[:size]
            masked = self.redact(part, extra)
            if len(part) == len(text) or len(masked) >= limit + _MARGIN:
                break
            size *= 2  # masking shrank the text: look further so the margin holds
        if len(part) == len(text) and len(masked) <= limit:
            return masked
        return masked[:limit] + "…" + total

    def copy(self) -> Secrets:
        twin = Secrets()
        twin._whole = set(self._whole)
        twin._blocks = {block: set(places) for block, places in self._blocks.items()}
        return twin

    def _spans(self, text: str) -> list[tuple[int, int]]:
        """Where known secrets, whole or in runs of FRAGMENT+, sit in `text`: merged spans."""
        found: list[tuple[int, int]] = []
        for secret in self._whole:
            if len(secret) < FRAGMENT:
                start = text.find(secret)
                while start != -1:
                    found.append((start, start + len(secret)))
                    start = text.find(secret, start + 1)
        for block, places in self._blocks.items():
            at = text.find(block)
            while at != -1:
                for secret, offset in places:
                    span = _run(text, at, secret, offset)
                    if span is not None:
                        found.append(span)
                at = text.find(block, at + 1)
        return _merged(found)


def _run(text: str, at: int, secret: str, offset: int) -> tuple[int, int] | None:
    """The span of `text` around position `at` (where `secret[offset:offset+8]` was found)
    that matches `secret` character for character, if it is at least FRAGMENT long."""
    left = 0
    while left < offset and left < at and text[at - left - 1] == secret[offset - left - 1]:
        left += 1
    right = 8
    while (
        offset + right < len(secret)
        and at + right < len(text)
        and text[at + right] == secret[offset + right]
    ):
        right += 1
    if left + right < FRAGMENT:
        return None
    return at - left, at + right


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _forms(secret: str) -> list[str]:
    """A secret as it may appear in text: as is and with its whitespace runs collapsed (as an
    error snippet shows a body), each also JSON-escaped, HTML-escaped, in a str repr and as
    printed; its bytes in a bytes repr (as in a traceback), percent-encoded (either hex case,
    `%20` or `+` for a space) and in base64 at each of the three alignments it can have inside
    a longer encoded value (a `Basic` credential)."""
    import html

    # A non-UTF-8 byte in an environment variable arrives as a lone surrogate: its bytes are
    # what a bytes repr or a percent-encoding shows.
    raw = secret.encode("utf-8", "surrogateescape")
    forms: list[str] = []
    for text in dict.fromkeys((secret, " ".join(secret.split()))):
        escaped = html.escape(text)
        forms += [
            text,
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            repr(text)[1:-1],
            # As printed: output.py masks a line after console/untrusted_text.shown escaped
            # it, which is the repr without `\'` (a repr escapes a quote when it holds both).
            repr(text)[1:-1].replace("\\'", "'"),
            escaped,
            html.escape(text, quote=False),
            escaped.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        ]
    for encoded in (quote(raw, safe=""), quote_plus(raw, safe="")):
        forms += [encoded, _LOWER_HEX.sub(lambda hit: hit.group().lower(), encoded)]
    forms.append(repr(raw)[2:-1])
    forms += _base64_forms(raw)
    return list(dict.fromkeys(forms))


_LOWER_HEX = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(raw: bytes) -> list[str]:
    """The base64 characters that depend on `raw` alone, wherever it starts in a longer
    value: at an offset of 0, 1 or 2 bytes past a 3-byte boundary, standard and URL-safe.
    The characters that mix in a neighbouring byte (and the padding) are left out."""
    import base64

    forms = []
    for offset in range(3):
        padded = b"\0" * offset + raw
        first = -(-offset * 8 // 6)  # the first character made of the secret's bits only
        last = (len(padded) * 8) // 6  # past the last character made of them only
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.append(encode(padded).decode("ascii")[first:last])
    return forms


# The secrets of the run in progress: app.run binds its own registry (World.secrets) for the
# length of the run, so runs share nothing. A context variable rather than an argument, because
# every layer that prints or raises (client, stores, app) masks with it. Code outside a run
# (a unit test calling the client directly) uses `_OUTSIDE_A_RUN`.
_OUTSIDE_A_RUN = Secrets()
_CURRENT: ContextVar[Secrets] = ContextVar("iggy_cli_secrets")


def current() -> Secrets:
    """The registry of the run in progress."""
    return _CURRENT.get(_OUTSIDE_A_RUN)


@contextmanager
def bound(secrets: Secrets) -> Iterator[Secrets]:
    """Make `secrets` the registry every function below uses, for the length of the block."""
    token = _CURRENT.set(secrets)
    try:
        yield secrets
    finally:
        _CURRENT.reset(token)


def remember(secret: str | None) -> None:
    current().remember(secret)


def remember_json(value: Any) -> None:
    current().remember_json(value)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    return current().redact(text, secrets)


def shorten(text: str, limit: int, secrets: Iterable[str] = (), total: str = "") -> str:
    return current().shorten(text, limit, secrets, total)


def mask_json(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with secret keys masked and secrets in other strings redacted."""
    secrets = tuple(secrets)
    if isinstance(value, dict):
        return {
            key: MASK
            if key in SECRET_KEYS and not isinstance(item, dict | list)
            else mask_json(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_json(item, secrets) for item in value]
    if isinstance(value, str):
        return redact(value, secrets)
    return value
