"""Where secrets live, behind one small interface; the only module that imports keyring.

Entry names match Iggy's own Rust CLI, so each tool finds the other's tokens: a PAT is stored
at service `iggy:<address>` under its name, the login session at service
`iggy-cli-session:<address>` under `iggy-cli-session` (core/cli/src/commands/binary_system/
session.rs and .../binary_personal_access_tokens/create_personal_access_token.rs).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from iggy_cli import local_state
from iggy_cli.errors import StorageError
from iggy_cli.secret_file import SecretFile

SESSION_TOKEN_NAME = "iggy-cli-session"
KEYRING_TIMEOUT_S = 5.0
TIMEOUT_VARIABLE = "IGGY_KEYRING_TIMEOUT"
_NO_KEYRING_HINT = (
    "unlock or install a Secret Service (gnome-keyring, KeePassXC), pick a backend with "
    "PYTHON_KEYRING_BACKEND, keep tokens in a private file with --store file, "
    "or use --no-store and keep the token yourself"
)

T = TypeVar("T")


def token_service(address: str) -> str:
    return f"iggy:{address}"


def session_service(address: str) -> str:
    return f"{SESSION_TOKEN_NAME}:{address}"


def password_service(address: str) -> str:
    """Where a password imported from Iggy's contexts lives (username = the user's name)."""
    return f"iggy-cli-password:{address}"


class CredentialStore(Protocol):
    """A place for raw tokens, addressed like the OS keyring: (service, username)."""

    @property
    def description(self) -> str: ...

    def check(self) -> None:
        """Raise StorageError now if nothing could be stored (before a token is minted)."""

    def get(self, service: str, username: str) -> str | None: ...

    def set(self, service: str, username: str, secret: str) -> None: ...

    def delete(self, service: str, username: str) -> bool:
        """Remove the entry; False if there was none."""
        ...


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
        return self._guard("read", lambda: self._file.get(service, username))

    def set(self, service: str, username: str, secret: str) -> None:
        self._guard("write", lambda: self._file.set(service, username, secret))

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
    (IGGY_KEYRING_TIMEOUT, default 5 s). Backend discovery is done once per process: it costs
    about 150 ms.
    """

    def __init__(self, timeout_s: float | None = None) -> None:
        self._timeout_s = timeout_s if timeout_s is not None else _timeout_from_environment()
        self._backend: Any = None
        self._reason = ""

    @property
    def description(self) -> str:
        backend = self._keyring()
        return f"OS keyring {type(backend).__module__}.{type(backend).__name__} ({self._reason})"

    def check(self) -> None:
        self._keyring()

    def get(self, service: str, username: str) -> str | None:
        backend = self._keyring()
        value = self._bounded("read", lambda: backend.get_password(service, username))
        return value if isinstance(value, str) else None

    def set(self, service: str, username: str, secret: str) -> None:
        backend = self._keyring()
        self._bounded("write", lambda: backend.set_password(service, username, secret))

    def delete(self, service: str, username: str) -> bool:
        if self.get(service, username) is None:
            return False
        backend = self._keyring()
        self._bounded("delete", lambda: backend.delete_password(service, username))
        return True

    def _keyring(self) -> Any:
        if self._backend is None:
            self._backend, self._reason = self._bounded("open", _discover_backend)
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


def _discover_backend() -> tuple[Any, str]:
    """The keyring backend and why it is the one: named by the user, or found by discovery."""
    import keyring
    import keyring.core
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        reason = "chosen by PYTHON_KEYRING_BACKEND"
    elif keyring.core.load_config() is not None:
        reason = "chosen in keyringrc.cfg"
    else:
        reason = "found by keyring's discovery"
        # Discovery falls back to these when it finds no real keyring; they keep nothing.
        if isinstance(backend, null.Keyring):
            raise StorageError("no OS keyring is available on this machine", hint=_NO_KEYRING_HINT)
    if isinstance(backend, fail.Keyring):
        raise StorageError("no OS keyring is available on this machine", hint=_NO_KEYRING_HINT)
    return backend, reason


def _timeout_from_environment() -> float:
    """For a store built without settings; a run's own comes from Settings.keyring_timeout_s,
    checked with every other setting before anything is sent."""
    from iggy_cli.settings import check_timeout

    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    # finite, > 0 and capped: inf overflowed Thread.join, nan waited for nothing
    return check_timeout(text, TIMEOUT_VARIABLE) if text else KEYRING_TIMEOUT_S


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
