"""Iggy's own Rust CLI (`iggy`, crate iggy-cli on crates.io) as a test peer, pinned.

`make test` installs it once with `cargo install --locked` into a cache outside the clone
(RUST_CLI_ROOT in the Makefile); these tests find it there, or at $IGGY_RUST_CLI. Version
0.14.0 is the newest stable release (2026-09-18, with Iggy 0.9.0) and builds with the machine's
Rust 1.95. On Linux it keeps PATs and its session in the Secret Service only
(zbus-secret-service-keyring-store 1.0.1, iggy-cli 0.14.0's Cargo.lock): without one its
`pat delete` deletes on the server, then fails; so it runs beside a real gnome-keyring here.

In CI (CI=true, or IGGY_REQUIRE_RUST_CLI=1 as `.ci/run` sets) a missing or wrong binary is a
failure, never a skip.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

VERSION = "0.14.0"
DEFAULT_ROOT = Path.home() / ".cache" / "iggy-cli-peer" / VERSION


def binary() -> Path:
    return Path(os.environ.get("IGGY_RUST_CLI") or DEFAULT_ROOT / "bin" / "iggy")


def required() -> bool:
    return os.environ.get("CI") == "true" or bool(os.environ.get("IGGY_REQUIRE_RUST_CLI"))


def problem() -> str | None:
    """Why the pinned binary cannot be used, or None."""
    path = binary()
    if not path.is_file():
        return f"Iggy's Rust CLI is not at {path} (make test installs iggy-cli {VERSION})"
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    if done.stdout.strip() != f"iggy-cli {VERSION}":
        return f"{path} is {done.stdout.strip() or 'not iggy-cli'}, not iggy-cli {VERSION}"
    return None


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """stdout without the "Executing ..." line every command prints first."""
        return [line for line in self.stdout.splitlines() if not line.startswith("Executing ")]


class RustCli:
    """The binary over HTTP (`--transport http --http-api-url URL`) with its own HOME and
    IGGY_HOME, and the Secret Service of `bus` (a D-Bus address) as its keyring."""

    def __init__(self, home: Path, url: str, bus: str, runtime_dir: str) -> None:
        self.url = url
        self.iggy_home = home / ".iggy"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "IGGY_HOME": str(self.iggy_home),
            "DBUS_SESSION_BUS_ADDRESS": bus,
            "XDG_RUNTIME_DIR": runtime_dir,
            "TZ": "UTC",  # `pat list` prints local time
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        }

    @property
    def address(self) -> str:
        """Where it keys keyring entries: the URL minus `http://` (Args::get_server_address)."""
        return self.url.replace("http://", "")

    def __call__(self, *args: str, transport: bool = True) -> Run:
        where = ["--transport", "http", "--http-api-url", self.url] if transport else []
        done = subprocess.run(
            [str(binary()), *where, *args],
            capture_output=True,
            text=True,
            env=self.env,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def as_admin(self, *args: str) -> Run:
        return self("-u", "iggy", "-p", "iggy", *args)
