"""The sandbox under load and hostile input: a real listen backlog, idle connections dropped,
absurd bodies refused unread, and `iggy sandbox`'s own argument checks.

The 413 limit is `[http] max_request_size = "2 MB"` (core/server/config.toml, server-0.8.0).
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator

import pytest
from helpers.cli import BIN
from helpers.sandbox_http import request

from iggy_cli.sandbox.http_server import SandboxServer

TOO_LARGE = b"Failed to buffer the request body: length limit exceeded"


def host_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes (bounded by the socket's timeout)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def sandbox_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`iggy sandbox --port 0` in the foreground, with the URL from its banner."""
    server = subprocess.Popen(
        [str(BIN / "iggy"), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", server.stdout.readline())
        assert found is not None
        yield server, found.group(1)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)


def test_200_concurrent_connections_to_iggy_sandbox_are_all_answered(
    sandbox_process: tuple[subprocess.Popen[str], str],
) -> None:
    server, url = sandbox_process
    host, port = host_port(url)
    connections = [http.client.HTTPConnection(host, port, timeout=30) for _ in range(200)]
    for connection in connections:
        connection.connect()  # all 200 are open before the first request
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(connections))

    def ping(connection: http.client.HTTPConnection) -> None:
        start.wait(timeout=30)
        connection.request("GET", "/ping")
        response = connection.getresponse()
        with lock:
            answers.append((response.status, response.read()))

    threads = [threading.Thread(target=ping, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for connection in connections:
        connection.close()
    assert answers == [(200, b"pong")] * 200
    server.send_signal(signal.SIGINT)
    _, log = server.communicate(timeout=30)
    assert server.returncode == 0
    assert log.count("GET /ping 200") == 200
    assert "Traceback" not in log


def test_an_absurd_content_length_is_413_unread_and_quiet(
    sandbox_process: tuple[subprocess.Popen[str], str],
) -> None:
    server, url = sandbox_process
    for length in (10**12, 10**40, 2_000_001):
        with socket.create_connection(host_port(url), timeout=10) as raw:
            raw.sendall(
                b"POST /users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n{" % length
            )
            answer = read_until_closed(raw)  # and the server closes: the body was never read
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert answer.endswith(b"\r\n\r\n" + TOO_LARGE)
    assert request_ok(url)
    server.send_signal(signal.SIGINT)
    _, log = server.communicate(timeout=30)
    assert log.splitlines() == ["POST /users/login 413"] * 3 + ["GET /ping 200"]


def request_ok(url: str) -> bool:
    connection = http.client.HTTPConnection(*host_port(url), timeout=10)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().read() == b"pong"
    finally:
        connection.close()


def test_a_body_at_the_limit_is_read() -> None:
    with SandboxServer(port=0, max_body_bytes=100).start() as server:
        at_limit = b'{"username":"iggy","password":"iggy"}'.ljust(100)
        assert request(server, "POST", "/users/login", raw=at_limit).status == 200
        over = request(server, "POST", "/users/login", raw=at_limit + b" ")
        assert (over.status, over.body) == (413, TOO_LARGE)


def test_a_chunked_body_over_the_limit_is_413() -> None:
    with (
        SandboxServer(port=0, max_body_bytes=10).start() as server,
        socket.create_connection(host_port(server.url), timeout=10) as raw,
    ):
        raw.sendall(
            b"POST /users/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"ffffffffffff\r\n{"
        )
        assert read_until_closed(raw).startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize("length", [b"-1", b"12abc", b"1e12"])
def test_a_content_length_that_is_not_a_number_is_400(length: bytes) -> None:
    with (
        SandboxServer(port=0).start() as server,
        socket.create_connection(host_port(server.url), timeout=10) as raw,
    ):
        raw.sendall(
            b"POST /users/login HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n"
        )
        assert read_until_closed(raw).startswith(b"HTTP/1.1 400 ")


def test_the_listen_backlog_holds_200_connections_before_any_accept() -> None:
    # Bound and listening but not serving: only the kernel's accept queue answers. With
    # socketserver's default backlog of 5, connections past the sixth would hang in SYN_SENT.
    server = SandboxServer(port=0)
    address = host_port(server.url)
    pending = []
    try:
        for _ in range(200):
            pending.append(socket.create_connection(address, timeout=10))
        server.start()
        for raw in pending:
            raw.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for raw in pending:
            assert read_until_closed(raw).endswith(b"\r\n\r\npong")
    finally:
        for raw in pending:
            raw.close()
        server.stop()


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /ping HTTP/1.1\r\nHost: x\r\n", b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"],
    ids=["nothing", "half-a-request", "keep-alive-after-a-request"],
)
def test_an_idle_connection_is_dropped(sent: bytes) -> None:
    with SandboxServer(port=0, idle_timeout_s=0.2).start() as server:
        with socket.create_connection(host_port(server.url), timeout=30) as raw:
            raw.sendall(sent)
            received = read_until_closed(raw)  # returns once the server hangs up
        assert received.endswith(b"pong") == sent.endswith(b"\r\n\r\n")
        assert request(server, "GET", "/ping").status == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "70000"), "error: --port must be between 0 and 65535, not 70000"),
        (("--port", "-1"), "error: --port must be between 0 and 65535, not -1"),
        (
            ("--dialect", "ancient"),
            "error: unknown dialect 'ancient': choose one of first, legacy, renaming, stable, edge",
        ),
        (
            ("--dialect", "legacy", "--server-version", "0.4.0"),
            "error: release 0.4.0 belongs to the renaming dialect, not legacy",
        ),
        (("--edge", "--dialect", "legacy"), "error: --edge contradicts --dialect legacy"),
        (("--busy", "1"), "error: --busy and --create-not-committed need an edge server (--edge)"),
        (("--user", "alice"), "error: expected NAME:PASSWORD, got 'alice' without one"),
        (("--user", "iggy:x"), "error: user 'iggy' is given twice"),
    ],
)
def test_bad_sandbox_arguments_are_one_line_usage_errors(
    args: tuple[str, ...], message: str
) -> None:
    done = subprocess.run(
        [str(BIN / "iggy"), "sandbox", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n")


def start_sandbox(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    server = subprocess.Popen(
        [str(BIN / "iggy"), "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    banner = server.stdout.readline()
    found = re.search(r"listening on (http://\S+)", banner)
    assert found is not None, banner
    return server, banner, found.group(1)


def call(
    url: str, method: str, path: str, body: object = None, jwt: str | None = None
) -> tuple[int, object]:
    headers = {"Content-Type": "application/json"}
    if jwt is not None:
        headers["Authorization"] = f"Bearer {jwt}"
    connection = http.client.HTTPConnection(*host_port(url), timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        return answer.status, json.loads(payload) if payload else None
    finally:
        connection.close()


def stop(server: subprocess.Popen[str]) -> str:
    server.send_signal(signal.SIGINT)
    _, log = server.communicate(timeout=30)
    assert server.returncode == 0
    return log


def test_iggy_sandbox_plays_a_legacy_release_with_more_users() -> None:
    server, banner, url = start_sandbox("--server-version", "0.2.16", "--user", "alice:pa:ss")
    try:
        assert banner.startswith("Iggy sandbox (legacy 0.2.16) listening on http://127.0.0.1:")
        assert banner.rstrip().endswith(
            '— users "iggy" (password "iggy"), "alice" (password "pa:ss")'
        )
        status, body = call(url, "POST", "/users/login", {"username": "alice", "password": "pa:ss"})
        assert status == 200 and isinstance(body, dict)
        assert (body["user_id"], sorted(body)) == (2, ["tokens", "user_id"])
    finally:
        log = stop(server)
    assert "pa:ss" not in log


def test_iggy_sandbox_edge_can_be_busy_and_lose_a_create() -> None:
    server, _, url = start_sandbox("--edge", "--busy", "1", "--create-not-committed", "1")
    try:
        credentials = {"username": "iggy", "password": "iggy"}
        status, body = call(url, "POST", "/users/login", credentials)
        assert (status, body) == (
            503,
            {
                "id": 58,
                "code": "transient_not_accepted",
                "reason": "Request transiently not accepted; retry, on any replica",
                "field": None,
            },
        )
        status, body = call(url, "POST", "/users/login", credentials)
        assert status == 200 and isinstance(body, dict)
        jwt = body["access_token"]["token"]
        status, body = call(
            url, "POST", "/personal-access-tokens", {"name": "demo", "expiry": 0}, jwt
        )
        assert status == 503 and isinstance(body, dict) and body["id"] == 57
        assert call(url, "GET", "/personal-access-tokens", jwt=jwt) == (
            200,
            [{"name": "demo", "expiry_at": None}],
        )
    finally:
        stop(server)
