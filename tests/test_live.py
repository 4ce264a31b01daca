"""The contract test anyone can point at a real Iggy server: `make test-live`.

It runs iggy-cli's end-to-end flow (login, create, list, pat login, rotate, delete, logout,
expiry display, error cases) as a user runs it, in a child process, against the server named
by the tool's own variables: IGGY_URL, IGGY_USERNAME, IGGY_PASSWORD. Tokens are kept in a
private token file (`--store file`) under a temporary HOME, so the machine's keyring is never
touched. Every token it makes is named `live-<random>-...`, and the server's token list for
that user is the same afterwards as before: what is left of the run is deleted, then compared.
`iggy login` replaces a session token of that user's, so when one exists (Iggy's own CLI made
it, say) the login step is skipped, not run.

Not part of `make test` (CI has no Iggy server). `make test-live` sets IGGY_LIVE=1; without it
these tests skip, and with it a missing variable fails them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import Result

from iggy_cli.errors import IggyCliError
from iggy_cli.server.client import IggyClient
from iggy_cli.usecases.rotation_plan import is_stand_in

pytestmark = pytest.mark.live

BIN = Path(sys.executable).parent
SESSION = "iggy-cli-session"


@dataclass(frozen=True)
class Server:
    url: str
    username: str
    password: str

    def tokens(self) -> dict[str, int | None]:
        """The user's tokens as the server lists them: name -> expiry_at in microseconds."""
        with IggyClient(self.url, timeout=30) as client:
            client.login_with_password(self.username, self.password)
            try:
                return {token.name: token.expiry_at_us for token in client.list_tokens()}
            finally:
                client.logout()

    def delete(self, names: list[str]) -> None:
        with IggyClient(self.url, timeout=30) as client:
            client.login_with_password(self.username, self.password)
            try:
                for name in names:
                    client.delete_token(name)
            finally:
                client.logout()

    def accepts(self, token: str) -> bool:
        with IggyClient(self.url, timeout=30) as client:
            try:
                client.login_with_token(token)
            except IggyCliError:
                return False
            client.logout()
            return True


@pytest.fixture(scope="module")
def server() -> Server:
    if not os.environ.get("IGGY_LIVE"):
        pytest.skip("the live contract test runs with `make test-live` (IGGY_LIVE=1)")
    missing = [v for v in ("IGGY_URL", "IGGY_USERNAME", "IGGY_PASSWORD") if not os.environ.get(v)]
    if missing:
        pytest.fail(f"make test-live needs {', '.join(missing)}: the server and its user")
    return Server(os.environ["IGGY_URL"], os.environ["IGGY_USERNAME"], os.environ["IGGY_PASSWORD"])


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"live-{secrets.token_hex(3)}-"


@pytest.fixture(scope="module")
def as_found(server: Server, prefix: str) -> Iterator[dict[str, int | None]]:
    """The token list before the run; afterwards, what the run left is deleted and the list
    must be the same again."""
    before = server.tokens()
    yield before
    after = server.tokens()
    left = [
        name
        for name in after
        if name not in before and (name.startswith(prefix) or is_stand_in(name) or name == SESSION)
    ]
    if left:
        server.delete(left)
    assert server.tokens() == before
    assert not left, f"the run left tokens on the server (now deleted): {left}"


@pytest.fixture
def iggy(tmp_path: Path, server: Server) -> Iterator[object]:
    home = tmp_path / "home"
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "IGGY_URL": server.url,
        "IGGY_USERNAME": server.username,
        "IGGY_PASSWORD": server.password,
        "IGGY_STORE": "file",
    }
    for name in ("IGGY_CA_CERT", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy"):
        if name in os.environ:
            env[name] = os.environ[name]

    def run(*args: str, **extra: str | None) -> Result:
        """iggy-cli with the run's environment; a variable given None is left out."""
        merged = {**env, **extra}
        done = subprocess.run(
            [str(BIN / "iggy-cli"), *args],
            capture_output=True,
            text=True,
            env={name: value for name, value in merged.items() if value is not None},
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    yield run


def _utc(expiry_at_us: int) -> str:
    # to the minute, as the pat list table shows it (pat show and -o json carry the rest)
    return datetime.fromtimestamp(expiry_at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def test_tokens_from_create_to_delete(
    iggy: object, server: Server, prefix: str, as_found: dict[str, int | None]
) -> None:
    run = iggy
    assert callable(run)
    timed, never = prefix + "timed", prefix + "never"

    before = datetime.now(UTC)
    created = run("pat", "create", timed, "1h", "-o", "json")
    assert created.code == 0, created.stderr
    body = created.json
    assert isinstance(body, dict) and body["name"] == timed and body["stored"] is True
    on_server = server.tokens()[timed]
    assert isinstance(on_server, int)
    expires = datetime.fromtimestamp(on_server / 1_000_000, UTC)
    assert before + timedelta(minutes=59) < expires < datetime.now(UTC) + timedelta(minutes=61)

    assert run("pat", "create", never, "never").code == 0
    assert server.tokens()[never] is None

    # Expiry display: the server's own microseconds, in UTC, and "never".
    table = run("--utc", "pat", "list")
    assert table.code == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:]}
    assert _utc(on_server) in rows[timed]
    assert rows[never].split()[1:3] == ["never", "never"]
    listed = run("pat", "list", "-o", "json")
    assert listed.code == 0
    mine = {row["name"]: row for row in listed.json if row["name"].startswith(prefix)}  # type: ignore[attr-defined]
    assert mine[timed]["expiry_at_us"] == on_server and mine[timed]["expired"] is False
    assert mine[never]["expiry_at_us"] is None

    # Log in with a stored token, rotate it: the old secret stops working, the new one works.
    old = run("pat", "token", timed).stdout.strip()
    assert server.accepts(old)
    signed_in = run("pat", "login", timed, "-o", "json")
    assert signed_in.code == 0, signed_in.stderr
    assert signed_in.json["token_name"] == timed  # type: ignore[index]
    # Without a password in the environment, the adopted token is the credential.
    status = run("status", "-o", "json", IGGY_USERNAME=None, IGGY_PASSWORD=None)
    assert status.code == 0, status.stderr
    assert status.json["credential"]["kind"] == "session"  # type: ignore[index]
    rotated = run("pat", "rotate", timed, "-o", "json")
    assert rotated.code == 0, rotated.stderr
    new = run("pat", "token", timed).stdout.strip()
    assert new != old and server.accepts(new) and not server.accepts(old)
    assert run("logout").code == 0

    # Error cases, each with its documented exit code (errors.py).
    duplicate = run("pat", "create", never)
    assert duplicate.code == 3
    assert "error: server: " in duplicate.stderr and "(error 51, " in duplicate.stderr
    assert run("pat", "create", "ab").code == 2  # 3 to 30 bytes, checked before sending
    assert run("pat", "list", IGGY_PASSWORD=server.password + "-wrong").code == 4
    assert run("pat", "delete", prefix + "missing", "--yes").code == 5

    deleted = run("pat", "delete", timed, never, "--yes")
    assert deleted.code == 0, deleted.stderr
    assert not {timed, never} & set(server.tokens())


def test_login_and_logout(iggy: object, server: Server, as_found: dict[str, int | None]) -> None:
    run = iggy
    assert callable(run)
    if SESSION in as_found:
        pytest.skip(f"the user already has a {SESSION!r} token, which `iggy login` would replace")
    logged_in = run("login", "10m")
    assert logged_in.code == 0, logged_in.stderr
    session = server.tokens()[SESSION]
    assert isinstance(session, int)
    status = run("status", "-o", "json", IGGY_USERNAME=None, IGGY_PASSWORD=None)
    assert status.code == 0, status.stderr
    assert status.json["credential"]["kind"] == "session"  # type: ignore[index]
    assert status.json["session"]["token_name"] == SESSION  # type: ignore[index]
    assert status.json["session"]["expires_at"] is not None  # type: ignore[index]
    assert run("logout").code == 0
    assert SESSION not in server.tokens()
