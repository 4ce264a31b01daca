"""A real terminal for prompts, wrapping and TAB completion: the command runs inside tmux, keys
are typed with send-keys and the screen is read with capture-pane."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid


class Terminal:
    def __init__(self, command: str, env: dict[str, str], width: int = 80) -> None:
        assert shutil.which("tmux"), "tmux is missing: `make test` installs it (Debian: tmux)"
        self.name = f"iggy-test-{uuid.uuid4().hex[:8]}"
        self._socket_dir = tempfile.mkdtemp(prefix="iggy-tmux-")
        self._socket = os.path.join(self._socket_dir, "socket")
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        # A person at a terminal, not a CI job: CI=true (set by .ci/run) would rightly refuse
        # every prompt, and tmux passes the test runner's environment on to the session.
        script = f"unset CI; export {exports}; {command}; echo rc=$?; sleep 60"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", "24", script)

    def tmux(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """tmux on a server of this terminal's own (-S): tests run in parallel (pytest-xdist),
        and sessions of one shared server raced each other's start and end ("server exited
        unexpectedly")."""
        return subprocess.run(
            ["tmux", "-S", self._socket, *arguments], capture_output=True, text=True, check=check
        )

    def screen(self, escapes: bool = False) -> str:
        """The visible lines (tmux drops trailing spaces); with `escapes`, colours too."""
        flags = ["-p", "-e"] if escapes else ["-p"]
        return self.tmux("capture-pane", *flags, "-t", self.name, check=False).stdout

    def wait_for(self, text: str, seconds: float = 15) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def type(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        shutil.rmtree(self._socket_dir, ignore_errors=True)
