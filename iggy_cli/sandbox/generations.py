r"""Which Iggy server the sandbox plays: a generation ("dialect") and, inside it, a release.

    dialect    releases                 default    what differs on the wire
    first      0.0.40 - 0.0.50          0.0.50     see the release notes below
    legacy     0.0.51 - 0.2.24          0.2.24     seconds, `expiry`, refresh tokens, 400s
    renaming   0.3.0  - 0.4.140         0.4.140    stable's units, but names are rewritten
    stable     0.4.150 - 0.8.x          0.8.0      the baseline (as the sandbox always was)
    edge       0.9.0-edge.2 - edge.5    edge.5     the rewrite; 503s, raw PAT bearer, /users/me

`Dialect` turns a release into the flags `accounts.py` and `http_server.py` branch on; each
flag cites the tag where it changes. The table the client is built against, per release:

    release          routes (PAT prefix, refresh, logout)        login answer
    0.0.40-0.0.41    /pat, none, POST /users/logout {}           {"user_id","token":"<jwt>"}
    0.0.42-0.0.43    /personal-access-tokens, none, POST {}      {"user_id","token":"<jwt>"}
    0.0.44-0.0.50    ..., POST /users/refresh-token, POST {}     {"user_id","token":{"access_token",
                                                                   "refresh_token","expiry"}}
    0.0.51-0.2.16    ..., refresh {"refresh_token"}, POST {}     {"user_id","tokens":{
                                                                   "access_token":{"token","expiry"},
                                                                   "refresh_token":{...}}}
    0.2.17-0.2.24    ..., refresh {"refresh_token"}, DELETE      as 0.0.51
    0.3.0 and later  ..., refresh {"token":"<jwt>"}, DELETE      {"user_id","access_token":{
                                                                   "token","expiry"}}

    release          create body                     list rows                 expired when
    up to 0.2.24     {"name", "expiry": u32 seconds  {"name", "expiry": µs     now > expiry
                     | null | absent}: absent/null      or null}
                     never, 0 expires at once, no
                     server default, > 4294967295
                     refused (422)
    0.3.0 and later  {"name", "expiry": u64 µs}:     {"name", "expiry_at": µs  expiry_at <= now
                     0 = server default (never),      or null}
                     2^64-1 = never

Statuses of the JSON errors `{"id","code","reason","field"}`: up to 0.4.100 only 40 -> 401,
41 -> 403, 20 and 21 -> 404, every other id 400 (server/src/http/error.rs at server-0.2.24 and
server-0.4.100); from 0.4.101 also 53, 77 and 78 -> 401 (server-0.4.101); edge adds 57/58 ->
503 with `Retry-After: 1`. Every generation but edge checks the bearer in a middleware that runs
before routing (`Router::layer`), so without a valid one an unknown path or a wrong method is a
bare 401 with no body; the paths it lets through are `public_paths` below. Edge routes first.

Errors a client meets, by release (S = stable and edge, which are unchanged):

    case                     up to 0.2.24                        0.3.0 - 0.4.140 (and S)
    unknown PAT at login     404 20 "Resource with key:          404 20 naming the raw token
                             <prefix>:token:<hash> was not       (edge: 401 53)
                             found." (21 cannot_load_resource
                             "Cannot load resource with key:
                             ..." up to 0.0.45)
    delete of unknown name   404 20, key <prefix>:user:<id>:     404 20 naming the (normalized)
                             <normalized name> (21 up to 0.0.45) name; S: 1..=255 bytes else 50
    expired PAT at login     400 54 (expired once now > expiry)  400 54 (once expiry_at <= now)
    login body               43 unless the username is 3..=50    as before up to 0.4.140; S:
                             bytes of [\w.\-\s], 44 unless the   6 for an empty or > 255-byte
                             password is 3..=100 bytes, then 42  name, 42
    login with PAT body      53 unless the token is 1..=100      as before up to 0.4.140; S:
                             bytes                               no check
    refresh                  78 invalid_refresh_token (empty,    78 invalid_access_token (empty,
                             unknown, used), 79 expired          garbage, used), 40 bad JWT
    prefix                   `pat` up to 0.0.41, then
                             `personal_access_token`
0.0.40 says `invalid_pat_name`, `pat_already_exists`, `pat_limit_reached`, `invalid_pat`,
`expired_pat` with "PAT" in the reasons, and leaves `field` null on 51 (`"name"` from 0.0.41).
The root user's id is 1 up to 0.5.0 and 0 from 0.6.0; other users follow it. JWTs last an
hour, except up to 0.0.42 where their claims are in microseconds and so never expire; the
refresh tokens of 0.0.44-0.2.24 last a day. Legacy 404s name a SHA-256 digest where the server
names a BLAKE3 one.

Names (create, delete and the duplicate check) up to 0.4.140: the server stores
`".".join(name.lower().split())` (Rust's `to_lowercase` and `split_whitespace`), after create has
checked the name as given: 3..=30 bytes and `^[\w.\-\s]+$` (id 50). Delete checks nothing and
answers 404 for any name it cannot find (iggy/src/utils/text.rs at 0.0.40,
server/src/streaming/systems/personal_access_tokens.rs at server-0.2.24 and server-0.4.140).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

DialectName = Literal["first", "legacy", "renaming", "stable", "edge"]
DIALECTS: tuple[DialectName, ...] = get_args(DialectName)
LoginShape = Literal["token-string", "token-object", "tokens", "access_token"]
Refresh = Literal["none", "refresh-token", "jwt"]

Version = tuple[int, int, int]

# (first release, last release, default release) of each generation; a release is accepted when
# first <= release <= last.
_RANGES: dict[DialectName, tuple[Version, Version, str]] = {
    "first": ((0, 0, 40), (0, 0, 50), "0.0.50"),
    "legacy": ((0, 0, 51), (0, 2, 24), "0.2.24"),
    "renaming": ((0, 3, 0), (0, 4, 140), "0.4.140"),
    "stable": ((0, 4, 150), (0, 8, 999), "0.8.0"),
    "edge": ((0, 9, 0), (0, 9, 0), "0.9.0-edge.5"),
}
_RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_EDGE_RELEASE = re.compile(r"0\.9\.0-edge\.[2-5]")


def _parse(release: str) -> Version | None:
    if _EDGE_RELEASE.fullmatch(release):
        return (0, 9, 0)
    found = _RELEASE.fullmatch(release)
    if found is None:
        return None
    major, minor, patch = (int(part) for part in found.groups())
    return major, minor, patch


def _generation(version: Version) -> DialectName | None:
    return next((name for name, (lo, hi, _) in _RANGES.items() if lo <= version <= hi), None)


@dataclass(frozen=True, slots=True)
class Dialect:
    """One server release as the sandbox plays it; build it with `dialect()`."""

    name: DialectName
    release: str
    version: Version

    def __str__(self) -> str:
        return f"{self.name} {self.release}"

    @property
    def edge(self) -> bool:
        return self.name == "edge"

    @property
    def before_stable(self) -> bool:
        """first, legacy and renaming: the releases whose rules differ in many small ways."""
        return self.version < (0, 4, 150)

    # Routes

    @property
    def pat_prefix(self) -> str:
        # Renamed from /pat in 0.0.42 ("Rename PAT to personal access token", tag 0.0.42).
        return "pat" if self.version < (0, 0, 42) else "personal-access-tokens"

    @property
    def logout_method(self) -> Literal["POST", "DELETE"]:
        # POST with a `LogoutUser {}` JSON body up to 0.2.16 (server/src/http/users.rs).
        return "POST" if self.version <= (0, 2, 16) else "DELETE"

    @property
    def refresh(self) -> Refresh:
        """none before 0.0.44; an opaque one-shot refresh token until 0.2.24; then the JWT."""
        if self.version < (0, 0, 44):
            return "none"
        return "refresh-token" if self.version < (0, 3, 0) else "jwt"

    @property
    def public_paths(self) -> frozenset[str]:
        """The exact paths the JWT middleware lets through without a bearer (not edge)."""
        if self.version < (0, 0, 42):  # server/src/http/jwt.rs should_skip_auth, tag 0.0.40
            return frozenset(("/", "/ping", "/users/login", "/pat/login"))
        paths = {"/", "/ping", "/users/login", "/personal-access-tokens/login"}
        if self.version >= (0, 0, 43):
            paths.add("/metrics")
        if self.version >= (0, 0, 44):
            paths.add("/users/refresh-token")
        if (0, 4, 80) <= self.version < (0, 7, 0):
            paths.add("/stats")
        if self.version >= (0, 7, 0):
            paths.add("/ui")  # server-0.7.0 swapped /stats for the web UI
        return frozenset(paths)

    # Sign-in

    @property
    def login_shape(self) -> LoginShape:
        """iggy/src/models/identity_info.rs at 0.0.40, 0.0.44, 0.0.51 and server-0.3.0."""
        if self.version < (0, 0, 44):
            return "token-string"
        if self.version < (0, 0, 51):
            return "token-object"
        return "tokens" if self.version < (0, 3, 0) else "access_token"

    @property
    def jwt_claims_in_micros(self) -> bool:
        # JwtManager::generate used to_micros() for iat and exp up to 0.0.42, so its JWTs never
        # expired in practice (jsonwebtoken compares exp with seconds).
        return self.version < (0, 0, 43)

    @property
    def logout_revokes(self) -> bool:
        # "Revoke JWT, store revoked tokens" arrived in 0.0.43; edge keeps no revocation list.
        return self.version >= (0, 0, 43) and not self.edge

    @property
    def username_may_be_user_id(self) -> bool:
        # From 0.3.0 the login name is an Identifier (digits = an id); before, a name only.
        return self.version >= (0, 3, 0)

    # Tokens

    @property
    def expiry_in_seconds(self) -> bool:
        """Create takes `expiry` as Option<u32> seconds up to 0.2.24, u64 µs from 0.3.0."""
        return self.version < (0, 3, 0)

    @property
    def list_expiry_field(self) -> Literal["expiry", "expiry_at"]:
        return "expiry" if self.version < (0, 3, 0) else "expiry_at"

    @property
    def expired_at_equal(self) -> bool:
        """is_expired: `now > expiry` up to 0.2.24, `expiry_at <= now` from 0.3.0."""
        return self.version >= (0, 3, 0)

    @property
    def normalizes_names(self) -> bool:
        return self.version < (0, 4, 150)  # removed in 0.4.150 (#1482)

    @property
    def storage_key_prefix(self) -> str | None:
        """Up to 0.2.24 a missing token is reported by its sled key (`<prefix>:token:<hash>`,
        `<prefix>:user:<id>:<name>`); from 0.3.0 by the raw token or the name."""
        if self.version < (0, 0, 42):
            return "pat"
        return "personal_access_token" if self.version < (0, 3, 0) else None

    @property
    def missing_is_cannot_load(self) -> bool:
        # Up to 0.0.45 the storage answered CannotLoadResource (id 21, still a 404).
        return self.version < (0, 0, 46)

    @property
    def short_pat_codes(self) -> bool:
        # 0.0.40-0.0.41 name the PAT errors invalid_pat_name, pat_already_exists, ... .
        return self.version < (0, 0, 42)

    @property
    def duplicate_has_field(self) -> bool:
        return self.version >= (0, 0, 41)

    @property
    def root_user_id(self) -> int:
        # DEFAULT_ROOT_USER_ID is 1 up to server-0.5.0 and 0 from server-0.6.0
        # (sdk/src/users/defaults.rs, core/common/src/commands/users/defaults.rs).
        return 1 if self.version < (0, 6, 0) else 0

    def status_of(self, error_id: int) -> int:
        """The HTTP status of the JSON error with this id (server/src/http/error.rs)."""
        if error_id in (20, 21, 404):
            return 404
        if error_id == 41:
            return 403
        if error_id == 40 or (self.version >= (0, 4, 101) and error_id in (53, 77, 78)):
            return 401
        if self.edge and error_id in (57, 58):
            return 503
        return 400


def dialect(name: str | None = None, release: str | None = None) -> Dialect:
    """The dialect `name` at `release` (its newest when None); with only a release, the
    generation it belongs to. ValueError names what is wrong."""
    if name is not None and name not in DIALECTS:
        raise ValueError(f"unknown dialect {name!r}: choose one of {', '.join(DIALECTS)}")
    if release is None:
        chosen: DialectName = name if name is not None else "stable"
        release = _RANGES[chosen][2]
    version = _parse(release)
    generation = None if version is None else _generation(version)
    if version is None or generation is None:
        raise ValueError(
            f"unknown server release {release!r}: the sandbox plays 0.0.40 to 0.8.x and "
            "0.9.0-edge.2 to 0.9.0-edge.5"
        )
    if name is not None and generation != name:
        raise ValueError(f"release {release} belongs to the {generation} dialect, not {name}")
    return Dialect(generation, release, version)
