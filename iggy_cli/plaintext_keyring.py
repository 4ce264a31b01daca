"""PlaintextFileKeyring: an explicit, clearly-named stand-in for the OS keyring.

NOT SECURE: secrets are kept unencrypted in a JSON file (mode 0600). It exists for the demo on
machines without a Secret Service and for the end-to-end tests, which run the console script in
child processes and so need a keyring that outlives one process. It is never chosen by
keyring's discovery; it is used only when named outright:

    PYTHON_KEYRING_BACKEND=iggy_cli.plaintext_keyring.PlaintextFileKeyring
    IGGY_PLAINTEXT_KEYRING_FILE=/some/dir/keyring.json
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

FILE_VARIABLE = "IGGY_PLAINTEXT_KEYRING_FILE"


class PlaintextFileKeyring(KeyringBackend):
    priority = -1  # never chosen by discovery

    def get_password(self, service: str, username: str) -> str | None:
        with self._entries() as entries:
            return entries.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._entries(write=True) as entries:
            entries.setdefault(service, {})[username] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._entries(write=True) as entries:
            if username not in entries.get(service, {}):
                raise PasswordDeleteError(f"no entry for {username} at {service}")
            del entries[service][username]

    @contextmanager
    def _entries(self, write: bool = False) -> Iterator[dict[str, dict[str, str]]]:
        path = _path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _locked(path.with_suffix(path.suffix + ".lock")):
            entries = json.loads(path.read_text()) if path.exists() else {}
            yield entries
            if write:
                _write_private(path, lambda f: json.dump(entries, f, indent=1, sort_keys=True))


def _path() -> Path:
    value = os.environ.get(FILE_VARIABLE)
    if not value:
        raise KeyringError(f"PlaintextFileKeyring needs {FILE_VARIABLE} set to a file path")
    return Path(value)


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _write_private(path: Path, write: Callable[..., None]) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        write(file)
    os.replace(temporary, path)
