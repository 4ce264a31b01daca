"""Fixtures: a sandbox server per test on a free loopback port, and `iggy` run with a keyring
the tests install (never the developer's own): in the test's process (`cli`), or as the
console script in a child process (`cli_process`)."""

from __future__ import annotations

import io
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
    from leaks import searcher, windows

    leaked = searcher(windows(MINTED))
    leaks = []
    for args, result, shows_token in RUNS:
        stderr = result.stderr
        if shows_token:  # under GitHub Actions the runner is told to mask it, on stderr
            lines = stderr.splitlines()
            stderr = "\n".join(line for line in lines if not line.startswith("::add-mask::"))
        for where, text in (("stderr", stderr), ("stdout", result.stdout)):
            if where == "stdout" and shows_token:
                continue
            found = leaked(text)
            if found:
                leaks.append(
                    f"iggy {' '.join(args)} -> {len(found)} piece(s) of a token on {where}"
                )
    assert not leaks, "raw tokens leaked:\n" + "\n".join(leaks)


# Where the product keeps files, or reads them from, in a user's home: each test gets its own
# empty ones, so nothing a test runs (a use case with default paths, a keyring's discovery, the
# console script) reads or writes the developer's own (issue 22, point 19).
HOME_VARIABLES = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


@pytest.fixture(autouse=True)
def own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for variable in HOME_VARIABLES:
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in ("IGGY_HOME", "PYTHON_KEYRING_BACKEND", "IGGY_PLAINTEXT_KEYRING_FILE"):
        monkeypatch.delenv(variable, raising=False)
    return home


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
    """Runs `iggy` in the test's own process, as a value: the app is given a clean,
    test-owned environment, stdin and stdout/stderr of its own, and builds its keyring backend
    from that environment (never the developer's own keyring, files or variables)."""

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
        result = self.run(list(args), input if input is not None else "", merged)
        RUNS.append((args, result, shows_token))
        return result

    def run(self, args: list[str], input: str, env: dict[str, str]) -> Result:
        from iggy_cli.cli import entry
        from iggy_cli.runtime import World

        # What the console script gets here: UTF-8 streams that pass undecodable bytes through
        # (Python's choice for stdio), read back as subprocess.run(text=True) reads a child's.
        stdin = io.TextIOWrapper(io.BytesIO(input.encode()), "utf-8", "surrogateescape")
        stdout, stderr = _captured(), _captured()
        world = World(env, stdin, stdout, stderr, program="iggy", exec_command=_no_exec)
        code = entry.run(args, world)
        return Result(code, _text(stdout), _text(stderr))

    def keyring(self) -> dict[str, dict[str, str]]:
        if not self.keyring_file.exists():
            return {}
        entries: dict[str, dict[str, str]] = json.loads(self.keyring_file.read_text())
        return {service: users for service, users in entries.items() if users}

    def as_admin(self) -> dict[str, str | None]:
        return {"IGGY_USERNAME": "iggy", "IGGY_PASSWORD": "iggy"}


class ProcessCli(Cli):
    """Runs the installed console script in a child process: for what only a real process
    shows (signals, a terminal, closed or full stdout, start-up, the OS keyring)."""

    def run(self, args: list[str], input: str, env: dict[str, str]) -> Result:
        done = subprocess.run(
            [str(BIN / "iggy"), *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr)


def _no_exec(argv: list[str], environment: dict[str, str]) -> None:
    raise AssertionError("`pat exec` replaces the process it runs in: use the cli_process fixture")


def _captured() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), "utf-8", "surrogateescape")


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    data = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return str(data.decode()).replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture
def cli(tmp_path: Path, sandbox: SandboxServer) -> Cli:
    return Cli(tmp_path, sandbox.url)


@pytest.fixture
def cli_process(tmp_path: Path, sandbox: SandboxServer) -> ProcessCli:
    return ProcessCli(tmp_path, sandbox.url)


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
