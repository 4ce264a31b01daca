"""PlaintextFileKeyring: an explicit, clearly-named stand-in for the OS keyring.

NOT SECURE: secrets are kept unencrypted in a JSON file (mode 0600). It exists for the demo on
machines without a Secret Service and for the end-to-end tests, which run the console script in
child processes and so need a keyring that outlives one process. It is never chosen by
keyring's discovery; it is used only when named outright:

    PYTHON_KEYRING_BACKEND=iggy_cli.secrets.plaintext_keyring.PlaintextFileKeyring
    IGGY_PLAINTEXT_KEYRING_FILE=/some/dir/keyring.json
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from iggy_cli.secrets.secret_file import SecretFile

FILE_VARIABLE = "IGGY_PLAINTEXT_KEYRING_FILE"


class PlaintextFileKeyring(KeyringBackend):
    priority = -1  # never chosen by discovery

    def get_password(self, service: str, username: str) -> str | None:
        return _file().get(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        _file().set(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if not _file().delete(service, username):
            raise PasswordDeleteError(f"no entry for {username} at {service}")


def _file() -> SecretFile:
    value = os.environ.get(FILE_VARIABLE)
    if not value:
        raise KeyringError(f"PlaintextFileKeyring needs {FILE_VARIABLE} set to a file path")
    return SecretFile(value)
