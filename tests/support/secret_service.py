"""A real Secret Service for a test: gnome-keyring's secrets component on a private D-Bus
session bus (dbus-run-session), unlocked from stdin with a fresh, empty data folder
(shared/TESTING.md), and read back with libsecret's `secret-tool`, not through our code."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

PASSWORD = "test-login-password"
TOOLS = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool")
# Prints the private bus's address, then becomes the daemon; the password has no newline,
# which would otherwise become part of it.
_SCRIPT = (
    'echo "$DBUS_SESSION_BUS_ADDRESS"; printf %s "$KEYRING_PASSWORD" | '
    "exec gnome-keyring-daemon --foreground --unlock --components=secrets"
)


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class SecretService:
    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_RUNTIME_DIR": str(home / "run"),
            "PATH": os.environ.get("PATH", ""),
        }
        (home / "run").mkdir(mode=0o700, exist_ok=True)
        self._process = subprocess.Popen(
            ["dbus-run-session", "--", "sh", "-c", _SCRIPT],
            env={**self.env, "KEYRING_PASSWORD": PASSWORD},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # its own process group, so stop() ends the daemons too
        )
        assert self._process.stdout is not None
        self.address = self._process.stdout.readline().strip()
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        self._wait_until_ready()

    def _wait_until_ready(self, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            probe = self._secret_tool(["store", "--label=probe", "service", "probe"], "x")
            if probe.returncode == 0:
                self._secret_tool(["clear", "service", "probe"])
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("gnome-keyring's Secret Service did not come up")

    def _secret_tool(self, args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["secret-tool", *args],
            input=stdin,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )

    def lookup(self, service: str, username: str) -> str | None:
        found = self._secret_tool(["lookup", "service", service, "username", username])
        return found.stdout if found.returncode == 0 and found.stdout else None

    def store(self, service: str, username: str, secret: str) -> None:
        """Store an entry as another program would (Iggy's Rust CLI, say)."""
        args = ["store", "--label=stored by another tool", "service", service, "username", username]
        assert self._secret_tool(args, secret).returncode == 0

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()
