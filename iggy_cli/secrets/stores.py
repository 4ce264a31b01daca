"""Where secrets live, behind one small interface; the only module that imports keyring
(and secretstorage, keyring's own Secret Service library).

Entry names match Iggy's own Rust CLI, so each tool finds the other's tokens: a PAT is stored
at service `iggy:<address>` under its name, the login session at service
`iggy-cli-session:<address>` under `iggy-cli-session` (core/cli/src/commands/binary_system/
session.rs and .../binary_personal_access_tokens/create_personal_access_token.rs, tag
server-0.8.0). `<address>` is the keyring address of the server (`Settings.keyring`).

On the Secret Service (Linux) an entry is one item: see `SecretServiceItems`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from iggy_cli.errors import StorageError
from iggy_cli.secrets.redaction import redact, remember
from iggy_cli.secrets.secret_file import SecretFile
from iggy_cli.state import local_state

SESSION_TOKEN_NAME = "iggy-cli-session"
# Where `KeyringStore.check` writes, reads back and deletes a throw-away entry.
PROBE_SERVICE = "iggy-cli-probe"
KEYRING_TIMEOUT_S = 5.0
TIMEOUT_VARIABLE = "IGGY_KEYRING_TIMEOUT"
_NO_KEYRING_HINT = (
    "unlock or install a Secret Service (gnome-keyring, KeePassXC), pick a backend with "
    "PYTHON_KEYRING_BACKEND, keep tokens in a private file with --store file (or "
    "IGGY_STORE=file), or use --no-store and keep the token yourself"
)

T = TypeVar("T")


def token_service(address: str) -> str:
    return f"iggy:{address}"


def session_service(address: str) -> str:
    return f"{SESSION_TOKEN_NAME}:{address}"


def password_service(address: str) -> str:
    """Where a password copied from Iggy's contexts lives (username = the user's name)."""
    return f"iggy-cli-password:{address}"


def adopted_service(address: str) -> str:
    """Where a raw token adopted as the session with `pat login` lives (username
    `iggy-cli-session`): never where Iggy's CLI keeps its own session, whose `iggy logout`
    deletes the server token 'iggy-cli-session' of whoever the session signs in as."""
    return f"iggy-cli-adopted-session:{address}"


class DuplicateEntry(StorageError):
    """The Secret Service holds items with different secrets for one entry (written by
    different tools): which one is right can only be told by trying them on the server.
    `secrets` holds them, for a caller that can try; the message never shows them."""

    def __init__(self, service: str, username: str, secrets: tuple[str, ...]) -> None:
        self.service, self.username, self.secrets = service, username, secrets
        by_hand = "delete the wrong item with seahorse or secret-tool"
        if service.startswith(token_service("")):
            hint = f"`iggy -n {username} status` keeps the one the server accepts, or {by_hand}"
        elif service.startswith(session_service("")):
            hint = f"`iggy status` keeps the one the server accepts, or {by_hand}"
        else:
            hint = by_hand
        super().__init__(
            f"the keyring holds {len(secrets)} different secrets for {service} / {username}",
            hint=hint,
        )

    def __repr__(self) -> str:
        return f"DuplicateEntry({self.service!r}, {self.username!r}, <{len(self.secrets)}>)"


class NotKeptAsWritten(StorageError):
    """A write the store accepted, whose entry reads back as something else (or nothing): a
    full keyring that truncates, a buggy backend, another program rewriting the entry. The
    entry is left as it is: the caller decides (print the token, put an old one back)."""

    def __init__(self, where: str, service: str, username: str, kept: str | None) -> None:
        what = "nothing" if kept is None else "something else"
        super().__init__(
            f"{where} did not keep what was written to {service} / {username}: reading it "
            f"back gave {what}",
            hint="the keyring may be full, or another program may rewrite the entry; keep "
            "tokens in a private file with --store file, or use --no-store",
        )


def write_checked(
    where: str,
    write: Callable[[str, str, str], None],
    read: Callable[[str, str], str | None],
    service: str,
    username: str,
    secret: str,
) -> None:
    """Write an entry and read it back: a store that keeps something else is no store."""
    write(service, username, secret)
    kept = read(service, username)
    if kept != secret:
        remember(kept)  # whatever it holds instead may be most of the secret
        raise NotKeptAsWritten(where, service, username, kept)


class CredentialStore(Protocol):
    """A place for raw tokens, addressed like the OS keyring: (service, username)."""

    @property
    def description(self) -> str: ...

    def check(self) -> None:
        """Raise StorageError now if nothing could be stored (before a token is minted)."""

    def get(self, service: str, username: str) -> str | None: ...

    def set(self, service: str, username: str, secret: str) -> None:
        """Keep `secret`, read it back, and raise NotKeptAsWritten if the entry holds
        anything else: a store never reports success for a copy it does not hold."""

    def delete(self, service: str, username: str) -> bool:
        """Remove the entry; False if there was none."""
        ...


def any_secret(store: CredentialStore, service: str, username: str) -> str | None:
    """The entry's secret; of several different ones (DuplicateEntry), the first: for a caller
    that only asks whether there is one, or compares it."""
    try:
        return store.get(service, username)
    except DuplicateEntry as duplicate:
        return duplicate.secrets[0]


class MemoryStore:
    """A store in a dict, for unit tests and for `--no-store` runs that need none."""

    description = "memory (nothing is kept)"

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def check(self) -> None:
        return None

    def get(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set(self, service: str, username: str, secret: str) -> None:
        self.entries[(service, username)] = secret

    def delete(self, service: str, username: str) -> bool:
        return self.entries.pop((service, username), None) is not None


class FileStore:
    """`--store file`: tokens in an unencrypted file that only its owner can read."""

    def __init__(self, path: str, warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._file = SecretFile(path, warn)
        self.description = f"file {path} (unencrypted, mode 0600)"

    def check(self) -> None:
        def usable() -> None:
            with local_state.locked(self.path):  # the folder exists and is writable
                self._file.get("", "")

        self._guard("open", usable)

    def get(self, service: str, username: str) -> str | None:
        secret = self._guard("read", lambda: self._file.get(service, username))
        remember(secret)
        return secret

    def set(self, service: str, username: str, secret: str) -> None:
        remember(secret)
        file = self._file
        self._guard(
            "write",
            lambda: write_checked(
                f"the token file {self.path}", file.set, file.get, service, username, secret
            ),
        )

    def delete(self, service: str, username: str) -> bool:
        return self._guard("delete", lambda: self._file.delete(service, username))

    def _guard(self, action: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (OSError, ValueError) as error:
            message = f"token file {action} failed ({self.path}): {_describe(error)}"
            raise StorageError(message) from None


class NoStore:
    """`--store none`: nothing is kept, so nothing can be read back."""

    description = "none (--store none: nothing is kept)"

    def check(self) -> None:
        raise StorageError(
            "nothing can be kept with --store none",
            hint="use --no-store to print a new token, or choose --store keyring or --store file",
        )

    def get(self, service: str, username: str) -> str | None:
        return None

    def set(self, service: str, username: str, secret: str) -> None:
        self.check()

    def delete(self, service: str, username: str) -> bool:
        return False


class KeyringStore:
    """The OS keyring through python-keyring, every call bounded by a timeout.

    A locked or absent Secret Service can block forever waiting for a prompt that no one can
    answer, so each call runs in a daemon thread and is abandoned after `timeout_s`
    (IGGY_KEYRING_TIMEOUT, default 5 s). Backend discovery, through entry points and slow, is
    done once per process.
    """

    def __init__(
        self,
        timeout_s: float | None = None,
        backend: Any = None,
        discover: Callable[[], tuple[Any, str]] | None = None,
    ) -> None:
        """`backend`: a python-keyring backend to use instead of discovering one (tests).
        `discover`: how to find one and say why (a run passes `discover_backend` of its own
        environment); by default, from the process's environment."""
        if timeout_s is None:
            timeout_s = _timeout_from_environment(os.environ)
        self._timeout_s = timeout_s
        self._discover = discover or (lambda: discover_backend(os.environ))
        self._backend: Any = None
        self._items: SecretServiceItems | None = None
        self._reason = ""
        if backend is not None:
            self._backend, self._reason = _usable(backend, "given"), "given"

    @property
    def description(self) -> str:
        backend = self._keyring()
        return f"OS keyring {type(backend).__module__}.{type(backend).__name__} ({self._reason})"

    def check(self) -> None:
        """A backend that keeps nothing is no keyring, whoever chose it: write a throw-away
        entry, read it back and delete it, all within one timeout, before anything is minted."""
        backend = self._keyring()
        kind = f"{type(backend).__module__}.{type(backend).__name__}"
        if (items := self._items) is not None:
            calls = (items.set, items.get, items.delete)
        else:
            calls = (backend.set_password, backend.get_password, backend.delete_password)
        self._bounded("check", lambda: _probe(kind, *calls))

    def get(self, service: str, username: str) -> str | None:
        backend = self._keyring()
        if (items := self._items) is not None:
            value = self._bounded("read", lambda: items.get(service, username))
        else:
            value = self._bounded("read", lambda: backend.get_password(service, username))
        if not isinstance(value, str):
            return None
        remember(value)
        return value

    def set(self, service: str, username: str, secret: str) -> None:
        remember(secret)  # a backend's error text may quote it
        backend = self._keyring()
        if (items := self._items) is not None:
            write, read = items.set, items.get
        else:
            write, read = backend.set_password, backend.get_password
        # read back inside the same timeout: a write is only done once it is seen kept
        self._bounded(
            "write",
            lambda: write_checked("the keyring", write, read, service, username, secret),
        )

    def delete(self, service: str, username: str) -> bool:
        backend = self._keyring()
        if (items := self._items) is not None:
            return self._bounded("delete", lambda: items.delete(service, username))
        if self.get(service, username) is None:
            return False
        self._bounded("delete", lambda: backend.delete_password(service, username))
        return True

    def _keyring(self) -> Any:
        if self._backend is None:
            self._backend, self._reason = self._bounded("open", self._discover)
            self._items = SecretServiceItems.of(self._backend)
        return self._backend

    def _bounded(self, action: str, call: Callable[[], T]) -> T:
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = call()
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error

        worker = threading.Thread(target=run, name=f"keyring-{action}", daemon=True)
        worker.start()
        worker.join(self._timeout_s)
        if worker.is_alive():
            raise StorageError(
                f"the keyring did not answer within {self._timeout_s:g} s ({action})",
                hint="it may be locked and waiting for a prompt: unlock it, or use --no-store",
            )
        error = outcome.get("error")
        if isinstance(error, StorageError):
            raise error
        if error is not None:
            raise StorageError(f"keyring {action} failed: {_describe(error)}") from None
        return outcome.get("value")  # type: ignore[return-value]


class SecretServiceItems:
    """One Secret Service item per entry, found by both of Iggy's Rust CLIs.

    python-keyring writes `{service, username, application: "Python keyring library"}` and
    replaces only an item with exactly that set, so writing over an item another tool made
    leaves two. Iggy's stable CLI (keyring crate 3.6.3, src/secret_service.rs) writes
    `{service, username, target: "default", application: "rust-keyring"}`, looks up
    `{service, username, target}` and, finding none, `{service, username}` in the default
    collection; the edge CLI (zbus-secret-service-keyring-store 1.0.0, src/cred.rs) looks up
    `{service, username}`. Both fail as "ambiguous" when two items match. So a write makes
    one item carrying `target: "default"`, then deletes every other item matching
    `{service, username}` (whoever wrote it): created first, so a failure never leaves the
    entry empty. A read never picks silently: equal secrets are tidied into one item,
    different ones raise `DuplicateEntry`.

    Used only for python-keyring's own SecretService backend with its default attribute
    names, through the collection that backend picks; every call runs inside the store's
    timeout.
    """

    APPLICATION = "iggy-cli"

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    @classmethod
    def of(cls, backend: Any) -> SecretServiceItems | None:
        try:
            from keyring.backends import SecretService
        except ImportError:  # pragma: no cover - the module is part of keyring
            return None
        if type(backend) is not SecretService.Keyring or backend.scheme != "default":
            return None
        return cls(backend)

    def get(self, service: str, username: str) -> str | None:
        with self._collection() as collection:
            items = self._matching(collection, service, username)
            secrets = list(dict.fromkeys(self._secret(item) for item in items))
            if not secrets:
                return None
            if len(secrets) > 1:
                raise DuplicateEntry(service, username, tuple(secrets))
            if len(items) > 1:
                self._write(collection, service, username, secrets[0], items)
            return secrets[0]

    def set(self, service: str, username: str, secret: str) -> None:
        with self._collection() as collection:
            existing = self._matching(collection, service, username)
            self._write(collection, service, username, secret, existing)

    def delete(self, service: str, username: str) -> bool:
        with self._collection() as collection:
            items = self._matching(collection, service, username)
            for item in items:
                item.delete()
            return bool(items)

    def _write(
        self, collection: Any, service: str, username: str, secret: str, existing: list[Any]
    ) -> None:
        attributes = {
            "service": service,
            "username": username,
            "target": "default",
            "application": self.APPLICATION,
        }
        made = collection.create_item(
            label_for(service, username), attributes, secret.encode("utf-8"), replace=True
        )
        for item in existing:
            if item.item_path != made.item_path:
                item.delete()

    def _matching(self, collection: Any, service: str, username: str) -> list[Any]:
        return list(collection.search_items({"service": service, "username": username}))

    def _secret(self, item: Any) -> str:
        self._backend.unlock(item)
        secret: bytes = item.get_secret()
        return secret.decode("utf-8")

    @contextlib.contextmanager
    def _collection(self) -> Iterator[Any]:
        collection = self._backend.get_preferred_collection()
        try:
            yield collection
        finally:
            collection.connection.close()


def label_for(service: str, username: str) -> str:
    """What an item is, for people browsing their keyring (seahorse, KeePassXC)."""
    kind, _, address = service.partition(":")
    if kind == "iggy":
        return f"Iggy personal access token '{username}' for {address}"
    if kind == SESSION_TOKEN_NAME:
        return f"Iggy CLI login session for {address}"
    if kind == "iggy-cli-adopted-session":
        return f"iggy-cli session (an adopted token) for {address}"
    if kind == "iggy-cli-password":
        return f"Iggy password of '{username}' for {address}"
    return f"{username} @ {service}"


def discover_backend(environ: Mapping[str, str]) -> tuple[Any, str]:
    """The keyring backend for a run's environment, and why it is the one, in python-keyring's
    own order: named by PYTHON_KEYRING_BACKEND, else by keyringrc.cfg, else found by keyring's
    discovery. The first two are read from `environ` here, so a run given its own environment
    gets its own backend; a class with a `from_environ` constructor is given that environment
    (PlaintextFileKeyring reads its file's path there)."""
    if name := environ.get("PYTHON_KEYRING_BACKEND", "").strip():
        reason = "chosen by PYTHON_KEYRING_BACKEND"
        return _usable(_load_backend(name, environ), reason), reason
    if configured := _configured_backend(environ):
        reason = "chosen in keyringrc.cfg"
        return _usable(_load_backend(configured, environ), reason), reason
    import keyring

    reason = "found by keyring's discovery"
    return _usable(keyring.get_keyring(), reason), reason


def _load_backend(name: str, environ: Mapping[str, str]) -> Any:
    """An instance of the backend class `module.Class`, as keyring.core.load_keyring makes one."""
    import importlib

    module, _, class_name = name.rpartition(".")
    backend_class = getattr(importlib.import_module(module), class_name)
    backend_class.priority  # noqa: B018  # as keyring does: raises if unusable here
    from_environ = getattr(backend_class, "from_environ", None)
    return from_environ(environ) if from_environ is not None else backend_class()


def _configured_backend(environ: Mapping[str, str]) -> str | None:
    """`default-keyring` of the keyringrc.cfg python-keyring reads for this environment."""
    import configparser
    import sys

    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        # keyring.util.platform_ for these systems, but from the run's environment
        base = environ.get("XDG_CONFIG_HOME") or os.path.join(
            environ.get("HOME") or os.path.expanduser("~"), ".config"
        )
        path = os.path.join(base, "python_keyring", "keyringrc.cfg")
    else:
        from keyring.util import platform_

        path = os.path.join(platform_.config_root(), "keyringrc.cfg")
    config = configparser.RawConfigParser()
    try:
        config.read(path, encoding="utf-8")
        name = config.get("backend", "default-keyring").strip()
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return name or None


def _usable(backend: Any, reason: str) -> Any:
    """The backend, unless it is one of python-keyring's that keep nothing."""
    from keyring.backends import fail, null

    if isinstance(backend, fail.Keyring):
        raise StorageError("no OS keyring is available on this machine", hint=_NO_KEYRING_HINT)
    if isinstance(backend, null.Keyring):
        # Discovery's fallback, and what CI advice (`keyring --disable`,
        # PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring) selects: it accepts every
        # write and keeps nothing, so a token "stored" there would be lost.
        raise StorageError(
            f"no OS keyring: the null keyring ({reason}) keeps nothing", hint=_NO_KEYRING_HINT
        )
    return backend


def _probe(
    kind: str,
    write: Callable[[str, str, str], None],
    read: Callable[[str, str], str | None],
    delete: Callable[[str, str], Any],
) -> None:
    import secrets

    username = f"probe-{os.getpid()}-{secrets.token_hex(4)}"
    expected = secrets.token_urlsafe(16)
    write(PROBE_SERVICE, username, expected)
    try:
        kept = read(PROBE_SERVICE, username)
    finally:
        with contextlib.suppress(Exception):  # kept or not, a stray test entry harms no one
            delete(PROBE_SERVICE, username)
    if kept != expected:
        raise StorageError(
            f"no OS keyring: the keyring backend {kind} keeps nothing "
            "(an entry written to it could not be read back)",
            hint=_NO_KEYRING_HINT,
        )


def _timeout_from_environment(environ: Mapping[str, str]) -> float:
    """For a store built without settings; a run's own comes from Settings.keyring_timeout_s,
    checked with every other setting before anything is sent."""
    from iggy_cli.settings import check_timeout

    text = environ.get(TIMEOUT_VARIABLE, "").strip()
    # finite, > 0 and capped: inf overflowed Thread.join, nan waited for nothing
    return check_timeout(text, TIMEOUT_VARIABLE) if text else KEYRING_TIMEOUT_S


def _describe(error: BaseException) -> str:
    """An exception as one line, masked before it is cut to its first line: a backend's text
    may quote the secret it was asked to keep."""
    text = redact(str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
