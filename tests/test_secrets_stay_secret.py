"""No 16 consecutive characters of any secret reach any output, whatever a server, a keyring
or a crash puts in a message. Each fault comes from outside the code under test: a sandbox
that echoes the token, the password or the bearer back in its error bodies, a keyring whose
error quotes the secret, a server that hands out a JWT no header can carry. The console
script runs each case, plain and with -v."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import Cli
from helpers.leaks import assert_no_secret_in
from helpers.servers import new_sandbox, server_tokens

from iggy_cli.sandbox.faults import RecordedRequest
from iggy_cli.sandbox.http_server import SandboxServer

PASSWORD = "correct-horse-battery-staple-42"
PAT_LOGIN = "/personal-access-tokens/login"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with new_sandbox(password=PASSWORD) as started:
        yield started


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if not line.startswith(("> ", "< "))]
    assert lines and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


# Offsets that put the secret across the 120-character cut of an error snippet (and across
# nothing, for the whole-secret case).
OFFSETS = [0, 40, 55, 80, 110, 119]


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "-v"])
def test_a_plain_text_400_echoing_the_token(
    tmp_path: Path, server: SandboxServer, offset: int, verbose: bool
) -> None:
    token = mint_token_as(server, "deploy")

    def echo(request: RecordedRequest) -> str:
        sent = json.loads(request.body)
        return "-" * offset + sent["token"] + " is not a valid token"

    server.answer_with("POST", PAT_LOGIN, 400, echo)
    cli = Cli(tmp_path, server.url)
    flags = ("-v",) if verbose else ()
    result = cli(*flags, "pat", "list", env={"IGGY_TOKEN": token})
    assert result.code == 3, result.stderr
    assert "server rejected the request (HTTP 400)" in one_error_line(result.stderr)
    assert_no_secret_in([token], result.stdout, result.stderr)


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "-v"])
def test_a_plain_text_400_echoing_the_password_and_the_bearer(
    tmp_path: Path, server: SandboxServer, offset: int, verbose: bool
) -> None:
    def echo(request: RecordedRequest) -> str:
        bearer = request.headers.get("authorization", "")
        return "-" * offset + f"{PASSWORD} was the password, {bearer} the bearer"

    server.answer_with("POST", "/personal-access-tokens", 400, echo)
    cli = Cli(tmp_path, server.url)
    flags = ("-v",) if verbose else ()
    env = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD}
    result = cli(*flags, "pat", "create", "deploy", env=env)
    assert result.code == 3, result.stderr
    assert "server rejected the request (HTTP 400)" in one_error_line(result.stderr)
    jwts = bearers(server)
    assert_no_secret_in([PASSWORD, *jwts], result.stdout, result.stderr)


def bearers(server: SandboxServer) -> list[str]:
    """The JWTs the client sent (as the server recorded them)."""
    sent = [r.headers.get("authorization", "") for r in server.requests]
    jwts = [bearer.removeprefix("Bearer ") for bearer in sent if bearer]
    assert jwts and all(len(jwt) > 16 for jwt in jwts)
    return jwts


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "-v"])
def test_a_json_error_whose_reason_echoes_the_request(
    tmp_path: Path, server: SandboxServer, verbose: bool
) -> None:

    def echo(request: RecordedRequest) -> str:
        reason = f"cannot parse {request.body.decode()} " + "x" * 500
        return json.dumps({"id": 1, "code": "error", "reason": reason, "field": None})

    server.answer_with("POST", "/users/login", 400, echo, content_type="application/json")
    cli = Cli(tmp_path, server.url)
    flags = ("-v",) if verbose else ()
    env = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD}
    result = cli(*flags, "pat", "list", env=env)
    assert result.code == 3, result.stderr
    line = one_error_line(result.stderr)
    assert line.startswith('error: server: cannot parse {"username":"iggy","password":"***"}')
    assert len(line) < 600  # a reason is capped too
    assert_no_secret_in([PASSWORD], result.stdout, result.stderr)


def test_a_password_given_on_stdin_and_echoed_is_masked(
    tmp_path: Path, server: SandboxServer
) -> None:
    server.answer_with("POST", "/users/login", 400, lambda r: f"no: {r.body.decode()}")
    cli = Cli(tmp_path, server.url)
    result = cli("-u", "iggy", "--password-stdin", "pat", "list", input=PASSWORD + "\n")
    assert result.code == 3
    assert_no_secret_in([PASSWORD], result.stdout, result.stderr)


def test_a_keyring_error_quoting_the_token_is_masked(tmp_path: Path) -> None:
    with new_sandbox() as server:
        cli = Cli(tmp_path, server.url)
        env = {**cli.as_admin(), "PYTHON_KEYRING_BACKEND": "helpers.faulty_keyring.EchoingKeyring"}
        result = cli("pat", "create", "deploy", env=env, shows_token=True)
        assert list(server_tokens(server.url)) == ["deploy"]
    assert result.code == 7
    token = result.stdout.strip()
    assert len(token) == 68  # handed over on stdout, as a failed store always is
    line = one_error_line(result.stderr)
    assert "keyring write failed: PasswordSetError: cannot store '***' for deploy" in line
    assert_no_secret_in([token], result.stderr)


@pytest.mark.parametrize("broken", ["\n", "é"], ids=["newline", "non-ascii"])
def test_a_debug_traceback_never_shows_the_bearer(
    tmp_path: Path, server: SandboxServer, broken: str
) -> None:
    # A JWT no HTTP header can carry: the request fails inside the HTTP stack, whose error
    # once printed `Invalid header value b'Bearer eyJ...'` under --debug.
    head, tail = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0", "X.c2lnbmF0dXJlLXNpZ25hdHVy"
    jwt = head + broken + tail
    answer = {"user_id": 0, "access_token": {"token": jwt, "expiry": 2_000_000_000}}
    server.answer_with(
        "POST", "/users/login", 200, json.dumps(answer), content_type="application/json"
    )
    cli = Cli(tmp_path, server.url)
    env = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD}
    result = cli("--debug", "-v", "pat", "list", env=env)
    assert result.code != 0
    assert "error: " in result.stderr
    assert_no_secret_in([jwt, head, tail + "-------"], result.stdout, result.stderr)


def test_verbose_caps_a_huge_body(tmp_path: Path, server: SandboxServer) -> None:
    huge = "y" * 3_000_000  # under the 4 MiB cap on answers (transport.py)
    server.answer_with("GET", "/personal-access-tokens", 500, huge)
    cli = Cli(tmp_path, server.url)
    env = {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": PASSWORD}
    result = cli("-v", "pat", "list", env=env)
    assert result.code == 6
    assert len(result.stderr) < 10_000
    assert "… (3000000 bytes)" in result.stderr


def mint_token_as(server: SandboxServer, name: str) -> str:
    from iggy_cli.server.client import IggyClient

    with IggyClient(server.url, timeout=5) as client:
        client.login_with_password("iggy", PASSWORD)
        try:
            return client.create_token(name, 2**64 - 1).token
        finally:
            client.logout()
