"""The sandbox server against its contract, over real loopback sockets with http.client.

The expected texts are the real server's: reasons from core/common/src/error/iggy_error.rs,
statuses from core/server/src/http/error.rs and jwt/middleware.rs (stable, server-0.8.0) and
core/server/src/http/extractor.rs (edge), body rejections' statuses and content type from axum
0.8.9 (src/json.rs, extract/rejection.rs). iggy_cli/sandbox/accounts.py and http_server.py list the
remaining source files; the older generations are in test_sandbox_dialects.py.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers.sandbox_http import (
    HOUR_US,
    NEVER,
    SECOND_US,
    START_S,
    START_US,
    TOKENS,
    FakeClock,
    create,
    error,
    listed,
    login,
    mint,
    pat_login,
    refresh,
    request,
)

from iggy_cli.sandbox.accounts import hash_token
from iggy_cli.sandbox.http_server import SandboxServer, run_sandbox

DATA = "Failed to deserialize the JSON body into the target type: "
SYNTAX = "Failed to parse the request body as JSON: "
NO_JSON = "Expected request with `Content-Type: application/json`"


def strings_in(value: object, seen: set[int]) -> Iterator[str]:
    """Every str (and bytes, as latin-1) reachable from an object's attributes."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("latin-1")
    elif isinstance(value, dict):
        for item in value.items():
            yield from strings_in(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings_in(item, seen)
    else:
        slots = [name for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())]
        for name in [*slots, *getattr(value, "__dict__", {})]:
            yield from strings_in(getattr(value, name, None), seen)


NAME_ERROR = error(50, "invalid_personal_access_token_name", "Invalid personal access token name")
LIMIT_REASON = "User with ID: 0 has reached the maximum number of personal access tokens: 100"
LIMIT_ERROR = error(52, "personal_access_tokens_limit_reached", LIMIT_REASON)
CREDENTIALS_ERROR = error(42, "invalid_credentials", "Invalid credentials")
INVALID_PAT_ERROR = error(53, "invalid_personal_access_token", "Invalid personal access token")
MISSING_ERROR = error(77, "access_token_missing", "Access token is missing")
INVALID_JWT_ERROR = error(78, "invalid_access_token", "Invalid access token")
UNAUTHENTICATED_ERROR = error(40, "unauthenticated", "Unauthenticated")
EXPIRED_REASON = "Personal access token: short for user with ID: 0 has expired."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(clock: FakeClock) -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def start(edge: bool = False, **options: Any) -> SandboxServer:
        started.append(SandboxServer(port=0, edge=edge, clock=clock, **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def stable(serve: Callable[..., SandboxServer]) -> SandboxServer:
    return serve()


@pytest.fixture
def edge(serve: Callable[..., SandboxServer]) -> SandboxServer:
    return serve(edge=True)


# ---- basics ----


@pytest.mark.parametrize("flavour", [False, True], ids=["stable", "edge"])
def test_ping_answers_pong(serve: Callable[..., SandboxServer], flavour: bool) -> None:
    reply = request(serve(edge=flavour), "GET", "/ping")
    assert (reply.status, reply.body) == (200, b"pong")
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"


def test_url_has_the_bound_port(stable: SandboxServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", stable.url)


# ---- password login ----


def test_login_returns_identity_with_a_one_hour_jwt(stable: SandboxServer) -> None:
    reply = request(stable, "POST", "/users/login", {"username": "iggy", "password": "iggy"})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["user_id"] == 0
    assert reply.json()["access_token"]["expiry"] == START_S + 3600
    assert reply.json()["access_token"]["token"].count(".") == 2


@pytest.mark.parametrize(
    ("flavour", "username", "password", "status", "expected"),
    [
        (False, "iggy", "wrong", 400, CREDENTIALS_ERROR),
        (False, "nobody", "iggy", 400, CREDENTIALS_ERROR),
        (False, "", "iggy", 400, error(6, "invalid_identifier", "Invalid identifier")),
        (False, "0", "iggy", 200, None),
        (True, "iggy", "wrong", 400, CREDENTIALS_ERROR),
        (True, "0", "iggy", 400, CREDENTIALS_ERROR),
        (True, "iggy", "iggy", 200, None),
    ],
    ids=[
        "stable-wrong-password",
        "stable-unknown-user",
        "stable-empty-username",
        "stable-numeric-username-is-the-user-id",
        "edge-wrong-password",
        "edge-username-under-3-bytes",
        "edge-ok",
    ],
)
def test_login_outcomes(
    serve: Callable[..., SandboxServer],
    flavour: bool,
    username: str,
    password: str,
    status: int,
    expected: dict[str, Any] | None,
) -> None:
    server = serve(edge=flavour)
    reply = request(server, "POST", "/users/login", {"username": username, "password": password})
    assert reply.status == status
    if expected is not None:
        assert reply.json() == expected


# ---- creating and listing tokens ----


def test_created_token_is_68_chars_of_padded_base64_over_50_bytes(stable: SandboxServer) -> None:
    reply = create(stable, login(stable), "deploy")
    assert reply.status == 200
    assert list(reply.json()) == ["token"]
    token = reply.json()["token"]
    assert len(token) == 68
    assert token.endswith("=")
    assert len(base64.b64decode(token, validate=True)) == 50


def test_state_holds_only_the_hash_of_a_token(stable: SandboxServer) -> None:
    token = mint(stable, login(stable), "deploy")
    held = set(strings_in(stable.state, set()))
    assert {"deploy", hash_token(token)} <= held
    assert not [text for text in held if token in text]


def test_list_is_sorted_by_name_with_expiry_in_microseconds_or_null(stable: SandboxServer) -> None:
    jwt = login(stable)
    for name, expiry in [("zulu", NEVER), ("éclair", HOUR_US), ("alpha", 0), ("Mike", 1)]:
        mint(stable, jwt, name, expiry)
    assert listed(stable, jwt) == [
        {"name": "Mike", "expiry_at": START_US + 1},
        {"name": "alpha", "expiry_at": None},
        {"name": "zulu", "expiry_at": None},
        {"name": "éclair", "expiry_at": START_US + HOUR_US},
    ]


NAMES_REJECTED = ["ab", "a" * 31, "é" * 15 + "a", "€" * 10 + "a"]


@pytest.mark.parametrize(
    "name", NAMES_REJECTED, ids=["2-bytes", "31-bytes", "31-bytes-2-byte-chars", "31-bytes-euro"]
)
def test_name_outside_3_to_30_bytes_is_50(stable: SandboxServer, name: str) -> None:
    jwt = login(stable)
    reply = create(stable, jwt, name)
    assert (reply.status, reply.json()) == (400, NAME_ERROR)
    assert listed(stable, jwt) == []


NAMES_ACCEPTED = ["abc", "a" * 30, "é" * 15, "€" * 10]


@pytest.mark.parametrize(
    "name", NAMES_ACCEPTED, ids=["3-bytes", "30-bytes", "30-bytes-2-byte-chars", "30-bytes-euro"]
)
def test_name_of_3_to_30_bytes_is_accepted(stable: SandboxServer, name: str) -> None:
    jwt = login(stable)
    assert create(stable, jwt, name).status == 200
    assert listed(stable, jwt) == [{"name": name, "expiry_at": None}]


@pytest.mark.parametrize(
    ("flavour", "reason"),
    [
        (False, "Personal access token: dup for user with ID: 0 already exists"),
        (True, "Personal access token:  for user with ID: 0 already exists"),
    ],
    ids=["stable", "edge-reason-loses-its-values"],
)
def test_duplicate_name_is_51_on_the_name_field(
    serve: Callable[..., SandboxServer], flavour: bool, reason: str
) -> None:
    server = serve(edge=flavour)
    jwt = login(server)
    mint(server, jwt, "dup")
    reply = create(server, jwt, "dup")
    expected = error(51, "personal_access_token_already_exists", reason, "name")
    assert (reply.status, reply.json()) == (400, expected)


def test_the_101st_token_and_a_duplicate_at_the_limit_both_get_52(stable: SandboxServer) -> None:
    jwt = login(stable)
    for number in range(100):
        mint(stable, jwt, f"bulk-{number:03}")
    for name in ("bulk-100", "bulk-000"):
        reply = create(stable, jwt, name)
        assert (reply.status, reply.json()) == (400, LIMIT_ERROR)
    assert len(listed(stable, jwt)) == 100


def test_max_tokens_per_user_is_configurable(serve: Callable[..., SandboxServer]) -> None:
    server = serve(max_tokens_per_user=1)
    jwt = login(server)
    mint(server, jwt, "only")
    reply = create(server, jwt, "second")
    assert reply.json()["id"] == 52
    assert reply.json()["reason"].endswith("personal access tokens: 1")


def test_edge_refuses_an_expiry_that_wraps_into_the_past(edge: SandboxServer) -> None:
    reply = create(edge, login(edge), "wrap", expiry=NEVER - 1)
    expected = error(
        56, "invalid_personal_access_token_expiry", "Invalid personal access token expiry"
    )
    assert (reply.status, reply.json()) == (400, expected)


def test_stable_makes_an_already_expired_token_when_expiry_wraps(stable: SandboxServer) -> None:
    jwt = login(stable)
    token = mint(stable, jwt, "wrap", expiry=NEVER - 1)
    assert listed(stable, jwt) == [{"name": "wrap", "expiry_at": START_US - 2}]
    assert pat_login(stable, token).json()["id"] == 54


# ---- expiry and the cleaner ----


def test_expired_token_stays_listed_and_counted_until_the_cleaner_runs(
    stable: SandboxServer, clock: FakeClock
) -> None:
    jwt = login(stable)
    mint(stable, jwt, "short", expiry=SECOND_US)
    clock.advance(59)
    assert listed(stable, jwt) == [{"name": "short", "expiry_at": START_US + SECOND_US}]
    assert create(stable, jwt, "short").json()["id"] == 51
    clock.advance(1)  # 60 s after start: the cleaner's first pass
    assert listed(stable, jwt) == []
    assert create(stable, jwt, "short").status == 200


def test_cleaner_sweeps_as_of_its_last_tick(stable: SandboxServer, clock: FakeClock) -> None:
    jwt = login(stable)
    mint(stable, jwt, "late", expiry=61 * SECOND_US)  # expires 1 s after the tick at 60 s
    clock.advance(119)
    assert [token["name"] for token in listed(stable, jwt)] == ["late"]
    clock.advance(1)  # the tick at 120 s
    assert listed(stable, jwt) == []


def test_cleaner_interval_is_configurable(
    serve: Callable[..., SandboxServer], clock: FakeClock
) -> None:
    server = serve(cleaner_interval_s=2.0)
    jwt = login(server)
    mint(server, jwt, "short", expiry=SECOND_US)
    clock.advance(2)
    assert listed(server, jwt) == []


def test_jwt_expires_after_an_hour_plus_the_clock_skew(
    stable: SandboxServer, clock: FakeClock
) -> None:
    jwt = login(stable)
    clock.advance(3600 + 5)
    assert request(stable, "GET", TOKENS, jwt=jwt).status == 200
    clock.advance(1)
    reply = request(stable, "GET", TOKENS, jwt=jwt)
    assert (reply.status, reply.body) == (401, b"")


# ---- login with a PAT ----


@pytest.mark.parametrize("flavour", [False, True], ids=["stable", "edge"])
def test_pat_login_issues_a_working_jwt(serve: Callable[..., SandboxServer], flavour: bool) -> None:
    server = serve(edge=flavour)
    token = mint(server, login(server), "ci-bot")
    reply = pat_login(server, token)
    assert reply.status == 200
    assert reply.json()["user_id"] == 0
    assert listed(server, reply.json()["access_token"]["token"])[0]["name"] == "ci-bot"


def test_stable_unknown_pat_login_is_404_echoing_the_token(stable: SandboxServer) -> None:
    unknown = base64.b64encode(os.urandom(50)).decode()
    reply = pat_login(stable, unknown)
    expected = error(20, "resource_not_found", f"Resource with key: {unknown} was not found.")
    assert (reply.status, reply.json()) == (404, expected)


def test_edge_unknown_pat_login_is_401_53(edge: SandboxServer) -> None:
    reply = pat_login(edge, base64.b64encode(os.urandom(50)).decode())
    assert (reply.status, reply.json()) == (401, INVALID_PAT_ERROR)


@pytest.mark.parametrize(
    ("flavour", "status", "expected"),
    [
        (False, 400, error(54, "personal_access_token_expired", EXPIRED_REASON)),
        (True, 401, INVALID_PAT_ERROR),
    ],
    ids=["stable-54", "edge-53"],
)
def test_expired_pat_login(
    serve: Callable[..., SandboxServer],
    clock: FakeClock,
    flavour: bool,
    status: int,
    expected: dict[str, Any],
) -> None:
    server = serve(edge=flavour)
    token = mint(server, login(server), "short", expiry=SECOND_US)
    clock.advance(1)  # expiry_at == now already counts as expired
    reply = pat_login(server, token)
    assert (reply.status, reply.json()) == (status, expected)


# ---- bearer checks, logout, refresh ----


@pytest.mark.parametrize(
    ("flavour", "authorization", "expected"),
    [
        (False, None, None),
        (False, "Bearer nope", None),
        (False, "bearer {jwt}", None),
        (False, "{jwt}", None),
        (True, None, MISSING_ERROR),
        (True, "bearer {jwt}", MISSING_ERROR),
        (True, "Bearer nope", UNAUTHENTICATED_ERROR),
    ],
    ids=[
        "stable-missing",
        "stable-garbage",
        "stable-lowercase-scheme",
        "stable-no-scheme",
        "edge-missing",
        "edge-lowercase-scheme",
        "edge-garbage",
    ],
)
def test_missing_or_bad_bearer_is_401(
    serve: Callable[..., SandboxServer],
    flavour: bool,
    authorization: str | None,
    expected: dict[str, Any] | None,
) -> None:
    server = serve(edge=flavour)
    header = None if authorization is None else authorization.format(jwt=login(server))
    reply = request(server, "GET", TOKENS, authorization=header)
    assert reply.status == 401
    if expected is None:
        assert reply.body == b""  # stable's middleware answers a bare 401
    else:
        assert reply.json() == expected


def test_stable_logout_revokes_the_jwt(stable: SandboxServer) -> None:
    jwt = login(stable)
    reply = request(stable, "DELETE", "/users/logout", jwt=jwt)
    assert (reply.status, reply.body) == (204, b"")
    after = request(stable, "GET", TOKENS, jwt=jwt)
    assert (after.status, after.body) == (401, b"")
    assert refresh(stable, jwt).json() == INVALID_JWT_ERROR


def test_edge_logout_leaves_the_jwt_valid(edge: SandboxServer) -> None:
    jwt = login(edge)
    assert request(edge, "DELETE", "/users/logout", jwt=jwt).status == 204
    assert request(edge, "GET", TOKENS, jwt=jwt).status == 200


def test_stable_refresh_is_one_shot(stable: SandboxServer) -> None:
    old = login(stable)
    first = refresh(stable, old)
    assert first.status == 200
    new = first.json()["access_token"]["token"]
    assert new != old
    again = refresh(stable, old)
    assert (again.status, again.json()) == (401, INVALID_JWT_ERROR)
    assert request(stable, "GET", TOKENS, jwt=old).status == 401
    assert request(stable, "GET", TOKENS, jwt=new).status == 200


def test_edge_refresh_keeps_the_old_jwt(edge: SandboxServer) -> None:
    old = login(edge)
    assert refresh(edge, old).status == 200
    assert refresh(edge, old).status == 200
    assert request(edge, "GET", TOKENS, jwt=old).status == 200


@pytest.mark.parametrize(
    ("flavour", "token", "expected"),
    [
        (False, "", INVALID_JWT_ERROR),
        (False, "garbage", INVALID_JWT_ERROR),
        (False, "{forged}", UNAUTHENTICATED_ERROR),
        (True, "", UNAUTHENTICATED_ERROR),
        (True, "{forged}", UNAUTHENTICATED_ERROR),
    ],
    ids=["stable-empty", "stable-garbage", "stable-bad-signature", "edge-empty", "edge-forged"],
)
def test_refresh_rejects_bad_tokens(
    serve: Callable[..., SandboxServer], flavour: bool, token: str, expected: dict[str, Any]
) -> None:
    server = serve(edge=flavour)
    forged = login(server).rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    reply = refresh(server, token.format(forged=forged))
    assert (reply.status, reply.json()) == (401, expected)


# ---- deleting ----


@pytest.mark.parametrize(
    ("flavour", "reason"),
    [
        (False, "Resource with key: gone was not found."),
        (True, "Resource with key:  was not found."),
    ],
    ids=["stable", "edge-reason-loses-the-name"],
)
def test_delete_is_204_then_404(
    serve: Callable[..., SandboxServer], flavour: bool, reason: str
) -> None:
    server = serve(edge=flavour)
    jwt = login(server)
    mint(server, jwt, "gone")
    first = request(server, "DELETE", f"{TOKENS}/gone", jwt=jwt)
    assert (first.status, first.body) == (204, b"")
    second = request(server, "DELETE", f"{TOKENS}/gone", jwt=jwt)
    assert (second.status, second.json()) == (404, error(20, "resource_not_found", reason))


def test_delete_percent_decodes_the_name(stable: SandboxServer) -> None:
    jwt = login(stable)
    mint(stable, jwt, "team/ci é")
    path = f"{TOKENS}/{urllib.parse.quote('team/ci é', safe='')}"
    assert request(stable, "DELETE", path, jwt=jwt).status == 204
    assert listed(stable, jwt) == []


@pytest.mark.parametrize(
    ("segment", "status", "body"),
    [
        ("a" * 256, 400, json.dumps(NAME_ERROR, separators=(",", ":")).encode()),
        ("%FF", 400, b"Invalid URL: Invalid UTF-8 in `name`"),
        ("login", 405, b""),  # the literal /personal-access-tokens/login route wins
    ],
    ids=["256-bytes", "not-utf8", "named-login"],
)
def test_delete_rejections(stable: SandboxServer, segment: str, status: int, body: bytes) -> None:
    reply = request(stable, "DELETE", f"{TOKENS}/{segment}", jwt=login(stable))
    assert (reply.status, reply.body) == (status, body)


# ---- request bodies, as axum rejects them ----


OK_BODY = b'{"name":"abc","expiry":0}'
BODY_CASES = [
    pytest.param(None, OK_BODY, 415, NO_JSON, id="no-content-type"),
    pytest.param("text/plain", OK_BODY, 415, NO_JSON, id="text-plain"),
    pytest.param("application/json", b"", 400, SYNTAX, id="empty"),
    pytest.param("application/json", b"{", 400, SYNTAX, id="unclosed"),
    pytest.param("application/json", OK_BODY + b" x", 400, SYNTAX, id="trailing"),
    pytest.param("application/json", b'{"name":"abc","expiry":NaN}', 400, SYNTAX, id="nan"),
    pytest.param("application/json", b'{"name":"\\ud800","expiry":0}', 400, SYNTAX, id="surrogate"),
    pytest.param("application/json", b"\xff", 400, SYNTAX, id="not-utf8"),
    pytest.param("application/json", b'{"name":"abc","expiry":null}', 422, DATA, id="null-expiry"),
    pytest.param("application/json", b'{"name":"abc","expiry":"1h"}', 422, DATA, id="string"),
    pytest.param("application/json", b'{"name":"abc","expiry":-1}', 422, DATA, id="negative"),
    pytest.param("application/json", b'{"name":"abc","expiry":1.5}', 422, DATA, id="float"),
    pytest.param("application/json", b'{"name":"abc","expiry":1.0}', 422, DATA, id="float-1.0"),
    pytest.param("application/json", b'{"name":"abc","expiry":true}', 422, DATA, id="bool"),
    pytest.param(
        "application/json", b'{"name":"abc","expiry":18446744073709551616}', 422, DATA, id="2^64"
    ),
    pytest.param("application/json", b'{"name":"abc"}', 422, DATA, id="missing-expiry"),
    pytest.param("application/json", b'{"name":5,"expiry":0}', 422, DATA, id="name-not-str"),
    pytest.param("application/json", b'["abc", 0]', 422, DATA, id="array"),
    pytest.param(
        "application/json", b'{"name":"abc","name":"abd","expiry":0}', 422, DATA, id="duplicate"
    ),
]


@pytest.mark.parametrize(("content_type", "raw", "status", "prefix"), BODY_CASES)
def test_body_rejections_are_axum_plain_text(
    stable: SandboxServer, content_type: str | None, raw: bytes, status: int, prefix: str
) -> None:
    jwt = login(stable)
    reply = request(stable, "POST", TOKENS, raw=raw, jwt=jwt, content_type=content_type)
    assert reply.status == status
    assert reply.body.decode().startswith(prefix)
    assert len(reply.body) < 200  # short texts, one line
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert listed(stable, jwt) == []


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.iggy+json"]
)
def test_json_content_type_variants_are_accepted(stable: SandboxServer, content_type: str) -> None:
    body = b'{"name":"abc","expiry":0,"unknown":[1,{"x":null}]}'
    reply = request(stable, "POST", TOKENS, raw=body, jwt=login(stable), content_type=content_type)
    assert reply.status == 200


def test_login_body_is_checked_without_a_bearer(stable: SandboxServer) -> None:
    reply = request(stable, "POST", "/users/login", raw=b"{}", content_type="text/plain")
    assert (reply.status, reply.body.decode()) == (415, NO_JSON)


# ---- edge extras and routing ----


def test_edge_accepts_a_raw_pat_as_bearer(edge: SandboxServer) -> None:
    token = mint(edge, login(edge), "bearer")
    assert listed(edge, token) == [{"name": "bearer", "expiry_at": None}]


def test_edge_refuses_an_expired_raw_pat_as_bearer(edge: SandboxServer, clock: FakeClock) -> None:
    token = mint(edge, login(edge), "short", expiry=SECOND_US)
    clock.advance(1)
    reply = request(edge, "GET", TOKENS, jwt=token)
    assert (reply.status, reply.json()) == (401, UNAUTHENTICATED_ERROR)


def test_stable_refuses_a_raw_pat_as_bearer(stable: SandboxServer) -> None:
    token = mint(stable, login(stable), "bearer")
    reply = request(stable, "GET", TOKENS, jwt=token)
    assert (reply.status, reply.body) == (401, b"")


def test_edge_users_me_is_the_caller(edge: SandboxServer) -> None:
    reply = request(edge, "GET", "/users/me", jwt=mint(edge, login(edge), "whoami"))
    assert reply.status == 200
    user = reply.json()
    assert (user["id"], user["username"], user["status"], user["options"]) == (
        0,
        "iggy",
        "active",
        {},
    )
    assert user["created_at"] == START_US
    assert user["permissions"]["global"]["manage_users"] is True


def test_stable_users_me_is_a_json_404(stable: SandboxServer) -> None:
    reply = request(stable, "GET", "/users/me", jwt=login(stable))
    assert (reply.status, reply.json()) == (404, error(404, "not_found", "Resource not found"))


@pytest.mark.parametrize(
    ("flavour", "method", "path", "authenticated", "status", "allow"),
    [
        (False, "GET", "/nope", False, 401, None),
        (False, "GET", "/nope", True, 404, None),
        (True, "GET", "/nope", False, 404, None),
        (False, "GET", "/users/login", False, 405, "POST"),
        (False, "PUT", TOKENS, True, 405, "GET,HEAD,POST"),
        (True, "PUT", TOKENS, False, 405, "GET,HEAD,POST"),
    ],
    ids=[
        "stable-unknown-route-needs-a-bearer-first",
        "stable-unknown-route",
        "edge-unknown-route",
        "stable-wrong-method-on-public-route",
        "stable-wrong-method",
        "edge-wrong-method",
    ],
)
def test_routing_errors_have_empty_bodies(
    serve: Callable[..., SandboxServer],
    flavour: bool,
    method: str,
    path: str,
    authenticated: bool,
    status: int,
    allow: str | None,
) -> None:
    server = serve(edge=flavour)
    reply = request(server, method, path, jwt=login(server) if authenticated else None)
    assert (reply.status, reply.body) == (status, b"")
    assert reply.headers.get("allow") == allow


# ---- the foreground runner and its log ----


def test_stop_drops_keep_alive_connections(clock: FakeClock) -> None:
    # Otherwise a client keeps reaching the stopped instance, and its old JWT secret.
    server = SandboxServer(port=0, clock=clock).start()
    url = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        connection.request("GET", "/ping")
        assert connection.getresponse().read() == b"pong"
        server.stop()
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            connection.request("GET", "/ping")
            connection.getresponse().read()
    finally:
        connection.close()


def test_access_log_has_method_path_status_and_never_the_token(clock: FakeClock) -> None:
    lines: list[str] = []
    with SandboxServer(port=0, clock=clock, access_log=lines.append).start() as server:
        token = mint(server, login(server), "logged")
        request(server, "GET", "/nope")
    assert lines == ["POST /users/login 200", "POST /personal-access-tokens 200", "GET /nope 401"]
    assert not [line for line in lines if token in line]


def test_run_sandbox_prints_a_banner_and_stops_on_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: SandboxServer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SandboxServer, "serve_forever", interrupted)
    lines: list[str] = []
    run_sandbox("127.0.0.1", 0, "root", "s3cret", lines.append, dialect="edge")
    assert len(lines) == 1
    banner = (
        r"Iggy sandbox \(edge\) listening on http://127\.0\.0\.1:(\d+) — "
        r'user "root" \(password "s3cret"\)'
    )
    found = re.fullmatch(banner, lines[0])
    assert found is not None
    SandboxServer(port=int(found.group(1))).stop()  # the port was released


def test_run_sandbox_names_the_release_and_the_users(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: SandboxServer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SandboxServer, "serve_forever", interrupted)
    lines: list[str] = []
    users = [("alice", "pw1"), ("bob", "pw2")]
    run_sandbox("127.0.0.1", 0, "iggy", "x", lines.append, server_version="0.2.16", users=users)
    assert re.fullmatch(
        r"Iggy sandbox \(legacy 0\.2\.16\) listening on http://127\.0\.0\.1:\d+ — "
        r'users "iggy" \(password "x"\), "alice" \(password "pw1"\), "bob" \(password "pw2"\)',
        lines[0],
    )


def test_run_sandbox_raises_oserror_when_the_port_is_taken(stable: SandboxServer) -> None:
    port = urllib.parse.urlsplit(stable.url).port
    assert port is not None
    lines: list[str] = []
    with pytest.raises(OSError):
        run_sandbox("127.0.0.1", port, "iggy", "iggy", lines.append)
    assert lines == []
