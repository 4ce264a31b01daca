"""A real Secret Service for a test: gnome-keyring's secrets component on a private D-Bus
session bus (dbus-run-session), unlocked from stdin with a fresh, empty data folder (with an
old `login.keyring` of another password, `--unlock` fails silently and every call then waits
on a prompter that cannot open a display), read back with libsecret's `secret-tool` and with
secretstorage over that bus, not through our code.

Items of Iggy's own Rust CLI are made and looked up here as each of its keyring libraries does:
- the stable CLI (cli-0.13.0 = tag server-0.8.0: the `keyring` crate 3.6.3,
  src/secret_service.rs) creates `{service, username, target: "default", application:
  "rust-keyring"}` labelled `{user}@{service}:default (keyring v3.6.3)` in the default
  collection; it looks up `{service, username, target: "default"}` in every collection and,
  finding none, `{service, username}` in the default collection;
- the edge CLI (zbus-secret-service-keyring-store 1.0.0, src/cred.rs) creates `{service,
  username}` labelled `keyring:{user}@{service}` and looks up `{service, username}`;
both fail as ambiguous when a search finds two items (`Ambiguous` here).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

RustCli = Literal["stable", "edge"]

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


class Ambiguous(Exception):
    """A Rust CLI's lookup found more than one item: it fails there."""


class Item(NamedTuple):
    attributes: dict[str, str]
    label: str
    secret: str


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
        # A call made before the daemon has taken its bus name makes D-Bus start a second
        # gnome-keyring, with a locked keyring and a prompter that cannot open a display; so
        # first wait for the name (asking whether it has an owner starts nothing).
        while not self._name_owned() and time.monotonic() < deadline:
            time.sleep(0.02)
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

    def _name_owned(self) -> bool:
        from jeepney.bus_messages import message_bus

        with self._connection() as connection:
            reply = connection.send_and_get_reply(
                message_bus.NameHasOwner("org.freedesktop.secrets"), timeout=5
            )
        return bool(reply.body[0])

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        from jeepney.io.blocking import open_dbus_connection

        connection = open_dbus_connection(bus=self.address)
        try:
            yield connection
        finally:
            connection.close()

    def store_as_rust_cli(self, cli: RustCli, service: str, username: str, secret: str) -> None:
        """Create the item Iggy's stable or edge Rust CLI creates for a new entry."""
        import secretstorage

        if cli == "stable":
            attributes = {"target": "default", "application": "rust-keyring"}
            label = f"{username}@{service}:default (keyring v3.6.3)"
        else:
            attributes, label = {}, f"keyring:{username}@{service}"
        attributes.update(service=service, username=username)
        with self._connection() as connection:
            collection = secretstorage.get_default_collection(connection)
            collection.create_item(label, attributes, secret.encode(), replace=False)

    def store_as_python_keyring(self, service: str, username: str, secret: str) -> None:
        """Create the item python-keyring's SecretService backend writes (as iggy-cli did
        before it kept one item per entry)."""
        import secretstorage

        attributes = {"service": service, "username": username}
        attributes["application"] = "Python keyring library"
        with self._connection() as connection:
            collection = secretstorage.get_default_collection(connection)
            label = f"Password for '{username}' on '{service}'"
            collection.create_item(label, attributes, secret.encode(), replace=True)

    def items(self, service: str, username: str) -> list[Item]:
        """Every item of the entry, in any collection."""
        return self._search({"service": service, "username": username})

    def lookup_as(self, cli: RustCli, service: str, username: str) -> str | None:
        """The secret Iggy's stable or edge Rust CLI reads for the entry (Ambiguous if it
        would fail for finding two items)."""
        query = {"service": service, "username": username}
        found = self._search({**query, "target": "default"}) if cli == "stable" else []
        if cli == "edge" or not found:
            found = self._search(query, default_collection_only=cli == "stable")
        if len(found) > 1:
            raise Ambiguous(f"{len(found)} items match {service} / {username}")
        return found[0].secret if found else None

    def _search(self, query: dict[str, str], default_collection_only: bool = False) -> list[Item]:
        import secretstorage

        with self._connection() as connection:
            if default_collection_only:
                found = secretstorage.get_default_collection(connection).search_items(query)
            else:
                found = secretstorage.search_items(connection, query)
            return [
                Item(_own(item.get_attributes()), item.get_label(), item.get_secret().decode())
                for item in found
            ]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()


def _own(attributes: dict[str, str]) -> dict[str, str]:
    """The attributes a program gave its item: gnome-keyring adds `xdg:schema` to every one."""
    return {key: value for key, value in attributes.items() if key != "xdg:schema"}
