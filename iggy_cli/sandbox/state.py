"""The sandbox's pure in-memory model: one root user, personal access tokens (PATs) and JWTs.

No HTTP here: `server.py` maps requests onto `SandboxState` and `ApiError` onto error bodies.
Every operation takes one lock and first runs the expiry cleaner if its interval has elapsed.

Facts read from the Iggy source (github.com/apache/iggy; stable = tag server-0.8.0, edge = main
at 0.9.0-edge), not copied:
- ids, codes (snake_case variant names) and reason texts: core/common/src/error/iggy_error.rs;
  statuses per id: core/server/src/http/error.rs.
- PAT name 3..=30 UTF-8 bytes on create (CreatePersonalAccessToken::validate,
  core/common/src/http/personal_access_tokens/create_personal_access_token.rs and
  core/common/src/http/users/defaults.rs); 1..=255 bytes on delete (WireName,
  core/binary_protocol/src/primitives/identifier.rs).
- stable create/delete/login-with-PAT: core/server/src/shard/system/personal_access_tokens.rs
  (limit before duplicate; unknown PAT -> ResourceNotFound(<raw token>); expired ->
  PersonalAccessTokenExpired(name, user); unknown name on delete -> ResourceNotFound(name)).
- expiry: 0 = server default (never for PATs), u64::MAX = never, anything else = now + expiry
  microseconds, a plain u64 add that wraps in release builds (core/common/src/utils/expiry.rs,
  calculate_expiry_at in core/common/src/types/personal_access_tokens/mod.rs); a PAT is expired
  once expiry_at <= now (is_expired, same file); the token is 50 random bytes in padded base64.
- cleaner: every interval ("1 m"), delete the tokens with is_expired(now):
  core/server/src/shard/tasks/periodic/personal_access_token_cleaner.rs, core/server/config.toml.
- JWT: HS256, iss and aud "iggy.apache.org", 1 h, clock skew 5 s, a random secret per start;
  logout and refresh revoke the jti; refresh answers an empty or undecodable token with 78, a bad
  signature or an expired token with 40, an already revoked one with 78:
  core/server/src/http/jwt/jwt_manager.rs, jwt/middleware.rs, core/server/config.toml.
- stable password login: a username that parses as u32 is a user id, an empty or >255-byte one
  is InvalidIdentifier (6), unknown user or wrong password is 42:
  core/server/src/shard/system/users.rs, core/common/src/types/identifier/mod.rs.
- edge: core/server/src/auth.rs (username 3..=50 and password 3..=100 bytes else 42; unknown or
  expired PAT -> InvalidPersonalAccessToken 53), core/server/src/http/extractor.rs (no
  `Bearer ` header -> 77; a bearer that is neither a valid JWT nor a live PAT -> 40, not 78),
  core/server/src/http/jwt.rs and handlers.rs (no revocation list: logout and refresh leave the
  old JWT valid until it expires; empty refresh token -> 40), core/server/src/pat.rs (limit before
  duplicate), core/metadata/src/stm/user.rs (duplicate, then expiry_at <= now -> 56; with u64
  wrap-around that is an expiry close to 2^64-1), core/server/src/http/reply.rs (committed
  rejections are rebuilt with IggyError::from_code, whose fields are defaults, so 51 and 20 lose
  the name and user id in `reason`).
The real server hashes PATs with BLAKE3 and uses UUIDv7 jti; the sandbox uses SHA-256 and UUIDv4.
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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeGuard

U64_MAX = 2**64 - 1
U32_MAX = 2**32 - 1
MICROS_PER_SECOND = 1_000_000
ROOT_USER_ID = 0
JWT_ISSUER = "iggy.apache.org"
JWT_LEEWAY_S = 5
PAT_RANDOM_BYTES = 50

Clock = Callable[[], int]
"""Returns the current time in microseconds since the Unix epoch."""

_NUMERIC_ID = re.compile(r"\+?[0-9]+")  # what Rust's `str::parse::<u32>` accepts, before range
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def real_clock() -> int:
    return time.time_ns() // 1_000


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
    """Stable's JWT middleware rejects a missing or bad bearer with a bare 401 and no body."""


def _error(error_id: int, code: str, reason: str, field: str | None = None) -> ApiError:
    if error_id in (20, 404):
        status = 404
    elif error_id in (40, 53, 77, 78):
        status = 401
    elif error_id == 41:
        status = 403
    else:
        status = 400  # the server's catch-all, wrong password included
    return ApiError(status, error_id, code, reason, field)


def invalid_identifier() -> ApiError:
    return _error(6, "invalid_identifier", "Invalid identifier")


def resource_not_found(key: str) -> ApiError:
    return _error(20, "resource_not_found", f"Resource with key: {key} was not found.")


def unauthenticated() -> ApiError:
    return _error(40, "unauthenticated", "Unauthenticated")


def invalid_credentials() -> ApiError:
    return _error(42, "invalid_credentials", "Invalid credentials")


def invalid_token_name() -> ApiError:
    return _error(50, "invalid_personal_access_token_name", "Invalid personal access token name")


def token_already_exists(name: str, user_id: int) -> ApiError:
    reason = f"Personal access token: {name} for user with ID: {user_id} already exists"
    return _error(51, "personal_access_token_already_exists", reason, "name")


def tokens_limit_reached(user_id: int, limit: int) -> ApiError:
    reason = f"User with ID: {user_id} has reached the maximum number of personal access tokens: "
    return _error(52, "personal_access_tokens_limit_reached", f"{reason}{limit}")


def invalid_token() -> ApiError:
    return _error(53, "invalid_personal_access_token", "Invalid personal access token")


def token_expired(name: str, user_id: int) -> ApiError:
    reason = f"Personal access token: {name} for user with ID: {user_id} has expired."
    return _error(54, "personal_access_token_expired", reason)


def invalid_token_expiry() -> ApiError:
    return _error(
        56, "invalid_personal_access_token_expiry", "Invalid personal access token expiry"
    )


def access_token_missing() -> ApiError:
    return _error(77, "access_token_missing", "Access token is missing")


def invalid_access_token() -> ApiError:
    return _error(78, "invalid_access_token", "Invalid access token")


def not_found() -> ApiError:
    # The HTTP layer's own 404 (CustomError::ResourceNotFound): its id is the status, not an
    # IggyError code.
    return _error(404, "not_found", "Resource not found")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_salt: bytes
    password_hash: bytes
    created_at: int  # microseconds

    def password_matches(self, password: str) -> bool:
        return hmac.compare_digest(_hash_password(self.password_salt, password), self.password_hash)


@dataclass(frozen=True, slots=True)
class PersonalAccessToken:
    user_id: int
    name: str
    token_hash: str  # SHA-256 hex of the raw token; the raw token is never kept
    expiry_at: int | None  # microseconds since the epoch; None = never expires

    def is_expired(self, now_us: int) -> bool:
        return self.expiry_at is not None and self.expiry_at <= now_us


@dataclass(frozen=True, slots=True)
class IdentityInfo:
    user_id: int
    access_token: str
    expiry: int  # unix seconds


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: int
    jti: str | None  # None when edge accepted a raw PAT as the bearer


@dataclass(frozen=True, slots=True)
class JwtClaims:
    jti: str
    user_id: int
    exp: int


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


class JwtIssuer:
    """HS256 tokens signed with a secret made at start, so they all die with the sandbox."""

    __slots__ = ("_secret", "lifetime_s")

    def __init__(self, lifetime_s: int) -> None:
        self._secret = secrets.token_bytes(32)
        self.lifetime_s = lifetime_s

    def mint(self, user_id: int, now_s: int) -> tuple[str, int]:
        exp = now_s + self.lifetime_s
        claims = {
            "jti": str(uuid.uuid4()),
            "iss": JWT_ISSUER,
            "aud": JWT_ISSUER,
            "sub": str(user_id),
            "iat": now_s,
            "exp": exp,
            "nbf": now_s,
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
    if not authorization.startswith("Bearer "):  # case-sensitive in both servers
        return None
    return authorization[len("Bearer ") :]


class SandboxState:
    """Users, PATs and JWTs of one sandbox server; safe to share between request threads."""

    __slots__ = (
        "_clean_interval_us",
        "_clock",
        "_jwt",
        "_last_clean_us",
        "_lock",
        "_revoked",
        "_token_index",
        "_tokens",
        "_users",
        "edge",
        "max_tokens_per_user",
        "on_token_minted",
    )

    def __init__(
        self,
        username: str = "iggy",
        password: str = "iggy",
        *,
        edge: bool = False,
        max_tokens_per_user: int = 100,
        cleaner_interval_s: float | None = 60.0,
        clock: Clock | None = None,
        jwt_lifetime_s: int = 3600,
    ) -> None:
        if cleaner_interval_s is not None and cleaner_interval_s <= 0:
            raise ValueError("cleaner_interval_s must be positive, or None to disable the cleaner")
        self.edge = edge
        self.max_tokens_per_user = max_tokens_per_user
        self._clock: Clock = clock or real_clock
        # For test harnesses that check where minted tokens end up; the sandbox keeps none.
        self.on_token_minted: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        now = self._clock()
        salt = secrets.token_bytes(16)
        root = User(ROOT_USER_ID, username, salt, _hash_password(salt, password), now)
        self._users: dict[int, User] = {root.id: root}
        self._tokens: dict[int, dict[str, PersonalAccessToken]] = {root.id: {}}
        self._token_index: dict[str, tuple[int, str]] = {}  # token hash -> (user id, name)
        self._jwt = JwtIssuer(jwt_lifetime_s)
        self._revoked: set[str] = set()  # jti of logged-out and refreshed JWTs (stable only)
        self._clean_interval_us = (
            None if cleaner_interval_s is None else round(cleaner_interval_s * MICROS_PER_SECOND)
        )
        self._last_clean_us = now

    def now_us(self) -> int:
        return self._clock()

    # Sign-in and sessions

    def login(self, username: str, password: str) -> IdentityInfo:
        with self._lock:
            now = self._tick()
            if self.edge:
                # Edge folds every failure, length checks included, into 42 so nothing leaks.
                user = self._user_named(username)
                sizes_ok = 3 <= len(username.encode()) <= 50 and 3 <= len(password.encode()) <= 100
                if not sizes_ok or user is None or not user.password_matches(password):
                    raise invalid_credentials()
            else:
                user = self._find_user(username)
                if user is None or not user.password_matches(password):
                    raise invalid_credentials()
            return self._issue(user.id, now)

    def login_with_token(self, raw: str) -> IdentityInfo:
        with self._lock:
            now = self._tick()
            token = self._token_by_raw(raw)
            if self.edge:
                if token is None or token.is_expired(now):
                    raise invalid_token()
            elif token is None:
                raise resource_not_found(raw)  # stable really echoes the raw token back
            elif token.is_expired(now):
                raise token_expired(token.name, token.user_id)
            return self._issue(token.user_id, now)

    def refresh(self, jwt: str) -> IdentityInfo:
        with self._lock:
            now = self._tick()
            if self.edge:
                claims = self._jwt.verify(jwt, now // MICROS_PER_SECOND, check_nbf=True)
                if claims is None:
                    raise unauthenticated()
                return self._issue(claims.user_id, now)  # stateless: the old JWT stays valid
            if not jwt or not self._jwt.header_ok(jwt):
                raise invalid_access_token()
            claims = self._jwt.verify(jwt, now // MICROS_PER_SECOND, check_nbf=False)
            if claims is None:
                raise unauthenticated()
            if claims.jti in self._revoked:
                raise invalid_access_token()
            self._revoked.add(claims.jti)  # one-shot
            return self._issue(claims.user_id, now)

    def authenticate(self, authorization: str | None) -> Caller:
        """Who sent `Authorization: <authorization>`; raises Unauthorized (stable) or ApiError."""
        with self._lock:
            now = self._tick()
            bearer = _bearer(authorization)
            now_s = now // MICROS_PER_SECOND
            if not self.edge:
                claims = (
                    None if bearer is None else self._jwt.verify(bearer, now_s, check_nbf=False)
                )
                if claims is None or claims.jti in self._revoked:
                    raise Unauthorized()
                return Caller(claims.user_id, claims.jti)
            if bearer is None:
                raise access_token_missing()
            # Edge tries the bearer as a JWT first, then as a raw PAT.
            claims = self._jwt.verify(bearer, now_s, check_nbf=True)
            if claims is not None:
                return Caller(claims.user_id, claims.jti)
            token = self._token_by_raw(bearer)
            if token is None or token.is_expired(now):
                raise unauthenticated()
            return Caller(token.user_id, None)

    def logout(self, caller: Caller) -> None:
        with self._lock:
            self._tick()
            if not self.edge and caller.jti is not None:
                self._revoked.add(caller.jti)

    def get_user(self, caller: Caller, key: str) -> User:
        with self._lock:
            self._tick()
            if self.edge and key == "me":
                user = self._users.get(caller.user_id)
            elif not 1 <= len(key.encode()) <= 255:
                raise invalid_identifier()
            else:
                user_id = _as_u32(key)
                user = self._user_named(key) if user_id is None else self._users.get(user_id)
            if user is None:
                raise not_found()
            return user

    # Personal access tokens

    def list_tokens(self, user_id: int) -> list[PersonalAccessToken]:
        with self._lock:
            self._tick()
            return sorted(self._tokens.get(user_id, {}).values(), key=lambda token: token.name)

    def create_token(self, user_id: int, name: str, expiry: int) -> str:
        """Mint a PAT and return the raw token, which is shown once and never stored."""
        if not 0 <= expiry <= U64_MAX:
            raise ValueError("expiry must be an unsigned 64-bit integer")
        with self._lock:
            now = self._tick()
            if not 3 <= len(name.encode()) <= 30:
                raise invalid_token_name()
            tokens = self._tokens.setdefault(user_id, {})
            # Expired tokens not yet swept still count here, and the limit is checked before
            # the name, so a duplicate at the limit reports the limit.
            if len(tokens) >= self.max_tokens_per_user:
                raise tokens_limit_reached(user_id, self.max_tokens_per_user)
            if name in tokens and self.edge:
                raise token_already_exists("", 0)  # edge rebuilds it from the bare error code
            if name in tokens:
                raise token_already_exists(name, user_id)
            expiry_at = expiry_at_for(now, expiry)
            if self.edge and expiry_at is not None and expiry_at <= now:
                raise invalid_token_expiry()
            raw = base64.b64encode(secrets.token_bytes(PAT_RANDOM_BYTES)).decode("ascii")
            token = PersonalAccessToken(user_id, name, hash_token(raw), expiry_at)
            tokens[name] = token
            self._token_index[token.token_hash] = (user_id, name)
        if self.on_token_minted is not None:
            self.on_token_minted(raw)  # the raw token leaves here, never to be kept
        return raw

    def delete_token(self, user_id: int, name: str) -> None:
        with self._lock:
            self._tick()
            if not 1 <= len(name.encode()) <= 255:
                raise invalid_token_name()
            token = self._tokens.get(user_id, {}).get(name)
            if token is None:
                raise resource_not_found("" if self.edge else name)
            self._remove(token)

    # Internals; the caller holds the lock.

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
            for token in [token for token in tokens.values() if token.is_expired(tick)]:
                self._remove(token)
        return now

    def _remove(self, token: PersonalAccessToken) -> None:
        del self._tokens[token.user_id][token.name]
        self._token_index.pop(token.token_hash, None)

    def _issue(self, user_id: int, now_us: int) -> IdentityInfo:
        jwt, expiry = self._jwt.mint(user_id, now_us // MICROS_PER_SECOND)
        return IdentityInfo(user_id, jwt, expiry)

    def _token_by_raw(self, raw: str) -> PersonalAccessToken | None:
        found = self._token_index.get(hash_token(raw))
        return None if found is None else self._tokens[found[0]][found[1]]

    def _user_named(self, username: str) -> User | None:
        return next((user for user in self._users.values() if user.username == username), None)

    def _find_user(self, key: str) -> User | None:
        # Stable resolves the login name as an Identifier: digits mean a user id.
        user_id = _as_u32(key)
        if user_id is not None:
            return self._users.get(user_id)
        if not 1 <= len(key.encode()) <= 255:
            raise invalid_identifier()
        return self._user_named(key)
