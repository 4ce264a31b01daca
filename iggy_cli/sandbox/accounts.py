"""The sandbox's pure in-memory model: users, personal access tokens (PATs) and JWTs.

No HTTP here: `http_server.py` maps requests onto `SandboxState` and `ApiError` onto error bodies.
Every operation takes one lock and first runs the expiry cleaner if its interval has elapsed.
What differs between server releases is asked of the `Dialect` (generations.py, which cites the
tags); the stable rules below are the baseline.

Facts read from the Iggy source (github.com/apache/iggy; stable = tag server-0.8.0, edge = tag
server-0.9.0-edge.5), not copied:
- ids, codes (snake_case variant names) and reason texts: core/common/src/error/iggy_error.rs
  (iggy/errors_repository.rs up to 0.0.51, where 0.0.40-0.0.41 say "PAT" and `pat_*`);
  statuses per id: core/server/src/http/error.rs (see Dialect.status_of).
- PAT name 3..=30 UTF-8 bytes on create (CreatePersonalAccessToken::validate,
  core/common/src/http/personal_access_tokens/create_personal_access_token.rs and
  core/common/src/http/users/defaults.rs); 1..=255 bytes on delete (WireName,
  core/binary_protocol/src/primitives/identifier.rs). Up to 0.4.140 the name is also checked
  against `^[\\w.\\-\\s]+$` on create and rewritten by `to_lowercase_non_whitespace` on create,
  delete and the duplicate check (iggy/src/utils/text.rs at 0.0.40, sdk/src/utils/text.rs).
- stable create/delete/login-with-PAT: core/server/src/shard/system/personal_access_tokens.rs
  (limit before duplicate; unknown PAT -> ResourceNotFound(<raw token>); expired ->
  PersonalAccessTokenExpired(name, user); unknown name on delete -> ResourceNotFound(name)).
  Up to 0.2.24 the tokens live in sled and a missing one is ResourceNotFound(<sled key>)
  (CannotLoadResource, id 21, up to 0.0.45): server/src/streaming/personal_access_tokens/
  storage.rs at server-0.2.24, server/src/streaming/users/storage.rs at 0.0.40.
- expiry: 0 = server default (never for PATs), u64::MAX = never, anything else = now + expiry
  microseconds, a plain u64 add that wraps in release builds (core/common/src/utils/expiry.rs,
  calculate_expiry_at in core/common/src/types/personal_access_tokens/mod.rs); a PAT is expired
  once expiry_at <= now (is_expired, same file); the token is 50 random bytes in padded base64.
  Up to 0.2.24: Option<u32> seconds, None = never, expired once now > expiry
  (server/src/streaming/personal_access_tokens/personal_access_token.rs at server-0.2.24).
- cleaner: every interval ("1 m"), delete the tokens with is_expired(now):
  core/server/src/shard/tasks/periodic/personal_access_token_cleaner.rs, core/server/config.toml.
- JWT: HS256, iss and aud "iggy.apache.org", 1 h, clock skew 5 s, a random secret per start;
  logout and refresh revoke the jti; refresh answers an empty or undecodable token with 78, a bad
  signature or an expired token with 40, an already revoked one with 78:
  core/server/src/http/jwt/jwt_manager.rs, jwt/middleware.rs, core/server/config.toml.
  0.0.44-0.2.24 also hand out an opaque refresh token (50 random bytes, base64, 1 day, one-shot;
  empty or unknown -> 78 invalid_refresh_token, expired -> 79): server/src/http/jwt/
  jwt_manager.rs and refresh_token.rs at server-0.2.24, configs/server.toml.
- stable password login: a username that parses as u32 is a user id, an empty or >255-byte one
  is InvalidIdentifier (6), unknown user or wrong password is 42:
  core/server/src/shard/system/users.rs, core/common/src/types/identifier/mod.rs. Up to 0.4.140
  LoginUser::validate first wants a 3..=50-byte username matching the name pattern (else 43)
  and a 3..=100-byte password (else 44), and LoginWithPersonalAccessToken::validate a 1..=100-byte
  token (else 53): sdk/src/users/login_user.rs, iggy/src/users/login_pat.rs.
- a caller may read another user only with the read_users permission (403 id 41 otherwise):
  core/server/src/http/users.rs get_user; the root user has every permission, others none.
- edge: core/server/src/auth.rs (username 3..=50 and password 3..=100 bytes else 42; unknown or
  expired PAT -> InvalidPersonalAccessToken 53), core/server/src/http/extractor.rs (no
  `Bearer ` header -> 77; a bearer that is neither a valid JWT nor a live PAT -> 40, not 78),
  core/server/src/http/jwt.rs and handlers.rs (no revocation list: logout and refresh leave the
  old JWT valid until it expires; empty refresh token -> 40), core/server/src/pat.rs (limit before
  duplicate), core/metadata/src/stm/user.rs (duplicate, then expiry_at <= now -> 56; with u64
  wrap-around that is an expiry close to 2^64-1), core/server/src/http/reply.rs (committed
  rejections are rebuilt with IggyError::from_code, whose fields are defaults, so 51 and 20 lose
  the name and user id in `reason`).
The real server hashes PATs with BLAKE3 and uses UUIDv7 jti; the sandbox uses SHA-256 and UUIDv4,
so a legacy 404 names a SHA-256 hex digest where the server names a BLAKE3 one (same length).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from iggy_cli.sandbox.generations import Dialect, dialect

U64_MAX = 2**64 - 1
U32_MAX = 2**32 - 1
MICROS_PER_SECOND = 1_000_000
ROOT_USER_ID = 0
JWT_ISSUER = "iggy.apache.org"
JWT_LEEWAY_S = 5
PAT_RANDOM_BYTES = 50
REFRESH_TOKEN_LIFETIME_S = 86_400  # refresh_token_expiry, configs/server.toml up to 0.2.24

Clock = Callable[[], int]
"""Returns the current time in microseconds since the Unix epoch."""

_NUMERIC_ID = re.compile(r"\+?[0-9]+")  # what Rust's `str::parse::<u32>` accepts, before range
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
# Unicode's White_Space, which Rust's `char::is_whitespace` and the regex `\s` use (Python's
# `str.split()` would also split at U+001C..U+001F).
_WHITE_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WHITE_SPACE_RUN = re.compile(f"[{_WHITE_SPACE}]+")
_WHITE_SPACE_CHAR = re.compile(f"[{_WHITE_SPACE}]")


def real_clock() -> int:
    return time.time_ns() // 1_000


def normalize_name(name: str) -> str:
    """What servers up to 0.4.140 store for a PAT name: `to_lowercase_non_whitespace`."""
    return ".".join(part for part in _WHITE_SPACE_RUN.split(name.lower()) if part)


def _is_word(ch: str) -> bool:
    # The regex crate's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation
    # and the joiners (approximated by general categories; Other_Alphabetic symbols such as
    # circled letters are left out).
    category = unicodedata.category(ch)
    return category[0] in "LM" or category in ("Nd", "Nl", "Pc") or ch in "\u200c\u200d"


def is_resource_name_valid(name: str) -> bool:
    """`^[\\w.\\-\\s]+$` of iggy/src/utils/text.rs (Rust regex, Unicode classes)."""
    return bool(name) and all(
        ch in ".-" or _is_word(ch) or _WHITE_SPACE_CHAR.fullmatch(ch) for ch in name
    )


class ApiError(Exception):
    """An Iggy error as the server renders it: `{"id", "code", "reason", "field"}`."""

    def __init__(
        self, status: int, id: int, code: str, reason: str, field: str | None = None
    ) -> None:
        # `reason` can echo a raw token (stable's unknown-PAT login), so str() leaves it out.
        super().__init__(f"{status} {code}")
        self.status = status
        self.id = id
        self.code = code
        self.reason = reason
        self.field = field


class Unauthorized(Exception):
    """The JWT middleware rejects a missing or bad bearer with a bare 401 and no body."""


class Errors:
    """The errors one dialect renders: its ids, codes, reasons and statuses."""

    __slots__ = ("dialect",)

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def make(self, error_id: int, code: str, reason: str, field: str | None = None) -> ApiError:
        return ApiError(self.dialect.status_of(error_id), error_id, code, reason, field)

    def invalid_identifier(self) -> ApiError:
        return self.make(6, "invalid_identifier", "Invalid identifier")

    def resource_not_found(self, key: str) -> ApiError:
        return self.make(20, "resource_not_found", f"Resource with key: {key} was not found.")

    def missing(self, key: str) -> ApiError:
        """A token the storage cannot find: up to 0.0.45 CannotLoadResource (still a 404)."""
        if self.dialect.missing_is_cannot_load:
            return self.make(21, "cannot_load_resource", f"Cannot load resource with key: {key}")
        return self.resource_not_found(key)

    def unauthenticated(self) -> ApiError:
        return self.make(40, "unauthenticated", "Unauthenticated")

    def unauthorized(self) -> ApiError:
        return self.make(41, "unauthorized", "Unauthorized")

    def invalid_credentials(self) -> ApiError:
        return self.make(42, "invalid_credentials", "Invalid credentials")

    def invalid_username(self) -> ApiError:
        return self.make(43, "invalid_username", "Invalid username")

    def invalid_password(self) -> ApiError:
        return self.make(44, "invalid_password", "Invalid password")

    def invalid_token_name(self) -> ApiError:
        if self.dialect.short_pat_codes:
            return self.make(50, "invalid_pat_name", "Invalid PAT name")
        return self.make(
            50, "invalid_personal_access_token_name", "Invalid personal access token name"
        )

    def token_already_exists(self, name: str, user_id: int) -> ApiError:
        field = "name" if self.dialect.duplicate_has_field else None
        if self.dialect.short_pat_codes:
            reason = f"PAT: {name} for user with ID: {user_id} already exists"
            return self.make(51, "pat_already_exists", reason, field)
        reason = f"Personal access token: {name} for user with ID: {user_id} already exists"
        return self.make(51, "personal_access_token_already_exists", reason, field)

    def tokens_limit_reached(self, user_id: int, limit: int) -> ApiError:
        if self.dialect.short_pat_codes:
            reason = f"User with ID: {user_id} has reached the maximum number of PATs: {limit}"
            return self.make(52, "pat_limit_reached", reason)
        reason = (
            f"User with ID: {user_id} has reached the maximum number of personal access tokens: "
        )
        return self.make(52, "personal_access_tokens_limit_reached", f"{reason}{limit}")

    def invalid_token(self) -> ApiError:
        if self.dialect.short_pat_codes:
            return self.make(53, "invalid_pat", "Invalid PAT")
        return self.make(53, "invalid_personal_access_token", "Invalid personal access token")

    def token_expired(self, name: str, user_id: int) -> ApiError:
        if self.dialect.short_pat_codes:
            return self.make(
                54, "expired_pat", f"PAT: {name} for user with ID: {user_id} has expired."
            )
        reason = f"Personal access token: {name} for user with ID: {user_id} has expired."
        return self.make(54, "personal_access_token_expired", reason)

    def invalid_token_expiry(self) -> ApiError:
        return self.make(
            56, "invalid_personal_access_token_expiry", "Invalid personal access token expiry"
        )

    def transient_not_committed(self) -> ApiError:
        return self.make(57, "transient_not_committed", "Request transiently not committed; retry")

    def transient_not_accepted(self) -> ApiError:
        reason = "Request transiently not accepted; retry, on any replica"
        return self.make(58, "transient_not_accepted", reason)

    def access_token_missing(self) -> ApiError:
        return self.make(77, "access_token_missing", "Access token is missing")

    def invalid_access_token(self) -> ApiError:
        return self.make(78, "invalid_access_token", "Invalid access token")

    def invalid_refresh_token(self) -> ApiError:
        return self.make(78, "invalid_refresh_token", "Invalid refresh token")

    def refresh_token_expired(self) -> ApiError:
        return self.make(79, "refresh_token_expired", "Refresh token expired")

    def not_found(self) -> ApiError:
        # The HTTP layer's own 404 (CustomError::ResourceNotFound): its id is the status, not
        # an IggyError code.
        return self.make(404, "not_found", "Resource not found")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_salt: bytes
    password_hash: bytes
    created_at: int  # microseconds
    is_root: bool

    def password_matches(self, password: str) -> bool:
        return hmac.compare_digest(_hash_password(self.password_salt, password), self.password_hash)


@dataclass(frozen=True, slots=True)
class PersonalAccessToken:
    user_id: int
    name: str
    token_hash: str  # SHA-256 hex of the raw token; the raw token is never kept
    expiry_at: int | None  # microseconds since the epoch; None = never expires


@dataclass(frozen=True, slots=True)
class IdentityInfo:
    """What a login or refresh hands out; `http_server.py` shapes it per dialect."""

    user_id: int
    access_token: str
    expiry: int  # unix seconds (the access token's exp claim)
    refresh_token: str | None = None  # 0.0.44-0.2.24 only
    refresh_expiry: int | None = None  # unix seconds


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    jti: str | None  # None when edge accepted a raw PAT as the bearer


@dataclass(frozen=True, slots=True)
class JwtClaims:
    jti: str
    user_id: int
    exp: int


@dataclass(frozen=True, slots=True)
class _RefreshToken:
    user_id: int
    expiry_s: int


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def expiry_at_for(now_us: int, expiry: int) -> int | None:
    if expiry in (0, U64_MAX):
        return None
    return (now_us + expiry) & U64_MAX  # the server's u64 add wraps instead of failing


def _hash_password(salt: bytes, password: str) -> bytes:
    return hashlib.sha256(salt + password.encode()).digest()


def _as_u32(text: str) -> int | None:
    if _NUMERIC_ID.fullmatch(text) and int(text) <= U32_MAX:
        return int(text)
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(segment: str) -> object:
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        result: object = json.loads(decoded)
    except ValueError:
        return None
    return result


def _random_token() -> str:
    return base64.b64encode(secrets.token_bytes(PAT_RANDOM_BYTES)).decode("ascii")


class JwtIssuer:
    """HS256 tokens signed with a secret made at start, so they all die with the sandbox."""

    __slots__ = ("_secret", "lifetime_s")

    def __init__(self, lifetime_s: int) -> None:
        self._secret = secrets.token_bytes(32)
        self.lifetime_s = lifetime_s

    def mint(self, user_id: int, now_us: int, *, micros: bool = False) -> tuple[str, int]:
        """A JWT and its exp; with `micros`, iat/nbf/exp in microseconds (up to 0.0.42)."""
        unit = 1 if micros else MICROS_PER_SECOND
        now = now_us // unit
        exp = now + self.lifetime_s * (MICROS_PER_SECOND // unit)
        claims = {
            "jti": str(uuid.uuid4()),
            "iss": JWT_ISSUER,
            "aud": JWT_ISSUER,
            "sub": str(user_id),
            "iat": now,
            "exp": exp,
            "nbf": now,
        }
        header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
        body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{body}.{_b64url(self._sign(f'{header}.{body}'))}", exp

    def header_ok(self, token: str) -> bool:
        parts = token.split(".")
        header = _b64url_json(parts[0]) if len(parts) == 3 else None
        return isinstance(header, dict) and isinstance(header.get("alg"), str)

    def verify(self, token: str, now_s: int, *, check_nbf: bool) -> JwtClaims | None:
        if not self.header_ok(token):
            return None
        header_part, claims_part, signature = token.split(".")
        header, claims = _b64url_json(header_part), _b64url_json(claims_part)
        expected = _b64url(self._sign(f"{header_part}.{claims_part}"))
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            return None
        if not hmac.compare_digest(expected, signature) or not isinstance(claims, dict):
            return None
        jti, sub, exp, nbf = (claims.get(key) for key in ("jti", "sub", "exp", "nbf"))
        if not (isinstance(jti, str) and isinstance(sub, str) and _is_int(exp) and _is_int(nbf)):
            return None
        if exp + JWT_LEEWAY_S < now_s or (check_nbf and nbf > now_s + JWT_LEEWAY_S):
            return None
        if claims.get("iss") != JWT_ISSUER or claims.get("aud") != JWT_ISSUER:
            return None
        user_id = _as_u32(sub)
        return None if user_id is None else JwtClaims(jti, user_id, exp)

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _bearer(authorization: str | None) -> str | None:
    # http's HeaderValue::to_str refuses anything but visible ASCII, space and tab.
    if authorization is None or any(not (" " <= ch <= "~" or ch == "\t") for ch in authorization):
        return None
    if not authorization.startswith("Bearer "):  # case-sensitive in every server
        return None
    return authorization[len("Bearer ") :]


def _bytes(text: str) -> int:
    return len(text.encode())


class SandboxState:
    """Users, PATs and JWTs of one sandbox server; safe to share between request threads.

    `users` are (name, password) pairs besides the root user, who gets the dialect's root id
    (0, or 1 up to 0.5.0) and every permission; the others get the following ids and none.
    """

    __slots__ = (
        "_clean_interval_us",
        "_clock",
        "_jwt",
        "_last_clean_us",
        "_lock",
        "_refresh_tokens",
        "_revoked",
        "_token_index",
        "_tokens",
        "_users",
        "dialect",
        "errors",
        "max_tokens_per_user",
        "on_token_minted",
    )

    def __init__(
        self,
        username: str = "iggy",
        password: str = "iggy",
        *,
        dialect: Dialect | None = None,
        users: Sequence[tuple[str, str]] = (),
        max_tokens_per_user: int = 100,
        cleaner_interval_s: float | None = 60.0,
        clock: Clock | None = None,
        jwt_lifetime_s: int = 3600,
    ) -> None:
        if cleaner_interval_s is not None and cleaner_interval_s <= 0:
            raise ValueError("cleaner_interval_s must be positive, or None to disable the cleaner")
        self.dialect = dialect or _default_dialect()
        self.errors = Errors(self.dialect)
        self.max_tokens_per_user = max_tokens_per_user
        self._clock: Clock = clock or real_clock
        # For test harnesses that check where minted tokens end up; the sandbox keeps none.
        self.on_token_minted: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        now = self._clock()
        self._users: dict[int, User] = {}
        root_id = self.dialect.root_user_id
        for offset, (name, secret) in enumerate([(username, password), *users]):
            if any(user.username == name for user in self._users.values()):
                raise ValueError(f"user {name!r} is given twice")
            salt = secrets.token_bytes(16)
            user = User(
                root_id + offset, name, salt, _hash_password(salt, secret), now, offset == 0
            )
            self._users[user.id] = user
        self._tokens: dict[int, dict[str, PersonalAccessToken]] = {uid: {} for uid in self._users}
        self._token_index: dict[str, tuple[int, str]] = {}  # token hash -> (user id, name)
        self._jwt = JwtIssuer(jwt_lifetime_s)
        self._revoked: set[str] = set()  # jti of logged-out and refreshed JWTs (not edge)
        self._refresh_tokens: dict[str, _RefreshToken] = {}  # hash -> token (0.0.44-0.2.24)
        self._clean_interval_us = (
            None if cleaner_interval_s is None else round(cleaner_interval_s * MICROS_PER_SECOND)
        )
        self._last_clean_us = now

    @property
    def edge(self) -> bool:
        return self.dialect.edge

    def now_us(self) -> int:
        return self._clock()

    def users(self) -> list[User]:
        with self._lock:
            return sorted(self._users.values(), key=lambda user: user.id)

    # Sign-in and sessions

    def login(self, username: str, password: str) -> IdentityInfo:
        with self._lock:
            now = self._tick()
            if self.edge:
                # Edge folds every failure, length checks included, into 42 so nothing leaks.
                user = self._user_named(username)
                sizes_ok = 3 <= _bytes(username) <= 50 and 3 <= _bytes(password) <= 100
                if not sizes_ok or user is None or not user.password_matches(password):
                    raise self.errors.invalid_credentials()
                return self._issue(user.id, now)
            if self.dialect.before_stable:
                if not (3 <= _bytes(username) <= 50 and is_resource_name_valid(username)):
                    raise self.errors.invalid_username()
                if not 3 <= _bytes(password) <= 100:
                    raise self.errors.invalid_password()
            if self.dialect.username_may_be_user_id:
                user = self._find_user(username)
            else:
                user = self._user_named(username)
            if user is None or not user.password_matches(password):
                raise self.errors.invalid_credentials()
            return self._issue(user.id, now)

    def login_with_token(self, raw: str) -> IdentityInfo:
        with self._lock:
            now = self._tick()
            token = self._token_by_raw(raw)
            if self.edge:
                if token is None or self._is_expired(token, now):
                    raise self.errors.invalid_token()
                return self._issue(token.user_id, now)
            if self.dialect.before_stable and not 1 <= _bytes(raw) <= 100:
                raise self.errors.invalid_token()
            if token is None:
                prefix = self.dialect.storage_key_prefix
                if prefix is None:
                    raise self.errors.resource_not_found(raw)  # really echoes the raw token
                raise self.errors.missing(f"{prefix}:token:{hash_token(raw)}")
            if self._is_expired(token, now):
                raise self.errors.token_expired(token.name, token.user_id)
            return self._issue(token.user_id, now)

    def refresh(self, token: str) -> IdentityInfo:
        """Stable and renaming: `token` is the JWT (one-shot); up to 0.2.24 the opaque refresh
        token (one-shot too, the old JWT stays valid); edge: the JWT, nothing revoked."""
        with self._lock:
            now = self._tick()
            now_s = now // MICROS_PER_SECOND
            if self.edge:
                claims = self._jwt.verify(token, now_s, check_nbf=True)
                if claims is None:
                    raise self.errors.unauthenticated()
                return self._issue(claims.user_id, now)  # stateless: the old JWT stays valid
            if self.dialect.refresh == "refresh-token":
                found = self._refresh_tokens.pop(hash_token(token), None) if token else None
                if found is None:
                    raise self.errors.invalid_refresh_token()
                if found.expiry_s < now_s:
                    raise self.errors.refresh_token_expired()
                return self._issue(found.user_id, now)
            if not token or not self._jwt.header_ok(token):
                raise self.errors.invalid_access_token()
            claims = self._jwt.verify(token, now_s, check_nbf=False)
            if claims is None:
                raise self.errors.unauthenticated()
            if claims.jti in self._revoked:
                raise self.errors.invalid_access_token()
            self._revoked.add(claims.jti)  # one-shot
            return self._issue(claims.user_id, now)

    def authenticate(self, authorization: str | None) -> Caller:
        """Who sent `Authorization: <authorization>`; raises Unauthorized (the JWT middleware
        of every generation but edge) or ApiError (edge)."""
        with self._lock:
            now = self._tick()
            bearer = _bearer(authorization)
            now_s = now // MICROS_PER_SECOND
            if not self.edge:
                claims = (
                    None if bearer is None else self._jwt.verify(bearer, now_s, check_nbf=False)
                )
                if (
                    claims is None
                    or claims.jti in self._revoked
                    or claims.user_id not in self._users
                ):
                    raise Unauthorized()
                return Caller(claims.user_id, claims.jti)
            if bearer is None:
                raise self.errors.access_token_missing()
            # Edge tries the bearer as a JWT first, then as a raw PAT.
            claims = self._jwt.verify(bearer, now_s, check_nbf=True)
            if claims is not None:
                return Caller(claims.user_id, claims.jti)
            token = self._token_by_raw(bearer)
            if token is None or self._is_expired(token, now):
                raise self.errors.unauthenticated()
            return Caller(token.user_id, None)

    def logout(self, caller: Caller) -> None:
        with self._lock:
            self._tick()
            if self.dialect.logout_revokes and caller.jti is not None:
                self._revoked.add(caller.jti)

    def get_user(self, caller: Caller, key: str) -> User:
        with self._lock:
            self._tick()
            if self.edge and key == "me":
                user = self._users.get(caller.user_id)
            elif not 1 <= _bytes(key) <= 255:
                raise self.errors.invalid_identifier()
            else:
                user_id = _as_u32(key)
                user = self._user_named(key) if user_id is None else self._users.get(user_id)
            if user is None:
                raise self.errors.not_found()
            if user.id != caller.user_id and not self._users[caller.user_id].is_root:
                raise self.errors.unauthorized()  # reading others needs read_users
            return user

    def check_read_servers(self, caller: Caller) -> None:
        """GET /stats needs the read_servers or manage_servers permission, which only the root
        user has here (perm_get_stats, core/server/src/metadata/reader.rs at server-0.8.0)."""
        with self._lock:
            self._tick()
            if not self._users[caller.user_id].is_root:
                raise self.errors.unauthorized()

    # Personal access tokens

    def list_tokens(self, user_id: int) -> list[PersonalAccessToken]:
        with self._lock:
            self._tick()
            return sorted(self._tokens.get(user_id, {}).values(), key=lambda token: token.name)

    def create_token(self, user_id: int, name: str, expiry: int | None) -> str:
        """Mint a PAT and return the raw token, which is shown once and never stored.

        `expiry` is what the body said: u64 microseconds from 0.3.0; up to 0.2.24 u32 seconds,
        or None for never.
        """
        if expiry is not None and not 0 <= expiry <= U64_MAX:
            raise ValueError("expiry must be an unsigned 64-bit integer")
        with self._lock:
            now = self._tick()
            if not 3 <= _bytes(name) <= 30:
                raise self.errors.invalid_token_name()
            if self.dialect.normalizes_names:
                if not is_resource_name_valid(name):
                    raise self.errors.invalid_token_name()
                name = normalize_name(name)
            tokens = self._tokens.setdefault(user_id, {})
            # Expired tokens not yet swept still count here, and the limit is checked before
            # the name, so a duplicate at the limit reports the limit.
            if len(tokens) >= self.max_tokens_per_user:
                raise self.errors.tokens_limit_reached(user_id, self.max_tokens_per_user)
            if name in tokens and self.edge:
                raise self.errors.token_already_exists("", 0)  # rebuilt from the bare code
            if name in tokens:
                raise self.errors.token_already_exists(name, user_id)
            if self.dialect.expiry_in_seconds:
                expiry_at = None if expiry is None else now + expiry * MICROS_PER_SECOND
            else:
                expiry_at = expiry_at_for(now, expiry or 0)
            if self.edge and expiry_at is not None and expiry_at <= now:
                raise self.errors.invalid_token_expiry()
            raw = _random_token()
            token = PersonalAccessToken(user_id, name, hash_token(raw), expiry_at)
            tokens[name] = token
            self._token_index[token.token_hash] = (user_id, name)
        if self.on_token_minted is not None:
            self.on_token_minted(raw)  # the raw token leaves here, never to be kept
        return raw

    def delete_token(self, user_id: int, name: str) -> None:
        with self._lock:
            self._tick()
            if self.dialect.normalizes_names:
                name = normalize_name(name)  # and no length check at all
            elif not 1 <= _bytes(name) <= 255:
                raise self.errors.invalid_token_name()
            token = self._tokens.get(user_id, {}).get(name)
            if token is not None:
                self._remove(token)
                return
            prefix = self.dialect.storage_key_prefix
            if prefix is not None:
                raise self.errors.missing(f"{prefix}:user:{user_id}:{name}")
            raise self.errors.resource_not_found("" if self.edge else name)

    # Internals; the caller holds the lock.

    def _is_expired(self, token: PersonalAccessToken, now_us: int) -> bool:
        if token.expiry_at is None:
            return False
        if self.dialect.expired_at_equal:
            return token.expiry_at <= now_us
        return now_us > token.expiry_at

    def _tick(self) -> int:
        now = self._clock()
        interval = self._clean_interval_us
        if interval is None or now - self._last_clean_us < interval:
            return now
        # The real cleaner runs on a fixed period, so sweep as of its last tick before now:
        # a token that expired after that tick stays listed until the next one.
        tick = self._last_clean_us + (now - self._last_clean_us) // interval * interval
        self._last_clean_us = tick
        for tokens in self._tokens.values():
            for token in [token for token in tokens.values() if self._is_expired(token, tick)]:
                self._remove(token)
        return now

    def _remove(self, token: PersonalAccessToken) -> None:
        del self._tokens[token.user_id][token.name]
        self._token_index.pop(token.token_hash, None)

    def _issue(self, user_id: int, now_us: int) -> IdentityInfo:
        jwt, expiry = self._jwt.mint(user_id, now_us, micros=self.dialect.jwt_claims_in_micros)
        if self.dialect.refresh != "refresh-token":
            return IdentityInfo(user_id, jwt, expiry)
        raw = _random_token()
        refresh_expiry = now_us // MICROS_PER_SECOND + REFRESH_TOKEN_LIFETIME_S
        self._refresh_tokens[hash_token(raw)] = _RefreshToken(user_id, refresh_expiry)
        return IdentityInfo(user_id, jwt, expiry, raw, refresh_expiry)

    def _token_by_raw(self, raw: str) -> PersonalAccessToken | None:
        found = self._token_index.get(hash_token(raw))
        return None if found is None else self._tokens[found[0]][found[1]]

    def _user_named(self, username: str) -> User | None:
        return next((user for user in self._users.values() if user.username == username), None)

    def _find_user(self, key: str) -> User | None:
        # From 0.3.0 the login name is resolved as an Identifier: digits mean a user id.
        user_id = _as_u32(key)
        if user_id is not None:
            return self._users.get(user_id)
        if not 1 <= _bytes(key) <= 255:
            raise self.errors.invalid_identifier()
        return self._user_named(key)


def _default_dialect() -> Dialect:
    return dialect("stable")
