"""PlaintextFileKeyring: an explicit, clearly-named stand-in for the OS keyring.

NOT SECURE: secrets are kept unencrypted in a JSON file (mode 0600). It exists for the demo on
machines without a Secret Service and for the end-to-end tests, whose runs need a keyring that
outlives one run and that the test can read. It is never chosen by keyring's discovery; it is
used only when named outright, the file named in the run's environment:

    PYTHON_KEYRING_BACKEND=iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring
    IGGY_PLAINTEXT_KEYRING_FILE=/some/dir/keyring.json
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from iggy_cli.secrets.secret_file import SecretFile

FILE_VARIABLE = "IGGY_PLAINTEXT_KEYRING_FILE"


class PlaintextFileKeyring(KeyringBackend):
    priority = -1  # never chosen by discovery

    def __init__(self, path: str | None = None) -> None:
        """`path`: the file; None reads IGGY_PLAINTEXT_KEYRING_FILE of the process."""
        super().__init__()  # type: ignore[no-untyped-call]
        self.path = path if path is not None else os.environ.get(FILE_VARIABLE)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> PlaintextFileKeyring:
        """The backend for a run: its file is the one the run's environment names."""
        return cls(environ.get(FILE_VARIABLE) or "")

    def get_password(self, service: str, username: str) -> str | None:
        return self._file().get(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._file().set(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if not self._file().delete(service, username):
            raise PasswordDeleteError(f"no entry for {username} at {service}")

    def _file(self) -> SecretFile:
        if not self.path:
            raise KeyringError(f"PlaintextFileKeyring needs {FILE_VARIABLE} set to a file path")
        return SecretFile(self.path)
