"""The sandbox misbehaving on purpose (lost answers, canned answers, a busy edge server), what
it records of each request, and several users; all over loopback.

The edge 503 bodies are core/server/src/http/error.rs and core/common/src/error/iggy_error.rs at
tag server-0.9.0-edge.5 (TransientNotCommitted = 57, TransientNotAccepted = 58, Retry-After 1).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from helpers.sandbox_http import (
    NEVER,
    SECOND_US,
    TOKENS,
    create,
    error,
    listed,
    login,
    mint,
    request,
)

from iggy_cli.sandbox.http_server import SandboxServer

NOT_ACCEPTED = error(
    58, "transient_not_accepted", "Request transiently not accepted; retry, on any replica"
)
NOT_COMMITTED = error(57, "transient_not_committed", "Request transiently not committed; retry")


@pytest.fixture
def stable() -> Iterator[SandboxServer]:
    with SandboxServer(port=0).start() as server:
        yield server


@pytest.fixture
def edge() -> Iterator[SandboxServer]:
    with SandboxServer(port=0, dialect="edge").start() as server:
        yield server


def connect(server: SandboxServer) -> http.client.HTTPConnection:
    url = urllib.parse.urlsplit(server.url)
    return http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)


# ---- lost answers ----


def test_a_lost_answer_is_carried_out_and_the_connection_closed(stable: SandboxServer) -> None:
    jwt = login(stable)
    fault = stable.lose_answer("POST", TOKENS)
    with pytest.raises(http.client.RemoteDisconnected):
        create(stable, jwt, "lost")
    assert fault.remaining == 0
    assert [token["name"] for token in listed(stable, jwt)] == ["lost"]
    assert create(stable, jwt, "kept").status == 200  # the fault fired once


def test_skip_lets_the_first_matching_requests_through(stable: SandboxServer) -> None:
    jwt = login(stable)
    fault = stable.lose_answer("POST", TOKENS, skip=1)
    assert create(stable, jwt, "first").status == 200
    assert fault.remaining == 1
    with pytest.raises(http.client.RemoteDisconnected):
        create(stable, jwt, "second")
    assert fault.remaining == 0
    assert [token["name"] for token in listed(stable, jwt)] == ["first", "second"]


def test_a_held_answer_waits_until_the_client_gives_up(stable: SandboxServer) -> None:
    jwt = login(stable)
    stable.lose_answer("POST", TOKENS, mode="hold")
    connection = connect(stable)
    connection.timeout = 0.5
    with pytest.raises(TimeoutError):
        connection.request(
            "POST",
            TOKENS,
            body=b'{"name":"held","expiry":0}',
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {jwt}"},
        )
        connection.getresponse()
    connection.close()
    assert [token["name"] for token in listed(stable, jwt)] == ["held"]


def test_a_held_answer_is_released_when_the_server_stops() -> None:
    server = SandboxServer(port=0).start()
    server.lose_answer("GET", "/ping", mode="hold")
    outcome: list[BaseException] = []

    def ping() -> None:
        try:
            request(server, "GET", "/ping")
        except BaseException as raised:  # the exception is the outcome
            outcome.append(raised)

    thread = threading.Thread(target=ping)
    thread.start()
    while not server.requests:
        time.sleep(0.01)
    server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(
        outcome[0], http.client.RemoteDisconnected | ConnectionError
    )


@pytest.mark.parametrize(
    ("method", "pattern", "hit"),
    [
        ("DELETE", "/personal-access-tokens/*", True),
        ("*", "/personal-access-tokens/dep*", True),
        ("GET", "/personal-access-tokens/*", False),
        ("DELETE", "/personal-access-tokens", False),
    ],
)
def test_faults_match_by_method_and_path_pattern(
    stable: SandboxServer, method: str, pattern: str, hit: bool
) -> None:
    jwt = login(stable)
    mint(stable, jwt, "deploy")
    fault = stable.answer_with(method, pattern, 418, "teapot")
    reply = request(stable, "DELETE", f"{TOKENS}/deploy", jwt=jwt)
    assert (reply.status == 418) is hit
    assert fault.remaining == (0 if hit else 1)
    assert (listed(stable, jwt) == []) is not hit  # a canned answer changes nothing


# ---- canned answers ----


def test_a_canned_answer_can_echo_the_secrets_of_the_request(stable: SandboxServer) -> None:
    def echo(sent: Any) -> str:
        return f"bad request: {sent.json['username']}:{sent.json['password']}"

    stable.answer_with("POST", "/users/login", 400, echo, count=2)
    for _ in range(2):
        reply = request(stable, "POST", "/users/login", {"username": "iggy", "password": "s3cr3t"})
        assert (reply.status, reply.body) == (400, b"bad request: iggy:s3cr3t")
        assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert login(stable)  # the third login is handled


def test_a_canned_answer_sets_content_type_and_headers(stable: SandboxServer) -> None:
    stable.answer_with(
        "GET",
        "/ping",
        502,
        b"<html>Bad Gateway</html>",
        content_type="text/html",
        headers={"Server": "nginx", "X-Request-Id": "abc"},
    )
    reply = request(stable, "GET", "/ping")
    assert (reply.status, reply.body) == (502, b"<html>Bad Gateway</html>")
    assert (reply.headers["content-type"], reply.headers["x-request-id"]) == ("text/html", "abc")


def test_faults_are_served_first_armed_first_and_can_be_cleared(stable: SandboxServer) -> None:
    stable.answer_with("GET", "/ping", 500, "first")
    stable.answer_with("GET", "/ping", 501, "second")
    assert request(stable, "GET", "/ping").status == 500
    stable.clear_faults()
    assert request(stable, "GET", "/ping").status == 200


def test_a_fault_armed_for_n_requests_fires_exactly_n_times_under_races(
    stable: SandboxServer,
) -> None:
    fault = stable.answer_with("GET", "/ping", 503, "busy", count=25)
    statuses: list[int] = []
    lock = threading.Lock()

    def ping() -> None:
        status = request(stable, "GET", "/ping").status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=ping) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] * 35 + [503] * 25
    assert fault.remaining == 0


def test_a_fault_needs_a_positive_count(stable: SandboxServer) -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        stable.answer_with("GET", "/ping", 500, count=0)


# ---- edge under load ----


def test_a_busy_edge_server_answers_503_with_retry_after_and_does_nothing(
    edge: SandboxServer,
) -> None:
    jwt = login(edge)
    edge.busy(2)
    for _ in range(2):
        reply = create(edge, jwt, "deploy")
        assert (reply.status, reply.json()) == (503, NOT_ACCEPTED)
        assert reply.headers["retry-after"] == "1"
    assert listed(edge, jwt) == []  # the third request is served


def test_ping_never_reports_busy(edge: SandboxServer) -> None:
    edge.busy(1)
    assert request(edge, "GET", "/ping").status == 200
    assert request(edge, "GET", TOKENS).status == 503


def test_an_uncommitted_create_makes_the_token_but_loses_its_secret() -> None:
    minted: list[str] = []
    with SandboxServer(port=0, edge=True, on_token_minted=minted.append).start() as server:
        jwt = login(server)
        server.create_not_committed()
        reply = create(server, jwt, "deploy")
        assert (reply.status, reply.json()) == (503, NOT_COMMITTED)
        assert reply.headers["retry-after"] == "1"
        assert len(minted) == 1 and minted[0].encode() not in reply.body
        assert listed(server, jwt) == [{"name": "deploy", "expiry_at": None}]
        again = create(server, jwt, "deploy")
        assert (again.status, again.json()["id"]) == (400, 51)


@pytest.mark.parametrize("dialect", ["stable", "legacy"])
def test_only_edge_answers_503s(dialect: str) -> None:
    with SandboxServer(port=0, dialect=dialect) as server:
        with pytest.raises(ValueError, match="only an edge server"):
            server.busy(1)
        with pytest.raises(ValueError, match="only an edge server"):
            server.create_not_committed()


# ---- recording ----


def test_requests_are_recorded_with_their_parsed_bodies(stable: SandboxServer) -> None:
    jwt = login(stable)
    create(stable, jwt, "deploy", 3600 * SECOND_US)
    request(stable, "DELETE", f"{TOKENS}/team%2Fci?x=1", jwt=jwt)
    sent = stable.requests
    assert [(r.method, r.path, r.query) for r in sent] == [
        ("POST", "/users/login", ""),
        ("POST", TOKENS, ""),
        ("DELETE", f"{TOKENS}/team%2Fci", "x=1"),
    ]
    assert sent[1].json == {"name": "deploy", "expiry": 3600 * SECOND_US}
    assert sent[1].headers["authorization"] == f"Bearer {jwt}"
    assert sent[2].json is None and sent[2].body == b""


def test_a_recorded_request_keeps_its_secrets_out_of_repr(stable: SandboxServer) -> None:
    request(stable, "POST", "/users/login", {"username": "iggy", "password": "hunter2"})
    assert "hunter2" not in repr(stable.requests)
    stable.clear_requests()
    assert stable.requests == []


def test_a_legacy_create_is_recorded_in_seconds() -> None:
    with SandboxServer(port=0, dialect="legacy").start() as server:
        jwt = login(server)
        mint(server, jwt, "deploy", 3600)
        assert server.requests[-1].json == {"name": "deploy", "expiry": 3600}


def test_requests_answered_by_faults_are_recorded_too(stable: SandboxServer) -> None:
    stable.answer_with("GET", "/ping", 500)
    request(stable, "GET", "/ping")
    assert [(r.method, r.path) for r in stable.requests] == [("GET", "/ping")]


# ---- several users ----


def test_each_user_has_their_own_tokens() -> None:
    users = [("alice", "wonder"), ("bob", "builder")]
    with SandboxServer(port=0, users=users).start() as server:
        root, alice, bob = login(server), login(server, *users[0]), login(server, *users[1])
        for jwt in (root, alice, bob):
            mint(server, jwt, "deploy", NEVER)
        mint(server, alice, "alice-only", NEVER)
        assert [t["name"] for t in listed(server, alice)] == ["alice-only", "deploy"]
        assert [t["name"] for t in listed(server, bob)] == ["deploy"]
        assert request(server, "DELETE", f"{TOKENS}/alice-only", jwt=bob).status == 404
        assert request(server, "DELETE", f"{TOKENS}/deploy", jwt=bob).status == 204
        assert [t["name"] for t in listed(server, root)] == ["deploy"]
        ids = [
            request(server, "POST", "/users/login", {"username": n, "password": p}).json()[
                "user_id"
            ]
            for n, p in [("iggy", "iggy"), *users]
        ]
        assert ids == [0, 1, 2]


def test_a_user_reads_only_themselves_unless_root() -> None:
    with SandboxServer(port=0, users=[("alice", "wonder")]).start() as server:
        alice = login(server, "alice", "wonder")
        assert request(server, "GET", "/users/1", jwt=alice).json()["permissions"] is None
        other = request(server, "GET", "/users/0", jwt=alice)
        assert (other.status, other.json()) == (403, error(41, "unauthorized", "Unauthorized"))
        assert request(server, "GET", "/users/alice", jwt=login(server)).status == 200


def test_a_user_named_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="user 'iggy' is given twice"):
        SandboxServer(port=0, users=[("iggy", "again")])


def test_token_names_are_unique_per_user_only() -> None:
    with SandboxServer(port=0, users=[("alice", "wonder")]).start() as server:
        root, alice = login(server), login(server, "alice", "wonder")
        mint(server, root, "deploy", NEVER)
        assert create(server, alice, "deploy").status == 200
        assert create(server, root, "deploy").json()["id"] == 51


# ---- the raw socket ----


def test_a_client_that_resets_mid_request_leaves_the_server_serving(
    stable: SandboxServer,
) -> None:
    url = urllib.parse.urlsplit(stable.url)
    for _ in range(5):
        raw = socket.create_connection((url.hostname, url.port), timeout=5)
        raw.sendall(b"POST /users/login HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        raw.close()  # RST
    assert request(stable, "GET", "/ping").status == 200
