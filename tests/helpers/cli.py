"""Running `iggy` for a test: in the test's own process (`Cli`, the default), or as the
console script in a child process (`ProcessCli`), with a clean test-owned environment and a
keyring the tests install (never the developer's own). Every run is kept in RUNS for the
suite-wide leak scan (conftest.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BIN = Path(sys.executable).parent
# On the console script's PYTHONPATH, so that it can load the test keyrings (helpers.*).
TESTS = Path(__file__).parent.parent
PLAINTEXT_BACKEND = "iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring"

# Every run's arguments, result, and whether it was asked to show a token (the leak scan).
RUNS: list[tuple[tuple[str, ...], Result, bool]] = []


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

    def __init__(self, home: Path, url: str, now: Callable[[], datetime] | None = None) -> None:
        """`now`: the clock the runs read (World.now); by default, the real one."""
        self.home = home
        self.now = now
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
            "PYTHONPATH": str(TESTS),
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
        from dataclasses import replace

        from iggy_cli.cli import entry
        from iggy_cli.runtime import World

        # What the console script gets here: UTF-8 streams that pass undecodable bytes through
        # (Python's choice for stdio), read back as subprocess.run(text=True) reads a child's.
        stdin = io.TextIOWrapper(io.BytesIO(input.encode()), "utf-8", "surrogateescape")
        stdout, stderr = _captured(), _captured()
        world = World(env, stdin, stdout, stderr, program="iggy", exec_command=_no_exec)
        if self.now is not None:
            world = replace(world, now=self.now)
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
