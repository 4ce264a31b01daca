"""Fixtures: a sandbox server per test on a free loopback port, and the `iggy` console script
run in a child process with a keyring the tests install (never the developer's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iggy_cli.sandbox.http_server import SandboxServer

BIN = Path(sys.executable).parent
SUPPORT = Path(__file__).parent / "support"
PLAINTEXT_BACKEND = "iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring"

# For the suite-wide leak scan: every raw token any sandbox minted, and every CLI run's output.
MINTED: set[str] = set()
RUNS: list[tuple[tuple[str, ...], Result, bool]] = []


def new_sandbox(**options: Any) -> SandboxServer:
    """A started sandbox on a free loopback port that reports its minted tokens to the scan."""
    return SandboxServer(host="127.0.0.1", port=0, on_token_minted=MINTED.add, **options).start()


@pytest.fixture(scope="session", autouse=True)
def no_token_leaks() -> Iterator[None]:
    """After the whole suite: no 16 consecutive characters of any minted token appeared in any
    output of a CLI run, except on stdout of a run that asked for the token (shows_token=True:
    --no-store, a failed store). Sixteen, because a server may echo part of a token, or a cut
    may slice one (support/leaks.py)."""
    yield
    from leaks import leaked, windows

    pieces = windows(MINTED)
    leaks = []
    for args, result, shows_token in RUNS:
        for where, text in (("stderr", result.stderr), ("stdout", result.stdout)):
            if where == "stdout" and shows_token:
                continue
            found = leaked(text, pieces)
            if found:
                leaks.append(
                    f"iggy {' '.join(args)} -> {len(found)} piece(s) of a token on {where}"
                )
    assert not leaks, "raw tokens leaked:\n" + "\n".join(leaks)


@pytest.fixture
def access_log() -> list[str]:
    """The sandbox's request lines, such as `DELETE /users/logout 204`."""
    return []


@pytest.fixture
def sandbox(access_log: list[str]) -> Iterator[SandboxServer]:
    with new_sandbox(access_log=access_log.append) as server:
        yield server


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> object:
        return json.loads(self.stdout)


class Cli:
    """Runs the installed console script with a clean, test-owned environment."""

    def __init__(self, home: Path, url: str) -> None:
        self.home = home
        self.keyring_file = home / "keyring.json"
        self.env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "IGGY_URL": url,
            "PYTHON_KEYRING_BACKEND": PLAINTEXT_BACKEND,
            "IGGY_PLAINTEXT_KEYRING_FILE": str(self.keyring_file),
            "PYTHONPATH": str(SUPPORT),
        }

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
        shows_token: bool = False,
    ) -> Result:
        merged = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        done = subprocess.run(
            [str(BIN / "iggy"), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=merged,
            timeout=60,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        RUNS.append((args, result, shows_token))
        return result

    def keyring(self) -> dict[str, dict[str, str]]:
        if not self.keyring_file.exists():
            return {}
        entries: dict[str, dict[str, str]] = json.loads(self.keyring_file.read_text())
        return {service: users for service, users in entries.items() if users}

    def as_admin(self) -> dict[str, str | None]:
        return {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}


@pytest.fixture
def cli(tmp_path: Path, sandbox: SandboxServer) -> Cli:
    return Cli(tmp_path, sandbox.url)


def server_tokens(url: str) -> dict[str, int | None]:
    """The server's own view (name -> expiry_at in microseconds), read as the root user."""
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        try:
            return {token.name: token.expiry_at_us for token in client.list_tokens()}
        finally:
            client.logout()


def mint_token(url: str, name: str, expiry_us: int = 2**64 - 1) -> str:
    from iggy_cli.server.client import IggyClient

    with IggyClient(url, timeout=5) as client:
        client.login_with_password("iggy", "iggy")
        try:
            return client.create_token(name, expiry_us).token
        finally:
            client.logout()


def token_works(url: str, token: str | None) -> bool:
    """The server accepts the token at login (None, no token, never does)."""
    from iggy_cli.errors import IggyCliError
    from iggy_cli.server.client import IggyClient

    if token is None:
        return False
    with IggyClient(url, timeout=5) as client:
        try:
            client.login_with_token(token)
        except IggyCliError:
            return False
        client.logout()
        return True
