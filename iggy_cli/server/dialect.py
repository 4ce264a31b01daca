r"""Which generation ("dialect") of Iggy server the client talks to, learned from its answers.

The differences a client meets, per generation (iggy_cli/sandbox/generations.py cites the
Iggy tags and source files for each):

    dialect   releases              create `expiry`       list field   names     logout
    first     0.0.40 - 0.0.50       u32 seconds | null    expiry       renamed   POST {}
    legacy    0.0.51 - 0.2.24       u32 seconds | null    expiry       renamed   POST {} to 0.2.16,
                                                                                   then DELETE
    renaming  0.3.0 - 0.4.140       u64 microseconds      expiry_at    renamed   DELETE
    stable    0.4.150 - 0.8.x       u64 microseconds      expiry_at    as given  DELETE
    edge      0.9.0-edge.2 - .5     u64 microseconds      expiry_at    as given  DELETE; 503s

Inside a generation two details vary and are learned on their own: the token routes are under
`/pat` on 0.0.40-0.0.41 and `/personal-access-tokens` after, and legacy's logout method.

Nothing is configured: each answer that only some generations give is evidence, and the
generations it allows are intersected with what was known (`Knowledge.learn`). Evidence that
contradicts what was remembered (the server was upgraded) starts the learning again from it.
`--server-dialect` names the generation when detection cannot tell (renaming, stable and edge
answer a sign-in alike); an answer that contradicts it is a usage error, before anything is
minted with the wrong unit.

Pure and cheap to import (TAB completion normalises names through here).
"""

from __future__ import annotations

import re

from iggy_cli.errors import UsageError

TYPE_CHECKING = False  # the fast path imports no typing; mypy reads this name as true
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DIALECTS = ("first", "legacy", "renaming", "stable", "edge")
AUTO = "auto"
TOKENS_PREFIX = "/personal-access-tokens"
OLD_TOKENS_PREFIX = "/pat"  # 0.0.40-0.0.41 (renamed in 0.0.42)
# Create's `expiry` up to 0.2.24 is an Option<u32> of seconds.
MAX_SECONDS = 4_294_967_295

_ALL = frozenset(DIALECTS)


class Generation:
    """What one generation does differently, as data the client consults."""

    __slots__ = ("expiry_in_seconds", "logout_methods", "name", "releases", "renames")

    def __init__(
        self,
        name: str,
        releases: str,
        expiry_in_seconds: bool,
        renames: bool,
        logout_methods: tuple[str, ...],
    ) -> None:
        self.name = name
        self.releases = releases
        self.expiry_in_seconds = expiry_in_seconds
        self.renames = renames
        self.logout_methods = logout_methods  # in the order to try them


GENERATIONS: dict[str, Generation] = {
    "first": Generation("first", "0.0.40 - 0.0.50", True, True, ("POST",)),
    # POST /users/logout {} up to 0.2.16, DELETE from 0.2.17 (server/src/http/users.rs).
    "legacy": Generation("legacy", "0.0.51 - 0.2.24", True, True, ("DELETE", "POST")),
    "renaming": Generation("renaming", "0.3.0 - 0.4.140", False, True, ("DELETE",)),
    "stable": Generation("stable", "0.4.150 - 0.8.x", False, False, ("DELETE",)),
    "edge": Generation("edge", "0.9.0-edge.2 - edge.5", False, False, ("DELETE",)),
}
# The same facts as sets of generations, for what an answer tells apart.
_SECONDS = frozenset(name for name, known in GENERATIONS.items() if known.expiry_in_seconds)
_MICROSECONDS = _ALL - _SECONDS
_RENAMING = frozenset(name for name, known in GENERATIONS.items() if known.renames)
_KEEPING = _ALL - _RENAMING

# code: (the generations that give this answer, what it is in words)
EVIDENCE: dict[str, tuple[frozenset[str], str]] = {
    "login-token": (frozenset(("first",)), "its sign-in answer holds a bare `token`"),
    "login-tokens": (frozenset(("legacy",)), "its sign-in answer holds `tokens`"),
    "login-access-token": (_MICROSECONDS, "its sign-in answer holds `access_token`"),
    "pat-route": (frozenset(("first",)), "it keeps tokens under /pat"),
    "list-expiry": (_SECONDS, "its token list says `expiry`"),
    "list-expiry-at": (_MICROSECONDS, "its token list says `expiry_at`"),
    "renamed": (_RENAMING, "it renamed a token it created"),
    "kept-name": (_KEEPING, "it keeps token names as given"),
    "busy": (frozenset(("edge",)), "it answered busy (503, error 57 or 58)"),
    # An empty sign-in, which no server accepts: refused by the body checks up to 0.4.140
    # (LoginUser::validate, sdk/src/users/login_user.rs at server-0.4.140: 43), as a bad
    # Identifier on stable (6), and folded into 42 by edge.
    "probe-invalid-username": (_RENAMING, "it refuses an empty sign-in as a bad username (43)"),
    "probe-invalid-identifier": (
        frozenset(("stable",)),
        "it refuses an empty sign-in as a bad identifier (6)",
    ),
    "probe-invalid-credentials": (
        frozenset(("edge",)),
        "it refuses an empty sign-in as bad credentials (42)",
    ),
}
# The error id an empty sign-in is refused with -> its evidence code.
PROBE_EVIDENCE = {
    43: "probe-invalid-username",
    6: "probe-invalid-identifier",
    42: "probe-invalid-credentials",
}


def normalize_name(name: str) -> str:
    """The name a server up to 0.4.140 stores for `name`: lower case, whitespace runs as one
    `.`, none at either end (iggy/src/utils/text.rs at 0.0.40, to_lowercase_non_whitespace)."""
    return ".".join(name.lower().split())


_RESOURCE_NAME = re.compile(r"[\w.\-\s]+")


def renaming_accepts(name: str) -> bool:
    r"""Whether a server up to 0.4.140 accepts `name` (`^[\w.\-\s]+$`, id 50 otherwise)."""
    return _RESOURCE_NAME.fullmatch(name) is not None


def kept_as_given(name: str) -> bool:
    """A name only a server that keeps names as given can hold."""
    return normalize_name(name) != name or not renaming_accepts(name)


def describe(candidates: frozenset[str] | set[str]) -> str:
    """`legacy`, or `renaming, stable or edge`, in table order."""
    names = [name for name in DIALECTS if name in candidates]
    if len(names) == len(DIALECTS):
        return "not known yet"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


class DialectMismatch(Exception):
    """An answer contradicts --server-dialect: `evidence` is what the server said."""

    def __init__(self, override: str, evidence: str) -> None:
        super().__init__(override, evidence)
        self.override = override
        self.evidence = evidence


class Knowledge:
    """What is known of one server's generation: detected from answers (and remembered in
    servers.json), or named by --server-dialect; plus the routes learned inside it.

    `changed` says the remembered record needs writing; `relearned_from` holds what was
    remembered before an answer contradicted it (a server upgraded or replaced)."""

    __slots__ = (
        "changed",
        "detected",
        "evidence",
        "learned_at",
        "logout_method",
        "override",
        "override_origin",
        "pat_prefix",
        "relearned_from",
    )

    def __init__(
        self,
        detected: frozenset[str] = _ALL,
        evidence: tuple[str, ...] = (),
        learned_at: str | None = None,
        pat_prefix: str | None = None,
        logout_method: str | None = None,
        override: str | None = None,
        override_origin: str | None = None,
    ) -> None:
        self.detected = detected
        self.evidence = evidence
        self.learned_at = learned_at
        self.pat_prefix = pat_prefix
        self.logout_method = logout_method
        self.override = override
        self.override_origin = override_origin
        self.changed = False
        self.relearned_from: frozenset[str] | None = None

    # What is in force

    @property
    def candidates(self) -> frozenset[str]:
        return frozenset((self.override,)) if self.override else self.detected

    @property
    def name(self) -> str | None:
        """The generation, when only one fits."""
        return next(iter(self.candidates)) if len(self.candidates) == 1 else None

    @property
    def settled(self) -> bool:
        return self.name is not None

    def _agreed(self, trait: str) -> bool | None:
        values = {getattr(GENERATIONS[name], trait) for name in self.candidates}
        return values.pop() if len(values) == 1 else None

    @property
    def expiry_in_seconds(self) -> bool | None:
        """True up to 0.2.24, False after, None while the generations in question disagree."""
        return self._agreed("expiry_in_seconds")

    @property
    def renames(self) -> bool | None:
        return self._agreed("renames")

    def pat_prefixes(self) -> tuple[str, ...]:
        """The token route prefixes to try, the one that worked last first; /pat only while
        the server may be 0.0.40-0.0.41."""
        if "first" not in self.candidates:
            return (TOKENS_PREFIX,)
        if self.pat_prefix == OLD_TOKENS_PREFIX:
            return (OLD_TOKENS_PREFIX, TOKENS_PREFIX)
        return (TOKENS_PREFIX, OLD_TOKENS_PREFIX)

    def logout_methods(self) -> tuple[str, ...]:
        methods: list[str] = [self.logout_method] if self.logout_method else []
        for name in DIALECTS:
            if name in self.candidates:
                methods.extend(GENERATIONS[name].logout_methods)
        methods.extend(("DELETE", "POST"))
        return tuple(dict.fromkeys(methods))

    # Learning

    def learn(self, code: str, now: str) -> None:
        """Narrow the generations by one piece of evidence (an EVIDENCE code). Raises
        DialectMismatch, once it is recorded, when it contradicts --server-dialect."""
        fits, _ = EVIDENCE[code]
        narrowed = self.detected & fits
        if not narrowed:
            # Not the server that was remembered: learn it again from this answer.
            self.relearned_from = self.detected
            self.detected, self.evidence = fits, (code,)
            self.pat_prefix = self.logout_method = None
            self.learned_at, self.changed = now, True
        elif narrowed != self.detected:
            self.detected = narrowed
            self.evidence = (*[item for item in self.evidence if item != code], code)
            self.learned_at, self.changed = now, True
        if self.override and self.override not in fits:
            raise DialectMismatch(self.override, code)

    def learn_route(self, pat_prefix: str | None = None, logout_method: str | None = None) -> None:
        if pat_prefix is not None and pat_prefix != self.pat_prefix:
            self.pat_prefix, self.changed = pat_prefix, True
        if logout_method is not None and logout_method != self.logout_method:
            self.logout_method, self.changed = logout_method, True

    # Remembering (servers.json)

    def record(self) -> dict[str, Any]:
        return {
            "dialect": self.detected_name,
            "candidates": [name for name in DIALECTS if name in self.detected],
            "evidence": list(self.evidence),
            "learned_at": self.learned_at,
            "pat_prefix": self.pat_prefix,
            "logout_method": self.logout_method,
        }

    @property
    def detected_name(self) -> str | None:
        return next(iter(self.detected)) if len(self.detected) == 1 else None

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any] | None,
        override: str | None = None,
        override_origin: str | None = None,
    ) -> Knowledge:
        """A remembered record, or nothing known when it is missing or damaged."""
        if not isinstance(record, dict):
            return cls(override=override, override_origin=override_origin)
        names = record.get("candidates")
        detected = (
            frozenset(name for name in names if name in _ALL) if isinstance(names, list) else _ALL
        )
        evidence = record.get("evidence")
        codes = (
            tuple(code for code in evidence if code in EVIDENCE)
            if isinstance(evidence, list)
            else ()
        )
        learned_at = record.get("learned_at")
        prefix = record.get("pat_prefix")
        logout = record.get("logout_method")
        return cls(
            detected=detected or _ALL,
            evidence=codes if detected else (),
            learned_at=learned_at if isinstance(learned_at, str) else None,
            pat_prefix=prefix if prefix in (TOKENS_PREFIX, OLD_TOKENS_PREFIX) else None,
            logout_method=logout if logout in ("POST", "DELETE") else None,
            override=override,
            override_origin=override_origin,
        )


def wire_expiry(expiry_us: int, in_seconds: bool) -> int | None:
    """Create's `expiry` for a lifetime in microseconds (models: 2^64-1 never, 0 the server's
    default). Up to 0.2.24 it is whole seconds, rounded up and never 0 (0 expires at once),
    and null for never; raises UsageError for what those servers cannot express."""
    from iggy_cli.models import NEVER_EXPIRES_US, SERVER_DEFAULT_US

    if not in_seconds:
        return expiry_us
    if expiry_us == NEVER_EXPIRES_US:
        return None
    if expiry_us == SERVER_DEFAULT_US:
        raise UsageError(
            "this server (Iggy up to 0.2.24) has no default token lifetime",
            hint="give a lifetime such as 30d, or never",
        )
    seconds = max(1, -(-expiry_us // 1_000_000))
    if seconds > MAX_SECONDS:
        raise UsageError(
            f"this server (Iggy up to 0.2.24) takes lifetimes up to {MAX_SECONDS} seconds "
            f"(about 136 years), not {seconds}",
            hint="give a shorter lifetime, or never",
        )
    return seconds


def check_name(name: str, renames: bool | None) -> None:
    """Refuse, before anything is sent, a name a renaming server would refuse (id 50)."""
    if renames and not renaming_accepts(name):
        raise UsageError(
            f"this server (Iggy up to 0.4.140) refuses token name {name!r}: only letters, "
            "digits, '_', '.', '-' and spaces",
            hint="it also stores names in lower case with '.' for spaces",
        )


def evidence_words(codes: tuple[str, ...] | list[str]) -> str:
    return "; ".join(EVIDENCE[code][1] for code in codes if code in EVIDENCE)
