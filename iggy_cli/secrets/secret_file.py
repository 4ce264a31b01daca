"""A JSON file of secrets, `{service: {username: secret}}`, kept through local_state (0600,
locked read-modify-write, atomic replace). Used by `--store file` and by the
PlaintextFileKeyring stand-in.

The secrets are NOT encrypted; the file's permissions are all that protects them, so a file
found readable by others is made private again, with a warning, before it is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from iggy_cli.state import local_state

Entries = dict[str, dict[str, str]]


class SecretFile:
    def __init__(self, path: str | os.PathLike[str], warn: Callable[[str], None] | None = None):
        self.path = os.fspath(path)
        self._state = local_state.JsonState(self.path, strict=True)
        self._warn = warn
        self._checked = False

    def get(self, service: str, username: str) -> str | None:
        users = self._entries().get(service)
        secret = users.get(username) if isinstance(users, dict) else None
        return secret if isinstance(secret, str) else None

    def set(self, service: str, username: str, secret: str) -> None:
        def put(entries: dict[str, Any]) -> None:
            self._check_shape(entries)
            entries.setdefault(service, {})[username] = secret

        self._private()
        self._state.update(put)

    def delete(self, service: str, username: str) -> bool:
        def drop(entries: dict[str, Any]) -> bool:
            self._check_shape(entries)
            users = entries.get(service, {})
            if username not in users:
                return False
            del users[username]
            if not users:
                del entries[service]
            return True

        self._private()
        return bool(self._state.update(drop))

    def _entries(self) -> dict[str, Any]:
        self._private()
        entries = self._state.load()
        self._check_shape(entries)
        return entries

    def _private(self) -> None:
        if self._checked:
            return
        warning = local_state.check_private(self.path)
        if warning is not None and self._warn is not None:
            self._warn(warning)
        self._checked = True

    def _check_shape(self, entries: dict[str, Any]) -> None:
        if not all(isinstance(users, dict) for users in entries.values()):
            raise local_state.StateFileError(f"{self.path} is damaged: not an object of objects")
