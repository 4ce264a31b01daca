"""The older server generations on the wire, release by release, over loopback.

Each expectation comes from the Iggy source at the tag named in the test id or comment
(iggy_cli/sandbox/generations.py lists the files): e.g. IdentityInfo in
iggy/src/models/identity_info.rs at 0.0.40, 0.0.44, 0.0.51 and server-0.3.0; the legacy
storage keys in server/src/streaming/personal_access_tokens/storage.rs at server-0.2.24.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers.sandbox_http import (
    NEVER,
    SECOND_US,
    START_S,
    START_US,
    FakeClock,
    access_token,
    create,
    error,
    listed,
    login,
    mint,
    pat_login,
    request,
)

from iggy_cli.sandbox.accounts import hash_token, is_resource_name_valid, normalize_name
from iggy_cli.sandbox.generations import dialect
from iggy_cli.sandbox.http_server import SandboxServer

Serve = Callable[..., SandboxServer]
U32_MAX = 2**32 - 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Serve]:
    started: list[SandboxServer] = []

    def start(release: str | None = None, **options: Any) -> SandboxServer:
        server = SandboxServer(port=0, server_version=release, clock=clock, **options)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


# ---- choosing a dialect (in-process) ----


@pytest.mark.parametrize(
    ("name", "release", "expected"),
    [
        (None, None, "stable 0.8.0"),
        ("first", None, "first 0.0.50"),
        ("legacy", None, "legacy 0.2.24"),
        ("renaming", None, "renaming 0.4.140"),
        ("edge", None, "edge 0.9.0-edge.5"),
        (None, "0.0.42", "first 0.0.42"),
        (None, "0.2.16", "legacy 0.2.16"),
        (None, "0.4.100", "renaming 0.4.100"),
        (None, "0.5.0", "stable 0.5.0"),
        ("edge", "0.9.0-edge.2", "edge 0.9.0-edge.2"),
    ],
)
def test_a_dialect_is_a_generation_and_a_release(
    name: str | None, release: str | None, expected: str
) -> None:
    assert str(dialect(name, release)) == expected


@pytest.mark.parametrize(
    ("name", "release", "message"),
    [
        ("ancient", None, "unknown dialect 'ancient'"),
        (None, "0.0.33", "unknown server release '0.0.33'"),
        (None, "1.0.0", "unknown server release '1.0.0'"),
        (None, "latest", "unknown server release 'latest'"),
        ("legacy", "0.3.0", "release 0.3.0 belongs to the renaming dialect, not legacy"),
    ],
)
def test_a_dialect_that_does_not_exist_is_refused(
    name: str | None, release: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dialect(name, release)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Deploy Key", "deploy.key"),
        ("  CI\t\tbot  ", "ci.bot"),
        ("a\u00a0b", "a.b"),  # NO-BREAK SPACE is White_Space
        ("ÉCLAIR", "éclair"),
        ("x\x1cy", "x\x1cy"),  # Python's str.split() would split here; Rust does not
    ],
)
def test_names_are_normalized_as_rust_does(given: str, stored: str) -> None:
    assert normalize_name(given) == stored


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("deploy-key_1.v2", True),
        ("e\u0301t\u00e9", True),  # a combining mark is a word character in Rust
        ("a b", True),
        ("a/b", False),
        ("a:b", False),
        ("a\x1cb", False),
        ("", False),
    ],
)
def test_the_name_pattern_uses_rust_unicode_classes(name: str, valid: bool) -> None:
    assert is_resource_name_valid(name) is valid


# ---- login answers ----


LOGIN_SHAPES = [
    ("0.0.40", {"user_id", "token"}, str),
    ("0.0.43", {"user_id", "token"}, str),
    ("0.0.44", {"user_id", "token"}, dict),
    ("0.0.50", {"user_id", "token"}, dict),
    ("0.0.51", {"user_id", "tokens"}, dict),
    ("0.2.24", {"user_id", "tokens"}, dict),
    ("0.3.0", {"user_id", "access_token"}, dict),
    ("0.8.0", {"user_id", "access_token"}, dict),
]


@pytest.mark.parametrize(
    ("release", "keys", "kind"), LOGIN_SHAPES, ids=[s[0] for s in LOGIN_SHAPES]
)
def test_the_login_answer_has_the_shape_of_its_release(
    serve: Serve, release: str, keys: set[str], kind: type
) -> None:
    server = serve(release)
    reply = request(server, "POST", "/users/login", {"username": "iggy", "password": "iggy"})
    assert reply.status == 200
    body = reply.json()
    assert set(body) == keys
    token = body.get("token", body.get("tokens", body.get("access_token")))
    assert isinstance(token, kind)


def test_0_0_44_answers_a_token_object_with_a_refresh_token(serve: Serve) -> None:
    body = request(
        serve("0.0.44"), "POST", "/users/login", {"username": "iggy", "password": "iggy"}
    )
    token = body.json()["token"]
    assert list(token) == ["access_token", "refresh_token", "expiry"]
    assert token["expiry"] == START_S + 3600
    assert len(base64.b64decode(token["refresh_token"])) == 50


def test_legacy_answers_access_and_refresh_tokens_with_expiries(serve: Serve) -> None:
    body = request(
        serve("0.2.24"), "POST", "/users/login", {"username": "iggy", "password": "iggy"}
    )
    assert body.json()["user_id"] == 1  # DEFAULT_ROOT_USER_ID was 1 up to server-0.5.0
    tokens = body.json()["tokens"]
    assert list(tokens) == ["access_token", "refresh_token"]
    assert tokens["access_token"]["expiry"] == START_S + 3600
    assert tokens["refresh_token"]["expiry"] == START_S + 86_400


@pytest.mark.parametrize(
    ("release", "root_id"), [("0.0.40", 1), ("0.4.140", 1), ("0.5.0", 1), ("0.6.0", 0)]
)
def test_the_root_user_id_is_1_up_to_0_5_0(serve: Serve, release: str, root_id: int) -> None:
    server = serve(release, users=[("alice", "wonder")])
    reply = request(server, "POST", "/users/login", {"username": "alice", "password": "wonder"})
    assert reply.json()["user_id"] == root_id + 1
    assert [user.id for user in server.state.users()] == [root_id, root_id + 1]


LOGIN_CHECKS = [
    ("0.2.24", "ab", "iggy", 400, error(43, "invalid_username", "Invalid username")),
    ("0.2.24", "ig/gy", "iggy", 400, error(43, "invalid_username", "Invalid username")),
    ("0.2.24", "iggy", "ig", 400, error(44, "invalid_password", "Invalid password")),
    ("0.2.24", "nobody", "iggy", 400, error(42, "invalid_credentials", "Invalid credentials")),
    ("0.2.24", "001", "iggy", 400, error(42, "invalid_credentials", "Invalid credentials")),
    ("0.4.140", "001", "iggy", 200, None),  # from 0.3.0 digits are a user id: root is 1
    ("0.4.140", "x" * 51, "iggy", 400, error(43, "invalid_username", "Invalid username")),
]


@pytest.mark.parametrize(
    ("release", "username", "password", "status", "expected"),
    LOGIN_CHECKS,
    ids=["short-name", "bad-char", "short-password", "unknown", "digits-are-a-name", "id", "51"],
)
def test_old_releases_check_the_login_body_first(
    serve: Serve,
    release: str,
    username: str,
    password: str,
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    server = serve(release)
    reply = request(server, "POST", "/users/login", {"username": username, "password": password})
    assert reply.status == status
    if expected is not None:
        assert reply.json() == expected


def test_jwts_of_0_0_42_never_expire_but_those_of_0_0_43_do(serve: Serve, clock: FakeClock) -> None:
    micros, seconds = serve("0.0.42"), serve("0.0.43")
    old, new = login(micros), login(seconds)
    clock.advance(2 * 3600)
    assert request(micros, "GET", "/personal-access-tokens", jwt=old).status == 200
    assert request(seconds, "GET", "/personal-access-tokens", jwt=new).status == 401


# ---- routes and auth ----


def test_0_0_40_serves_tokens_under_pat(serve: Serve) -> None:
    server = serve("0.0.40")
    jwt = login(server)
    token = mint(server, jwt, "deploy")
    assert listed(server, jwt) == [{"name": "deploy", "expiry": None}]
    assert pat_login(server, token).status == 200
    assert (
        request(server, "POST", "/pat/login", raw=b"{", content_type="application/json").status
        == 400
    )
    assert request(server, "GET", "/personal-access-tokens", jwt=jwt).status == 404
    assert request(server, "DELETE", "/pat/deploy", jwt=jwt).status == 204


@pytest.mark.parametrize(
    ("release", "method", "path", "with_jwt", "status"),
    [
        ("0.2.24", "GET", "/nope", False, 401),
        ("0.2.24", "GET", "/nope", True, 404),
        ("0.2.24", "PUT", "/personal-access-tokens", False, 401),
        ("0.2.24", "PUT", "/personal-access-tokens", True, 405),
        ("0.0.42", "POST", "/users/refresh-token", False, 401),  # not public before 0.0.44
        ("0.0.42", "POST", "/users/refresh-token", True, 405),  # only GET /users/{id}
        ("0.0.40", "GET", "/metrics", False, 401),  # public from 0.0.43
        ("0.0.43", "GET", "/metrics", False, 404),
        ("0.4.100", "GET", "/stats", False, 404),  # public from 0.4.80 to 0.6.x
        ("0.4.50", "GET", "/stats", False, 401),
    ],
)
def test_the_jwt_middleware_runs_before_routing(
    serve: Serve, release: str, method: str, path: str, with_jwt: bool, status: int
) -> None:
    server = serve(release)
    reply = request(server, method, path, jwt=login(server) if with_jwt else None)
    assert (reply.status, reply.body) == (status, b"")


# ---- creating and listing ----


def test_first_and_legacy_take_seconds_and_list_microseconds_under_expiry(serve: Serve) -> None:
    server = serve("0.2.24")
    jwt = login(server)
    for name, expiry in [("hour", 3600), ("most", U32_MAX), ("never", None), ("zero", 0)]:
        mint(server, jwt, name, expiry)
    reply = request(server, "POST", "/personal-access-tokens", {"name": "absent"}, jwt=jwt)
    assert reply.status == 200
    assert listed(server, jwt) == [
        {"name": "absent", "expiry": None},
        {"name": "hour", "expiry": START_US + 3600 * SECOND_US},
        {"name": "most", "expiry": START_US + U32_MAX * SECOND_US},
        {"name": "never", "expiry": None},
        {"name": "zero", "expiry": START_US},
    ]


@pytest.mark.parametrize("expiry", [U32_MAX + 1, NEVER, -1, "1h"])
def test_legacy_refuses_an_expiry_beyond_u32_seconds_with_422(serve: Serve, expiry: Any) -> None:
    server = serve("0.2.24")
    jwt = login(server)
    reply = create(server, jwt, "big", expiry)
    assert reply.status == 422
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert listed(server, jwt) == []


def test_legacy_zero_expires_once_the_clock_moves(serve: Serve, clock: FakeClock) -> None:
    server = serve("0.2.24")
    token = mint(server, login(server), "zero", 0)
    assert pat_login(server, token).status == 200  # now > expiry is false at the same µs
    clock.advance(1e-6)
    reason = "Personal access token: zero for user with ID: 1 has expired."
    expected = error(54, "personal_access_token_expired", reason)
    reply = pat_login(server, token)
    assert (reply.status, reply.json()) == (400, expected)


def test_renaming_lists_expiry_at_in_microseconds(serve: Serve, clock: FakeClock) -> None:
    server = serve("0.4.140")
    jwt = login(server)
    token = mint(server, jwt, "short", SECOND_US)
    assert listed(server, jwt) == [{"name": "short", "expiry_at": START_US + SECOND_US}]
    clock.advance(1)
    assert pat_login(server, token).status == 400  # expiry_at <= now from 0.3.0


NORMALIZING = ["0.0.40", "0.2.24", "0.4.140"]


@pytest.mark.parametrize("release", NORMALIZING)
def test_old_releases_store_a_normalized_name(serve: Serve, release: str) -> None:
    server = serve(release)
    jwt = login(server)
    prefix = f"/{server.dialect.pat_prefix}"
    mint(server, jwt, "Deploy  Key")
    field = "expiry" if release != "0.4.140" else "expiry_at"
    assert listed(server, jwt) == [{"name": "deploy.key", field: None}]
    duplicate = create(server, jwt, " DEPLOY key ")
    assert (duplicate.status, duplicate.json()["id"]) == (400, 51)
    assert "deploy.key" in duplicate.json()["reason"]
    assert request(server, "DELETE", f"{prefix}/DEPLOY%20%20KEY", jwt=jwt).status == 204
    assert listed(server, jwt) == []


@pytest.mark.parametrize("release", NORMALIZING)
def test_old_releases_refuse_names_outside_the_pattern(serve: Serve, release: str) -> None:
    server = serve(release)
    jwt = login(server)
    reply = create(server, jwt, "team/ci")
    assert (reply.status, reply.json()["id"]) == (400, 50)


def test_stable_keeps_the_name_as_given(serve: Serve) -> None:
    server = serve("0.4.150")
    jwt = login(server)
    mint(server, jwt, "Deploy Key/1")
    assert listed(server, jwt) == [{"name": "Deploy Key/1", "expiry_at": None}]


def test_0_0_40_names_its_errors_pat(serve: Serve) -> None:
    server = serve("0.0.40")
    jwt = login(server)
    mint(server, jwt, "dup")
    assert create(server, jwt, "x").json() == error(50, "invalid_pat_name", "Invalid PAT name")
    reason = "PAT: dup for user with ID: 1 already exists"
    assert create(server, jwt, "dup").json() == error(51, "pat_already_exists", reason)
    assert pat_login(server, "").json() == error(53, "invalid_pat", "Invalid PAT")


def test_0_0_41_puts_the_duplicate_on_the_name_field(serve: Serve) -> None:
    server = serve("0.0.41")
    jwt = login(server)
    mint(server, jwt, "dup")
    assert create(server, jwt, "dup").json()["field"] == "name"


def test_the_limit_reason_of_legacy(serve: Serve) -> None:
    server = serve("0.2.24", max_tokens_per_user=1)
    jwt = login(server)
    mint(server, jwt, "only")
    reason = "User with ID: 1 has reached the maximum number of personal access tokens: 1"
    reply = create(server, jwt, "second")
    assert (reply.status, reply.json()) == (
        400,
        error(52, "personal_access_tokens_limit_reached", reason),
    )


# ---- deleting and unknown tokens ----


MISSING_NAMES = [
    ("0.0.40", 21, "cannot_load_resource", "Cannot load resource with key: pat:user:1:ghost"),
    (
        "0.0.45",
        21,
        "cannot_load_resource",
        "Cannot load resource with key: personal_access_token:user:1:ghost",
    ),
    (
        "0.2.24",
        20,
        "resource_not_found",
        "Resource with key: personal_access_token:user:1:ghost was not found.",
    ),
    ("0.4.140", 20, "resource_not_found", "Resource with key: ghost was not found."),
]


@pytest.mark.parametrize(
    ("release", "error_id", "code", "reason"), MISSING_NAMES, ids=[m[0] for m in MISSING_NAMES]
)
def test_deleting_an_unknown_name_is_404(
    serve: Serve, release: str, error_id: int, code: str, reason: str
) -> None:
    server = serve(release)
    reply = request(server, "DELETE", f"/{server.dialect.pat_prefix}/GHOST", jwt=login(server))
    assert (reply.status, reply.json()) == (404, error(error_id, code, reason))


def test_old_releases_delete_any_name_without_checking_it(serve: Serve) -> None:
    server = serve("0.2.24")
    reply = request(server, "DELETE", f"/personal-access-tokens/{'a' * 300}", jwt=login(server))
    assert (reply.status, reply.json()["id"]) == (404, 20)


def test_legacy_unknown_pat_login_names_a_hash_not_the_token(serve: Serve) -> None:
    server = serve("0.2.24")
    unknown = base64.b64encode(os.urandom(50)).decode()
    reply = pat_login(server, unknown)
    key = f"personal_access_token:token:{hash_token(unknown)}"
    assert (reply.status, reply.json()) == (
        404,
        error(20, "resource_not_found", f"Resource with key: {key} was not found."),
    )
    assert unknown not in reply.body.decode()


def test_renaming_unknown_pat_login_echoes_the_token(serve: Serve) -> None:
    server = serve("0.4.140")
    unknown = base64.b64encode(os.urandom(50)).decode()
    assert unknown in pat_login(server, unknown).json()["reason"]


@pytest.mark.parametrize(
    ("release", "token", "status"),
    [("0.2.24", "", 400), ("0.2.24", "t" * 101, 400), ("0.4.100", "", 400), ("0.4.101", "", 401)],
)
def test_token_length_is_checked_with_53(
    serve: Serve, release: str, token: str, status: int
) -> None:
    reply = pat_login(serve(release), token)
    assert (reply.status, reply.json()["id"]) == (status, 53)


# ---- logout and refresh ----


def test_logout_is_a_post_with_a_json_body_up_to_0_2_16(serve: Serve) -> None:
    server = serve("0.2.16")
    jwt = login(server)
    assert request(server, "DELETE", "/users/logout", jwt=jwt).status == 405
    bare = request(server, "POST", "/users/logout", jwt=jwt, content_type=None)
    assert bare.status == 415
    reply = request(server, "POST", "/users/logout", {}, jwt=jwt)
    assert (reply.status, reply.body) == (204, b"")
    assert request(server, "GET", "/personal-access-tokens", jwt=jwt).status == 401


def test_logout_is_a_delete_from_0_2_17(serve: Serve) -> None:
    server = serve("0.2.17")
    jwt = login(server)
    assert request(server, "POST", "/users/logout", {}, jwt=jwt).status == 405
    assert request(server, "DELETE", "/users/logout", jwt=jwt).status == 204
    assert request(server, "GET", "/personal-access-tokens", jwt=jwt).status == 401


@pytest.mark.parametrize(("release", "after"), [("0.0.42", 200), ("0.0.43", 401)])
def test_logout_revokes_from_0_0_43(serve: Serve, release: str, after: int) -> None:
    server = serve(release)
    jwt = login(server)
    assert request(server, "POST", "/users/logout", {}, jwt=jwt).status == 204
    assert request(server, "GET", "/personal-access-tokens", jwt=jwt).status == after


def legacy_refresh(server: SandboxServer, token: str) -> Any:
    return request(server, "POST", "/users/refresh-token", {"refresh_token": token})


def test_legacy_refresh_takes_the_refresh_token_once(serve: Serve, clock: FakeClock) -> None:
    server = serve("0.2.24")
    first = request(server, "POST", "/users/login", {"username": "iggy", "password": "iggy"})
    old_jwt = access_token(first.json())
    refresh_token = first.json()["tokens"]["refresh_token"]["token"]
    reply = legacy_refresh(server, refresh_token)
    assert reply.status == 200
    assert set(reply.json()["tokens"]) == {"access_token", "refresh_token"}
    again = legacy_refresh(server, refresh_token)
    invalid = error(78, "invalid_refresh_token", "Invalid refresh token")
    assert (again.status, again.json()) == (400, invalid)
    assert request(server, "GET", "/personal-access-tokens", jwt=old_jwt).status == 200
    assert legacy_refresh(server, "").json() == invalid
    jwt_body = request(server, "POST", "/users/refresh-token", {"token": old_jwt})
    assert jwt_body.status == 422  # the field is refresh_token


def test_legacy_refresh_token_expires_after_a_day(serve: Serve, clock: FakeClock) -> None:
    server = serve("0.0.51")
    first = request(server, "POST", "/users/login", {"username": "iggy", "password": "iggy"})
    clock.advance(86_401)
    reply = legacy_refresh(server, first.json()["tokens"]["refresh_token"]["token"])
    expired = error(79, "refresh_token_expired", "Refresh token expired")
    assert (reply.status, reply.json()) == (400, expired)


@pytest.mark.parametrize(("release", "status"), [("0.4.100", 400), ("0.4.101", 401)])
def test_renaming_refresh_rejects_garbage_with_78(serve: Serve, release: str, status: int) -> None:
    reply = request(serve(release), "POST", "/users/refresh-token", {"token": "garbage"})
    assert (reply.status, reply.json()) == (
        status,
        error(78, "invalid_access_token", "Invalid access token"),
    )
