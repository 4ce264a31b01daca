"""What a token name may be, checked before any request is sent.

Every Iggy release validates a name to create by its UTF-8 length, 3 to 30 bytes
(MIN/MAX_PERSONAL_ACCESS_TOKEN_NAME_LENGTH in iggy/src/users/defaults.rs at server-0.0.53 and
sdk/src/users/defaults.rs at server-0.4.140, core/common/src/http/users/defaults.rs at
server-0.8.0). Up to 0.4.140 the server then stores the name lowercased with whitespace runs
made `.` (`to_lowercase_non_whitespace`, sdk/src/utils/text.rs at server-0.4.140; removed in
0.4.150 by apache/iggy#1482), so a shorter stored name can exist there: the other
commands accept 1 to 255 bytes. `.` and `..` are never accepted: a name travels as one path
segment, and a client resolves those two as "this folder" and "the parent" (RFC 3986 5.2.4),
so `pat delete ..` would send DELETE to the API's root instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from iggy_cli.errors import UsageError, quoted
from iggy_cli.settings import check_utf8

NEW_NAME_BYTES = (3, 30)
ANY_NAME_BYTES = (1, 255)


def check_token_name(name: str, limits: tuple[int, int] = NEW_NAME_BYTES) -> str:
    check_utf8(name, f"token name {name!r}")
    if name in (".", ".."):
        raise UsageError(f"{name!r} cannot be a token name: in a URL it means a folder, not a name")
    size = len(name.encode("utf-8"))
    low, high = limits
    if not low <= size <= high:
        raise UsageError(
            f"token name {quoted(name)} is {size} bytes; it must be {low} to {high} bytes"
        )
    return name


def look_alike(name: str, names: Iterable[str]) -> str | None:
    """One of `names` that is not `name` but is the same once Unicode-normalised (NFC): a
    composed `café` and `cafe` + a combining accent look alike, yet are two tokens."""
    import unicodedata

    wanted = unicodedata.normalize("NFC", name)
    return next(
        (
            other
            for other in names
            if other != name and unicodedata.normalize("NFC", other) == wanted
        ),
        None,
    )


def look_alikes(names: Iterable[str]) -> list[list[str]]:
    """Groups of different names that look alike, by look_alike's rule: `café` typed with a
    composed é and with e + a combining accent look the same on a screen, yet the server keeps
    them as two tokens."""
    import unicodedata

    groups: dict[str, list[str]] = {}
    for name in names:
        group = groups.setdefault(unicodedata.normalize("NFC", name), [])
        if name not in group:
            group.append(name)
    return [group for group in groups.values() if len(group) > 1]


def look_alike_hint(name: str, other: str) -> str:
    """Where `name` was not found but `other` looks the same: both spelled with escapes."""
    return f"{other!a} exists, which looks the same as {name!a} but is spelled differently"
