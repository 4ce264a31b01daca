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

from iggy_cli.errors import StorageError

SESSION_TOKEN_NAME = "iggy-cli-session"
KEYRING_TIMEOUT_S = 5.0
_NO_KEYRING_HINT = (
    "install and unlock a Secret Service (gnome-keyring, KeePassXC), choose a backend with "
    "PYTHON_KEYRING_BACKEND, or use --no-store and keep the token yourself"
)

T = TypeVar("T")


def token_service(address: str) -> str:
    return f"iggy:{address}"


def session_service(address: str) -> str:
    return f"{SESSION_TOKEN_NAME}:{address}"


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


class KeyringStore:
    """The OS keyring through python-keyring, every call bounded by a timeout.

    A locked or absent Secret Service can block forever waiting for a prompt that no one can
    answer, so each call runs in a daemon thread and is abandoned after `timeout_s`.
    Backend discovery is done once per process; it costs about 150 ms.
    """

    def __init__(self, timeout_s: float = KEYRING_TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._backend: Any = None

    @property
    def description(self) -> str:
        backend = self._keyring()
        return f"OS keyring ({type(backend).__module__}.{type(backend).__name__})"

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
            self._backend = self._bounded("open", _discover_backend)
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


def _discover_backend() -> Any:
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    explicit = bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
    # keyring falls back to these when it finds no real backend; they store nothing.
    if isinstance(backend, fail.Keyring) or (isinstance(backend, null.Keyring) and not explicit):
        raise StorageError("no OS keyring is available on this machine", hint=_NO_KEYRING_HINT)
    return backend


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
