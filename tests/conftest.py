"""Fixtures only (what tests share otherwise is in the package helpers/): a sandbox server per
test on a free loopback port, `iggy` run with a keyring the tests install (never the
developer's own) in the test's process (`cli`) or as the console script in a child process
(`cli_process`), a home of its own for every test, real terminals (`terminal`), and the
suite-wide leak scan."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import RUNS, Cli, ProcessCli
from helpers.servers import MINTED, new_sandbox
from helpers.terminal import Terminal

from iggy_cli.sandbox.http_server import SandboxServer

# The tool fsyncs every state file it writes (a token must survive a crash), thousands of times
# in a suite; on a disk shared with other work each fsync can take milliseconds. Where there is
# a memory-backed folder, the tests' temporary folders live there (unless --basetemp says).
MEMORY_FOLDER = "/dev/shm"


def pytest_configure(config: pytest.Config) -> None:
    usable = os.path.isdir(MEMORY_FOLDER) and os.access(MEMORY_FOLDER, os.W_OK | os.X_OK)
    if config.option.basetemp is None and usable:
        config.option.basetemp = tempfile.mkdtemp(prefix="iggy-cli-tests-", dir=MEMORY_FOLDER)
        config.stash[_MEMORY_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    if (folder := config.stash.get(_MEMORY_BASETEMP, None)) is not None:
        shutil.rmtree(folder, ignore_errors=True)  # memory: nothing is left behind


_MEMORY_BASETEMP = pytest.StashKey[str]()


@pytest.fixture(scope="session", autouse=True)
def no_token_leaks() -> Iterator[None]:
    """After the whole suite: no 16 consecutive characters of any minted token appeared in any
    output of a CLI run, except on stdout of a run that asked for the token (shows_token=True:
    --no-store, a failed store). Sixteen, because a server may echo part of a token, or a cut
    may slice one (helpers/leaks.py)."""
    yield
    from helpers.leaks import searcher, windows

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


@pytest.fixture
def cli(tmp_path: Path, sandbox: SandboxServer) -> Cli:
    return Cli(tmp_path, sandbox.url)


@pytest.fixture
def cli_process(tmp_path: Path, sandbox: SandboxServer) -> ProcessCli:
    return ProcessCli(tmp_path, sandbox.url)


@pytest.fixture
def terminal(cli: Cli) -> Iterator[type[Terminal]]:
    """Opens real terminals (tmux) for the test and closes them after it."""
    opened: list[Terminal] = []

    def open_terminal(command: str, env: dict[str, str], width: int = 80) -> Terminal:
        terminal = Terminal(command, env, width)
        opened.append(terminal)
        return terminal

    yield open_terminal  # type: ignore[misc]
    for terminal in opened:
        terminal.close()
