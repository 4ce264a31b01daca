"""A JSON file of secrets, `{service: {username: secret}}`: mode 0600 in a 0700 folder, written
atomically under a lock. Used by `--store file` and by the PlaintextFileKeyring stand-in.

The secrets are NOT encrypted; the file's permissions are all that protects them.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

Entries = dict[str, dict[str, str]]


class SecretFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, service: str, username: str) -> str | None:
        with self._entries() as entries:
            return entries.get(service, {}).get(username)

    def set(self, service: str, username: str, secret: str) -> None:
        with self._entries(write=True) as entries:
            entries.setdefault(service, {})[username] = secret

    def delete(self, service: str, username: str) -> bool:
        with self._entries(write=True) as entries:
            users = entries.get(service, {})
            if username not in users:
                return False
            del users[username]
            if not users:
                del entries[service]
            return True

    @contextmanager
    def _entries(self, write: bool = False) -> Iterator[Entries]:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by umask, and the folder may be older
        lock = os.open(folder / f".{self.path.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries: Entries = json.loads(self.path.read_text()) if self.path.exists() else {}
            if not isinstance(entries, dict) or not all(
                isinstance(users, dict) for users in entries.values()
            ):
                raise ValueError(f"{self.path} is damaged: not an object of objects")
            yield entries
            if write:
                self._replace(entries)
        finally:
            os.close(lock)

    def _replace(self, entries: Entries) -> None:
        replace_file(self.path, json.dumps(entries, indent=1, sort_keys=True), mode=0o600)


def replace_file(path: Path, text: str, mode: int = 0o666) -> None:
    """Write `text` to `path` all at once: a temporary file beside it, synced, then renamed,
    so a crash or a full disk leaves the old file whole. `mode` is filtered by the umask."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
